import { z } from "zod";
import { AGENT_STATUSES, AgentStatus, RUN_STATES } from "../status/agent-status.js";
import { AUTONOMY_LEVELS, AgentProfilePatch, AutonomyLevel, ContainerProfileRef, ProfileFacts, StoredSkill } from "./agent-profile.js";
import {
  ArchivedFilter,
  CpusValue,
  Id,
  Labels,
  MemLimitValue,
  Name,
  OrgRef,
  PageQuery,
  PidsLimitValue,
  SearchText,
  Timestamp,
  commaListOf,
  plain,
  success,
  successList,
} from "./common.js";
import { Slug } from "./orgs.js";

/** Host facts as the agent reads them; trimmed, so a stray trailing newline from the OS is not a 422. */
export const HostOs = z.object({
  platform: plain(z.string().trim().max(64)),
  distro: plain(z.string().trim().max(128)).default(""),
  release: plain(z.string().trim().max(128)).default(""),
  kernel: plain(z.string().trim().max(128)).default(""),
  arch: plain(z.string().trim().max(32)).default(""),
});
export type HostOs = z.infer<typeof HostOs>;

export const ModuleName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, "must be lowercase letters, digits, '.', '_' or '-'");
export const SemverString = z
  .string()
  .max(256) // semver's own MAX_LENGTH: longer strings it refuses anyway
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, "must be a semver version such as 1.2.3");

export const ModuleRef = z.object({ name: ModuleName, version: SemverString });
export type ModuleRef = z.infer<typeof ModuleRef>;

/** POST /api/v1/agent: what an agent says about itself when it registers (or re-registers). */
export const RegisterAgentBody = z.object({
  name: Name,
  agent_id: Slug.optional(),
  hostname: plain(z.string().trim().min(1).max(253)),
  os: HostOs,
  version: plain(z.string().trim().min(1).max(64)),
  modules: z.array(ModuleRef).max(200).default([]),
  /**
   * The agent's labels (`--label`): replace the stored ones when sent; left out, the stored ones
   * (a PATCH's, or an earlier start's) stay.
   */
  labels: Labels.optional(),
  slots: z.number().int().min(1).max(64).default(1),
  cpu_count: z.number().int().min(0).max(4096).optional(),
  memory_bytes: z.number().int().min(0).optional(),
  started_at: z.iso.datetime({ offset: true }).optional(),
  // The profile (agent-profile.ts), from the agent's --profile file: only the fields given are set.
  ...AgentProfilePatch.shape,
});
export type RegisterAgentBody = z.infer<typeof RegisterAgentBody>;

export const AvailableActions = z.object({
  delete: z.boolean(),
  reinstate: z.boolean(),
  retire: z.boolean(),
  update: z.boolean(),
});

export const InstanceCounts = z.object({
  active: z.number().int(),
  cancelled: z.number().int(),
  complete: z.number().int(),
  failed: z.number().int(),
  finished: z.number().int(),
  pending: z.number().int(),
  total: z.number().int(),
});
export type InstanceCounts = z.infer<typeof InstanceCounts>;

export const InstalledModule = z.object({
  name: z.string(),
  version: z.string(),
  installed_at: Timestamp.nullable(),
});

export const PoolRef = z.object({ id: Id, name: z.string() });

export const Agent = z.object({
  id: Id,
  ...ProfileFacts,
  /** The console's status (agent-status.ts); list-agents-api.txt's stopped/running/error is run_state. */
  status: AgentStatus,
  run_state: z.enum(RUN_STATES),
  /** The container of the job the agent is running; null when it runs none. */
  container_id: z.string().nullable(),
  model_policy_id: z.string().nullable(),
  models: z.array(z.string()),
  skills: z.array(StoredSkill),
  container_profile_id: Id.nullable(),
  container_profile: ContainerProfileRef.nullable(),
  /** Why the last job or module update failed; null once the agent is healthy again. */
  error_message: z.string().nullable(),
  created_at: Timestamp,
  /** The id of the user whose token registered the agent ("" once that user is deleted). */
  created_by: z.string(),
  principal_id: Id,
  principal_type: z.literal("agent"),
  /** create-agent-api.txt's names for principal_type and created_at, kept for that reference. */
  type: z.literal("agent"),
  inserted_at: Timestamp,
  org_id: Id,
  hostname: z.string(),
  status_updated_at: Timestamp,
  connected: z.boolean(),
  paused: z.boolean(),
  version: z.string(),
  host_os: z.string(),
  os: HostOs,
  cpu_count: z.number().int().nullable(),
  memory_bytes: z.number().int().nullable(),
  started_at: Timestamp.nullable(),
  last_restarted_at: Timestamp.nullable(),
  restart_count: z.number().int(),
  last_seen_at: Timestamp.nullable(),
  modules: z.array(InstalledModule),
  pools: z.array(PoolRef),
  labels: Labels,
  slots: z.number().int(),
  archived: z.boolean(),
  archived_at: Timestamp.nullable(),
  cpus: z.string(),
  mem_limit: z.string(),
  pids_limit: z.number().int(),
  updated_at: Timestamp,
  available_actions: AvailableActions,
  instance_counts: InstanceCounts,
});
export type Agent = z.infer<typeof Agent>;

export const RegisterAgentResponse = z.object({
  status: z.literal("success"),
  details: Agent,
  /** Shown once, on first registration: the agent's own credential for later starts and its session. */
  credential: z.string().optional(),
});
export const AgentResponse = success(Agent);
export const AgentListResponse = successList(Agent);

export const AGENT_SORTS = ["name", "status", "status_updated_at", "version", "host_os", "last_restarted_at", "created_at", "inserted_at"] as const;
export const AgentListQuery = PageQuery.extend({
  sort: z.enum(AGENT_SORTS).default("name"),
  q: SearchText.optional(),
  search_by: z.enum(["name", "module"]).default("name"),
  archived: ArchivedFilter.default("active"),
  pool: z.enum(["any", "in", "none"]).default("any"),
  org: OrgRef.optional(),
  status: commaListOf(AGENT_STATUSES, "status").optional(),
  autonomy_level: commaListOf(AUTONOMY_LEVELS, "autonomy_level").optional(),
  /** A container profile id, or "none" for agents without one. */
  container_profile: plain(z.string().max(64)).optional(),
  /** Labels the agent carries: `key=value` or `key` (any value), comma separated; all must match. */
  label: plain(z.string().min(1).max(500))
    .refine((s) => s.split(",").every((p) => p.trim() !== "" && !p.trim().startsWith("=")), "must be key=value or key, comma separated")
    .optional(),
});
export type AgentListQuery = z.infer<typeof AgentListQuery>;

export const UpdateAgentBody = z
  .object({
    name: Name,
    cpus: CpusValue,
    mem_limit: MemLimitValue,
    pids_limit: PidsLimitValue,
    labels: Labels,
    slots: z.number().int().min(1).max(64),
    ...AgentProfilePatch.shape,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change");
export type UpdateAgentBody = z.infer<typeof UpdateAgentBody>;

export const StatusHistoryEntry = z.object({
  id: z.number().int(),
  from: AgentStatus.nullable(),
  to: AgentStatus,
  reason: z.string(),
  job_id: Id.nullable(),
  at: Timestamp,
});
export const StatusHistoryResponse = successList(StatusHistoryEntry);

export const MODULE_ACTIONS = ["install", "update", "remove"] as const;
export const ModuleHistoryEntry = z.object({
  id: z.number().int(),
  module: z.string(),
  action: z.enum(MODULE_ACTIONS),
  from_version: z.string().nullable(),
  to_version: z.string().nullable(),
  outcome: z.enum(["succeeded", "failed", "started"]),
  message: z.string().nullable(),
  at: Timestamp,
});
export const ModuleHistoryResponse = successList(ModuleHistoryEntry);
export const HistoryQuery = PageQuery.extend({ order: z.enum(["asc", "desc"]).default("desc") });

/** An installed module version resolved against the catalog: the "Modules & Functions" tab. */
export const AgentModuleFunctions = z.object({
  name: z.string(),
  version: z.string(),
  installed_at: Timestamp.nullable(),
  in_catalog: z.boolean(),
  functions: z.array(z.object({ name: z.string(), display_name: z.string() })),
});
export const AgentModulesResponse = successList(AgentModuleFunctions);
