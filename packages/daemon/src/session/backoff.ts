/** How the agent waits before dialling again: the session's redial and `run`'s start retries. */
export type Backoff = { baseMs: number; capMs: number };
export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000 };

/** Full jitter (AWS architecture blog): a uniform delay in [0, min(cap, base * 2^attempt)). */
export function fullJitter(attempt: number, b: Backoff = DEFAULT_BACKOFF, random = Math.random): number {
  return Math.floor(random() * Math.min(b.capMs, b.baseMs * 2 ** Math.min(attempt, 30)));
}
