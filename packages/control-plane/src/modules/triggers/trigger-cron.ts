/** Cron expressions (croner) in an IANA zone: validation naming the field, due times, next firings. */
import { Cron } from "croner";
import type { ScheduleSpec } from "@outpost/shared";
import { ApiError } from "../../errors.js";

/** At most this many due times are walked per trigger per tick; the rest wait for the next tick. */
const MAX_WALK = 10_000;

function cronOf(spec: Pick<ScheduleSpec, "cron" | "timezone">): Cron {
  return new Cron(spec.cron, { timezone: spec.timezone, paused: true });
}

/** A 422 naming schedule.cron (or `cron` alone, path ""), unless croner accepts the expression. */
export function checkSchedule(spec: Pick<ScheduleSpec, "cron" | "timezone">, path = "schedule"): void {
  const field = path ? `${path}.cron` : "cron";
  const fields = spec.cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw ApiError.validation([{ path: field, message: `"${spec.cron}" has ${fields} fields; a cron expression has 5 (minute first) or 6 (seconds first)` }]);
  }
  try {
    cronOf(spec);
  } catch (err) {
    throw ApiError.validation([{ path: field, message: `"${spec.cron}" is not a cron expression: ${(err as Error).message}` }]);
  }
}

/** The next `n` firing times strictly after `fromMs`, as RFC 3339 UTC. */
export function nextFireTimes(spec: Pick<ScheduleSpec, "cron" | "timezone">, fromMs: number, n = 5): string[] {
  return cronOf(spec)
    .nextRuns(n, new Date(fromMs))
    .map((d) => d.toISOString());
}

/** Firing times in (afterMs, nowMs], oldest first, at most MAX_WALK of them. */
export function dueTimes(spec: Pick<ScheduleSpec, "cron" | "timezone">, afterMs: number, nowMs: number): string[] {
  const cron = cronOf(spec);
  const out: string[] = [];
  let from = new Date(afterMs);
  while (out.length < MAX_WALK) {
    const next = cron.nextRun(from);
    if (!next || next.getTime() > nowMs) break;
    out.push(next.toISOString());
    from = next;
  }
  return out;
}
