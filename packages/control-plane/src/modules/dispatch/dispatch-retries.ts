/** Jobs `retrying` whose backoff is over go back to `pending` (run by the trigger loop, on the app's clock). */
import { and, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { jobs } from "../../db/schema.js";
import { transitionJob } from "../jobs/jobs.transitions.js";

export function requeueDueRetries(db: Db, at: string): { id: string; orgId: string }[] {
  const due = db
    .select({ id: jobs.id, orgId: jobs.orgId, attempt: jobs.attempt })
    .from(jobs)
    .where(and(sql`${jobs.status} = 'retrying'`, lte(jobs.retryAt, at)))
    .all();
  // A retry is a new attempt of the same job: pending again, the failed attempt kept in history.
  return due.filter((j) => transitionJob(db, j.id, "pending", at, { agentId: null, claimedAt: null, retryAt: null }, { attempt: j.attempt, from: ["retrying"] }));
}
