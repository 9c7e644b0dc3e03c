/** Changing pools: create, update, archive and restore, members in and out. Reads are in pools.repo.ts. */
import { and, eq, inArray } from "drizzle-orm";
import type { AddPoolAgentsBody, AddPoolUsersBody, CreatePoolBody, UpdatePoolBody } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { agents, memberships, poolAgents, poolUsers, pools } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { setArchivedFlag } from "../../lib/archive.js";
import { newId } from "../../lib/ids.js";
import { addPoolMembers, readPool, type PoolRow } from "./pools.repo.js";

export function createPool(db: Db, orgId: string, body: CreatePoolBody, at: string): PoolRow {
  const id = newId();
  db.insert(pools).values({ id, orgId, name: body.name, description: body.description, labels: body.labels, insertedAt: at, updatedAt: at }).run();
  return readPool(db, id);
}

export function updatePool(db: Db, pool: PoolRow, body: UpdatePoolBody, at: string): PoolRow {
  db.update(pools).set({ ...body, updatedAt: at }).where(eq(pools.id, pool.id)).run();
  return readPool(db, pool.id);
}

/** Archive or restore; archiving an archived pool (or restoring a live one) is a 409. */
export function setPoolArchived(db: Db, pool: PoolRow, archived: boolean, at: string): PoolRow {
  setArchivedFlag(db, pools, pool.id, archived, at, `Pool "${pool.name}"`);
  return readPool(db, pool.id);
}

/** Every id must name a row of the pool's org; the rest is a 422 naming each missing one by index. */
function requireAll(ids: string[], found: Set<string>, field: string, what: string): void {
  const missing = ids.map((id, i) => ({ id, i })).filter(({ id }) => !found.has(id));
  if (missing.length) throw ApiError.validation(missing.map(({ id, i }) => ({ path: `${field}.${i}`, message: `no ${what} "${id}" in this pool's org` })));
}

export function addPoolAgents(db: Db, pool: PoolRow, body: AddPoolAgentsBody, at: string) {
  const found = db.select({ id: agents.id }).from(agents).where(and(eq(agents.orgId, pool.orgId), inArray(agents.id, body.agent_ids))).all();
  requireAll(body.agent_ids, new Set(found.map((r) => r.id)), "agent_ids", "agent");
  return addPoolMembers(db, poolAgents, pool.id, body.agent_ids, at);
}

export function addPoolUsers(db: Db, pool: PoolRow, body: AddPoolUsersBody, at: string) {
  const found = db.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.orgId, pool.orgId), inArray(memberships.userId, body.user_ids))).all();
  requireAll(body.user_ids, new Set(found.map((r) => r.id)), "user_ids", "user");
  return addPoolMembers(db, poolUsers, pool.id, body.user_ids, at);
}

/** Takes one agent or user out of the pool; one that was not a member is a 404. */
export function removePoolMember(db: Db, pool: PoolRow, member: { agentId: string } | { userId: string }): void {
  const n =
    "agentId" in member
      ? db.delete(poolAgents).where(and(eq(poolAgents.poolId, pool.id), eq(poolAgents.agentId, member.agentId))).run().changes
      : db.delete(poolUsers).where(and(eq(poolUsers.poolId, pool.id), eq(poolUsers.userId, member.userId))).run().changes;
  if (!n) throw ApiError.notFound("pool member", "agentId" in member ? member.agentId : member.userId);
}
