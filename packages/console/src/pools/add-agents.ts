/** Adds agents to a pool in batches so a long selection shows progress as it goes. */
import type { Api } from "../api/client";
import type { MembershipResult } from "../api/types";

const BATCH = 10;

export async function addAgentsToPool(
  api: Api,
  poolId: string,
  agentIds: string[],
  onProgress: (done: number, total: number) => void,
): Promise<{ added: number; already: number }> {
  let added = 0;
  let already = 0;
  onProgress(0, agentIds.length);
  for (let i = 0; i < agentIds.length; i += BATCH) {
    const batch = agentIds.slice(i, i + BATCH);
    const result = await api.send<MembershipResult>("POST", `/pools/${poolId}/agents`, { agent_ids: batch });
    added += result.added.length;
    already += result.already.length;
    onProgress(Math.min(i + BATCH, agentIds.length), agentIds.length);
  }
  return { added, already };
}
