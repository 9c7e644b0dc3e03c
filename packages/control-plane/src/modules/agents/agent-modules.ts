/**
 * Module requests: an operator asks an agent (or each agent of a pool) to install, update or remove
 * a module version; the agent pulls and answers over its session (docs/protocol.md, `module`).
 *
 * The request is its module history row: inserted with outcome `started`, its id is the frame's
 * request_id, and the agent's `module_result` moves it to `succeeded` or `failed` with one guarded
 * write (WHERE outcome = 'started'), so a result repeated after a reconnect changes nothing. The
 * agent is UpdatingModule from the request to the result; dispatch gives it no job meanwhile.
 *
 * Requests are not queued: an agent without a live session, or running jobs, is refused (409).
 * The module frame is sent inside the transaction that records the request, so a refusal leaves
 * no trace, and a request that is recorded has been handed to the agent's socket.
 */
import { and, eq } from "drizzle-orm";
import {
  AGENT_TRANSITION_REASONS,
  PROTOCOL_VERSION,
  type AgentFrame,
  type FrameOf,
  type InstallModuleBody,
  type ModuleRequest,
  type PoolModuleRequests,
  type ServerFrame,
  type SkippedAgent,
} from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { agentModuleHistory, agentModules, agents, poolAgents, type pools } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { poolAgentsOrConflict } from "../pools/pools.repo.js";
import { activeJobCount } from "../dispatch/dispatch-claim.js";
import { moduleVersions, publishedVersion, type PublishedVersion } from "../catalog/catalog.repo.js";
import type { AgentRow } from "./agents.repo.js";
import { transitionAgent, recordAgentError } from "./agents.transitions.js";

/** What the routes need of the session hub: hand a frame to the agent's live session, or say there is none. */
export type ModuleSender = { sendModule(agentId: string, frame: FrameOf<ServerFrame, "module">): boolean };

type PoolRow = typeof pools.$inferSelect;

/** Why an agent was not asked; `code` doubles as the pool answer's skip code. */
class Refused extends Error {
  constructor(
    readonly code: "retired" | "already_installed" | "not_installed" | "not_connected" | "busy" | "updating",
    message: string,
  ) {
    super(message);
  }
}

/** The catalog entry for name@version in the org, or a 422 naming the field and the value. */
function catalogVersion(db: Db, orgId: string, name: string, version: string): PublishedVersion {
  const found = publishedVersion(db, orgId, name, version);
  if (found) return found;
  const rows = moduleVersions(db, orgId, name);
  if (!rows.length) throw ApiError.validation([{ path: "name", message: `module "${name}" is not in the catalog of this organization` }]);
  const known = rows.map((r) => r.version).join(", ");
  throw ApiError.validation([{ path: "version", message: `version "${version}" of module "${name}" is not in the catalog (published: ${known})` }]);
}

const installedVersion = (db: Db, agentId: string, name: string) =>
  db.select({ version: agentModules.version }).from(agentModules).where(and(eq(agentModules.agentId, agentId), eq(agentModules.name, name))).get()?.version ?? null;

/**
 * Records the request (history row `started`, agent UpdatingModule) and sends the `module` frame.
 * Precondition: the version is in the catalog (install) or installed (remove). Throws Refused.
 */
function startRequest(
  db: Db,
  hub: ModuleSender,
  agent: AgentRow,
  want: { action: "install"; name: string; version: string; image: string } | { action: "remove"; name: string },
  at: string,
): ModuleRequest {
  const label = `Agent "${agent.agentId}"`;
  if (agent.archived) throw new Refused("retired", `${label} is retired; reinstate it first.`);
  const current = installedVersion(db, agent.id, want.name);
  if (want.action === "install" && current === want.version) throw new Refused("already_installed", `${label} already has ${want.name}@${want.version}.`);
  if (want.action === "remove" && current === null) throw new Refused("not_installed", `${label} does not have module "${want.name}".`);
  const active = activeJobCount(db, agent.id);
  if (active > 0) throw new Refused("busy", `${label} is running ${active} job${active === 1 ? "" : "s"}; pause it, let them finish, then ask again.`);
  const image = want.action === "install" ? want.image : (publishedVersion(db, agent.orgId, want.name, current!)?.image ?? "");
  const action = want.action === "remove" ? "remove" : current === null ? "install" : "update";
  const toVersion = want.action === "install" ? want.version : null;
  return tx(db, () => {
    // The status check is the compare-and-set: a second request while one is running finds UpdatingModule.
    const moved = transitionAgent(db, agent.id, "UpdatingModule", AGENT_TRANSITION_REASONS.moduleUpdate, at);
    if (!moved) {
      const status = db.select({ status: agents.status }).from(agents).where(eq(agents.id, agent.id)).get()?.status;
      if (status === "UpdatingModule") throw new Refused("updating", `${label} is already updating a module; wait for that to finish.`);
      throw new Refused("not_connected", `${label} is ${status ?? "gone"}; module changes are sent over its session, so it must be connected.`);
    }
    const message = want.action === "install" ? `requested: pull ${want.image}` : "requested: remove";
    const id = Number(
      db
        .insert(agentModuleHistory)
        .values({ agentId: agent.id, module: want.name, action, fromVersion: current, toVersion, outcome: "started", message, at })
        .run().lastInsertRowid,
    );
    const request_id = String(id);
    const sent = hub.sendModule(agent.id, {
      v: PROTOCOL_VERSION,
      type: "module",
      action: want.action,
      request_id,
      name: want.name,
      version: toVersion ?? current!,
      image,
    } satisfies ServerFrame);
    if (!sent) throw new Refused("not_connected", `${label} is not connected; module changes are sent over its session, so it must be connected.`);
    return { request_id, agent_id: agent.id, name: want.name, action, from_version: current, to_version: toVersion, image, requested_at: at };
  });
}

const asApiError = (err: unknown): never => {
  if (err instanceof Refused) throw err.code === "not_installed" ? new ApiError("not_found", err.message) : ApiError.conflict(err.message);
  throw err;
};

/** POST /api/v1/agents/:id/modules: install name@version, or update to it. */
export function requestInstall(db: Db, hub: ModuleSender, agent: AgentRow, body: InstallModuleBody, at: string): ModuleRequest {
  const mod = catalogVersion(db, agent.orgId, body.name, body.version);
  try {
    return startRequest(db, hub, agent, { action: "install", name: body.name, version: body.version, image: mod.image }, at);
  } catch (err) {
    return asApiError(err);
  }
}

/** DELETE /api/v1/agents/:id/modules/:name. */
export function requestRemove(db: Db, hub: ModuleSender, agent: AgentRow, name: string, at: string): ModuleRequest {
  try {
    return startRequest(db, hub, agent, { action: "remove", name }, at);
  } catch (err) {
    return asApiError(err);
  }
}

/**
 * POST /api/v1/pools/:id/modules: the same request to each agent of the pool. Agents that cannot
 * take it now are listed in `skipped` with the reason; a pool with no agents is a 409.
 */
export function requestInstallOnPool(db: Db, hub: ModuleSender, pool: PoolRow, body: InstallModuleBody, at: string): PoolModuleRequests {
  if (pool.archived) throw ApiError.conflict(`Pool "${pool.name}" is archived; restore it first.`);
  const mod = catalogVersion(db, pool.orgId, body.name, body.version);
  const members = poolAgentsOrConflict(db, pool);
  const requested: ModuleRequest[] = [];
  const skipped: SkippedAgent[] = [];
  for (const agent of members) {
    try {
      requested.push(startRequest(db, hub, agent, { action: "install", name: body.name, version: body.version, image: mod.image }, at));
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      skipped.push({ agent_id: agent.id, name: agent.name, code: err.code, message: err.message });
    }
  }
  return { pool_id: pool.id, name: body.name, version: body.version, requested, skipped };
}

/** The started history row a frame from this agent refers to, if it is still open. */
function openRequest(db: Db, agentId: string, requestId: string, name: string) {
  const id = Number(requestId);
  if (!Number.isSafeInteger(id)) return undefined;
  const row = db
    .select()
    .from(agentModuleHistory)
    .where(and(eq(agentModuleHistory.id, id), eq(agentModuleHistory.agentId, agentId), eq(agentModuleHistory.outcome, "started")))
    .get();
  return row && row.module === name ? row : undefined;
}

/** `module_progress`: the open request's message becomes the latest progress line. */
export function recordModuleProgress(db: Db, agentId: string, f: FrameOf<AgentFrame, "module_progress">, at: string): boolean {
  const row = openRequest(db, agentId, f.request_id, f.name);
  if (!row) return false;
  db.update(agentModuleHistory)
    .set({ message: f.message, at })
    .where(and(eq(agentModuleHistory.id, row.id), eq(agentModuleHistory.outcome, "started")))
    .run();
  return true;
}

/**
 * `module_result`: closes the request (started -> succeeded | failed), updates the agent's modules
 * on success, and moves the agent UpdatingModule -> Idle or UpdateFailed. False when the request
 * is not open (already closed, unknown, another agent's): nothing changes.
 */
export function recordModuleResult(db: Db, agentId: string, f: Omit<FrameOf<AgentFrame, "module_result">, "v">, at: string): boolean {
  return tx(db, () => {
    const row = openRequest(db, agentId, f.request_id, f.name);
    if (!row) return false;
    const closed = db
      .update(agentModuleHistory)
      .set({ outcome: f.outcome, message: f.message, at })
      .where(and(eq(agentModuleHistory.id, row.id), eq(agentModuleHistory.outcome, "started")))
      .run().changes;
    if (!closed) return false;
    if (f.outcome === "succeeded") {
      if (row.action === "remove") {
        db.delete(agentModules).where(and(eq(agentModules.agentId, agentId), eq(agentModules.name, row.module))).run();
      } else {
        const version = row.toVersion ?? f.version;
        db.insert(agentModules)
          .values({ agentId, name: row.module, version, installedAt: at })
          .onConflictDoUpdate({ target: [agentModules.agentId, agentModules.name], set: { version, installedAt: at } })
          .run();
      }
      transitionAgent(db, agentId, "Idle", AGENT_TRANSITION_REASONS.moduleUpdated, at);
      recordAgentError(db, agentId, null);
    } else {
      transitionAgent(db, agentId, "UpdateFailed", AGENT_TRANSITION_REASONS.moduleUpdateFailed, at);
      recordAgentError(db, agentId, `Module ${row.action} of ${row.module}@${row.toVersion ?? f.version} failed: ${f.message}`);
    }
    return true;
  });
}

/**
 * At hello: requests still open are ones whose result the agent never delivered (it restarted or
 * lost the session mid-pull). What it now reports decides them: the wanted version present (or,
 * for a remove, the module gone) is success, anything else a failure. Runs before the reported
 * modules are synced, so the change is recorded once, on the request's own row.
 */
export function settleOpenRequests(db: Db, agentId: string, reported: { name: string; version: string }[], at: string): void {
  // Every hello runs this: a cached statement (usually no rows).
  const open = prepared(
    db,
    `select "id", "module", "action", "from_version" as fromVersion, "to_version" as toVersion from "agent_module_history" where "agent_id" = ? and "outcome" = 'started'`,
  ).all(agentId) as { id: number; module: string; action: string; fromVersion: string | null; toVersion: string | null }[];
  const has = new Map(reported.map((m) => [m.name, m.version]));
  for (const row of open) {
    const remove = row.action === "remove";
    const ok = remove ? !has.has(row.module) : has.get(row.module) === row.toVersion;
    recordModuleResult(
      db,
      agentId,
      {
        type: "module_result",
        request_id: String(row.id),
        name: row.module,
        version: row.toVersion ?? row.fromVersion ?? "",
        action: remove ? "remove" : "install",
        outcome: ok ? "succeeded" : "failed",
        message: ok
          ? "the agent reconnected without reporting the result; the modules it reports show it done"
          : "the agent reconnected without reporting the result; the modules it reports show it not done",
      },
      at,
    );
  }
}
