/**
 * Job status changes, each one guarded write: the UPDATE matches only when the job is in a status
 * that may lead to `to` (JOB_TRANSITIONS) and, when given, still on the expected attempt. Zero rows
 * changed means illegal or a lost race; the caller decides what that means (usually: stale).
 *
 * The UPDATE is plain SQL on a cached prepared statement (one per patch shape): dispatch runs it
 * three times per job.
 */
import { getTableColumns } from "drizzle-orm";
import { jobStatusesLeadingTo, type JobStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, sqlList } from "../../db/client.js";
import { jobs } from "../../db/schema.js";

export type JobPatch = Partial<Omit<typeof jobs.$inferInsert, "id" | "orgId" | "status">>;

const columns = getTableColumns(jobs);
type Column = (typeof columns)[keyof typeof columns];

/** The UPDATE for one shape of transition (target, patch keys, guard); null when no status may lead there. */
const shapes = new Map<string, string | null>();

function updateFor(to: JobStatus, keys: (keyof JobPatch)[], guard: { attempt?: number; from?: JobStatus[] }): string | null {
  const signature = `${to}|${keys.join(",")}|${guard.from?.join(",") ?? "*"}|${guard.attempt === undefined ? "" : "a"}`;
  let text = shapes.get(signature);
  if (text !== undefined) return text;
  const allowed = jobStatusesLeadingTo(to).filter((s) => !guard.from || guard.from.includes(s));
  if (!allowed.length) text = null;
  else {
    const sets = keys.map((k) => `"${(columns[k] as Column).name}" = ?`);
    text =
      `update "jobs" set ${[...sets, `"status" = ?`, `"updated_at" = ?`].join(", ")} where "id" = ? and "status" in (${sqlList(allowed)})` +
      (guard.attempt === undefined ? "" : ` and "attempt" = ?`);
  }
  shapes.set(signature, text);
  return text;
}

export function transitionJob(
  db: Db,
  jobId: string,
  to: JobStatus,
  at: string,
  patch: JobPatch = {},
  guard: { attempt?: number; from?: JobStatus[] } = {},
): boolean {
  const keys = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined) as (keyof JobPatch)[];
  const text = updateFor(to, keys, guard);
  if (!text) return false;
  const params: unknown[] = keys.map((k) => {
    const v = patch[k];
    return v === null ? null : (columns[k] as Column).mapToDriverValue(v as never);
  });
  params.push(to, at, jobId);
  if (guard.attempt !== undefined) params.push(guard.attempt);
  return prepared(db, text).run(...params).changes === 1;
}
