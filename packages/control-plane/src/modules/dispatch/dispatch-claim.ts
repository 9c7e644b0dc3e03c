/**
 * Claiming: the one place a pending job gets an agent. The candidate query applies the
 * eligibility rules (same org, agent not retired or paused, in the job's pool or the named agent,
 * module version installed, the job's required labels carried (dispatch-labels.ts), a free slot); the claim itself is a compare-and-set on status
 * `pending`, so two agents can never hold the same attempt.
 */
import { and, eq } from "drizzle-orm";
import { ACTIVE_JOB_STATUSES, AGENT_TRANSITION_REASONS, type AssignFrame, type JobProfile, type Limits, type LimitsOverride } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, sqlList, tx } from "../../db/client.js";
import { jobAttempts } from "../../db/schema.js";
import { isoPlus } from "../../lib/time.js";
import { transitionAgent } from "../agents/agents.transitions.js";
import { transitionJob } from "../jobs/jobs.transitions.js";
import { functionImage, publishedVersion } from "../catalog/catalog.repo.js";
import { jobProfile } from "../agents/agent-profile.js";
import { effectiveLimits } from "./dispatch-limits.js";
import { LABELS_SATISFIED } from "./dispatch-labels.js";

/** What a claim hands the dispatcher: the `assign` frame's fields (the profile always set by this server), less its envelope and cancel grace. */
export type Assignment = Omit<AssignFrame, "v" | "type" | "cancel_grace_s" | "profile"> & { profile: JobProfile };

/** The live job statuses as SQL literals (partial indexes such as jobs_live need literals). */
export const ACTIVE_IN = sqlList(ACTIVE_JOB_STATUSES);

export function activeJobCount(db: Db, agentId: string): number {
  return prepared(db, `select count(*) from "jobs" where "agent_id" = ? and "status" in (${ACTIVE_IN})`).pluck().get(agentId) as number;
}

/** Whether any job is pending: one probe of the partial index jobs_queue (the literal lets it). */
export function anyPending(db: Db): boolean {
  return prepared(db, `select exists (select 1 from "jobs" where "status" = 'pending')`).pluck().get() === 1;
}

type AgentRow = {
  id: string;
  orgId: string;
  status: string;
  connected: number;
  archived: number;
  paused: number;
  slots: number;
  cpus: string;
  memLimit: string;
  pidsLimit: number;
  cpuCount: number | null;
  hasProfile: number;
  /** JSON text, for LABELS_SATISFIED. */
  labels: string;
};
type CandidateRow = {
  id: string;
  orgId: string;
  module: string;
  version: string;
  function: string;
  inputs: string;
  limits: string;
  attempt: number;
  timeoutS: number | null;
};

/**
 * The next job this agent may run, by priority then age; undefined when none. The literal
 * `status = 'pending'` lets SQLite walk the partial index jobs_queue in claim order.
 */
function nextCandidate(db: Db, agent: AgentRow): CandidateRow | undefined {
  return prepared(
    db,
    `select "id", "org_id" as orgId, "module", "version", "function", "inputs", "limits", "attempt", "timeout_s" as timeoutS
       from "jobs" indexed by "jobs_queue"
      where "status" = 'pending' and "org_id" = @org
        and ("target_agent_id" is null or "target_agent_id" = @agent)
        and ("pool_id" is null or exists (select 1 from "pool_agents" pa join "pools" p on p.id = pa.pool_id where pa.pool_id = "jobs"."pool_id" and pa.agent_id = @agent and p.archived = 0))
        and exists (select 1 from "agent_modules" m where m.agent_id = @agent and m.name = "jobs"."module" and m.version = "jobs"."version")
        and ("image_from_profile" = 0 or @hasProfile)
        and ${LABELS_SATISFIED}
      order by "priority" desc, "inserted_at", "id"
      limit 1`,
  ).get({ org: agent.orgId, agent: agent.id, hasProfile: agent.hasProfile, labels: agent.labels }) as CandidateRow | undefined;
}

/**
 * An agent as one dispatch pass sees it: read once per pass, then kept current by the claims the
 * pass makes (the pass holds the write lock, so nothing else changes it meanwhile).
 */
export type Claimant = { agent: AgentRow; active: number };

/**
 * Loads the agent for a pass. Preconditions checked here: the agent exists, is connected, not
 * retired, not paused and not updating a module; null otherwise.
 */
export function loadClaimant(db: Db, agentId: string): Claimant | null {
  const agent = prepared(
    db,
    `select "id", "org_id" as orgId, "status", "connected", "archived", "paused", "slots", "cpus", "mem_limit" as memLimit, "pids_limit" as pidsLimit, "cpu_count" as cpuCount,
            "container_profile_id" is not null as hasProfile, "labels"
       from "agents" where "id" = ?`,
  ).get(agentId) as AgentRow | undefined;
  // An agent pulling or removing a module takes nothing until that is over (agents/agent-modules.ts).
  if (!agent || !agent.connected || agent.archived || agent.paused || agent.status === "UpdatingModule") return null;
  return { agent, active: activeJobCount(db, agent.id) };
}

/**
 * The agent's move to Claimed for a job it was just given, with its history row; a no-op when it
 * is Claimed already. Not part of claimFor: the session hub writes it right after the claims'
 * commit and the assigns (session/batch.ts), so the dispatch commit carries only the job's writes.
 */
export function markClaimed(db: Db, agentId: string, jobId: string, at: string): void {
  transitionAgent(db, agentId, "Claimed", AGENT_TRANSITION_REASONS.jobClaimed, at, jobId);
}

/**
 * Claims at most one job for a claimant loaded in this transaction (loadClaimant): the job's
 * compare-and-set and its attempt row. Precondition: inside the transaction the claimant was loaded
 * in. The agent's status is the caller's (markClaimed).
 */
export function claimFor(db: Db, c: Claimant, at: string, leaseMs: number): Assignment | null {
  const { agent } = c;
  if (c.active >= agent.slots) return null;
  const job = nextCandidate(db, agent);
  if (!job) return null;
  const mod = publishedVersion(db, job.orgId, job.module, job.version);
  const fn = mod?.functions.find((f) => f.name === job.function);
  if (!mod || !fn) {
    transitionJob(db, job.id, "failed", at, { completedAt: at, errorReason: "image", errorMessage: `Module ${job.module}@${job.version} or its function "${job.function}" is no longer in the catalog.` });
    return null;
  }
  const profile = jobProfile(db, agent.id);
  const image = functionImage(mod, fn) ?? profile.container_profile?.docker_image;
  if (!image) return null; // unreachable: nextCandidate asks for a profile when the function names no image
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
  c.active += 1;
  prepared(db, `insert into "job_attempts" ("job_id", "attempt", "agent_id", "claimed_at") values (?, ?, ?, ?)`).run(job.id, attempt, agent.id, at);
  return {
    job_id: job.id,
    attempt,
    lease_expires_at: leaseExpiresAt,
    module: job.module,
    version: job.version,
    function: job.function,
    image,
    command: fn.command,
    inputs: JSON.parse(job.inputs) as Record<string, unknown>,
    limits: effectiveLimits({ cpus: agent.cpus, mem_limit: agent.memLimit, pids_limit: agent.pidsLimit }, fn.defaults, JSON.parse(job.limits) as LimitsOverride, agent.cpuCount),
    timeout_s: job.timeoutS,
    profile,
  };
}

/**
 * The agent refused an assignment before creating anything (full, module missing, shutting down):
 * the attempt is released and the job is pending again. Changes nothing unless agentId holds the
 * attempt and it is current and still only claimed.
 */
export function releaseClaim(db: Db, jobId: string, attempt: number, agentId: string, reason: string, at: string): boolean {
  return tx(db, () => {
    // Only the agent holding the attempt may release it (the hub fences first; this is the write's own guard).
    if (!prepared(db, `select 1 from "jobs" where "id" = ? and "attempt" = ? and "agent_id" = ?`).get(jobId, attempt, agentId)) return false;
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
