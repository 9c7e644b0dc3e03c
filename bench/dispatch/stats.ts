/** Small numeric helpers for the bench: percentiles over a sample of milliseconds. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export type Summary = { n: number; p50: number; p99: number; mean: number };

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

/** Absolute wall-clock milliseconds with sub-ms precision, comparable across worker threads. */
export const nowMs = (): number => performance.timeOrigin + performance.now();
