/** Reading agents: the API shape (with modules, pools and job counts) and the filtered list. */
import { and, asc, desc, eq, inArray, isNull, or, sql, type SQL } from "drizzle-orm";
import { RUN_STATE, type Agent, type AgentListQuery, type AgentStatus, type InstanceCounts, type JobStatus, type StoredSkill } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { prepared } from "../../db/client.js";
import { agentModuleHistory, agentModules, agentStatusHistory, agents, containerProfiles, jobs, poolAgents, pools } from "../../db/schema.js";
import { inIds, keysetPage, type PageClauses } from "../../lib/cursor.js";
import { ApiError } from "../../errors.js";

export type AgentRow = typeof agents.$inferSelect;

const SORT_COLUMNS = {
  name: agents.name,
  status: agents.status,
  status_updated_at: agents.statusUpdatedAt,
  version: agents.version,
  host_os: agents.hostOs,
  last_restarted_at: agents.lastRestartedAt,
  created_at: agents.insertedAt,
  inserted_at: agents.insertedAt,
} as const;

function emptyCounts(): InstanceCounts {
  return { active: 0, cancelled: 0, complete: 0, failed: 0, finished: 0, pending: 0, total: 0 };
}

const COUNT_KEY: Partial<Record<JobStatus, keyof InstanceCounts>> = {
  pending: "pending",
  retrying: "pending",
  claimed: "active",
  running: "active",
  cancelling: "active",
  completed: "complete",
  failed: "failed",
  cancelled: "cancelled",
};

/** An agent's jobs: those its current attempt holds, or (unclaimed) those sent to it by name. */
export function instanceCounts(db: Db, ids: string[]): Map<string, InstanceCounts> {
  const out = new Map(ids.map((id) => [id, emptyCounts()]));
  if (!ids.length) return out;
  // Two index walks (jobs_agent covers agent_id and status; jobs_target_agent), not one OR over
  // both columns: that read every job of the page's agents row by row (3 ms of a 50-agent page).
  const marks = ids.map(() => "?").join(", ");
  const rows = prepared(
    db,
    `select "agent_id" as agent, "status", count(*) as n from "jobs" where "agent_id" in (${marks}) group by "agent_id", "status"
     union all
     select "target_agent_id", "status", count(*) from "jobs" where "target_agent_id" in (${marks}) and "agent_id" is null group by "target_agent_id", "status"`,
  ).all(...ids, ...ids) as { agent: string; status: string; n: number }[];
  for (const r of rows) {
    const c = out.get(r.agent);
    const key = COUNT_KEY[r.status as JobStatus];
    if (!c || !key) continue;
    c[key] += r.n;
    c.total += r.n;
    if (key === "complete" || key === "failed" || key === "cancelled") c.finished += r.n;
  }
  return out;
}

// The side reads of a page of agents, on cached statements (the query builder cost more than
// these reads do on a 50-agent page): modules, pools, container profiles, running containers.
const MODULES_OF = `select "agent_id" as agentId, "name", "version", "installed_at" as installedAt from "agent_modules"
  where "agent_id" in (select value from json_each(?)) order by "name"`;
const POOLS_OF = `select pa."agent_id" as agentId, p."id", p."name" from "pool_agents" pa join "pools" p on p."id" = pa."pool_id"
  where pa."agent_id" in (select value from json_each(?)) order by p."name"`;
const PROFILES_OF = `select "id", "name", "docker_image" from "container_profiles" where "id" in (select value from json_each(?))`;
/** Each agent's running container: the latest started job it holds (running or being stopped). */
const CONTAINERS_OF = `select "agent_id" as agent, "container_id" as container from "jobs"
  where "agent_id" in (select value from json_each(?)) and "status" in ('running', 'cancelling') and "container_id" is not null
  order by "started_at"`;

type ModuleRow = { agentId: string; name: string; version: string; installedAt: string };

/** `rows` grouped by `key`, each group in the rows' order. */
function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const g = out.get(k);
    if (g) g.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export function toAgents(db: Db, rows: AgentRow[]): Agent[] {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const idList = JSON.stringify(ids);
  const mods = groupBy(prepared(db, MODULES_OF).all(idList) as ModuleRow[], (m) => m.agentId);
  const poolRows = groupBy(prepared(db, POOLS_OF).all(idList) as { agentId: string; id: string; name: string }[], (p) => p.agentId);
  const counts = instanceCounts(db, ids);
  const profileIds = [...new Set(rows.map((r) => r.containerProfileId).filter((id): id is string => id !== null))];
  const profiles = new Map(
    (profileIds.length ? (prepared(db, PROFILES_OF).all(JSON.stringify(profileIds)) as { id: string; name: string; docker_image: string }[]) : []).map((p) => [p.id, p]),
  );
  const containers = new Map((prepared(db, CONTAINERS_OF).all(idList) as { agent: string; container: string }[]).map((r) => [r.agent, r.container]));
  return rows.map((r) => {
    const c = counts.get(r.id) ?? emptyCounts();
    const status = r.status as Agent["status"];
    return {
      id: r.id,
      agent_id: r.agentId,
      name: r.name,
      description: r.description,
      tools_config: r.toolsConfig,
      soul_md: r.soulMd,
      rules_md: r.rulesMd,
      autonomy_level: r.autonomyLevel as Agent["autonomy_level"],
      status,
      run_state: RUN_STATE[status],
      container_id: containers.get(r.id) ?? null,
      model_policy_id: r.modelPolicyId,
      models: r.models,
      skills: r.skills as StoredSkill[],
      container_profile_id: r.containerProfileId,
      container_profile: (r.containerProfileId && profiles.get(r.containerProfileId)) || null,
      error_message: r.errorMessage,
      created_at: r.insertedAt,
      created_by: r.registeredBy ?? "",
      principal_id: r.id,
      principal_type: "agent" as const,
      type: "agent" as const,
      inserted_at: r.insertedAt,
      org_id: r.orgId,
      hostname: r.hostname,
      status_updated_at: r.statusUpdatedAt,
      connected: r.connected,
      paused: r.paused,
      version: r.version,
      host_os: r.hostOs,
      os: r.os as Agent["os"],
      cpu_count: r.cpuCount,
      memory_bytes: r.memoryBytes,
      started_at: r.startedAt,
      last_restarted_at: r.lastRestartedAt,
      restart_count: r.restartCount,
      last_seen_at: r.lastSeenAt,
      modules: (mods.get(r.id) ?? []).map((m) => ({ name: m.name, version: m.version, installed_at: m.installedAt })),
      pools: (poolRows.get(r.id) ?? []).map((p) => ({ id: p.id, name: p.name })),
      labels: r.labels,
      slots: r.slots,
      archived: r.archived,
      archived_at: r.archivedAt,
      cpus: r.cpus,
      mem_limit: r.memLimit,
      pids_limit: r.pidsLimit,
      updated_at: r.updatedAt,
      available_actions: {
        delete: r.archived && c.active === 0,
        reinstate: r.archived,
        retire: !r.archived,
        update: !r.archived,
      },
      instance_counts: c,
    };
  });
}

export function toAgent(db: Db, row: AgentRow): Agent {
  return toAgents(db, [row])[0]!;
}

/** By uuid or by slug, among the given orgs; undefined when not visible. */
export function findAgent(db: Db, orgIds: string[], idOrSlug: string): AgentRow | undefined {
  if (!orgIds.length) return undefined;
  return db
    .select()
    .from(agents)
    .where(and(inArray(agents.orgId, orgIds), or(eq(agents.id, idOrSlug), eq(agents.agentId, idOrSlug))))
    .orderBy(agents.insertedAt)
    .get();
}

export function getAgentOr404(db: Db, orgIds: string[], idOrSlug: string): AgentRow {
  const row = findAgent(db, orgIds, idOrSlug);
  if (!row) throw ApiError.notFound("agent", idOrSlug);
  return row;
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** At most this many agents holding the query's trigrams: the page reads just them. */
const FEW_NAME_MATCHES = 1_000;

/**
 * The search by name: `exact` (the LIKE over name and agent_id) decides, and the trigram index
 * `agents_search` (migration 0010) narrows the agents it is asked of. The index folds case over
 * all of Unicode where LIKE folds ASCII only, so its matches are a superset of LIKE's: keeping
 * `exact` keeps the semantics. When many agents match, the page's own index walk meets its rows
 * soon (it reads about limit x agents / matches rows), and a sort of every match would cost more;
 * under 3 characters there are no trigrams to look up.
 */
function nameSearch(db: Db, q: string, exact: SQL): SQL {
  if ([...q].length < 3) return exact;
  const phrase = `"${q.replaceAll('"', '""')}"`;
  const matches = prepared(db, `select count(*) from (select rowid from "agents_search" where "agents_search" match ? limit ${FEW_NAME_MATCHES + 1})`).pluck().get(phrase) as number;
  if (matches > FEW_NAME_MATCHES) return exact;
  return sql`${agents}.rowid in (select rowid from "agents_search" where "agents_search" match ${phrase}) and ${exact}`;
}

/** `gpu=true,zone` -> [{key: "gpu", value: "true"}, {key: "zone", value: null}]. */
function labelTerms(text: string | undefined): { key: string; value: string | null }[] {
  if (!text) return [];
  return text.split(",").map((part) => {
    const i = part.indexOf("=");
    return i < 0 ? { key: part.trim(), value: null } : { key: part.slice(0, i).trim(), value: part.slice(i + 1).trim() };
  });
}

export function listAgents(db: Db, orgIds: string[], q: AgentListQuery, extra?: SQL) {
  const where: (SQL | undefined)[] = [orgIds.length ? inIds(agents.orgId, orgIds) : inArray(agents.orgId, orgIds), extra];
  if (q.archived !== "all") where.push(eq(agents.archived, q.archived === "archived"));
  if (q.q) {
    const pattern = likePattern(q.q);
    where.push(
      q.search_by === "module"
        ? sql`exists (select 1 from ${agentModules} m where m.agent_id = ${agents.id} and (m.name like ${pattern} escape '\\' or m.version like ${pattern} escape '\\' or (m.name || '@' || m.version) like ${pattern} escape '\\'))`
        : nameSearch(db, q.q, sql`(${agents.name} like ${pattern} escape '\\' or ${agents.agentId} like ${pattern} escape '\\')`),
    );
  }
  if (q.pool !== "any") {
    const inPool = sql`exists (select 1 from ${poolAgents} pa where pa.agent_id = ${agents.id})`;
    where.push(q.pool === "in" ? inPool : sql`not ${inPool}`);
  }
  if (q.status) where.push(inArray(agents.status, q.status.split(",")));
  if (q.autonomy_level) where.push(inArray(agents.autonomyLevel, q.autonomy_level.split(",")));
  if (q.container_profile) where.push(q.container_profile === "none" ? isNull(agents.containerProfileId) : eq(agents.containerProfileId, q.container_profile));
  for (const { key, value } of labelTerms(q.label)) {
    where.push(sql`exists (select 1 from json_each(${agents.labels}) l where l.key = ${key} and (${value} is null or l.value = ${value}))`);
  }
  const column = SORT_COLUMNS[q.sort];
  const nullable = q.sort === "last_restarted_at";
  const keyset = { column, idColumn: agents.id, order: q.order, cursor: q.cursor, limit: q.limit, nullable, keyOf: (r: AgentRow) => r[sortKey(q.sort)] as string | null };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(agents)
      .where(and(...where, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: toAgents(db, rows), next };
}

function sortKey(sort: AgentListQuery["sort"]): keyof AgentRow {
  const keys: Record<AgentListQuery["sort"], keyof AgentRow> = {
    name: "name",
    status: "status",
    status_updated_at: "statusUpdatedAt",
    version: "version",
    host_os: "hostOs",
    last_restarted_at: "lastRestartedAt",
    created_at: "insertedAt",
    inserted_at: "insertedAt",
  };
  return keys[sort];
}

/** An agent's status changes, a page at a time by their serial id. */
export function statusHistory(db: Db, agentId: string, q: { limit: number; cursor?: string; order: "asc" | "desc" }) {
  const t = agentStatusHistory;
  const { rows, next } = keysetPage(db, { ...q, serial: t.id }, (page: PageClauses) => db.select().from(t).where(and(eq(t.agentId, agentId), page.after)).orderBy(...page.orderBy).limit(page.limit).all());
  return { items: rows.map((h) => ({ id: h.id, from: h.fromStatus as AgentStatus | null, to: h.toStatus as AgentStatus, reason: h.reason, job_id: h.jobId, at: h.at })), next };
}

/** An agent's module installs, updates and removals, a page at a time by their serial id. */
export function moduleHistory(db: Db, agentId: string, q: { limit: number; cursor?: string; order: "asc" | "desc" }) {
  const t = agentModuleHistory;
  const { rows, next } = keysetPage(db, { ...q, serial: t.id }, (page: PageClauses) => db.select().from(t).where(and(eq(t.agentId, agentId), page.after)).orderBy(...page.orderBy).limit(page.limit).all());
  return { items: rows.map((h) => ({ id: h.id, module: h.module, action: h.action, from_version: h.fromVersion, to_version: h.toVersion, outcome: h.outcome, message: h.message, at: h.at })), next };
}
