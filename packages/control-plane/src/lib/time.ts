/** RFC 3339 UTC with milliseconds: sorts as text in SQLite. */
export function nowIso(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}

export function isoPlus(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

/** Normalises any RFC 3339 time (with an offset) to UTC Z form. */
export function toUtc(value: string): string {
  return new Date(value).toISOString();
}
