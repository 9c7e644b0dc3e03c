/** Trigger rows and their API shape. */
import { and, desc, eq, notInArray } from "drizzle-orm";
import { TERMINAL_JOB_STATUSES, type EventFilter, type ScheduleSpec, type Trigger, type TriggerFiring, type TriggerTarget } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { jobs, triggerFirings, triggers } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { nextFireTimes } from "./trigger-cron.js";
import { hookPath } from "./trigger-webhook.js";

export type TriggerRow = typeof triggers.$inferSelect;
export type FiringRow = typeof triggerFirings.$inferSelect;

export function getTriggerOr404(db: Db, orgIds: string[], id: string): TriggerRow {
  const row = db.select().from(triggers).where(eq(triggers.id, id)).get();
  if (!row || !orgIds.includes(row.orgId)) throw ApiError.notFound("trigger", id);
  return row;
}

export function toFiring(f: FiringRow): TriggerFiring {
  return { id: f.id, scheduled_at: f.scheduledAt, event_key: f.eventKey, fired_at: f.firedAt, job_id: f.jobId, outcome: f.outcome, error: f.error };
}

export function recentFirings(db: Db, triggerId: string, limit: number): FiringRow[] {
  return db.select().from(triggerFirings).where(eq(triggerFirings.triggerId, triggerId)).orderBy(desc(triggerFirings.firedAt), desc(triggerFirings.id)).limit(limit).all();
}

/** Jobs of this trigger that have not ended (pending, retrying, claimed, running, cancelling). */
export function liveJobsOf(db: Db, triggerId: string): number {
  return db
    .select({ id: jobs.id })
    .from(jobs)
    .where(and(eq(jobs.triggerId, triggerId), notInArray(jobs.status, [...TERMINAL_JOB_STATUSES])))
    .all().length;
}

export function toTrigger(db: Db, r: TriggerRow, nowMs: number): Trigger {
  const schedule = (r.schedule as ScheduleSpec | null) ?? null;
  const last = recentFirings(db, r.id, 1)[0];
  return {
    id: r.id,
    org_id: r.orgId,
    name: r.name,
    kind: r.kind,
    enabled: r.enabled,
    target: r.target as TriggerTarget,
    schedule,
    event: (r.event as EventFilter | null) ?? null,
    next_fire_times: schedule && r.enabled ? nextFireTimes(schedule, nowMs) : [],
    hook_path: r.publicId ? hookPath(r.publicId) : null,
    created_by: r.createdBy,
    last_firing: last ? toFiring(last) : null,
    inserted_at: r.insertedAt,
    updated_at: r.updatedAt,
  };
}

export function enabledTriggersOfKind(db: Db, kind: TriggerRow["kind"]): TriggerRow[] {
  return db.select().from(triggers).where(and(eq(triggers.kind, kind), eq(triggers.enabled, true))).all();
}
