/**
 * POST /api/v1/pools/:id/upgrade: each agent of the pool running another version than the server
 * is asked (protocol frame `upgrade`) to replace itself with the server's agent binary, a batch at
 * a time; the server waits for each to come back connected with the server's version and stops at
 * the first that does not (docs/api.md, "Upgrading a pool").
 */
import { z } from "zod";
import { Id, success } from "./common.js";

export const UpgradePoolBody = z.object({
  /** Agents asked at once; the next batch starts when all of these are back. */
  batch_size: z.number().int().min(1).max(50).default(2),
  /** How long one agent may take to drain, upgrade and reconnect. */
  timeout_s: z.number().int().min(5).max(3600).default(300),
});
export type UpgradePoolBody = z.infer<typeof UpgradePoolBody>;

export const AGENT_UPGRADE_OUTCOMES = ["upgraded", "current", "skipped", "failed", "not_attempted"] as const;

export const AgentUpgrade = z.object({
  agent_id: Id,
  name: z.string(),
  from_version: z.string(),
  /** The version it runs now, as far as the server knows. */
  version: z.string(),
  outcome: z.enum(AGENT_UPGRADE_OUTCOMES),
  message: z.string().nullable(),
});
export type AgentUpgrade = z.infer<typeof AgentUpgrade>;

export const PoolUpgrade = z.object({
  pool_id: Id,
  /** The server's version: what every agent is asked to run. */
  version: z.string(),
  /** completed: no agent failed; stopped: one failed and the rest were not asked. */
  outcome: z.enum(["completed", "stopped"]),
  agents: z.array(AgentUpgrade),
});
export type PoolUpgrade = z.infer<typeof PoolUpgrade>;
export const PoolUpgradeResponse = success(PoolUpgrade);
