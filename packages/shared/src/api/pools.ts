import { z } from "zod";
import { ArchivedFilter, Id, Labels, Name, OrgRef, PageQuery, SearchText, Timestamp, freeText, success, successList } from "./common.js";

export const CreatePoolBody = z.object({
  name: Name,
  description: freeText(z.string().max(2000)).default(""),
  /** Labels an agent must carry to run this pool's jobs (applied to jobs created afterwards). */
  labels: Labels.default({}),
  org: OrgRef.optional(),
});
export const UpdatePoolBody = z
  .object({ name: Name, description: freeText(z.string().max(2000)), labels: Labels })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change");
export type CreatePoolBody = z.infer<typeof CreatePoolBody>;
export type UpdatePoolBody = z.infer<typeof UpdatePoolBody>;

export const Pool = z.object({
  id: Id,
  org_id: Id,
  name: z.string(),
  description: z.string(),
  labels: z.record(z.string(), z.string()),
  archived: z.boolean(),
  archived_at: Timestamp.nullable(),
  agent_count: z.number().int(),
  user_count: z.number().int(),
  inserted_at: Timestamp,
  updated_at: Timestamp,
});
export type Pool = z.infer<typeof Pool>;
export const PoolResponse = success(Pool);
export const PoolListResponse = successList(Pool);

export const POOL_SORTS = ["name", "inserted_at"] as const;
export const PoolListQuery = PageQuery.extend({
  sort: z.enum(POOL_SORTS).default("name"),
  q: SearchText.optional(),
  archived: ArchivedFilter.default("active"),
  org: OrgRef.optional(),
});
export type PoolListQuery = z.infer<typeof PoolListQuery>;

export const AddPoolAgentsBody = z.object({ agent_ids: z.array(Id).min(1).max(500) });
export const AddPoolUsersBody = z.object({ user_ids: z.array(Id).min(1).max(500) });
export type AddPoolAgentsBody = z.infer<typeof AddPoolAgentsBody>;
export type AddPoolUsersBody = z.infer<typeof AddPoolUsersBody>;
export const PoolMembershipResult = success(
  z.object({ added: z.array(Id), already: z.array(Id) }),
);

export const PoolUser = z.object({ id: Id, name: z.string(), added_at: Timestamp });
export const PoolUserListResponse = successList(PoolUser);

export const PoolOverview = z.object({
  pool: Pool,
  agents: z.number().int(),
  users: z.number().int(),
  unfinished_jobs: z.number().int(),
  module_coverage: z.array(
    z.object({
      module: z.string(),
      version: z.string(),
      agents: z.number().int(),
      functions: z.number().int(),
    }),
  ),
});
export const PoolOverviewResponse = success(PoolOverview);
