/**
 * The trigger loop (schedules here, event triggers in trigger-events.ts): on a timer (every TICK_MS) and whenever a test calls tick() after moving the
 * app's clock (deps.clock), each enabled schedule fires for the cron times that came since its
 * cursor (triggers.scheduled_through). Missed times (the server was down, or the loop behind by
 * more than ON_TIME_MS) follow the trigger's `missed` policy: `skip` records one skipped firing,
 * `run_once` fires once for the latest of them. Ticks never overlap.
 */
import type { ScheduleSpec } from "@outpost/shared";
import type { Deps } from "../../deps.js";
import { dueTimes } from "./trigger-cron.js";
import { fireTrigger, releaseQueued, type Submit } from "./trigger-fire.js";
import { enabledTriggersOfKind, type TriggerRow } from "./triggers.repo.js";
import { runEventTrigger } from "./trigger-events.js";
import { requeueDueRetries } from "../dispatch/dispatch-retries.js";
import { nowIso } from "../../lib/time.js";

export const TICK_MS = 1000;
/** A due time at most this old when the loop reaches it is on time; older ones were missed. */
export const ON_TIME_MS = 60_000;

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private woken = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: Deps,
    private readonly hub: Submit,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick().catch((err) => this.deps.log.error({ err }, "schedule tick failed")), TICK_MS);
    this.timer.unref();
    // A finished job or an agent's status change wakes the loop for the event triggers at once.
    this.unsubscribe ??= this.deps.events.subscribe((e) => {
      if ((e.type === "job.updated" && e.status && ["completed", "failed", "cancelled"].includes(e.status)) || e.type === "agent.updated") this.wake();
    });
  }

  /** One tick soon, however many wake-ups come before it. */
  private wake(): void {
    if (this.woken || !this.timer) return;
    this.woken = true;
    setImmediate(() => {
      this.woken = false;
      void this.tick().catch((err) => this.deps.log.error({ err }, "trigger tick failed"));
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.running.catch(() => undefined);
  }

  /** One pass over every enabled schedule; resolves when it (and any pass before it) is done. */
  tick(): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.pass());
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const job of requeueDueRetries(this.deps.db, nowIso(this.deps.clock))) {
      this.deps.events.publish({ type: "job.updated", id: job.id, org_id: job.orgId, status: "pending" });
    }
    for (const trig of enabledTriggersOfKind(this.deps.db, "schedule")) {
      try {
        await this.runSchedule(trig);
      } catch (err) {
        this.deps.log.error({ err, trigger_id: trig.id }, "schedule failed");
      }
    }
    for (const trig of enabledTriggersOfKind(this.deps.db, "event")) {
      try {
        await runEventTrigger(this.deps, this.hub, trig);
      } catch (err) {
        this.deps.log.error({ err, trigger_id: trig.id }, "event trigger failed");
      }
    }
  }

  private async runSchedule(trig: TriggerRow): Promise<void> {
    const spec = trig.schedule as ScheduleSpec;
    const now = this.deps.clock();
    if (spec.overlap === "queue") await releaseQueued(this.deps, this.hub, trig);
    const since = Date.parse(trig.scheduledThrough ?? trig.updatedAt);
    const due = dueTimes(spec, since, now);
    const latest = due[due.length - 1];
    if (!latest) return;
    if (now - Date.parse(latest) <= ON_TIME_MS || spec.missed === "run_once") {
      await fireTrigger(this.deps, this.hub, trig, { scheduledAt: latest, advanceTo: latest });
    } else {
      const skipReason = `missed ${due.length} scheduled time${due.length === 1 ? "" : "s"} (${due[0]} to ${latest}); missed policy "skip"`;
      await fireTrigger(this.deps, this.hub, trig, { scheduledAt: latest, advanceTo: latest, skipReason });
    }
  }
}
