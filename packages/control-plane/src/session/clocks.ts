/**
 * The server's clocks, all run by the once-a-second sweep: pings, last-seen times (one commit for
 * all the sessions heard since the last sweep), silent sessions, timeouts, and (after the restart
 * grace) lost leases. A session is pinged when the server has not heard from it, or not sent it
 * anything, for its ping interval: a busy session is never pinged, and an idle fleet's pings are
 * spread over the interval as their sessions' own clocks fall due rather than sent in one burst.
 * The interval is the heartbeat, or for a fleet over PINGS_PER_SECOND x heartbeat sessions
 * `sessions / PINGS_PER_SECOND` seconds, so an idle fleet costs at most PINGS_PER_SECOND pings a
 * second however large it grows (Nomad scales its heartbeat TTL with the fleet the same way).
 * Liveness is judged only by this server's receive times: a session not heard for its ping
 * interval plus SILENT_AFTER_PINGS - 1 heartbeats (silentAfterMs; three heartbeats while the
 * interval is the heartbeat) is marked Unknown and closed.
 * Leases are a separate, longer clock (docs/protocol.md, "Leases"). A wall-clock step (detected
 * against the monotonic clock at each sweep) moves live leases and silence marks by the step, so it
 * expires nothing wholesale; the timer's sweep logs a failed write and runs again (issue 17).
 */
import { pingEveryMs } from "@outpost/shared";
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
    this.timers.push(setInterval(() => this.sweepSafely(), 1000));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
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
    const hb = deps.config.heartbeatS * 1000;
    // Issue 17: a wall-clock step moves live leases and silence marks by the step, so it expires nothing wholesale.
    const step = this.wallClock.step();
    if (step) {
      const moved = shiftLeases(deps.db, step);
      this.wallClock.accept();
      deps.log.warn({ step_ms: step, leases_moved: moved }, "the wall clock stepped; live leases moved with it");
      for (const s of this.ctx.sessions.values()) {
        s.lastReceivedMs += step;
        s.lastSentMs += step;
        s.silentAtMs += step;
      }
    }
    this.flushSeen();
    const every = pingEveryMs(this.ctx.sessions.size, hb);
    // Deleting the entry being visited (dropSilent) is safe while iterating a Map: no copy of 10,000 sessions a second.
    for (const s of this.ctx.sessions.values()) {
      if (nowMs > s.silentAtMs) this.dropSilent(s);
      // Not before hello: the agent adopts a ping's interval only once welcomed (before that it has three heartbeats to say hello).
      else if (s.said && (nowMs - s.lastReceivedMs >= s.pingEveryMs || nowMs - s.lastSentMs >= s.pingEveryMs)) s.ping(nowMs, every);
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
