/**
 * Firing a trigger: one firing row and (unless the overlap policy holds it back) one job, written
 * in one transaction. A schedule's firing row is unique on (trigger, scheduled time), so a time
 * fires once however many loops or restarts reach it.
 */
import { and, eq } from "drizzle-orm";
import type { TriggerTarget, ScheduleSpec } from "@outpost/shared";
import { tx } from "../../db/client.js";
import { triggerFirings, triggers } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import type { AgentHub } from "../../session/hub.js";
import { createJob, resolveJobTarget, triggerProvenance, validateInputs, type JobTarget } from "../jobs/jobs.service.js";
import { liveJobsOf, type FiringRow, type TriggerRow } from "./triggers.repo.js";

export type Submit = Pick<AgentHub, "submit">;
/**
 * claim: runs first in the firing's transaction; false means "already fired" (webhook delivery ids)
 * and nothing is written. record: runs last in it, with the firing (and its job id, if any).
 */
export type FireOptions = {
  scheduledAt?: string | null;
  /** Event triggers: the event's key (unique per trigger) and the depth of the job it would start. */
  eventKey?: string;
  chainDepth?: number;
  inputs?: Record<string, unknown>;
  advanceTo?: string;
  skipReason?: string;
  claim?: () => boolean;
  record?: (firing: FiringRow) => void;
};

function messageOf(err: unknown): string {
  if (err instanceof ApiError) return [err.message, ...(err.errors ?? []).map((e) => `${e.path}: ${e.message}`)].join(" ");
  return (err as Error).message ?? String(err);
}

/** Resolves and checks the job a firing would start; an error is the firing's `failed` outcome. */
async function prepare(deps: Deps, trig: TriggerRow, inputs: Record<string, unknown>): Promise<JobTarget | string> {
  try {
    const target = resolveJobTarget(deps.db, trig.orgId, trig.target as TriggerTarget);
    await validateInputs(target, inputs);
    return target;
  } catch (err) {
    return messageOf(err);
  }
}

/**
 * Fires `trig` once. opts.scheduledAt: the cron time (schedules); opts.advanceTo: also move the
 * schedule's cursor there, in the same commit; opts.skipReason: record a skipped firing (missed
 * times) without starting a job. Returns the firing, or null when this scheduled time already fired.
 */
export async function fireTrigger(deps: Deps, hub: Submit, trig: TriggerRow, opts: FireOptions = {}): Promise<FiringRow | null> {
  const { db } = deps;
  const base = trig.target as TriggerTarget;
  const inputs = { ...base.inputs, ...opts.inputs };
  const prepared = opts.skipReason ? opts.skipReason : await prepare(deps, trig, inputs);
  const at = nowIso(deps.clock);
  const row = hub.submit(() =>
    tx(db, () => {
      if (opts.claim && !opts.claim()) return null;
      const firing: FiringRow = { id: newId(), triggerId: trig.id, scheduledAt: opts.scheduledAt ?? null, eventKey: opts.eventKey ?? null, firedAt: at, jobId: null, outcome: "started", error: null };
      if (opts.advanceTo) db.update(triggers).set({ scheduledThrough: opts.advanceTo }).where(eq(triggers.id, trig.id)).run();
      const overlap = ((trig.schedule as ScheduleSpec | null)?.overlap ?? "allow") as ScheduleSpec["overlap"];
      if (typeof prepared === "string") {
        Object.assign(firing, { outcome: opts.skipReason ? "skipped" : "failed", error: prepared });
      } else if (overlap !== "allow" && liveJobsOf(db, trig.id) > 0) {
        const queued = db.select().from(triggerFirings).where(and(eq(triggerFirings.triggerId, trig.id), eq(triggerFirings.outcome, "queued"))).get();
        if (overlap === "queue" && !queued) firing.outcome = "queued";
        else Object.assign(firing, { outcome: "skipped", error: overlap === "queue" ? "one run is already queued behind the running one" : "the previous run is still going" });
      }
      const inserted = db.insert(triggerFirings).values(firing).onConflictDoNothing().returning().get();
      if (!inserted) return null;
      const done = firing.outcome !== "started" || typeof prepared === "string" ? inserted : startJob(deps, trig, inserted, prepared, inputs, at, opts.chainDepth);
      opts.record?.(done);
      return done;
    }),
  );
  return row;
}

/** Inside the firing's transaction: the job, and the firing pointing at it. */
function startJob(deps: Deps, trig: TriggerRow, firing: FiringRow, target: JobTarget, inputs: Record<string, unknown>, at: string, chainDepth = 0): FiringRow {
  const base = trig.target as TriggerTarget;
  const job = createJob(deps.db, trig.orgId, [trig.orgId], { ...base, inputs, ...triggerProvenance(trig), chain_depth: chainDepth }, at, target, deps.config.defaultJobTimeoutS);
  deps.events.publish({ type: "job.updated", id: job.id, org_id: job.orgId });
  return deps.db.update(triggerFirings).set({ jobId: job.id, outcome: "started" }).where(eq(triggerFirings.id, firing.id)).returning().get()!;
}

/** overlap "queue": the queued firing starts once the trigger has no live job. */
export async function releaseQueued(deps: Deps, hub: Submit, trig: TriggerRow): Promise<void> {
  const { db } = deps;
  const queued = db.select().from(triggerFirings).where(and(eq(triggerFirings.triggerId, trig.id), eq(triggerFirings.outcome, "queued"))).get();
  if (!queued || liveJobsOf(db, trig.id) > 0) return;
  const inputs = (trig.target as TriggerTarget).inputs;
  const prepared = await prepare(deps, trig, inputs);
  const at = nowIso(deps.clock);
  await hub.submit(() =>
    tx(db, () => {
      const still = db.select().from(triggerFirings).where(and(eq(triggerFirings.id, queued.id), eq(triggerFirings.outcome, "queued"))).get();
      if (!still || liveJobsOf(db, trig.id) > 0) return;
      if (typeof prepared === "string") db.update(triggerFirings).set({ outcome: "failed", error: prepared }).where(eq(triggerFirings.id, queued.id)).run();
      else startJob(deps, trig, still, prepared, inputs, at);
    }),
  );
}
