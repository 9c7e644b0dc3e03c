/** Pools: named groups of agents (and users) that jobs can target. */
import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Pool, PoolListQuery } from "@outpost/shared";
import { ACTIVE_JOB_STATUSES, QUEUED_JOB_STATUSES } from "@outpost/shared";
import { prepared, type Db } from "../../db/client.js";
import { agentModules, agents, jobs, modules, poolAgents, poolUsers, pools, users } from "../../db/schema.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { likeContains } from "../../lib/like.js";
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

export function findPool(db: Db, id: string): PoolRow | undefined {
  return db.select().from(pools).where(eq(pools.id, id)).get();
}

/** A pool known to exist (just written). */
export function readPool(db: Db, id: string): PoolRow {
  return findPool(db, id)!;
}

/** The pools of the given orgs, filtered, a keyset page at a time. */
export function listPools(db: Db, orgIds: string[], q: PoolListQuery) {
  const byName = q.sort === "name";
  const keyset = { column: byName ? pools.name : pools.insertedAt, idColumn: pools.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: PoolRow) => (byName ? r.name : r.insertedAt) };
  const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
    db
      .select()
      .from(pools)
      .where(
        and(
          inArray(pools.orgId, orgIds),
          q.archived === "all" ? undefined : eq(pools.archived, q.archived === "archived"),
          q.q ? likeContains(pools.name, q.q) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit)
      .all(),
  );
  return { items: toPools(db, rows), next };
}

/** The pool's users by name (the list is small: no pages). */
export function poolUserList(db: Db, poolId: string) {
  return db
    .select({ id: users.id, name: users.name, added_at: poolUsers.addedAt })
    .from(poolUsers)
    .innerJoin(users, eq(users.id, poolUsers.userId))
    .where(eq(poolUsers.poolId, poolId))
    .orderBy(users.name)
    .all();
}

/** `agents.id` is in the pool: the extra filter of the pool's agent list. */
export function inPool(poolId: string): SQL {
  return sql`exists (select 1 from ${poolAgents} pa where pa.agent_id = ${agents.id} and pa.pool_id = ${poolId})`;
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

/** Spelled as the partial index jobs_pool_unfinished is (a bound list would not use it). */
const POOL_UNFINISHED = `select count(*) from "jobs" where "pool_id" = ? and "pool_id" is not null
  and "status" in (${[...QUEUED_JOB_STATUSES, ...ACTIVE_JOB_STATUSES].map((s) => `'${s}'`).join(", ")})`;
const POOL_COVERAGE = `select m."name" as module, m."version", count(*) as agents from "pool_agents" pa join "agent_modules" m on m."agent_id" = pa."agent_id"
  where pa."pool_id" = ? group by m."name", m."version" order by m."name" asc, m."version" desc`;

export function poolOverview(db: Db, pool: PoolRow) {
  const agentCount = prepared(db, `select count(*) from "pool_agents" where "pool_id" = ?`).pluck().get(pool.id) as number;
  const unfinished = prepared(db, POOL_UNFINISHED).pluck().get(pool.id) as number;
  const coverage = prepared(db, POOL_COVERAGE).all(pool.id) as { module: string; version: string; agents: number }[];
  const catalog = coverage.length
    ? db.select().from(modules).where(and(eq(modules.orgId, pool.orgId), inArray(modules.name, [...new Set(coverage.map((c) => c.module))]))).all()
    : [];
  const users = db.select({ n: sql<number>`count(*)` }).from(poolUsers).where(eq(poolUsers.poolId, pool.id)).get()!.n;
  return {
    pool: toPool(db, pool),
    agents: agentCount,
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
