/** Changing triggers: create, update, pause/resume, delete, with the rules they enforce. Reads are in triggers.repo.ts. */
import { eq } from "drizzle-orm";
import type { CreateTriggerBody, EventFilter, ScheduleSpec, TriggerTarget, UpdateTriggerBody } from "@outpost/shared";
import { triggers } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { resolveJobTarget, validateInputs } from "../jobs/jobs.service.js";
import { checkSchedule } from "./trigger-cron.js";
import { eventCursorNow } from "./trigger-events.js";
import { newPublicId, webhookSecret } from "./trigger-webhook.js";
import type { TriggerRow } from "./triggers.repo.js";

/** Prefixes the paths of a 422 from the job checks with `target.`, so the error names the trigger's field. */
async function checkTarget(deps: Deps, orgId: string, target: TriggerTarget, kind: TriggerRow["kind"]): Promise<void> {
  try {
    const resolved = resolveJobTarget(deps.db, orgId, target);
    // Webhook and event triggers merge their payload into the inputs when they fire; a schedule's are final.
    if (kind === "schedule") await validateInputs(resolved, target.inputs);
  } catch (err) {
    if (err instanceof ApiError && err.errors) throw ApiError.validation(err.errors.map((e) => ({ ...e, path: `target.${e.path}` })));
    throw err;
  }
}

/** A schedule or event trigger (re)started: nothing before now is owed. */
function restartCursor(deps: Deps, row: TriggerRow, event?: EventFilter): string | null {
  if (row.kind === "schedule") return nowIso(deps.clock);
  const filter = event ?? (row.event as EventFilter | null);
  return filter ? eventCursorNow(deps.db, filter, deps.clock()) : null;
}

/** Creates the trigger; a webhook's secret is answered this once (it is never stored). */
export async function createTrigger(deps: Deps, orgId: string, createdBy: string, body: CreateTriggerBody): Promise<{ id: string; secret: string | null }> {
  const { db } = deps;
  if (body.schedule) checkSchedule(body.schedule);
  await checkTarget(deps, orgId, body.target, body.kind);
  const at = nowIso(deps.clock);
  const id = newId();
  const publicId = body.kind === "webhook" ? newPublicId() : null;
  const cursor = body.kind === "schedule" ? at : body.event ? eventCursorNow(db, body.event, deps.clock()) : null;
  db.insert(triggers)
    .values({ id, orgId, name: body.name, kind: body.kind, enabled: body.enabled, target: body.target, schedule: body.schedule ?? null, event: body.event ?? null, scheduledThrough: cursor, publicId, createdBy, insertedAt: at, updatedAt: at })
    .run();
  return { id, secret: publicId ? webhookSecret(deps.installSecret, publicId) : null };
}

export async function updateTrigger(deps: Deps, row: TriggerRow, body: UpdateTriggerBody): Promise<void> {
  if (body.schedule && row.kind !== "schedule") throw ApiError.validation([{ path: "schedule", message: `a ${row.kind} trigger takes no schedule` }]);
  if (body.schedule) checkSchedule(body.schedule);
  if (body.event && row.kind !== "event") throw ApiError.validation([{ path: "event", message: `a ${row.kind} trigger takes no event filter` }]);
  if (body.target) await checkTarget(deps, row.orgId, body.target, row.kind);
  const at = nowIso(deps.clock);
  // A new schedule, or a schedule turned back on, starts from now: nothing before it is owed.
  const restart = body.schedule !== undefined || body.event !== undefined || (body.enabled === true && !row.enabled);
  deps.db
    .update(triggers)
    .set({ name: body.name, target: body.target, enabled: body.enabled, schedule: body.schedule as ScheduleSpec | undefined, event: body.event, updatedAt: at, ...(restart ? { scheduledThrough: restartCursor(deps, row, body.event) } : {}) })
    .where(eq(triggers.id, row.id))
    .run();
}

/** Pause or resume; a trigger already so is left as it is. */
export function setTriggerEnabled(deps: Deps, row: TriggerRow, enabled: boolean): void {
  if (row.enabled === enabled) return;
  deps.db
    .update(triggers)
    .set({ enabled, updatedAt: nowIso(deps.clock), ...(enabled ? { scheduledThrough: restartCursor(deps, row) } : {}) })
    .where(eq(triggers.id, row.id))
    .run();
}

export function deleteTrigger(deps: Deps, row: TriggerRow): void {
  deps.db.delete(triggers).where(eq(triggers.id, row.id)).run();
}
