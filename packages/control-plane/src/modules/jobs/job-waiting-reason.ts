/**
 * Why a pending job has no agent yet ("queued forever" is the complaint users raise most): the
 * first unmet condition among the eligibility rules dispatch applies, in the same order.
 */
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { ACTIVE_IN } from "../dispatch/dispatch-claim.js";
import { describeLabels } from "../dispatch/dispatch-labels.js";

type PendingJob = {
  orgId: string;
  poolId: string | null;
  targetAgentId: string | null;
  module: string;
  version: string;
  function: string;
  imageFromProfile: boolean;
  requiredLabels: Record<string, string>;
};

/** The agents that could take the job by org, target agent and pool membership. */
const SCOPE = `from "agents" a
 where a."org_id" = @org
   and (@target is null or a."id" = @target)
   and (@pool is null or exists (select 1 from "pool_agents" pa where pa.agent_id = a.id and pa.pool_id = @pool))`;

/** The eligibility rules dispatch applies, in its order, each narrowing the one before. */
const RULE = {
  notArchived: "not a.archived",
  hasModule: `exists (select 1 from "agent_modules" m where m.agent_id = a.id and m.name = @module and m.version = @version)`,
  /** Only for a function that names no image (jobs.image_from_profile): it runs in the agent's profile image. */
  hasProfile: `a."container_profile_id" is not null`,
  /** Only for a job that requires labels: the agent carries each, with the same value (dispatch/dispatch-labels.ts). */
  hasLabels: `not exists (select 1 from json_each(@required) r where not exists (select 1 from json_each(a."labels") l where l.key = r.key and l.value = r.value))`,
  connected: "a.connected = 1",
  notPaused: "not a.paused",
  notUpdating: "a.status != 'UpdatingModule'",
} as const;
type Rule = (typeof RULE)[keyof typeof RULE];
const BUSY = `(select count(*) from "jobs" j where j.agent_id = a.id and j.status in (${ACTIVE_IN}))`;

/** `exists` over the scope and the first `n` rules: stops at the first agent that passes them. */
const existsThrough = (rules: readonly Rule[], n: number) => `select exists (select 1 ${SCOPE}${rules.slice(0, n).map((r) => ` and ${r}`).join("")})`;

/**
 * Plain prepared SQL, each question an `exists` that stops at the first agent that answers it (the
 * common answers, an agent free or every slot busy, are asked first): a fleet of 100,000 agents
 * is not read per job. Every 201 of POST /api/v1/jobs and every queued job of a runs page asks.
 */
export function waitingReason(db: Db, job: PendingJob): string {
  if (job.poolId) {
    const pool = prepared(db, `select "name", "archived" from "pools" where "id" = ?`).get(job.poolId) as { name: string; archived: number } | undefined;
    if (!pool) return "The job's pool was deleted.";
    if (pool.archived) return `Pool "${pool.name}" is archived.`;
  }
  const required = job.requiredLabels ?? {};
  const rules: Rule[] = [
    RULE.notArchived,
    RULE.hasModule,
    ...(job.imageFromProfile ? [RULE.hasProfile] : []),
    ...(Object.keys(required).length ? [RULE.hasLabels] : []),
    RULE.connected,
    RULE.notPaused,
    RULE.notUpdating,
  ];
  const eligibleScope = `${SCOPE} and ${rules.join(" and ")}`;
  const params = { org: job.orgId, target: job.targetAgentId, pool: job.poolId, module: job.module, version: job.version, required: JSON.stringify(required) };
  const ask = (text: string) => prepared(db, text).pluck().get(params) as number;
  if (ask(`select exists (select 1 ${eligibleScope} and ${BUSY} < a.slots)`)) return "Waiting for an eligible agent to take it.";
  const eligible = ask(`select count(*) ${eligibleScope}`);
  if (eligible > 0) return `All slots are busy on the ${eligible} eligible agent${eligible === 1 ? "" : "s"}.`;

  const scope = job.poolId ? "the pool" : "the organization";
  const unmet: Record<Rule, string> = {
    [RULE.notArchived]: job.targetAgentId ? "The target agent is retired." : `Every agent in ${scope} is retired.`,
    [RULE.hasModule]: `No eligible agent has module ${job.module}@${job.version} installed.`,
    [RULE.hasProfile]: `Function "${job.function}" of ${job.module}@${job.version} names no image, so it runs in the image of its agent's container profile, and no eligible agent has a container profile.`,
    [RULE.hasLabels]: `No eligible agent has the labels the job requires (${describeLabels(required)}).`,
    [RULE.connected]: `No agent with ${job.module}@${job.version} is connected.`,
    [RULE.notPaused]: "Every eligible agent is paused.",
    [RULE.notUpdating]: "Every eligible agent is updating a module.",
  };
  if (!ask(existsThrough(rules, 0))) return job.targetAgentId ? "The target agent no longer exists." : `There is no agent in ${scope}.`;
  for (let n = 1; n < rules.length; n++) if (!ask(existsThrough(rules, n))) return unmet[rules[n - 1]!];
  return unmet[rules[rules.length - 1]!];
}

type RetryingJob = { attempt: number; maxAttempts: number; retryAt: string | null; errorReason: string | null; errorMessage: string | null };

/**
 * Why a `retrying` job is not running: the attempt that failed, its reason, and when the next one
 * is queued (retry_at; the console counts down to it, "Retrying in 12 s"). Not the pending job's
 * agent questions: no agent is wanted before retry_at.
 */
export function retryingReason(job: RetryingJob): string {
  const why = job.errorMessage || job.errorReason || "no reason recorded";
  const when = job.retryAt ? `Retrying at ${job.retryAt}` : "Retrying shortly";
  return `${when} (attempt ${job.attempt + 1} of ${job.maxAttempts}): attempt ${job.attempt} failed: ${why}.`;
}
