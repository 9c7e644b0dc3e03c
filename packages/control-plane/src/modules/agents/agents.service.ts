/** Registering agents (first start and restarts) and the operator actions on them. */
import { and, eq } from "drizzle-orm";
import type { RegisterAgentBody, UpdateAgentBody } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared, tx } from "../../db/client.js";
import { agentModuleHistory, agentModules, agents } from "../../db/schema.js";
import { digestSecret, generateSecret } from "../../lib/secrets.js";
import { newId } from "../../lib/ids.js";
import { ApiError } from "../../errors.js";
import { toAgent, type AgentRow } from "./agents.repo.js";
import { setArchivedFlag } from "../../lib/archive.js";
import { profileColumns } from "./agent-profile.js";
import { recordInitialStatus } from "./agents.transitions.js";

export function hostOsLabel(os: RegisterAgentBody["os"]): string {
  const name = [os.distro, os.release].filter(Boolean).join(" ").trim();
  return name || os.platform;
}

function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .replace(/-+$/g, "");
  return s.length >= 2 ? s : `agent-${s || "x"}`;
}

function uniqueSlug(db: Db, orgId: string, base: string): string {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    if (!db.select({ id: agents.id }).from(agents).where(and(eq(agents.orgId, orgId), eq(agents.agentId, candidate))).get()) return candidate;
  }
}

/** Records what changed between the reported modules and the stored ones, in the module history. */
export function syncModules(db: Db, agentId: string, reported: RegisterAgentBody["modules"], at: string): void {
  // Every hello runs this: the read on a cached statement; writes only for what changed.
  const rows = prepared(db, `select "name", "version" from "agent_modules" where "agent_id" = ?`).all(agentId) as { name: string; version: string }[];
  const current = new Map(rows.map((m) => [m.name, m]));
  const seen = new Set<string>();
  for (const m of reported) {
    if (seen.has(m.name)) continue;
    seen.add(m.name);
    const old = current.get(m.name);
    if (old?.version === m.version) continue;
    db.insert(agentModules)
      .values({ agentId, name: m.name, version: m.version, installedAt: at })
      .onConflictDoUpdate({ target: [agentModules.agentId, agentModules.name], set: { version: m.version, installedAt: at } })
      .run();
    db.insert(agentModuleHistory)
      .values({ agentId, module: m.name, action: old ? "update" : "install", fromVersion: old?.version ?? null, toVersion: m.version, outcome: "succeeded", message: "reported by the agent", at })
      .run();
  }
  for (const old of current.values()) {
    if (seen.has(old.name)) continue;
    db.delete(agentModules).where(and(eq(agentModules.agentId, agentId), eq(agentModules.name, old.name))).run();
    db.insert(agentModuleHistory)
      .values({ agentId, module: old.name, action: "remove", fromVersion: old.version, toVersion: null, outcome: "succeeded", message: "no longer reported by the agent", at })
      .run();
  }
}

function reportedFields(body: RegisterAgentBody, at: string) {
  return {
    hostname: body.hostname,
    version: body.version,
    hostOs: hostOsLabel(body.os),
    os: body.os,
    cpuCount: body.cpu_count ?? null,
    memoryBytes: body.memory_bytes ?? null,
    ...(body.labels !== undefined ? { labels: body.labels } : {}),
    slots: body.slots,
    startedAt: body.started_at ? new Date(body.started_at).toISOString() : at,
    updatedAt: at,
  };
}

/** First registration, with a PAT: a new agent, Offline until its session connects. */
export function createAgent(
  db: Db,
  installSecret: string,
  orgId: string,
  userId: string,
  body: RegisterAgentBody,
  at: string,
): { row: AgentRow; credential: string } {
  const credential = generateSecret("agent");
  const id = newId();
  tx(db, () => {
    if (body.agent_id && db.select({ id: agents.id }).from(agents).where(and(eq(agents.orgId, orgId), eq(agents.agentId, body.agent_id))).get()) {
      throw ApiError.conflict(`Agent id "${body.agent_id}" is taken in this org; a registered agent re-registers with its own credential.`);
    }
    db.insert(agents)
      .values({
        id,
        orgId,
        agentId: body.agent_id ?? uniqueSlug(db, orgId, slugify(body.name)),
        name: body.name,
        status: "Offline",
        statusUpdatedAt: at,
        credentialDigest: digestSecret(installSecret, credential),
        registeredBy: userId,
        insertedAt: at,
        ...reportedFields(body, at),
        ...profileColumns(db, orgId, body),
      })
      .run();
    recordInitialStatus(db, id, "Offline", "registered", at);
    syncModules(db, id, body.modules, at);
  });
  return { row: db.select().from(agents).where(eq(agents.id, id)).get()!, credential };
}

/** A later start, with the agent's own credential: same agent, one more restart. */
export function reregisterAgent(db: Db, agentId: string, body: RegisterAgentBody, at: string): AgentRow {
  tx(db, () => {
    const row = db.select().from(agents).where(eq(agents.id, agentId)).get()!;
    db.update(agents)
      .set({ ...reportedFields(body, at), ...profileColumns(db, row.orgId, body, row.containerProfileId), restartCount: row.restartCount + 1, lastRestartedAt: at })
      .where(eq(agents.id, agentId))
      .run();
    syncModules(db, agentId, body.modules, at);
  });
  return db.select().from(agents).where(eq(agents.id, agentId)).get()!;
}

export function updateAgent(db: Db, row: AgentRow, body: UpdateAgentBody, at: string): AgentRow {
  if (row.archived) throw ApiError.conflict(`Agent "${row.agentId}" is retired; reinstate it before changing it.`);
  // Docker refuses more cores than the host has (dispatch also caps at it, should the host shrink).
  if (body.cpus !== undefined && row.cpuCount && Number(body.cpus) > row.cpuCount) {
    throw ApiError.validation([{ path: "cpus", message: `cpus must be at most the ${row.cpuCount} cores the agent's host reports (got "${body.cpus}")` }]);
  }
  db.update(agents)
    .set({
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.cpus !== undefined ? { cpus: body.cpus } : {}),
      ...(body.mem_limit !== undefined ? { memLimit: body.mem_limit } : {}),
      ...(body.pids_limit !== undefined ? { pidsLimit: body.pids_limit } : {}),
      ...(body.labels !== undefined ? { labels: body.labels } : {}),
      ...(body.slots !== undefined ? { slots: body.slots } : {}),
      ...profileColumns(db, row.orgId, body, row.containerProfileId),
      updatedAt: at,
    })
    .where(eq(agents.id, row.id))
    .run();
  return db.select().from(agents).where(eq(agents.id, row.id)).get()!;
}

/** Retire (archive): no new jobs; running ones finish. Guarded on the current flag. */
export function setArchived(db: Db, row: AgentRow, archived: boolean, at: string): AgentRow {
  setArchivedFlag(db, agents, row.id, archived, at, `Agent "${row.agentId}"`, "retired");
  return db.select().from(agents).where(eq(agents.id, row.id)).get()!;
}

/** Pause: no new jobs, running ones finish (a drain an operator can undo). */
export function setPaused(db: Db, row: AgentRow, paused: boolean, at: string): AgentRow {
  db.update(agents).set({ paused, updatedAt: at }).where(eq(agents.id, row.id)).run();
  return db.select().from(agents).where(eq(agents.id, row.id)).get()!;
}

/** Only a retired agent with no active job can be deleted. */
export function deleteAgent(db: Db, row: AgentRow): void {
  if (!toAgent(db, row).available_actions.delete) {
    throw ApiError.conflict(`Agent "${row.agentId}" can be deleted only once retired and with no active jobs.`);
  }
  db.delete(agents).where(eq(agents.id, row.id)).run();
}
