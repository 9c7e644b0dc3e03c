/**
 * Upgrading a pool's agents to the server's version, a batch at a time: each agent of the batch
 * gets the `upgrade` frame; the batch is done when every one of them is connected again with the
 * server's version (its hello rewrote agents.version). The first agent that is not back within
 * timeout_s fails the run: the agents after it are not asked (`not_attempted`). Agents already on
 * the version are `current`; retired or disconnected ones are `skipped`.
 */
import { eq } from "drizzle-orm";
import type { AgentUpgrade, PoolUpgrade, UpgradePoolBody } from "@outpost/shared";
import { agents, poolAgents, type pools } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { poolAgentsOrConflict } from "./pools.repo.js";
import type { Deps } from "../../deps.js";

type PoolRow = typeof pools.$inferSelect;
type AgentRow = typeof agents.$inferSelect;
export type UpgradeSender = { sendUpgrade(agentId: string, version: string): boolean };

/** How often a waiting upgrade re-reads the agents it waits for. */
const POLL_MS = 250;

export async function upgradePool(deps: Deps, hub: UpgradeSender, pool: PoolRow, body: UpgradePoolBody, version: string): Promise<PoolUpgrade> {
  if (pool.archived) throw ApiError.conflict(`Pool "${pool.name}" is archived; restore it first.`);
  const members = poolAgentsOrConflict(deps.db, pool);

  const results = new Map<string, AgentUpgrade>();
  const result = (a: AgentRow, outcome: AgentUpgrade["outcome"], message: string | null, now = a.version) =>
    results.set(a.id, { agent_id: a.id, name: a.name, from_version: a.version, version: now, outcome, message });
  const queue: AgentRow[] = [];
  for (const a of members) {
    if (a.version === version) result(a, "current", null);
    else if (a.status === "Retired") result(a, "skipped", "retired");
    else if (!a.connected) result(a, "skipped", "not connected: it will be asked nothing; upgrade it with `outpost-agent upgrade` on its host");
    else queue.push(a);
  }

  let failed = false;
  for (let i = 0; i < queue.length; i += body.batch_size) {
    const batch = queue.slice(i, i + body.batch_size);
    if (failed) {
      for (const a of batch) result(a, "not_attempted", "an earlier agent failed to upgrade");
      continue;
    }
    const asked = batch.filter((a) => {
      if (hub.sendUpgrade(a.id, version)) return true;
      result(a, "failed", "its session closed before it could be asked");
      return false;
    });
    const back = await waitForVersion(deps, asked.map((a) => a.id), version, body.timeout_s * 1000);
    for (const a of asked) {
      const row = back.get(a.id);
      if (row?.version === version && row.connected) result(a, "upgraded", null, version);
      else result(a, "failed", `not back with version ${version} within ${body.timeout_s} s (last seen running ${row?.version ?? a.version}, ${row?.connected ? "connected" : "not connected"})`, row?.version);
    }
    failed = batch.some((a) => results.get(a.id)!.outcome === "failed");
  }
  const list = members.map((a) => results.get(a.id)!);
  return { pool_id: pool.id, version, outcome: failed ? "stopped" : "completed", agents: list };
}

/** Resolves with the agents' rows once each is connected on `version`, or at the deadline with what they are then. */
async function waitForVersion(deps: Deps, ids: string[], version: string, timeoutMs: number): Promise<Map<string, AgentRow>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = new Map(ids.map((id) => [id, deps.db.select().from(agents).where(eq(agents.id, id)).get()!]));
    const done = [...rows.values()].every((r) => r && r.version === version && r.connected);
    if (done || Date.now() >= end) return rows;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, end - Date.now()))));
  }
}
