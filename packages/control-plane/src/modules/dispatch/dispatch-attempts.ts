/**
 * What an agent reports about an attempt it holds. Every function is guarded on (job, attempt,
 * agent): a message about an attempt that is no longer current returns "stale" and changes
 * nothing, and the agent is told to stop that container.
 */
import { AGENT_TRANSITION_REASONS, type AgentStatus, type JobErrorReason, type JobStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { isoPlus } from "../../lib/time.js";
import { recordAgentError, transitionAgent } from "../agents/agents.transitions.js";
import { transitionJob } from "../jobs/jobs.transitions.js";
import { ACTIVE_IN, activeJobCount } from "./dispatch-claim.js";

export type AttemptRef = { jobId: string; attempt: number; agentId: string };

/** The fields of a live attempt its frames need (`steps` as stored JSON), or undefined when (job, attempt, agent) is not live. */
export type LiveAttempt = {
  id: string;
  status: JobStatus;
  startedAt: string | null;
  errorReason: string | null;
  errorMessage: string | null;
  logBytes: number;
  steps: string;
};

export function liveAttempt(db: Db, ref: AttemptRef): LiveAttempt | undefined {
  return prepared(
    db,
    `select "id", "status", "started_at" as startedAt, "error_reason" as errorReason, "error_message" as errorMessage, "log_bytes" as logBytes, "steps"
       from "jobs" where "id" = ? and "attempt" = ? and "agent_id" = ? and "status" in (${ACTIVE_IN})`,
  ).get(ref.jobId, ref.attempt, ref.agentId) as LiveAttempt | undefined;
}

/**
 * claimed -> running once the container started; renews the lease. Returns the job's status
 * afterwards (running, or cancelling when a cancel came first), so the caller can announce it
 * without reading the row again; "stale" when the attempt is not live on this agent.
 */
export function startAttempt(db: Db, ref: AttemptRef, at: string, leaseMs: number, containerId: string | null = null): JobStatus | "stale" {
  return tx(db, () => {
    const job = liveAttempt(db, ref);
    if (!job) return "stale";
    // The agent's container_id (agents.repo.ts) is its running job's.
    if (containerId) prepared(db, `update "jobs" set "container_id" = ? where "id" = ? and "attempt" = ?`).run(containerId, job.id, ref.attempt);
    let status = job.status;
    if (job.status === "claimed") {
      if (transitionJob(db, job.id, "running", at, { startedAt: job.startedAt ?? at, leaseExpiresAt: isoPlus(at, leaseMs) }, { attempt: ref.attempt })) status = "running";
      prepared(db, `update "job_attempts" set "started_at" = ? where "job_id" = ? and "attempt" = ?`).run(at, job.id, ref.attempt);
    }
    transitionAgent(db, ref.agentId, "ExecutingJob", AGENT_TRANSITION_REASONS.jobStarted, at, job.id);
    return status;
  });
}

/** Extends the lease of a live attempt; `cancel` when it is being stopped, with the job's error reason (timeout or cancelled). */
export function renewLease(
  db: Db,
  ref: AttemptRef,
  at: string,
  leaseMs: number,
): { status: "ok"; leaseExpiresAt: string; cancel: boolean; errorReason: string | null } | { status: "stale" } {
  const job = liveAttempt(db, ref);
  if (!job) return { status: "stale" };
  const leaseExpiresAt = isoPlus(at, leaseMs);
  prepared(db, `update "jobs" set "lease_expires_at" = ? where "id" = ? and "attempt" = ?`).run(leaseExpiresAt, job.id, ref.attempt);
  return { status: "ok", leaseExpiresAt, cancel: job.status === "cancelling", errorReason: job.errorReason };
}

export type AttemptResult = {
  outcome: "completed" | "failed" | "cancelled";
  exitCode: number | null;
  reason: JobErrorReason | null;
  message: string | null;
  step?: string | null;
};

const AGENT_AFTER: Record<JobStatus, AgentStatus> = {
  completed: "ExecutionSuccess",
  failed: "ExecutionFailed",
  cancelled: "Canceled",
  pending: "Idle",
  claimed: "Claimed",
  running: "ExecutingJob",
  cancelling: "ExecutingJob",
  retrying: "Idle",
};

/** Attempts that count against max_attempts (a claim the agent gave back does not). */
export function attemptsUsed(db: Db, jobId: string): number {
  return (prepared(db, `select count(*) as n from "job_attempts" where "job_id" = ? and "outcome" != 'released'`).get(jobId) as { n: number }).n;
}

/** The wait before the n-th retry (n >= 1): backoff_s * 2^(n-1), plus up to 20% jitter, at most a day. */
export function retryDelayMs(backoffS: number, n: number, random = Math.random): number {
  return Math.min(86_400_000, backoffS * 1000 * 2 ** (n - 1) * (1 + 0.2 * random()));
}

/**
 * A job with a retry policy and attempts left whose attempt failed waits `retrying` until retry_at
 * (the trigger loop then re-queues it, modules/triggers/trigger-scheduler.ts); null: it does not retry.
 */
export function retryAtFor(db: Db, jobId: string, at: string): string | null {
  const row = prepared(db, `select "max_attempts" as maxAttempts, "retry_backoff_s" as backoffS from "jobs" where "id" = ?`).get(jobId) as { maxAttempts: number; backoffS: number | null };
  if (row.backoffS === null) return null;
  const used = attemptsUsed(db, jobId);
  return used < row.maxAttempts ? isoPlus(at, retryDelayMs(row.backoffS, used)) : null;
}

/** The step a failed attempt was in: the last one still running, else the last that failed, else null. */
export function failingStep(stepsJson: string | unknown[]): string | null {
  const steps = (typeof stepsJson === "string" ? JSON.parse(stepsJson) : stepsJson) as { name: string; status: string }[];
  const last = (status: string) => [...steps].reverse().find((s) => s.status === status)?.name;
  return last("running") ?? last("failed") ?? null;
}

/**
 * Records the end of a live attempt, once. A job being cancelled ends cancelled (or failed with
 * reason timeout when the server's timeout asked for the stop) unless it had already completed.
 */
export function finishAttempt(db: Db, ref: AttemptRef, result: AttemptResult, at: string): JobStatus | "stale" {
  return tx(db, () => {
    const job = liveAttempt(db, ref);
    if (!job) return "stale";
    let status: JobStatus = result.outcome;
    let reason = result.reason;
    let message = result.message;
    if (job.status === "cancelling" && result.outcome !== "completed") {
      const timedOut = job.errorReason === "timeout";
      status = timedOut ? "failed" : "cancelled";
      reason = timedOut ? "timeout" : "cancelled";
      message = job.errorMessage ?? message;
    }
    if (status === "completed") {
      reason = null;
      message = null;
    }
    const step = status === "completed" ? null : (result.step ?? failingStep(job.steps));
    const retryAt = status === "failed" && job.status !== "cancelling" ? retryAtFor(db, job.id, at) : null;
    if (retryAt) {
      transitionJob(db, job.id, "retrying", at, { exitCode: result.exitCode, errorReason: reason, errorMessage: message, errorStep: step, retryAt, leaseExpiresAt: null }, { attempt: ref.attempt });
    } else {
      transitionJob(db, job.id, status, at, { exitCode: result.exitCode, errorReason: reason, errorMessage: message, errorStep: step, completedAt: at, leaseExpiresAt: null }, { attempt: ref.attempt });
    }
    prepared(db, `update "job_attempts" set "outcome" = ?, "ended_at" = ?, "exit_code" = ?, "error_reason" = ?, "error_message" = ? where "job_id" = ? and "attempt" = ?`).run(
      status,
      at,
      result.exitCode,
      reason,
      message,
      job.id,
      ref.attempt,
    );
    const reasonText =
      status === "completed" ? AGENT_TRANSITION_REASONS.jobSucceeded : status === "cancelled" ? AGENT_TRANSITION_REASONS.jobCancelled : AGENT_TRANSITION_REASONS.jobFailed;
    if (activeJobCount(db, ref.agentId) === 0) transitionAgent(db, ref.agentId, AGENT_AFTER[status], reasonText, at, job.id);
    if (status === "completed") recordAgentError(db, ref.agentId, null);
    else if (status === "failed") recordAgentError(db, ref.agentId, `Job ${job.id} failed (${reason ?? "error"}): ${message ?? "no message"}`);
    return retryAt ? "retrying" : status;
  });
}
