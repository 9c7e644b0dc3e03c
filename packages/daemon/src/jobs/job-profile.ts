/**
 * What a job sees of its agent's profile (the assign frame's `profile`, as of the claim): read-only
 * files in /outpost/in and two environment variables. docs/protocol.md, "Jobs and the profile".
 */
import type { JobProfile } from "@outpost/shared";

export const PROFILE_FILES = { profile: "agent.json", soul: "soul.md", rules: "rules.md" } as const;

export function profileForJob(profile: JobProfile): { files: Record<string, string>; env: Record<string, string> } {
  return {
    files: {
      [PROFILE_FILES.profile]: `${JSON.stringify(profile, null, 2)}\n`,
      [PROFILE_FILES.soul]: profile.soul_md,
      [PROFILE_FILES.rules]: profile.rules_md,
    },
    env: {
      OUTPOST_AGENT_PROFILE: `/outpost/in/${PROFILE_FILES.profile}`,
      OUTPOST_AUTONOMY_LEVEL: profile.autonomy_level,
      // A JSON array, so a model name may hold any character.
      OUTPOST_MODELS: JSON.stringify(profile.models),
    },
  };
}
