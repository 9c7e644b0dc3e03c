/** Creating, cancelling and deleting jobs. Running them is dispatch's business. */
import { eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { ACTIVE_JOB_STATUSES, plain, type CreateJobBody, type ModuleFunction, type TriggerSource } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { jobs } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import type { UserPrincipal } from "../../plugins/auth.js";
import { newId } from "../../lib/ids.js";
import { SchemaBudgetExceeded, validateAgainst } from "../../lib/schema-checks.js";
import { functionImage, isValidRange, resolveModuleVersion, type PublishedVersion } from "../catalog/catalog.repo.js";
import { findAgent } from "../agents/agents.repo.js";
import { insertJob, type JobRow } from "./jobs.repo.js";
import { transitionJob } from "./jobs.transitions.js";

/** What a job runs: the published version its module and version pick, and the function in it. */
export type JobTarget = { module: PublishedVersion; fn: ModuleFunction };

/**
 * Run provenance, from the credential. A REST job is `api` by the token's user, or `manual` when
 * the request says it comes from the console (CLIENT_HEADER: console): the console signs in with a
 * pasted PAT, so that header is the caller's own word, and it may only choose between the two
 * sources that name the token's user (a person's own hand or script). It can never claim a
 * trigger's or a copilot's provenance. A copilot token's job is `copilot`, by the integration.
 */
export function provenanceOf(p: UserPrincipal, copilotSession?: string, client?: string): Provenance {
  if (p.tokenKind === "copilot") return { trigger_source: "copilot", triggered_by: copilotSession ? `${p.tokenName} (session ${copilotSession})` : p.tokenName };
  return { trigger_source: client === "console" ? "manual" : "api", triggered_by: p.userName };
}

/** The header the console sends on every request; `console` makes its jobs `manual`. */
export const CLIENT_HEADER = "x-outpost-client";

/** provenanceOf for a REST request: its credential, copilot session and client headers. */
export function requestProvenance(p: UserPrincipal, headers: Record<string, string | string[] | undefined>): Provenance {
  const client = headers[CLIENT_HEADER];
  return provenanceOf(p, copilotSessionOf(headers), typeof client === "string" ? client : undefined);
}

/** The header a copilot integration names its session in (plain text, at most 200 characters). */
export const COPILOT_SESSION_HEADER = "x-outpost-copilot-session";
const SessionId = plain(z.string().trim().min(1).max(200));

/** The copilot session id a request names, or undefined; a bad one is a 422 naming the header. */
export function copilotSessionOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers[COPILOT_SESSION_HEADER];
  if (raw === undefined) return undefined;
  const parsed = SessionId.safeParse(raw);
  if (!parsed.success) throw ApiError.validation([{ path: `headers.${COPILOT_SESSION_HEADER}`, message: "a session id is 1-200 characters, given once, without control characters" }]);
  return parsed.data;
}

/** A job's provenance: REST callers get it from provenanceOf, triggers from triggerProvenance. */
export type Provenance = { trigger_source: TriggerSource; triggered_by: string; trigger_id?: string | null; chain_depth?: number; rerun_of?: string | null };

/** The provenance of a job a trigger starts: its kind, its name, its id. Never from a request body. */
export function triggerProvenance(t: { id: string; kind: "schedule" | "webhook" | "event"; name: string }): Provenance {
  return { trigger_source: t.kind, triggered_by: t.name, trigger_id: t.id };
}

/** What createJob stores: the request, and its provenance, which only the caller's credential decides. */
export type CreateJobInput = Omit<CreateJobBody, "trigger_source" | "triggered_by" | "trigger_id"> & Provenance;

export function resolveJobTarget(db: Db, orgId: string, body: Pick<CreateJobBody, "module" | "version" | "function">): JobTarget {
  if (body.version && !isValidRange(body.version)) {
    throw ApiError.validation([{ path: "version", message: `"${body.version}" is neither a version nor a semver range` }]);
  }
  const module = resolveModuleVersion(db, orgId, body.module, body.version);
  if (!module) {
    const what = body.version ? `${body.module}@${body.version}` : body.module;
    throw ApiError.validation([{ path: body.version ? "version" : "module", message: `no published module matches "${what}"` }]);
  }
  const fn = module.functions.find((f) => f.name === body.function);
  if (!fn) {
    throw ApiError.validation([{ path: "function", message: `module ${module.name}@${module.version} has no function "${body.function}"` }]);
  }
  return { module, fn };
}

/** Checks inputs against the function's input_schema, off the event loop and within its time budget. */
export async function validateInputs({ module, fn }: JobTarget, inputs: Record<string, unknown>): Promise<void> {
  let result;
  try {
    result = await validateAgainst(`${module.id}/${fn.name}`, fn.input_schema, inputs);
  } catch (err) {
    if (!(err instanceof SchemaBudgetExceeded)) throw err;
    throw ApiError.validation([{ path: "inputs", message: `checking them against the input_schema of ${module.name}@${module.version} ${fn.name} ${err.message}` }]);
  }
  if ("compileError" in result) {
    throw ApiError.validation([{ path: "function", message: `the input_schema of ${module.name}@${module.version} ${fn.name} does not compile: ${result.compileError}` }]);
  }
  if (result.errors.length) throw ApiError.validation(result.errors);
}

/**
 * Inserts the job for `target` (resolved, and its inputs validated, before this transaction). Its
 * timeout is the request's, else the function's default, else the server's default
 * (defaultTimeoutS; 0 or null: none).
 */
export function createJob(db: Db, orgId: string, visibleOrgIds: string[], body: CreateJobInput, at: string, { module, fn }: JobTarget, defaultTimeoutS: number | null = null): JobRow {
  let targetAgentId: string | null = null;
  if (body.agent_id) {
    const agent = findAgent(db, visibleOrgIds, body.agent_id);
    if (!agent || agent.orgId !== orgId) throw ApiError.validation([{ path: "agent_id", message: `no agent "${body.agent_id}" in this org` }]);
    targetAgentId = agent.id;
  }
  let poolLabels: Record<string, string> = {};
  if (body.pool_id) {
    const pool = prepared(db, `select "org_id" as orgId, "labels" from "pools" where "id" = ?`).get(body.pool_id) as { orgId: string; labels: string } | undefined;
    if (!pool || pool.orgId !== orgId) throw ApiError.validation([{ path: "pool_id", message: `no pool "${body.pool_id}" in this org` }]);
    poolLabels = JSON.parse(pool.labels) as Record<string, string>;
  }
  return insertJob(db, {
    id: newId(),
    orgId,
    module: module.name,
    version: module.version,
    function: fn.name,
    inputs: body.inputs,
    poolId: body.pool_id ?? null,
    targetAgentId,
    status: "pending",
    maxAttempts: (body.retry ?? fn.defaults.retry)?.max_attempts ?? body.max_attempts,
    retryBackoffS: (body.retry ?? fn.defaults.retry)?.backoff_s ?? null,
    limits: body.limits ?? {},
    timeoutS: body.timeout_s ?? fn.defaults.timeout_s ?? (defaultTimeoutS || null),
    imageFromProfile: functionImage(module, fn) === null,
    requiredLabels: { ...poolLabels, ...body.labels },
    priority: body.priority,
    triggerSource: body.trigger_source,
    triggeredBy: body.triggered_by,
    triggerId: body.trigger_id ?? null,
    chainDepth: body.chain_depth ?? 0,
    rerunOf: body.rerun_of ?? null,
    insertedAt: at,
    updatedAt: at,
  });
}

/**
 * Cancel. Queued jobs end at once; a job on an agent goes `cancelling` and the session layer tells
 * the agent to stop it (SIGTERM, grace, SIGKILL). Terminal jobs are a conflict.
 */
export function cancelJob(db: Db, job: JobRow, by: string, at: string): JobRow {
  const message = `Cancelled by ${by}.`;
  const done =
    transitionJob(db, job.id, "cancelled", at, { completedAt: at, errorReason: "cancelled", errorMessage: message }, { from: ["pending", "retrying"] }) ||
    transitionJob(db, job.id, "cancelling", at, { errorReason: "cancelled", errorMessage: message }, { from: ["claimed", "running"] });
  const row = db.select().from(jobs).where(eq(jobs.id, job.id)).get()!;
  if (!done && row.status !== "cancelling") throw ApiError.conflict(`Job ${job.id} is ${row.status}; only a live job can be cancelled.`);
  return row;
}

/** Deletes jobs (with their attempts, logs and report); jobs holding an agent must be cancelled first. */
export function deleteJobs(db: Db, rows: JobRow[]): string[] {
  const active = rows.filter((r) => (ACTIVE_JOB_STATUSES as readonly string[]).includes(r.status));
  if (active.length) {
    throw ApiError.conflict(`Cancel these running jobs before deleting them: ${active.map((r) => r.id).join(", ")}.`);
  }
  const ids = rows.map((r) => r.id);
  tx(db, () => {
    if (ids.length) db.delete(jobs).where(inArray(jobs.id, ids)).run();
  });
  return ids;
}
