/**
 * The Overview's queue wait (creation to first claim) as a histogram: a trigger on job_attempts
 * (migration 0012) counts each first claim into `queue_waits` under its org, minute and bucket, and
 * the Overview reads a day of those counts. Quantiles are estimated inside the bucket they fall in
 * by linear interpolation, as Prometheus' histogram_quantile does: exact to the bucket, whatever
 * the number of jobs. The bounds here and the CASE in the migration are one list;
 * test/overview.test.ts checks the trigger puts each wait where `bucketOf` does.
 */

/** Upper bounds (seconds, inclusive) of buckets 0..13; bucket 14 holds longer waits. */
export const QUEUE_WAIT_BOUNDS_S = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] as const;

export function bucketOf(waitS: number): number {
  const i = QUEUE_WAIT_BOUNDS_S.findIndex((bound) => waitS <= bound);
  return i === -1 ? QUEUE_WAIT_BOUNDS_S.length : i;
}

/** The p-quantile (0..1) of the waits counted per bucket, in seconds (3 decimals); null with no waits. */
export function quantileS(counts: number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = p * total;
  let below = 0;
  for (let b = 0; b < counts.length; b++) {
    const n = counts[b] ?? 0;
    if (n > 0 && below + n >= rank) {
      const lower = b === 0 ? 0 : QUEUE_WAIT_BOUNDS_S[b - 1]!;
      // The last bucket has no upper bound: its waits are reported at its lower bound.
      const upper = QUEUE_WAIT_BOUNDS_S[b] ?? lower;
      return Math.round((lower + ((upper - lower) * (rank - below)) / n) * 1000) / 1000;
    }
    below += n;
  }
  return QUEUE_WAIT_BOUNDS_S[QUEUE_WAIT_BOUNDS_S.length - 1]!;
}
