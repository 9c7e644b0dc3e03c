/** Reading jobs: the API shape (attempts, names, waiting reason) and the filtered list. */
import { and, asc, desc, eq, getTableColumns, gte, inArray, is, lte, or, sql, SQL } from "drizzle-orm";
import { PULLING_STEP, type Job, type JobListQuery, type JobStep, type LimitsOverride } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { jobAttempts, jobs } from "../../db/schema.js";
import { inIds, keysetPage, type PageClauses } from "../../lib/cursor.js";
import { ApiError } from "../../errors.js";
import { retryingReason, waitingReason } from "./job-waiting-reason.js";

export type JobRow = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;

const COLUMNS = getTableColumns(jobs);
type Column = (typeof COLUMNS)[keyof typeof COLUMNS];
const COLUMN_LIST = Object.entries(COLUMNS) as [keyof JobRow, Column][];

/**
 * What the database fills in for a column an insert leaves out: its default (a copy: JSON defaults
 * are shared objects), null without one, undefined when only SQL knows (an SQL expression).
 */
function columnDefault(column: Column): unknown {
  if (!column.hasDefault) return null;
  const value = column.default;
  if (is(value, SQL)) return undefined;
  return typeof value === "object" && value !== null ? JSON.parse(JSON.stringify(value)) : value;
}

/** A `select *` row of jobs mapped as drizzle maps it (JSON columns parsed). */
function toJobRow(raw: Record<string, unknown>): JobRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of COLUMN_LIST) {
    const v = raw[column.name];
    row[key] = v === null || v === undefined ? null : column.mapFromDriverValue(v as never);
  }
  return row as JobRow;
}

/** One job row by id, on a prepared statement (the query builder prepares anew on every call). */
/** The live job's phase (shared Job.phase): a claimed job whose agent reports PULLING_STEP running is pulling. */
function phaseOf(status: string, steps: { name: string; status: string }[]): Job["phase"] {
  if (status === "pending" || status === "retrying") return "queued";
  if (status === "claimed") return steps.some((s) => s.name === PULLING_STEP && s.status === "running") ? "pulling" : "starting";
  if (status === "running" || status === "cancelling") return "running";
  return null;
}

export function findJob(db: Db, id: string): JobRow | undefined {
  const raw = prepared(db, `select * from "jobs" where "id" = ?`).get(id) as Record<string, unknown> | undefined;
  return raw && toJobRow(raw);
}

const insertTexts = new Map<string, string>();

/**
 * Inserts one job and returns the stored row, built from the values and the column defaults (every
 * POST /api/v1/jobs runs this; reading the row back cost more than the insert). Only when a column
 * left out has an SQL default is the row read back. One prepared insert per column set.
 */
export function insertJob(db: Db, values: NewJob): JobRow {
  const keys = (Object.keys(values) as (keyof NewJob)[]).filter((k) => values[k] !== undefined);
  const signature = keys.join(",");
  let text = insertTexts.get(signature);
  if (!text) {
    text = `insert into "jobs" (${keys.map((k) => `"${COLUMNS[k].name}"`).join(", ")}) values (${keys.map(() => "?").join(", ")})`;
    insertTexts.set(signature, text);
  }
  const params = keys.map((k) => (values[k] === null ? null : (COLUMNS[k] as Column).mapToDriverValue(values[k] as never)));
  prepared(db, text).run(...params);
  const row: Record<string, unknown> = {};
  for (const [key, column] of COLUMN_LIST) {
    const value = values[key] !== undefined ? values[key] : columnDefault(column);
    if (value === undefined) return findJob(db, values.id)!;
    row[key] = value;
  }
  return row as JobRow;
}

// Lookups for a list of jobs: one prepared statement for any number of ids (a JSON array).
const ATTEMPTS_OF = `select "job_id" as jobId, "attempt", "agent_id" as agentId, "claimed_at" as claimedAt, "started_at" as startedAt, "ended_at" as endedAt,
  "outcome", "exit_code" as exitCode, "error_reason" as errorReason, "error_message" as errorMessage
  from "job_attempts" where "job_id" in (select value from json_each(?)) order by "attempt"`;
const REPORTS_OF = `select "job_id" from "job_reports" where "job_id" in (select value from json_each(?))`;
type AttemptRow = typeof jobAttempts.$inferSelect;

function namesOf(db: Db, table: "agents" | "pools", ids: string[]): Map<string, string> {
  if (!ids.length) return new Map();
  const rows = prepared(db, `select "id", "name" from "${table}" where "id" in (select value from json_each(?))`).all(JSON.stringify(ids)) as { id: string; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * The API shape of job rows. `fresh` says the rows were inserted just now and are still pending:
 * they have no attempts and no report yet, so those two lookups are skipped.
 */
export function toJobs(db: Db, rows: JobRow[], fresh = false): Job[] {
  const ids = fresh ? [] : rows.map((r) => r.id);
  const attempts = ids.length ? (prepared(db, ATTEMPTS_OF).all(JSON.stringify(ids)) as AttemptRow[]) : [];
  const agentIds = [...new Set([...rows.flatMap((r) => [r.agentId, r.targetAgentId]), ...attempts.map((a) => a.agentId)].filter((x): x is string => !!x))];
  const agentNames = namesOf(db, "agents", agentIds);
  const poolNames = namesOf(db, "pools", [...new Set(rows.map((r) => r.poolId).filter((x): x is string => !!x))]);
  const reports = new Set(ids.length ? (prepared(db, REPORTS_OF).pluck().all(JSON.stringify(ids)) as string[]) : []);
  // Queued jobs of a page mostly wait for the same reason: one look per (org, pool, target, module),
  // and per function for one that runs in its agent's profile image (the reason names it), and per
  // set of required labels.
  const reasons = new Map<string, string>();
  const reasonOf = (r: JobRow) => {
    const key = `${r.orgId}|${r.poolId}|${r.targetAgentId}|${r.module}|${r.version}|${r.imageFromProfile ? `profile|${r.function}` : ""}|${JSON.stringify(r.requiredLabels)}`;
    let reason = reasons.get(key);
    if (reason === undefined) reasons.set(key, (reason = waitingReason(db, r)));
    return reason;
  };
  return rows.map((r) => {
    const agentId = r.agentId ?? r.targetAgentId;
    const end = r.completedAt ? Date.parse(r.completedAt) : null;
    return {
      id: r.id,
      org_id: r.orgId,
      module: r.module,
      version: r.version,
      function: r.function,
      inputs: r.inputs,
      pool_id: r.poolId,
      pool_name: r.poolId ? (poolNames.get(r.poolId) ?? null) : null,
      agent_id: agentId,
      agent_name: agentId ? (agentNames.get(agentId) ?? null) : null,
      target_agent_id: r.targetAgentId,
      required_labels: r.requiredLabels,
      status: r.status as Job["status"],
      phase: phaseOf(r.status, r.steps as { name: string; status: string }[]),
      waiting_reason: r.status === "pending" ? reasonOf(r) : r.status === "retrying" ? retryingReason(r) : null,
      attempt: r.attempt,
      max_attempts: r.maxAttempts,
      attempts: attempts
        .filter((a) => a.jobId === r.id)
        .map((a) => ({
          attempt: a.attempt,
          agent_id: a.agentId,
          agent_name: agentNames.get(a.agentId) ?? null,
          claimed_at: a.claimedAt,
          started_at: a.startedAt,
          ended_at: a.endedAt,
          outcome: a.outcome as Job["attempts"][number]["outcome"],
          exit_code: a.exitCode,
          error: a.errorReason ? { reason: a.errorReason as never, message: a.errorMessage ?? "" } : null,
        })),
      exit_code: r.exitCode,
      error: r.errorReason ? { reason: r.errorReason as never, message: r.errorMessage ?? "", step: r.errorStep } : null,
      limits: r.limits as LimitsOverride,
      timeout_s: r.timeoutS,
      priority: r.priority,
      trigger_source: r.triggerSource as Job["trigger_source"],
      triggered_by: r.triggeredBy,
      trigger_id: r.triggerId,
      chain_depth: r.chainDepth,
      rerun_of: r.rerunOf,
      retry: r.retryBackoffS === null ? null : { max_attempts: r.maxAttempts, backoff_s: r.retryBackoffS },
      retry_at: r.retryAt,
      steps: r.steps as JobStep[],
      has_report: reports.has(r.id),
      inserted_at: r.insertedAt,
      claimed_at: r.claimedAt,
      started_at: r.startedAt,
      completed_at: r.completedAt,
      duration_ms: r.startedAt && end !== null ? Math.max(0, end - Date.parse(r.startedAt)) : null,
      updated_at: r.updatedAt,
    };
  });
}

export function toJob(db: Db, row: JobRow): Job {
  return toJobs(db, [row])[0]!;
}

/**
 * toJob for a row inserted in this request, as stored now: unchanged and pending (the common
 * case, with no attempts or report to look up), or already claimed in the insert's commit.
 */
export function toStoredJob(db: Db, inserted: JobRow): Job {
  const status = prepared(db, `select "status" from "jobs" where "id" = ?`).pluck().get(inserted.id) as string | undefined;
  if (status === inserted.status) return toJobs(db, [inserted], true)[0]!;
  return toJob(db, findJob(db, inserted.id)!);
}

export function getJobOr404(db: Db, orgIds: string[], id: string): JobRow {
  const row = findJob(db, id);
  if (!row || !orgIds.includes(row.orgId)) throw ApiError.notFound("job", id);
  return row;
}

const SORTS = { inserted_at: jobs.insertedAt, status: jobs.status, completed_at: jobs.completedAt } as const;
const SORT_KEYS = { inserted_at: "insertedAt", status: "status", completed_at: "completedAt" } as const;

export function listJobs(db: Db, orgIds: string[], q: JobListQuery, extra?: SQL) {
  const column = SORTS[q.sort];
  const where: (SQL | undefined)[] = [orgIds.length ? inIds(jobs.orgId, orgIds) : inArray(jobs.orgId, orgIds), extra];
  if (q.status) where.push(inArray(jobs.status, q.status.split(",")));
  if (q.agent_id) where.push(or(eq(jobs.agentId, q.agent_id), eq(jobs.targetAgentId, q.agent_id)));
  if (q.trigger_source) where.push(eq(jobs.triggerSource, q.trigger_source));
  if (q.pool_id) where.push(eq(jobs.poolId, q.pool_id));
  if (q.from) where.push(gte(jobs.insertedAt, new Date(q.from).toISOString()));
  if (q.to) where.push(lte(jobs.insertedAt, new Date(q.to).toISOString()));
  const nullable = q.sort === "completed_at";
  const keyset = { column, idColumn: jobs.id, order: q.order, cursor: q.cursor, limit: q.limit, nullable, keyOf: (r: JobRow) => r[SORT_KEYS[q.sort]] };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(jobs)
      .where(and(...where, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: toJobs(db, rows), next };
}

/** The jobs among `ids` the caller's orgs hold, in the order asked, and the ids that are not (missing or not visible: the same). */
export function visibleJobs(db: Db, orgIds: string[], ids: string[]): { rows: JobRow[]; notFound: string[] } {
  const unique = [...new Set(ids)];
  const rows = db.select().from(jobs).where(inArray(jobs.id, unique)).all().filter((r) => orgIds.includes(r.orgId));
  return { rows: unique.map((id) => rows.find((r) => r.id === id)).filter((r): r is JobRow => Boolean(r)), notFound: unique.filter((id) => !rows.some((r) => r.id === id)) };
}
