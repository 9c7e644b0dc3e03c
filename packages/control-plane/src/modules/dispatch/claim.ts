/**
 * Claiming: the one place a pending job gets an agent. The candidate query applies the
 * eligibility rules (same org, agent not retired or paused, in the job's pool or the named agent,
 * module version installed, a free slot); the claim itself is a compare-and-set on status
 * `pending`, so two agents can never hold the same attempt.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { ACTIVE_JOB_STATUSES, AGENT_TRANSITION_REASONS, type Limits, type ModuleFunction } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { tx } from "../../db/client.js";
import { agentModules, agents, jobAttempts, jobs, modules, poolAgents, pools } from "../../db/schema.js";
import { isoPlus } from "../../lib/time.js";
import { transitionAgent } from "../agents/agents.transitions.js";
import { transitionJob } from "../jobs/jobs.transitions.js";
import { effectiveLimits } from "./limits.js";

export type Assignment = {
  job_id: string;
  attempt: number;
  lease_expires_at: string;
  module: string;
  version: string;
  function: string;
  image: string;
  command: string[];
  inputs: Record<string, unknown>;
  limits: Limits;
  timeout_s: number | null;
};

export function activeJobCount(db: Db, agentId: string): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(jobs)
    .where(and(eq(jobs.agentId, agentId), inArray(jobs.status, [...ACTIVE_JOB_STATUSES])))
    .get()!.n;
}

/** The next job this agent may run, by priority then age; undefined when none. */
function nextCandidate(db: Db, agent: typeof agents.$inferSelect) {
  return db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.status, "pending"),
        eq(jobs.orgId, agent.orgId),
        sql`(${jobs.targetAgentId} is null or ${jobs.targetAgentId} = ${agent.id})`,
        sql`(${jobs.poolId} is null or exists (select 1 from ${poolAgents} pa join ${pools} p on p.id = pa.pool_id where pa.pool_id = ${jobs.poolId} and pa.agent_id = ${agent.id} and p.archived = 0))`,
        sql`exists (select 1 from ${agentModules} m where m.agent_id = ${agent.id} and m.name = ${jobs.module} and m.version = ${jobs.version})`,
      ),
    )
    .orderBy(sql`${jobs.priority} desc`, jobs.insertedAt, jobs.id)
    .limit(1)
    .get();
}

/**
 * Claims at most one job for the agent. Preconditions checked here: the agent exists, is
 * connected, not retired, not paused and has a free slot. Returns what to send the agent.
 */
export function claimNextJob(db: Db, agentId: string, at: string, leaseMs: number): Assignment | null {
  return tx(db, () => {
    const agent = db.select().from(agents).where(eq(agents.id, agentId)).get();
    if (!agent || !agent.connected || agent.archived || agent.paused) return null;
    if (activeJobCount(db, agent.id) >= agent.slots) return null;
    const job = nextCandidate(db, agent);
    if (!job) return null;
    const mod = db
      .select()
      .from(modules)
      .where(and(eq(modules.orgId, job.orgId), eq(modules.name, job.module), eq(modules.version, job.version)))
      .get();
    const fn = (mod?.functions as ModuleFunction[] | undefined)?.find((f) => f.name === job.function);
    if (!mod || !fn) {
      transitionJob(db, job.id, "failed", at, { completedAt: at, errorReason: "image", errorMessage: `Module ${job.module}@${job.version} or its function "${job.function}" is no longer in the catalog.` });
      return null;
    }
    const attempt = job.attempt + 1;
    const leaseExpiresAt = isoPlus(at, leaseMs);
    const claimed = transitionJob(
      db,
      job.id,
      "claimed",
      at,
      { attempt, agentId: agent.id, claimedAt: at, leaseExpiresAt, exitCode: null, errorReason: null, errorMessage: null, errorStep: null },
      { from: ["pending"], attempt: job.attempt },
    );
    if (!claimed) return null;
    db.insert(jobAttempts).values({ jobId: job.id, attempt, agentId: agent.id, claimedAt: at }).run();
    transitionAgent(db, agent.id, "Claimed", AGENT_TRANSITION_REASONS.jobClaimed, at, job.id);
    return {
      job_id: job.id,
      attempt,
      lease_expires_at: leaseExpiresAt,
      module: job.module,
      version: job.version,
      function: job.function,
      image: mod.image,
      command: fn.command,
      inputs: job.inputs,
      limits: effectiveLimits({ cpus: agent.cpus, mem_limit: agent.memLimit, pids_limit: agent.pidsLimit }, fn.defaults, job.limits),
      timeout_s: job.timeoutS,
    };
  });
}

/**
 * The agent refused an assignment before creating anything (full, module missing, shutting down):
 * the attempt is released and the job is pending again. Precondition: the attempt is current and
 * still only claimed.
 */
export function releaseClaim(db: Db, jobId: string, attempt: number, agentId: string, reason: string, at: string): boolean {
  return tx(db, () => {
    const ok = transitionJob(db, jobId, "pending", at, { agentId: null, claimedAt: null, leaseExpiresAt: null }, { from: ["claimed"], attempt });
    if (!ok) return false;
    db.update(jobAttempts)
      .set({ outcome: "released", endedAt: at, errorMessage: reason })
      .where(and(eq(jobAttempts.jobId, jobId), eq(jobAttempts.attempt, attempt)))
      .run();
    if (activeJobCount(db, agentId) === 0) transitionAgent(db, agentId, "Idle", AGENT_TRANSITION_REASONS.claimReleased, at, jobId);
    return true;
  });
}
