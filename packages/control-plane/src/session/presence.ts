/**
 * Whether an agent has a live session, as the agents table and its status history say it. The
 * session layer is the only writer of `connected` and `last_seen_at`.
 */
import { eq } from "drizzle-orm";
import { AGENT_TRANSITION_REASONS, type AgentStatus } from "@outpost/shared";
import type { Db } from "../db/client.js";
import { prepared, tx } from "../db/client.js";
import { agents } from "../db/schema.js";
import { transitionAgent } from "../modules/agents/agents.transitions.js";
import { activeJobCount } from "../modules/dispatch/dispatch-claim.js";

/** A session said hello (with its slots and version): connected, and Idle or busy as its live attempts say. One row write. */
export function markConnected(db: Db, agentId: string, at: string, hello: { slots: number; version: string }): void {
  tx(db, () => {
    prepared(db, `update "agents" set "connected" = 1, "slots" = ?, "version" = ?, "last_seen_at" = ?, "updated_at" = ? where "id" = ?`).run(hello.slots, hello.version, at, at, agentId);
    const busy = activeJobCount(db, agentId) > 0;
    const to: AgentStatus = busy ? "ExecutingJob" : "Idle";
    transitionAgent(db, agentId, to, AGENT_TRANSITION_REASONS.connected, at);
  });
}

export type Disconnect = { agentId: string; at: string; silent: boolean };

/** Sessions closed (Offline) or gone silent (Unknown), all in one commit. */
export function markDisconnected(db: Db, gone: readonly Disconnect[]): void {
  tx(db, () => {
    const stmt = prepared(db, `update "agents" set "connected" = 0, "last_seen_at" = ?, "updated_at" = ? where "id" = ?`);
    for (const { agentId, at, silent } of gone) {
      stmt.run(at, at, agentId);
      transitionAgent(db, agentId, silent ? "Unknown" : "Offline", silent ? AGENT_TRANSITION_REASONS.heartbeatMissed : AGENT_TRANSITION_REASONS.disconnected, at);
    }
  });
}

/** At server start no session is live: every agent still marked connected is Offline (one commit). */
export function markAllDisconnected(db: Db, at: string): void {
  tx(db, () => {
    const stale = db.select({ id: agents.id }).from(agents).where(eq(agents.connected, true)).all();
    markDisconnected(db, stale.map((a) => ({ agentId: a.id, at, silent: false })));
  });
}

/** Last-seen times of many agents in one commit (the sweep flushes what pongs and frames noted). */
export function touchLastSeen(db: Db, seen: Map<string, number>): void {
  if (!seen.size) return;
  tx(db, () => {
    const stmt = prepared(db, `update "agents" set "last_seen_at" = ? where "id" = ?`);
    for (const [agentId, at] of seen) stmt.run(new Date(at).toISOString(), agentId);
  });
}
