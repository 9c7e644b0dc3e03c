import { z } from "zod";
import { CpusValue, Id, MemLimitValue, OrgRef, PageQuery, PidsLimitValue, SearchText, Timestamp, freeText, plain, success, successList } from "./common.js";
import { ModuleName, SemverString } from "./agents.js";

export const FunctionName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, "must be lowercase letters, digits, '.', '_' or '-'");

/**
 * Retry failed attempts: up to max_attempts in all, the n-th retry waiting backoff_s * 2^(n-1)
 * seconds plus up to 20% jitter (at most a day), the job `retrying` meanwhile.
 */
export const RetryPolicy = z.object({ max_attempts: z.number().int().min(1).max(20), backoff_s: z.number().int().min(0).max(86_400) }).strict();
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const FunctionDefaults = z.object({
  retry: RetryPolicy.optional(),
  cpus: CpusValue.optional(),
  mem_limit: MemLimitValue.optional(),
  pids_limit: PidsLimitValue.optional(),
  timeout_s: z.number().int().min(1).max(7 * 24 * 3600).optional(),
});

const Image = plain(z.string().min(1).max(512)).regex(/^[^\s]+$/, "image must not contain spaces");

export const ModuleFunction = z.object({
  name: FunctionName,
  /**
   * The image this function runs in, instead of the module's. A function whose module has no
   * image and that names none runs in the image of its agent's container profile.
   */
  image: Image.optional(),
  display_name: plain(z.string().min(1).max(200)),
  /** argv, never a shell line: inputs reach the container as a file, not interpolated here. */
  command: z.array(freeText(z.string().max(4096))).min(1).max(256),
  input_schema: z.record(z.string(), z.unknown()).default({ type: "object" }),
  defaults: FunctionDefaults.default({}),
});
export type ModuleFunction = z.infer<typeof ModuleFunction>;

export const PublishModuleBody = z.object({
  name: ModuleName,
  version: SemverString,
  /** Optional: a module without one leaves each function to its own image or the agent's container profile. */
  image: Image.optional(),
  description: freeText(z.string().max(2000)).default(""),
  functions: z.array(ModuleFunction).min(1).max(200),
  org: OrgRef.optional(),
});
export type PublishModuleBody = z.infer<typeof PublishModuleBody>;

export const ModuleVersion = z.object({
  id: Id,
  org_id: Id,
  name: z.string(),
  version: z.string(),
  image: z.string().nullable(),
  description: z.string(),
  functions: z.array(ModuleFunction),
  inserted_at: Timestamp,
});
export type ModuleVersion = z.infer<typeof ModuleVersion>;
export const ModuleVersionResponse = success(ModuleVersion);
export const ModuleListResponse = successList(ModuleVersion);
export const ModuleListQuery = PageQuery.extend({
  sort: z.enum(["name", "inserted_at"]).default("name"),
  q: SearchText.optional(),
  name: plain(z.string().max(100)).optional(),
  org: OrgRef.optional(),
});
export type ModuleListQuery = z.infer<typeof ModuleListQuery>;
