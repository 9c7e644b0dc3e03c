/** Jobs `retrying` whose backoff is over go back to `pending` (run by the trigger loop, on the app's clock). */
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { transitionJob } from "../jobs/jobs.transitions.js";

/**
 * The trigger loop runs this on every wake (each batch of finished jobs): a probe of the partial
 * index jobs_retrying (only retrying rows), never a scan of the jobs table (it was: bench/dispatch's
 * lifecycle rate fell 4x, docs/performance.md).
 */
export function requeueDueRetries(db: Db, at: string): { id: string; orgId: string }[] {
  const due = prepared(db, `select "id", "org_id" as orgId, "attempt" from "jobs" where "status" = 'retrying' and "retry_at" <= ?`).all(at) as {
    id: string;
    orgId: string;
    attempt: number;
  }[];
  // A retry is a new attempt of the same job: pending again, the failed attempt kept in history.
  return due.filter((j) => transitionJob(db, j.id, "pending", at, { agentId: null, claimedAt: null, retryAt: null }, { attempt: j.attempt, from: ["retrying"] }));
}
