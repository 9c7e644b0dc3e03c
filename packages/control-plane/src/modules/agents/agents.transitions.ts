/**
 * Agent status changes. Each is one guarded write: the move must be allowed from the current status
 * (AGENT_TRANSITIONS in packages/shared), the UPDATE matches only while the status is still the one
 * read, and a history row is written in the same transaction. An illegal move writes nothing.
 * Plain SQL on cached prepared statements: dispatch moves an agent up to three times per job.
 */
import { canTransitionAgent, type AgentStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { agentStatusHistory } from "../../db/schema.js";

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
    const from = prepared(db, `select "status" from "agents" where "id" = ?`).pluck().get(agentId) as AgentStatus | undefined;
    if (from === undefined || from === to) return null;
    if (!canTransitionAgent(from, to)) return null;
    // The write lock is held since the read, so "status = from" is the whole guard.
    const changed = prepared(db, `update "agents" set "status" = ?, "status_updated_at" = ?, "updated_at" = ? where "id" = ? and "status" = ?`).run(
      to,
      at,
      at,
      agentId,
      from,
    ).changes;
    if (changed === 0) return null;
    prepared(db, `insert into "agent_status_history" ("agent_id", "from_status", "to_status", "reason", "job_id", "at") values (?, ?, ?, ?, ?, ?)`).run(
      agentId,
      from,
      to,
      reason,
      jobId,
      at,
    );
    return { from, to, at };
  });
}

/** The first history row of a new agent (no from status). Precondition: inside the insert's transaction. */
export function recordInitialStatus(db: Db, agentId: string, status: AgentStatus, reason: string, at: string): void {
  db.insert(agentStatusHistory).values({ agentId, fromStatus: null, toStatus: status, reason, at }).run();
}

/**
 * The agent's error_message: the reason of its last failure (a job or a module update), null once
 * it is healthy again (a job completed, a module update succeeded). Precondition: none; writes
 * nothing when a clear finds no message.
 */
export function recordAgentError(db: Db, agentId: string, message: string | null): void {
  if (message === null) prepared(db, `update "agents" set "error_message" = null where "id" = ? and "error_message" is not null`).run(agentId);
  else prepared(db, `update "agents" set "error_message" = ? where "id" = ?`).run(message.slice(0, 4000), agentId);
}
