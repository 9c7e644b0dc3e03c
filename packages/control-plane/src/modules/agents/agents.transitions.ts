/**
 * Agent status changes. Each is one guarded write: the UPDATE only matches when the current status
 * may lead to the target (AGENT_TRANSITIONS in packages/shared), and a history row is written in the
 * same transaction. Zero rows changed means the move was illegal or lost a race: nothing is written.
 * Plain SQL on cached prepared statements: dispatch moves an agent up to three times per job.
 */
import { agentStatusesLeadingTo, type AgentStatus } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { agentStatusHistory } from "../../db/schema.js";

export type AgentTransition = { from: AgentStatus; to: AgentStatus; at: string };

const sqlQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

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
    const leading = agentStatusesLeadingTo(to);
    if (!leading.includes(from)) return null;
    const changed = prepared(
      db,
      `update "agents" set "status" = ?, "status_updated_at" = ?, "updated_at" = ? where "id" = ? and "status" = ? and "status" in (${leading.map(sqlQuote).join(", ")})`,
    ).run(to, at, at, agentId, from).changes;
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
