/**
 * Rate limits on the app's clock (deps.clock), so tests move time instead of sleeping.
 *
 * - `clockStore(clock)`: a fixed-window counter store for @fastify/rate-limit (its `store` option
 *   takes a constructor with `incr` and `child`), used for the expensive routes.
 * - `FailureLimiter`: failed authentication per client address and per token prefix. It must be
 *   checked BEFORE a credential is looked at: once a key is over the limit even a right guess gets
 *   429, or the limit would still tell a brute-forcer which guess was right.
 * Counters live in memory, per process, bounded in number (the oldest window is dropped first).
 */
type Window = { current: number; ttl: number; iterationStartMs: number };
/** @fastify/rate-limit calls incr(key, cb, timeWindow, max); its typings show only the first two. */
type Incr = (key: string, cb: (err: Error | null, result: Window) => void, timeWindow?: number) => void;

const MAX_KEYS = 50_000;

export class ClockStore {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly clock: () => number) {}

  /** Counts one hit on `key` in its current window of `timeWindow` ms. */
  hit(key: string, timeWindow: number): Window {
    const now = this.clock();
    let w = this.windows.get(key);
    if (!w || w.iterationStartMs + timeWindow <= now) {
      w = { current: 0, ttl: timeWindow, iterationStartMs: now };
    }
    w.current += 1;
    w.ttl = w.iterationStartMs + timeWindow - now;
    this.windows.delete(key); // re-insert: Map order is then least recently hit first
    this.windows.set(key, w);
    if (this.windows.size > MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
    return { ...w };
  }

  /** The hits counted on `key` in its live window, and the ms left in it; no hit is counted. */
  peek(key: string, timeWindow: number): { current: number; ttl: number } {
    const w = this.windows.get(key);
    const left = w ? w.iterationStartMs + timeWindow - this.clock() : 0;
    return left > 0 ? { current: w!.current, ttl: left } : { current: 0, ttl: 0 };
  }

  incr: Incr = (key, cb, timeWindow = 60_000) => cb(null, this.hit(key, timeWindow));

  child(): ClockStore {
    return new ClockStore(this.clock);
  }
}

/** The constructor @fastify/rate-limit's `store` option wants, bound to `clock`. */
export function clockStore(clock: () => number): new () => ClockStore {
  return class extends ClockStore {
    constructor() {
      super(clock);
    }
  };
}

export class FailureLimiter {
  private readonly store: ClockStore;
  constructor(
    clock: () => number,
    private readonly max: number,
    private readonly windowMs: number,
  ) {
    this.store = new ClockStore(clock);
  }

  /** Seconds until every key may try again; 0 when none is over the limit. */
  retryAfterS(keys: string[]): number {
    let wait = 0;
    for (const key of keys) {
      const { current, ttl } = this.store.peek(key, this.windowMs);
      if (current >= this.max) wait = Math.max(wait, Math.ceil(ttl / 1000));
    }
    return wait;
  }

  recordFailure(keys: string[]): void {
    for (const key of keys) this.store.hit(key, this.windowMs);
  }
}
