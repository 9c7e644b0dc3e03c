/**
 * Job status changes, each one guarded write: the UPDATE matches only when the job is in a status
 * that may lead to `to` (JOB_TRANSITIONS) and, when given, still on the expected attempt. Zero rows
 * changed means illegal or a lost race; the caller decides what that means (usually: stale).
 */
import { and, eq, inArray } from "drizzle-orm";
import { jobStatusesLeadingTo, type JobStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { jobs } from "../../db/schema.js";

export type JobPatch = Partial<Omit<typeof jobs.$inferInsert, "id" | "orgId" | "status">>;

export function transitionJob(
  db: Db,
  jobId: string,
  to: JobStatus,
  at: string,
  patch: JobPatch = {},
  guard: { attempt?: number; from?: JobStatus[] } = {},
): boolean {
  const allowed = jobStatusesLeadingTo(to).filter((s) => !guard.from || guard.from.includes(s));
  if (!allowed.length) return false;
  return (
    db
      .update(jobs)
      .set({ ...patch, status: to, updatedAt: at })
      .where(and(eq(jobs.id, jobId), inArray(jobs.status, allowed), guard.attempt === undefined ? undefined : eq(jobs.attempt, guard.attempt)))
      .run().changes === 1
  );
}
