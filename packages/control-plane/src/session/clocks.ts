/**
 * The server's clocks: pings every heartbeat, and once a second the sweep: last-seen times (one
 * commit for all the sessions heard since the last sweep), silent sessions,
 * timeouts, and (after the restart grace) lost leases. Liveness is judged only by this server's
 * receive times: a session silent for SILENT_AFTER_PINGS heartbeats is marked Unknown and closed.
 * Leases are a separate, longer clock (docs/protocol.md, "Leases"). A wall-clock step (detected
 * against the monotonic clock at each sweep) moves live leases and silence marks by the step, so it
 * expires nothing wholesale; the timer's sweep logs a failed write and runs again (issue 17).
 */
import { SILENT_AFTER_PINGS } from "@outpost/shared";
import { nowIso } from "../lib/time.js";
import { enforceTimeouts, expireLeases } from "../modules/dispatch/dispatch-leases.js";
import { shiftLeases, WallClockWatch } from "../modules/dispatch/dispatch-clock-jump.js";
import type { ChangeRouting } from "./change-routing.js";
import type { HubContext } from "./context.js";
import type { Session } from "./session.js";

export class Clocks {
  private readonly startedAtMs: number;
  private readonly wallClock: WallClockWatch;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ctx: HubContext,
    private readonly changes: ChangeRouting,
    /** Ends a silent session (marked Unknown). */
    private readonly dropSilent: (s: Session) => void,
    /** Writes the last-seen times noted since the last sweep, in one commit. */
    private readonly flushSeen: () => void = () => {},
  ) {
    this.startedAtMs = ctx.deps.clock();
    this.wallClock = new WallClockWatch(() => ctx.deps.clock());
  }

  start(): void {
    const hb = this.ctx.deps.config.heartbeatS * 1000;
    this.timers.push(setInterval(() => this.pingAll(), hb));
    this.timers.push(setInterval(() => this.sweepSafely(), Math.min(1000, hb)));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private pingAll(): void {
    for (const s of this.ctx.sessions.values()) if (s.ws.readyState === s.ws.OPEN) s.ws.ping();
  }

  /** The timer's sweep: a failed write (a full disk) is logged and retried next time, never thrown out of the timer (issue 17). */
  sweepSafely(): void {
    try {
      this.sweep();
    } catch (err) {
      this.ctx.deps.log.error({ err }, "lease sweep failed (is the disk full?); it runs again in a second");
    }
  }

  /** Once a second: silent sessions, timeouts, and (after the restart grace) lost leases. */
  sweep(): void {
    const { deps } = this.ctx;
    const nowMs = deps.clock();
    const at = nowIso(() => nowMs);
    const silentMs = deps.config.heartbeatS * 1000 * SILENT_AFTER_PINGS;
    // Issue 17: a wall-clock step moves live leases and silence marks by the step, so it expires nothing wholesale.
    const step = this.wallClock.step();
    if (step) {
      const moved = shiftLeases(deps.db, step);
      this.wallClock.accept();
      deps.log.warn({ step_ms: step, leases_moved: moved }, "the wall clock stepped; live leases moved with it");
      for (const s of this.ctx.sessions.values()) s.lastReceivedMs += step;
    }
    this.flushSeen();
    for (const s of [...this.ctx.sessions.values()]) {
      if (nowMs - s.lastReceivedMs > silentMs) this.dropSilent(s);
    }
    for (const id of enforceTimeouts(deps.db, at)) this.changes.onJobStatus(id);
    // After a restart, agents get one grace period to reconnect and renew before anything is lost.
    if (nowMs - this.startedAtMs >= deps.config.leaseGraceS * 1000) {
      const out = expireLeases(deps.db, at, deps.config.leaseGraceS * 1000);
      for (const id of out.lost) this.changes.publishJob(id);
      if (out.requeued.length) this.ctx.scheduleDispatch();
    }
  }
}
