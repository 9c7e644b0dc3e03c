/** Pools: named groups of agents (and users) that jobs can target. */
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Pool } from "@outpost/shared";
import { ACTIVE_JOB_STATUSES, QUEUED_JOB_STATUSES } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agentModules, agents, jobs, modules, poolAgents, poolUsers, pools } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import type { ModuleFunction } from "@outpost/shared";

export type PoolRow = typeof pools.$inferSelect;

export function toPools(db: Db, rows: PoolRow[]): Pool[] {
  const ids = rows.map((r) => r.id);
  const count = (table: typeof poolAgents | typeof poolUsers) =>
    new Map(
      ids.length
        ? db
            .select({ id: table.poolId, n: sql<number>`count(*)` })
            .from(table)
            .where(inArray(table.poolId, ids))
            .groupBy(table.poolId)
            .all()
            .map((r) => [r.id, r.n] as const)
        : [],
    );
  const agentCounts = count(poolAgents);
  const userCounts = count(poolUsers);
  return rows.map((r) => ({
    id: r.id,
    org_id: r.orgId,
    name: r.name,
    description: r.description,
    labels: r.labels,
    archived: r.archived,
    archived_at: r.archivedAt,
    agent_count: agentCounts.get(r.id) ?? 0,
    user_count: userCounts.get(r.id) ?? 0,
    inserted_at: r.insertedAt,
    updated_at: r.updatedAt,
  }));
}

export function toPool(db: Db, row: PoolRow): Pool {
  return toPools(db, [row])[0]!;
}

/** Adds many at once; reports which were added and which were members already. */
export function addPoolMembers(db: Db, table: typeof poolAgents | typeof poolUsers, poolId: string, ids: string[], at: string) {
  const added: string[] = [];
  const already: string[] = [];
  db.$client.transaction(() => {
    for (const id of [...new Set(ids)]) {
      const values = table === poolAgents ? { poolId, agentId: id, addedAt: at } : { poolId, userId: id, addedAt: at };
      const res = db.insert(table).values(values as never).onConflictDoNothing().run();
      (res.changes ? added : already).push(id);
    }
  })();
  return { added, already };
}

export function poolOverview(db: Db, pool: PoolRow) {
  const agentIds = db.select({ id: poolAgents.agentId }).from(poolAgents).where(eq(poolAgents.poolId, pool.id)).all().map((r) => r.id);
  const unfinished = db
    .select({ n: sql<number>`count(*)` })
    .from(jobs)
    .where(and(eq(jobs.poolId, pool.id), inArray(jobs.status, [...QUEUED_JOB_STATUSES, ...ACTIVE_JOB_STATUSES])))
    .get()!.n;
  const coverage = agentIds.length
    ? db
        .select({ module: agentModules.name, version: agentModules.version, agents: sql<number>`count(*)` })
        .from(agentModules)
        .where(inArray(agentModules.agentId, agentIds))
        .groupBy(agentModules.name, agentModules.version)
        .orderBy(asc(agentModules.name), desc(agentModules.version))
        .all()
    : [];
  const catalog = coverage.length
    ? db.select().from(modules).where(and(eq(modules.orgId, pool.orgId), inArray(modules.name, [...new Set(coverage.map((c) => c.module))]))).all()
    : [];
  const users = db.select({ n: sql<number>`count(*)` }).from(poolUsers).where(eq(poolUsers.poolId, pool.id)).get()!.n;
  return {
    pool: toPool(db, pool),
    agents: agentIds.length,
    users,
    unfinished_jobs: unfinished,
    module_coverage: coverage.map((c) => ({
      ...c,
      functions: ((catalog.find((m) => m.name === c.module && m.version === c.version)?.functions ?? []) as ModuleFunction[]).length,
    })),
  };
}

/** The pool's agents by name, for a request to each of them; a pool without agents is a 409. */
export function poolAgentsOrConflict(db: Db, pool: Pick<PoolRow, "id" | "name">): (typeof agents.$inferSelect)[] {
  const members = db
    .select({ agent: agents })
    .from(poolAgents)
    .innerJoin(agents, eq(agents.id, poolAgents.agentId))
    .where(eq(poolAgents.poolId, pool.id))
    .orderBy(agents.name)
    .all()
    .map((r) => r.agent);
  if (!members.length) throw ApiError.conflict(`Pool "${pool.name}" has no agents.`);
  return members;
}
