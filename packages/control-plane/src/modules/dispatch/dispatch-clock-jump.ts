/**
 * The server's wall clock stepping (issue 17). Leases are stored as wall-clock times and judged by
 * the server alone; a step forward would make every stored lease look expired at once, a step
 * back would keep dead ones alive. WallClockWatch compares the wall clock's progress with the
 * monotonic clock's between sweeps; a difference beyond the tolerance is a step, and shiftLeases
 * moves every live lease by it, so the step neither expires nor extends leases wholesale.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.js";
import { jobs } from "../../db/schema.js";

export class WallClockWatch {
  private lastWall: number;
  private lastMono: number;

  constructor(
    private readonly wall: () => number,
    private readonly mono: () => number = () => performance.now(),
    private readonly toleranceMs = 2_000,
  ) {
    this.lastWall = wall();
    this.lastMono = mono();
  }

  /**
   * The wall clock's step since the last accepted reading, ms (positive: forward), or 0 within the
   * tolerance. A step stays pending until accept(): when moving the leases fails (a full disk), the
   * next sweep sees the same step again instead of judging unmoved leases on the stepped clock.
   */
  step(): number {
    const wall = this.wall();
    const mono = this.mono();
    const step = wall - this.lastWall - (mono - this.lastMono);
    if (Math.abs(step) > this.toleranceMs) return step;
    this.lastWall = wall;
    this.lastMono = mono;
    return 0;
  }

  /** The step step() returned has been acted on: the next one is measured from now. */
  accept(): void {
    this.lastWall = this.wall();
    this.lastMono = this.mono();
  }
}

/** Moves the lease of every live attempt by stepMs; returns how many moved. */
export function shiftLeases(db: Db, stepMs: number): number {
  const moved = db
    .update(jobs)
    .set({ leaseExpiresAt: sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${jobs.leaseExpiresAt}, ${`${stepMs / 1000} seconds`})` })
    .where(sql`${jobs.status} in ('claimed', 'running', 'cancelling') and ${jobs.leaseExpiresAt} is not null`)
    .run();
  return moved.changes;
}
