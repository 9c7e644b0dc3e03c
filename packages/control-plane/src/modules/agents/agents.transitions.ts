/**
 * Agent status changes. Each is one guarded write: the UPDATE only matches when the current status
 * may lead to the target (AGENT_TRANSITIONS in packages/shared), and a history row is written in the
 * same transaction. Zero rows changed means the move was illegal or lost a race: nothing is written.
 */
import { and, eq, inArray } from "drizzle-orm";
import { agentStatusesLeadingTo, type AgentStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { tx } from "../../db/client.js";
import { agentStatusHistory, agents } from "../../db/schema.js";

export type AgentTransition = { from: AgentStatus; to: AgentStatus; at: string };

/**
 * Precondition: none beyond the table. A move to the status the agent already has is a no-op
 * (returns null, no history row), so callers may report the same state twice.
 */
export function transitionAgent(
  db: Db,
  agentId: string,
  to: AgentStatus,
  reason: string,
  at: string,
  jobId: string | null = null,
): AgentTransition | null {
  return tx(db, () => {
    const row = db.select({ status: agents.status }).from(agents).where(eq(agents.id, agentId)).get();
    if (!row || row.status === to) return null;
    const from = row.status as AgentStatus;
    const changed = db
      .update(agents)
      .set({ status: to, statusUpdatedAt: at, updatedAt: at })
      .where(and(eq(agents.id, agentId), eq(agents.status, from), inArray(agents.status, agentStatusesLeadingTo(to))))
      .run().changes;
    if (changed === 0) return null;
    db.insert(agentStatusHistory).values({ agentId, fromStatus: from, toStatus: to, reason, jobId, at }).run();
    return { from, to, at };
  });
}

/** The first history row of a new agent (no from status). Precondition: inside the insert's transaction. */
export function recordInitialStatus(db: Db, agentId: string, status: AgentStatus, reason: string, at: string): void {
  db.insert(agentStatusHistory).values({ agentId, fromStatus: null, toStatus: status, reason, at }).run();
}
