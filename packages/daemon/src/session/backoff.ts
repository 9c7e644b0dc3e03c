/** How the agent waits before dialling again: the session's redial and `run`'s start retries. */
export type Backoff = { baseMs: number; capMs: number };
export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000 };

/** The window a redial's delay is drawn from after `attempt` failures: min(cap, base x 2^attempt). */
function backoffWindowMs(attempt: number, b: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(b.capMs, b.baseMs * 2 ** Math.min(attempt, 30));
}

/** Full jitter (AWS architecture blog): a uniform delay in [0, backoffWindowMs(attempt)). */
export function fullJitter(attempt: number, b: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  return Math.floor(random() * backoffWindowMs(attempt, b));
}

/**
 * The session's redial clock: full jitter on a window that doubles with each failed dial (up to the
 * cap) and starts again from the base at each `welcome`. outpost-agent's session and bench/fleet's
 * simulated agents both redial with this, so a storm in the bench is the storm a real fleet makes.
 */
export class Redial {
  private attempt = 0;

  constructor(
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
    private readonly random = Math.random,
  ) {}

  /** The window the next delay is drawn from. */
  get windowMs(): number {
    return backoffWindowMs(this.attempt, this.backoff);
  }

  /** A dial failed or a session ended: the delay before dialling again (counts the attempt). */
  next(): number {
    return fullJitter(this.attempt++, this.backoff, this.random);
  }

  /** Welcomed: the next failure waits from the base window again. */
  reset(): void {
    this.attempt = 0;
  }
}
