/**
 * An agent's profile: the configuration of the work it does (persona, rules, autonomy, models,
 * skills and tools, container profile), with list-agents-api.txt's names, types and defaults. Set
 * at registration (the agent's `--profile FILE.json`), by PATCH /api/v1/agents/:id, and handed to
 * every job the agent runs (docs/protocol.md, "assign").
 */
import { z } from "zod";
import { Id, Name, OrgRef, Timestamp, freeText, plain, success, successList, PageQuery, ArchivedFilter } from "./common.js";

export const AUTONOMY_LEVELS = ["ask_before_acting", "act_within_scope", "full_autonomy"] as const;
export const AutonomyLevel = z.enum(AUTONOMY_LEVELS);
export type AutonomyLevel = z.infer<typeof AutonomyLevel>;
export const DEFAULT_AUTONOMY_LEVEL: AutonomyLevel = "act_within_scope";

/** soul_md and rules_md: at most 64 KiB each, counted in UTF-8 bytes. */
export const MAX_PROFILE_MARKDOWN_BYTES = 64 * 1024;
/** tools_config, serialized: at most 64 KiB. */
export const MAX_TOOLS_CONFIG_BYTES = 64 * 1024;

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/** Markdown: free text (tab and newlines, no other control character), at most 64 KiB. */
export const ProfileMarkdown = freeText(z.string()).superRefine((s, ctx) => {
  const n = utf8Bytes(s);
  if (n > MAX_PROFILE_MARKDOWN_BYTES) ctx.addIssue({ code: "custom", message: `is ${n} bytes; at most ${MAX_PROFILE_MARKDOWN_BYTES} (64 KiB)` });
});

/** A lower-case word such as "builtin" or "container_local" (the reference gives those two). */
const Word = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "must be a lower-case word (letters, digits, '_' or '-')");

export const Tool = z.object({
  id: z.uuid().optional(),
  name: Name,
  description: freeText(z.string().max(2000)).default(""),
  /** How the tool gets into the job's container; the reference's example is "builtin". */
  install_method: Word.default("builtin"),
});
export const Skill = z.object({
  id: z.uuid().optional(),
  name: Name,
  /** Where the skill lives; the reference's example is "container_local". */
  scope: Word.default("container_local"),
  tools: z.array(Tool).max(100).default([]),
});
/** As stored and returned: every skill and tool has an id (the server assigns missing ones). */
export const StoredTool = Tool.extend({ id: z.string(), description: z.string(), install_method: z.string() });
export const StoredSkill = Skill.extend({ id: z.string(), scope: z.string(), tools: z.array(StoredTool) });
export type StoredSkill = z.infer<typeof StoredSkill>;

export const ToolsConfig = z
  .record(z.string(), z.unknown())
  .refine((v) => utf8Bytes(JSON.stringify(v)) <= MAX_TOOLS_CONFIG_BYTES, `serialized, must be at most ${MAX_TOOLS_CONFIG_BYTES} bytes (64 KiB)`);

/** The profile fields an operator or the agent's config may set; each is optional on input. */
export const AgentProfileInput = z.object({
  description: freeText(z.string().max(2000)),
  tools_config: ToolsConfig,
  soul_md: ProfileMarkdown,
  rules_md: ProfileMarkdown,
  autonomy_level: AutonomyLevel,
  models: z.array(plain(z.string().trim().min(1).max(200))).max(50),
  skills: z.array(Skill).max(100),
  model_policy_id: z.uuid().nullable(),
  container_profile_id: Id.nullable(),
});
export const AgentProfilePatch = AgentProfileInput.partial();
export type AgentProfilePatch = z.infer<typeof AgentProfilePatch>;
export const PROFILE_FIELDS = Object.keys(AgentProfileInput.shape) as (keyof typeof AgentProfileInput.shape)[];

/** The profile as stored and served: the head of both the Agent (agents.ts) and the JobProfile. */
export const ProfileFacts = {
  agent_id: z.string(),
  name: z.string(),
  description: z.string(),
  tools_config: z.record(z.string(), z.unknown()),
  soul_md: z.string(),
  rules_md: z.string(),
  autonomy_level: AutonomyLevel,
};

/** What a job receives (assign frame; /outpost/in/agent.json): the profile as of the claim. */
export const JobProfile = z.object({
  ...ProfileFacts,
  models: z.array(z.string()),
  skills: z.array(StoredSkill),
  model_policy_id: z.string().nullable(),
  container_profile: z.object({ id: z.string(), name: z.string(), docker_image: z.string() }).nullable(),
});
export type JobProfile = z.infer<typeof JobProfile>;

// ---- container profiles: an org resource naming the image an agent's jobs run in ----

const DockerImage = plain(z.string().trim().min(1).max(512)).regex(/^[^\s]+$/, "docker_image must not contain spaces");

export const CreateContainerProfileBody = z.object({
  name: Name,
  docker_image: DockerImage,
  description: freeText(z.string().max(2000)).default(""),
  org: OrgRef.optional(),
});
export const UpdateContainerProfileBody = z
  .object({ name: Name, docker_image: DockerImage, description: freeText(z.string().max(2000)) })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "give at least one field to change");
export type CreateContainerProfileBody = z.infer<typeof CreateContainerProfileBody>;
export type UpdateContainerProfileBody = z.infer<typeof UpdateContainerProfileBody>;

export const ContainerProfileRef = z.object({ id: Id, name: z.string(), docker_image: z.string() });
export const ContainerProfile = z.object({
  id: Id,
  org_id: Id,
  name: z.string(),
  docker_image: z.string(),
  description: z.string(),
  archived: z.boolean(),
  archived_at: Timestamp.nullable(),
  /** Agents (retired ones included) whose container_profile_id is this profile. */
  agent_count: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ContainerProfile = z.infer<typeof ContainerProfile>;
export const ContainerProfileResponse = success(ContainerProfile);
export const ContainerProfileListResponse = successList(ContainerProfile);
export const ContainerProfileListQuery = PageQuery.extend({
  sort: z.enum(["name", "created_at"]).default("name"),
  archived: ArchivedFilter.default("active"),
  org: OrgRef.optional(),
});
export type ContainerProfileListQuery = z.infer<typeof ContainerProfileListQuery>;
