/** Trigger rows and their API shape. */
import { and, desc, eq, inArray, notInArray } from "drizzle-orm";
import { TERMINAL_JOB_STATUSES, type EventFilter, type PageQuery, type ScheduleSpec, type Trigger, type TriggerFiring, type TriggerListQuery, type TriggerTarget } from "@outpost/shared";
import type { z } from "zod";
import type { Db } from "../../db/client.js";
import { jobs, triggerFirings, triggers, webhookDeliveries } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { nextFireTimes } from "./trigger-cron.js";
import { hookPath, type DeliveryRow } from "./trigger-webhook.js";

export type TriggerRow = typeof triggers.$inferSelect;
export type FiringRow = typeof triggerFirings.$inferSelect;

export function getTriggerOr404(db: Db, orgIds: string[], id: string): TriggerRow {
  const row = db.select().from(triggers).where(eq(triggers.id, id)).get();
  if (!row || !orgIds.includes(row.orgId)) throw ApiError.notFound("trigger", id);
  return row;
}

export function getWebhookOr404(db: Db, orgIds: string[], id: string): TriggerRow {
  const row = getTriggerOr404(db, orgIds, id);
  if (row.kind !== "webhook") throw ApiError.notFound("webhook trigger", id);
  return row;
}

/** The webhook trigger a delivery names by its public id, if any. */
export function webhookByPublicId(db: Db, publicId: string): TriggerRow | undefined {
  return db.select().from(triggers).where(and(eq(triggers.publicId, publicId), eq(triggers.kind, "webhook"))).get();
}

/** The trigger `id` in the API's shape (it exists: the caller just read or wrote it). */
export function triggerDetails(db: Db, id: string, nowMs: number): Trigger {
  return toTrigger(db, db.select().from(triggers).where(eq(triggers.id, id)).get()!, nowMs);
}

/** One page of the triggers of `orgIds`, newest first unless asked otherwise. */
export function listTriggers(db: Db, orgIds: string[], q: z.infer<typeof TriggerListQuery>, nowMs: number) {
  const keyset = { column: triggers.insertedAt, idColumn: triggers.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: TriggerRow) => r.insertedAt };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(triggers)
      .where(and(inArray(triggers.orgId, orgIds), q.kind ? eq(triggers.kind, q.kind) : undefined, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: rows.map((r) => toTrigger(db, r, nowMs)), next };
}

/** One page of a trigger's firings, newest first. */
export function listFirings(db: Db, triggerId: string, q: Pick<z.infer<typeof PageQuery>, "limit" | "cursor">) {
  const keyset = { column: triggerFirings.firedAt, idColumn: triggerFirings.id, order: "desc" as const, cursor: q.cursor, limit: q.limit, keyOf: (r: FiringRow) => r.firedAt };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db.select().from(triggerFirings).where(and(eq(triggerFirings.triggerId, triggerId), page.after)).orderBy(...page.orderBy).limit(page.limit).all(),
  );
  return { items: rows.map(toFiring), next };
}

/** A webhook's kept deliveries, newest first (at most KEPT_DELIVERIES: no pages). */
export function deliveriesOf(db: Db, triggerId: string): DeliveryRow[] {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.triggerId, triggerId)).orderBy(desc(webhookDeliveries.receivedAt), desc(webhookDeliveries.id)).all();
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
