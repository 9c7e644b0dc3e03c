/**
 * The agent's profile (packages/shared/src/api/agent-profile.ts): turning a validated patch into
 * column values, and reading the profile a job receives in its assign frame.
 */
import type { AgentProfilePatch, AutonomyLevel, JobProfile, StoredSkill } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { agents } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { newId } from "../../lib/ids.js";

type AgentUpdate = Partial<typeof agents.$inferInsert>;

/** Skills and tools as stored: the ones given without an id get one. */
function storedSkills(skills: NonNullable<AgentProfilePatch["skills"]>): StoredSkill[] {
  return skills.map((s) => ({
    id: s.id ?? newId(),
    name: s.name,
    scope: s.scope,
    tools: s.tools.map((t) => ({ id: t.id ?? newId(), name: t.name, description: t.description, install_method: t.install_method })),
  }));
}

/**
 * The columns a profile patch sets; only the fields given. A container_profile_id must name an
 * active profile of the agent's org (422 naming the field and the value otherwise), or the one the
 * agent already has: an archived profile stays with its agents, so an agent restarting with the
 * same --profile file is not refused.
 */
export function profileColumns(db: Db, orgId: string, patch: AgentProfilePatch, currentProfileId: string | null = null): AgentUpdate {
  const out: AgentUpdate = {};
  if (patch.description !== undefined) out.description = patch.description;
  if (patch.tools_config !== undefined) out.toolsConfig = patch.tools_config;
  if (patch.soul_md !== undefined) out.soulMd = patch.soul_md;
  if (patch.rules_md !== undefined) out.rulesMd = patch.rules_md;
  if (patch.autonomy_level !== undefined) out.autonomyLevel = patch.autonomy_level;
  if (patch.models !== undefined) out.models = patch.models;
  if (patch.skills !== undefined) out.skills = storedSkills(patch.skills);
  if (patch.model_policy_id !== undefined) out.modelPolicyId = patch.model_policy_id;
  if (patch.container_profile_id !== undefined) {
    const id = patch.container_profile_id;
    if (id !== null && id !== currentProfileId) {
      const row = prepared(db, `select "archived" from "container_profiles" where "id" = ? and "org_id" = ?`).get(id, orgId) as { archived: number } | undefined;
      if (!row || row.archived) {
        throw ApiError.validation([
          { path: "container_profile_id", message: `container_profile_id ${JSON.stringify(id)} is ${row ? "archived" : "not a container profile of the agent's organization"}` },
        ]);
      }
    }
    out.containerProfileId = id;
  }
  return out;
}

type ProfileRow = {
  agentId: string;
  name: string;
  description: string;
  toolsConfig: string;
  soulMd: string;
  rulesMd: string;
  autonomyLevel: AutonomyLevel;
  models: string;
  skills: string;
  modelPolicyId: string | null;
  cpId: string | null;
  cpName: string | null;
  cpImage: string | null;
};

/** The profile a job of this agent receives, read in the claim's transaction (current at the claim). */
export function jobProfile(db: Db, agentId: string): JobProfile {
  const r = prepared(
    db,
    `select a."agent_id" as agentId, a."name", a."description", a."tools_config" as toolsConfig, a."soul_md" as soulMd, a."rules_md" as rulesMd,
            a."autonomy_level" as autonomyLevel, a."models", a."skills", a."model_policy_id" as modelPolicyId,
            cp."id" as cpId, cp."name" as cpName, cp."docker_image" as cpImage
       from "agents" a left join "container_profiles" cp on cp."id" = a."container_profile_id"
      where a."id" = ?`,
  ).get(agentId) as ProfileRow;
  return {
    agent_id: r.agentId,
    name: r.name,
    description: r.description,
    tools_config: JSON.parse(r.toolsConfig) as Record<string, unknown>,
    soul_md: r.soulMd,
    rules_md: r.rulesMd,
    autonomy_level: r.autonomyLevel,
    models: JSON.parse(r.models) as string[],
    skills: JSON.parse(r.skills) as StoredSkill[],
    model_policy_id: r.modelPolicyId,
    container_profile: r.cpId ? { id: r.cpId, name: r.cpName!, docker_image: r.cpImage! } : null,
  };
}
