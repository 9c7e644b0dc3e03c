/**
 * Why a pending job has no agent yet ("queued forever" is the complaint users raise most): the
 * first unmet condition among the eligibility rules dispatch applies, in the same order.
 */
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { ACTIVE_IN } from "../dispatch/claim.js";
import { describeLabels, labelsSatisfy } from "../dispatch/labels.js";

type PendingJob = { orgId: string; poolId: string | null; targetAgentId: string | null; module: string; version: string; function: string; imageFromProfile: boolean; requiredLabels: Record<string, string> };
type Candidate = { id: string; status: string; archived: number; connected: number; paused: number; slots: number; hasModule: number; hasProfile: number; busy: number; labels: string };


/**
 * The agents that could take the job (org, target agent, pool membership), each with what the
 * later rules need: the module installed, and its active job count. Plain prepared SQL: every
 * 201 of POST /api/v1/jobs computes this.
 */
const CANDIDATES = `select a."id", a."status", a."labels", a."archived", a."connected", a."paused", a."slots", a."container_profile_id" is not null as hasProfile,
       exists (select 1 from "agent_modules" m where m.agent_id = a.id and m.name = @module and m.version = @version) as hasModule,
       (select count(*) from "jobs" j where j.agent_id = a.id and j.status in (${ACTIVE_IN})) as busy
  from "agents" a
 where a."org_id" = @org
   and (@target is null or a."id" = @target)
   and (@pool is null or exists (select 1 from "pool_agents" pa where pa.agent_id = a.id and pa.pool_id = @pool))`;

export function waitingReason(db: Db, job: PendingJob): string {
  if (job.poolId) {
    const pool = prepared(db, `select "name", "archived" from "pools" where "id" = ?`).get(job.poolId) as { name: string; archived: number } | undefined;
    if (!pool) return "The job's pool was deleted.";
    if (pool.archived) return `Pool "${pool.name}" is archived.`;
  }
  let candidates = prepared(db, CANDIDATES).all({
    org: job.orgId,
    target: job.targetAgentId,
    pool: job.poolId,
    module: job.module,
    version: job.version,
  }) as Candidate[];
  const scope = job.poolId ? "the pool" : "the organization";
  if (!candidates.length) return job.targetAgentId ? "The target agent no longer exists." : `There is no agent in ${scope}.`;
  candidates = candidates.filter((a) => !a.archived);
  if (!candidates.length) return job.targetAgentId ? "The target agent is retired." : `Every agent in ${scope} is retired.`;
  candidates = candidates.filter((a) => a.hasModule);
  if (!candidates.length) return `No eligible agent has module ${job.module}@${job.version} installed.`;
  if (job.imageFromProfile) {
    candidates = candidates.filter((a) => a.hasProfile);
    if (!candidates.length) {
      return `Function "${job.function}" of ${job.module}@${job.version} names no image, so it runs in the image of its agent's container profile, and no eligible agent has a container profile.`;
    }
  }
  const required = job.requiredLabels ?? {};
  if (Object.keys(required).length) {
    candidates = candidates.filter((a) => labelsSatisfy(JSON.parse(a.labels) as Record<string, string>, required));
    if (!candidates.length) return `No eligible agent has the labels the job requires (${describeLabels(required)}).`;
  }
  candidates = candidates.filter((a) => a.connected);
  if (!candidates.length) return `No agent with ${job.module}@${job.version} is connected.`;
  candidates = candidates.filter((a) => !a.paused);
  if (!candidates.length) return "Every eligible agent is paused.";
  candidates = candidates.filter((a) => a.status !== "UpdatingModule");
  if (!candidates.length) return "Every eligible agent is updating a module.";
  if (candidates.every((a) => a.busy >= a.slots)) {
    return `All slots are busy on the ${candidates.length} eligible agent${candidates.length === 1 ? "" : "s"}.`;
  }
  return "Waiting for an eligible agent to take it.";
}
