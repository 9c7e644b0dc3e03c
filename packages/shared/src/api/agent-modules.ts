/**
 * Module requests: the server asks an agent (or each agent of a pool) to install, update or remove
 * a module version (docs/api.md, "Modules on agents"). Answers are 202: the agent pulls in the
 * background and the outcome lands in the agent's module history.
 */
import { z } from "zod";
import { Id, Timestamp, success } from "./common.js";
import { MODULE_ACTIONS, ModuleName, SemverString } from "./agents.js";

/** POST /api/v1/agents/:id/modules and POST /api/v1/pools/:id/modules. */
export const InstallModuleBody = z.object({ name: ModuleName, version: SemverString });
export type InstallModuleBody = z.infer<typeof InstallModuleBody>;

/** One request sent to one agent; request_id is the id of its module history entry. */
export const ModuleRequest = z.object({
  request_id: z.string(),
  agent_id: Id,
  name: z.string(),
  action: z.enum(MODULE_ACTIONS),
  from_version: z.string().nullable(),
  to_version: z.string().nullable(),
  image: z.string(),
  requested_at: Timestamp,
});
export type ModuleRequest = z.infer<typeof ModuleRequest>;
export const ModuleRequestResponse = success(ModuleRequest);

/** An agent of the pool that was not asked, and why (not connected, busy, already has it ...). */
export const SkippedAgent = z.object({ agent_id: Id, name: z.string(), code: z.string(), message: z.string() });
export type SkippedAgent = z.infer<typeof SkippedAgent>;

export const PoolModuleRequests = z.object({
  pool_id: Id,
  name: z.string(),
  version: z.string(),
  requested: z.array(ModuleRequest),
  skipped: z.array(SkippedAgent),
});
export type PoolModuleRequests = z.infer<typeof PoolModuleRequests>;
export const PoolModuleRequestsResponse = success(PoolModuleRequests);
