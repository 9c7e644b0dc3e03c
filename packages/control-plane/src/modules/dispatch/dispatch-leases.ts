/**
 * The server's clocks: lease expiry and job timeouts. An attempt whose lease lapsed more than
 * `graceMs` ago is lost (the agent has stopped its own container at the TTL by then, so two
 * attempts never overlap); the job is re-queued as a new attempt while attempts remain, else
 * failed with agent_lost. Timeouts run from the container's start and are enforced here, not by the agent.
 */
import { and, eq, isNotNull, lt, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { jobAttempts, jobs } from "../../db/schema.js";
import { transitionJob } from "../jobs/jobs.transitions.js";
import { attemptsUsed, failingStep, retryAtFor } from "./dispatch-attempts.js";

export type SweepResult = { lost: string[]; requeued: string[]; failed: string[]; timedOut: string[] };


/** Declares lost every live attempt whose lease ended before `at - graceMs`. */
export function expireLeases(db: Db, at: string, graceMs: number): SweepResult {
  const cutoff = new Date(Date.parse(at) - graceMs).toISOString();
  const out: SweepResult = { lost: [], requeued: [], failed: [], timedOut: [] };
  // Once a second with a fleet of mostly idle agents: a cached probe first, the rows only when one lapsed.
  const any = prepared(db, `select 1 from "jobs" where "status" in ('claimed', 'running', 'cancelling') and "lease_expires_at" is not null and "lease_expires_at" < ? limit 1`).get(cutoff);
  if (!any) return out;
  const expired = db
    .select()
    .from(jobs)
    // Literal statuses, so the jobs_live partial index serves this sweep.
    .where(and(sql`${jobs.status} in ('claimed', 'running', 'cancelling')`, isNotNull(jobs.leaseExpiresAt), lt(jobs.leaseExpiresAt, cutoff)))
    .all();
  for (const job of expired) loseAttempt(db, job, at, `Agent lost: no lease renewal for attempt ${job.attempt} since ${job.leaseExpiresAt}.`, out);
  return out;
}

/**
 * The agent said hello without these of its live attempts (it restarted and no longer holds them):
 * each is lost now, no need to wait for the lease. `held` has `job_id:attempt` keys.
 */
export function declareForgotten(db: Db, agentId: string, held: ReadonlySet<string>, at: string): SweepResult {
  const out: SweepResult = { lost: [], requeued: [], failed: [], timedOut: [] };
  // Every hello runs this: the (usually empty) list on a cached statement, full rows only to lose.
  const live = prepared(db, `select "id", "attempt" from "jobs" where "agent_id" = ? and "status" in ('claimed', 'running', 'cancelling')`).all(agentId) as {
    id: string;
    attempt: number;
  }[];
  for (const { id, attempt } of live) {
    if (held.has(`${id}:${attempt}`)) continue;
    const job = db.select().from(jobs).where(eq(jobs.id, id)).get();
    if (job) loseAttempt(db, job, at, `Agent lost: the agent reconnected without attempt ${job.attempt}.`, out);
  }
  return out;
}

function loseAttempt(db: Db, job: typeof jobs.$inferSelect, at: string, message: string, out: SweepResult): void {
  if (job.status !== "claimed" && job.status !== "running" && job.status !== "cancelling") return;
  tx(db, () => {
    const guard = { attempt: job.attempt, from: [job.status as "claimed" | "running" | "cancelling"] };
    // Every path below that leaves an error names the step the attempt was in (error.step).
    const errorStep = failingStep(job.steps);
    let ok: boolean;
    if (job.status === "cancelling") {
      const timedOut = job.errorReason === "timeout";
      ok = transitionJob(db, job.id, timedOut ? "failed" : "cancelled", at, { completedAt: at, leaseExpiresAt: null, ...(timedOut ? { errorStep } : {}) }, guard);
      if (ok) out.failed.push(job.id);
    } else if (job.retryBackoffS !== null && attemptsUsed(db, job.id) < job.maxAttempts) {
      // A retry policy: the job waits `retrying` for its backoff (the trigger loop re-queues it).
      ok = transitionJob(db, job.id, "retrying", at, { leaseExpiresAt: null, retryAt: retryAtFor(db, job.id, at), errorReason: "agent_lost", errorMessage: message, errorStep }, guard);
      if (ok) out.requeued.push(job.id);
    } else if (attemptsUsed(db, job.id) < job.maxAttempts) {
      ok = transitionJob(db, job.id, "retrying", at, { leaseExpiresAt: null }, guard);
      // A retry is a new attempt of the same job: pending again, old attempt kept in history.
      ok = ok && transitionJob(db, job.id, "pending", at, { agentId: null, claimedAt: null }, { attempt: job.attempt, from: ["retrying"] });
      if (ok) out.requeued.push(job.id);
    } else {
      ok = transitionJob(db, job.id, "failed", at, { completedAt: at, leaseExpiresAt: null, errorReason: "agent_lost", errorMessage: message, errorStep }, guard);
      if (ok) out.failed.push(job.id);
    }
    if (!ok) return;
    out.lost.push(job.id);
    db.update(jobAttempts)
      .set({ outcome: "lost", endedAt: at, errorReason: "agent_lost", errorMessage: message })
      .where(and(eq(jobAttempts.jobId, job.id), eq(jobAttempts.attempt, job.attempt)))
      .run();
  });
}

/**
 * Running jobs past started_at + timeout_s go `cancelling` with reason timeout; the agent stops
 * them. The clock starts when the container starts: an image pull before it has its own limit on
 * the agent (`--pull-timeout`), and a claimed job that never starts is the lease's business.
 */
export function enforceTimeouts(db: Db, at: string): string[] {
  // The current attempt's start: a retry's clock starts again. Once a second: a cached statement.
  const live = prepared(
    db,
    `select j."id" as id, j."attempt" as attempt, a."started_at" as startedAt, j."timeout_s" as timeoutS from "jobs" j
     join "job_attempts" a on a."job_id" = j."id" and a."attempt" = j."attempt"
     where j."status" in ('claimed', 'running', 'cancelling') and j."status" = 'running' and j."timeout_s" is not null`,
  ).all() as { id: string; attempt: number; startedAt: string | null; timeoutS: number | null }[];
  const nowMs = Date.parse(at);
  const hit: string[] = [];
  for (const j of live) {
    if (!j.startedAt || Date.parse(j.startedAt) + j.timeoutS! * 1000 > nowMs) continue;
    const ok = transitionJob(
      db,
      j.id,
      "cancelling",
      at,
      { errorReason: "timeout", errorMessage: `Timed out after ${j.timeoutS} s (counted from the container's start).` },
      { attempt: j.attempt, from: ["running"] },
    );
    if (ok) hit.push(j.id);
  }
  return hit;
}
