/** Envelopes and list parameters shared by every REST endpoint (docs/api.md, "Conventions"). */
import { z } from "zod";

/** RFC 3339 UTC timestamp, always with a trailing Z. */
export const Timestamp = z.string().describe("RFC 3339 UTC timestamp");
export type Timestamp = z.infer<typeof Timestamp>;

/** C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F). */
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/** The same, except tab, newline and carriage return. */
const NO_CONTROL_BUT_WHITESPACE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;

/**
 * The one refinement every name-like request string takes (names, ids, hostnames, versions, org
 * references, search text): no NUL, newline, escape or other control character. A test walks
 * every route's request schemas (control-plane test/names.test.ts) so a new field cannot skip it.
 */
export function plain(schema: z.ZodString): z.ZodString {
  return schema.regex(NO_CONTROL, "must not contain control characters (C0, DEL or C1)");
}

/** Free text (descriptions, command arguments): tab and newlines allowed, other control characters not. */
export function freeText(schema: z.ZodString): z.ZodString {
  return schema.regex(NO_CONTROL_BUT_WHITESPACE, "must not contain control characters other than tab and newline");
}

/** A display name: trimmed, 1-100 characters, plain. */
export const Name = plain(z.string().trim().min(1).max(100));
/** An org named by slug or id (the `org` field and filter). */
export const OrgRef = plain(z.string().min(1).max(64));
/** Free search text of a list (`q`). */
export const SearchText = plain(z.string().max(200));

export const Id = plain(z.string().min(1).max(64));

export function success<T extends z.ZodType>(details: T) {
  return z.object({ status: z.literal("success"), details });
}

export function successList<T extends z.ZodType>(item: T) {
  return z.object({
    status: z.literal("success"),
    details: z.array(item),
    next_cursor: z.string().nullable(),
  });
}

export const ErrorItem = z.object({ path: z.string(), message: z.string() });
export type ErrorItem = z.infer<typeof ErrorItem>;

export const ErrorEnvelope = z.object({
  status: z.literal("error"),
  code: z.string(),
  message: z.string(),
  errors: z.array(ErrorItem).optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export const SortOrder = z.enum(["asc", "desc"]);
export const ArchivedFilter = z.enum(["active", "archived", "all"]);
export type ArchivedFilter = z.infer<typeof ArchivedFilter>;

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** limit, cursor, order: every list accepts them; `sort` is each list's own enum. */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(512).regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "is not a cursor this server issued").optional(),
  order: SortOrder.default("asc"),
});

/** `a` or `a,b,c`, each one of `values`: a list filter whose unknown entries are named in the 422. */
export function commaListOf(values: readonly string[], what: string) {
  return z
    .string()
    .max(500)
    .superRefine((raw, ctx) => {
      const unknown = raw.split(",").filter((v) => !values.includes(v));
      if (unknown.length) {
        ctx.addIssue({ code: "custom", message: `unknown ${what} ${unknown.map((v) => JSON.stringify(v)).join(", ")}; known: ${values.join(", ")}` });
      }
    });
}

export const OkDetails = success(z.object({ ok: z.literal(true) }));

/**
 * Per-job container limits: strings as docker takes them, as list-agents-api.txt gives them, each
 * bounded to what Docker honours. NanoCpus below 0.01 CPU is refused by the engine (and 0 means
 * unlimited); Memory below 6 MiB is refused; PidsLimit 0 or below means unlimited. Every request
 * that accepts a limit uses these three schemas (job limits, function defaults, agent PATCH).
 */
export const LIMIT_RANGES = {
  cpus: { min: 0.01, max: 1024 },
  mem_limit: { min: 6 * 1024 ** 2, max: 1024 ** 4 },
  pids_limit: { min: 16, max: 1_000_000 },
} as const;

const cpusRange = `from ${LIMIT_RANGES.cpus.min} to ${LIMIT_RANGES.cpus.max} cores`;
export const CpusValue = z
  .string()
  .regex(/^\d{1,4}(\.\d{1,9})?$/, `cpus must be a decimal number of cores such as "1.0", ${cpusRange}`)
  .refine((v) => Number(v) >= LIMIT_RANGES.cpus.min && Number(v) <= LIMIT_RANGES.cpus.max, `cpus must be ${cpusRange}`)
  .describe(`CPU cores, ${cpusRange}`);

const memRange = "from 6m (docker's minimum) to 1024g";
export const MemLimitValue = z
  .string()
  .regex(/^\d{1,16}[bkmg]?$/i, `mem_limit must be a size such as "512m" or "1g", ${memRange}`)
  .refine((v) => parseMemLimit(v) >= LIMIT_RANGES.mem_limit.min && parseMemLimit(v) <= LIMIT_RANGES.mem_limit.max, `mem_limit must be ${memRange}`)
  .describe(`memory: bytes or a size with b, k, m or g, ${memRange}`);

export const PidsLimitValue = z
  .number()
  .int()
  .min(LIMIT_RANGES.pids_limit.min, `pids_limit must be from ${LIMIT_RANGES.pids_limit.min} to ${LIMIT_RANGES.pids_limit.max}`)
  .max(LIMIT_RANGES.pids_limit.max, `pids_limit must be from ${LIMIT_RANGES.pids_limit.min} to ${LIMIT_RANGES.pids_limit.max}`);

export const Limits = z.object({
  cpus: CpusValue,
  mem_limit: MemLimitValue,
  pids_limit: PidsLimitValue,
});
export type Limits = z.infer<typeof Limits>;
export const LimitsOverride = Limits.partial();
export type LimitsOverride = z.infer<typeof LimitsOverride>;

export const DEFAULT_LIMITS: Limits = { cpus: "1.0", mem_limit: "1g", pids_limit: 200 };

const UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "512m" -> bytes; a bare number is bytes. */
export function parseMemLimit(value: string): number {
  const m = /^(\d+)([bkmg]?)$/i.exec(value);
  if (!m) return Number.NaN;
  return Number(m[1]) * (UNIT[(m[2] || "b").toLowerCase()] ?? 1);
}

/** "1.5" -> 1_500_000_000 NanoCpus. */
export function cpusToNano(value: string): number {
  return Math.round(Number(value) * 1e9);
}

export const Labels = z.record(plain(z.string().min(1).max(63)), plain(z.string().max(255)));
