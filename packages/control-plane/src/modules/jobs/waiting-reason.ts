/**
 * Why a pending job has no agent yet ("queued forever" is the complaint users raise most): the
 * first unmet condition among the eligibility rules dispatch applies, in the same order.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { ACTIVE_JOB_STATUSES } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agentModules, agents, jobs, poolAgents, pools } from "../../db/schema.js";

type PendingJob = { orgId: string; poolId: string | null; targetAgentId: string | null; module: string; version: string };

export function waitingReason(db: Db, job: PendingJob): string {
  if (job.poolId) {
    const pool = db.select().from(pools).where(eq(pools.id, job.poolId)).get();
    if (!pool) return "The job's pool was deleted.";
    if (pool.archived) return `Pool "${pool.name}" is archived.`;
  }
  let candidates = db
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.orgId, job.orgId),
        job.targetAgentId ? eq(agents.id, job.targetAgentId) : undefined,
        job.poolId ? sql`exists (select 1 from ${poolAgents} pa where pa.agent_id = ${agents.id} and pa.pool_id = ${job.poolId})` : undefined,
      ),
    )
    .all();
  const scope = job.poolId ? "the pool" : "the organization";
  if (!candidates.length) return job.targetAgentId ? "The target agent no longer exists." : `There is no agent in ${scope}.`;
  candidates = candidates.filter((a) => !a.archived);
  if (!candidates.length) return job.targetAgentId ? "The target agent is retired." : `Every agent in ${scope} is retired.`;
  const withModule = new Set(
    db
      .select({ id: agentModules.agentId })
      .from(agentModules)
      .where(and(inArray(agentModules.agentId, candidates.map((a) => a.id)), eq(agentModules.name, job.module), eq(agentModules.version, job.version)))
      .all()
      .map((r) => r.id),
  );
  candidates = candidates.filter((a) => withModule.has(a.id));
  if (!candidates.length) return `No eligible agent has module ${job.module}@${job.version} installed.`;
  candidates = candidates.filter((a) => a.connected);
  if (!candidates.length) return `No agent with ${job.module}@${job.version} is connected.`;
  candidates = candidates.filter((a) => !a.paused);
  if (!candidates.length) return "Every eligible agent is paused.";
  candidates = candidates.filter((a) => a.status !== "UpdatingModule");
  if (!candidates.length) return "Every eligible agent is updating a module.";
  const busy = new Map(
    db
      .select({ id: jobs.agentId, n: sql<number>`count(*)` })
      .from(jobs)
      .where(and(inArray(jobs.agentId, candidates.map((a) => a.id)), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
      .groupBy(jobs.agentId)
      .all()
      .map((r) => [r.id, r.n] as const),
  );
  if (candidates.every((a) => (busy.get(a.id) ?? 0) >= a.slots)) {
    return `All slots are busy on the ${candidates.length} eligible agent${candidates.length === 1 ? "" : "s"}.`;
  }
  return "Waiting for an eligible agent to take it.";
}
