import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import {
  AddPoolAgentsBody,
  AddPoolUsersBody,
  AgentListQuery,
  AgentListResponse,
  CreatePoolBody,
  Id,
  InstallModuleBody,
  OkDetails,
  PoolListQuery,
  PoolListResponse,
  PoolMembershipResult,
  PoolModuleRequestsResponse,
  PoolOverviewResponse,
  PoolResponse,
  PoolUserListResponse,
  UpdatePoolBody,
  UpgradePoolBody,
  PoolUpgradeResponse,
} from "@outpost/shared";
import { agents, memberships, poolAgents, poolUsers, pools, users } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { userOf, type UserPrincipal } from "../../plugins/auth.js";
import { assertVisible, orgFilter, targetOrg } from "../../lib/org-scope.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { newId } from "../../lib/ids.js";
import { likeContains } from "../../lib/like.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { addPoolMembers, poolOverview, toPool, toPools, type PoolRow } from "./pools.repo.js";
import { listAgents } from "../agents/agents.repo.js";
import { requestInstallOnPool } from "../agents/agent-modules.js";
import { sql } from "drizzle-orm";
import { upgradePool } from "./pool-upgrade.js";
import { SERVER_VERSION } from "../../version.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

export async function poolRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const getPool = (p: UserPrincipal, id: string) => assertVisible(p, db.select().from(pools).where(eq(pools.id, id)).get(), "pool", id);
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "pool.updated", id, org_id: orgId });

  app.post("/api/v1/pools", { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], body: CreatePoolBody, response: { 201: PoolResponse } } }, async (req, reply) => {
    const orgId = targetOrg(db, userOf(req), req.body.org);
    const at = nowIso(deps.clock);
    const id = newId();
    db.insert(pools).values({ id, orgId, name: req.body.name, description: req.body.description, labels: req.body.labels, insertedAt: at, updatedAt: at }).run();
    changed(id, orgId);
    return reply.code(201).send(successBody(toPool(db, db.select().from(pools).where(eq(pools.id, id)).get()!)));
  });

  app.get("/api/v1/pools", { onRequest: app.auth("read"), schema: { tags: ["pools"], querystring: PoolListQuery, response: { 200: PoolListResponse } } }, async (req) => {
    const q = req.query;
    const byName = q.sort === "name";
    const keyset = { column: byName ? pools.name : pools.insertedAt, idColumn: pools.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: PoolRow) => (byName ? r.name : r.insertedAt) };
    const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
      db
        .select()
        .from(pools)
        .where(
          and(
            inArray(pools.orgId, orgFilter(db, userOf(req), q.org)),
            q.archived === "all" ? undefined : eq(pools.archived, q.archived === "archived"),
            q.q ? likeContains(pools.name, q.q) : undefined,
            page.after,
          ),
        )
        .orderBy(...page.orderBy)
        .limit(page.limit)
        .all(),
    );
    return successBody(toPools(db, rows), { next_cursor: next });
  });

  app.get("/api/v1/pools/:id", { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, response: { 200: PoolResponse } } }, async (req) => {
    return successBody(toPool(db, getPool(userOf(req), req.params.id)));
  });

  app.patch(
    "/api/v1/pools/:id",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: UpdatePoolBody, response: { 200: PoolResponse } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      db.update(pools).set({ ...req.body, updatedAt: nowIso(deps.clock) }).where(eq(pools.id, pool.id)).run();
      changed(pool.id, pool.orgId);
      return successBody(toPool(db, db.select().from(pools).where(eq(pools.id, pool.id)).get()!));
    },
  );

  for (const [action, archived] of [["archive", true], ["restore", false]] as const) {
    app.post(
      `/api/v1/pools/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, response: { 200: PoolResponse } } },
      async (req) => {
        const pool = getPool(userOf(req), req.params.id);
        const at = nowIso(deps.clock);
        const n = db
          .update(pools)
          .set({ archived, archivedAt: archived ? at : null, updatedAt: at })
          .where(and(eq(pools.id, pool.id), eq(pools.archived, !archived)))
          .run().changes;
        if (!n) throw ApiError.conflict(`Pool "${pool.name}" is ${archived ? "already archived" : "not archived"}.`);
        changed(pool.id, pool.orgId);
        return successBody(toPool(db, db.select().from(pools).where(eq(pools.id, pool.id)).get()!));
      },
    );
  }

  app.post(
    "/api/v1/pools/:id/agents",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: AddPoolAgentsBody, response: { 200: PoolMembershipResult } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const found = new Set(db.select({ id: agents.id }).from(agents).where(and(eq(agents.orgId, pool.orgId), inArray(agents.id, req.body.agent_ids))).all().map((r) => r.id));
      const missing = req.body.agent_ids.map((id, i) => ({ id, i })).filter(({ id }) => !found.has(id));
      if (missing.length) throw ApiError.validation(missing.map(({ id, i }) => ({ path: `agent_ids.${i}`, message: `no agent "${id}" in this pool's org` })));
      const result = addPoolMembers(db, poolAgents, pool.id, req.body.agent_ids, nowIso(deps.clock));
      changed(pool.id, pool.orgId);
      for (const id of result.added) deps.events.publish({ type: "agent.updated", id, org_id: pool.orgId });
      return successBody(result);
    },
  );

  app.get(
    "/api/v1/pools/:id/agents",
    { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, querystring: AgentListQuery, response: { 200: AgentListResponse } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const inPool = sql`exists (select 1 from ${poolAgents} pa where pa.agent_id = ${agents.id} and pa.pool_id = ${pool.id})`;
      const page = listAgents(db, [pool.orgId], req.query, inPool);
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.delete(
    "/api/v1/pools/:id/agents/:agentId",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params.extend({ agentId: Id }), response: { 200: OkDetails } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const n = db.delete(poolAgents).where(and(eq(poolAgents.poolId, pool.id), eq(poolAgents.agentId, req.params.agentId))).run().changes;
      if (!n) throw ApiError.notFound("pool member", req.params.agentId);
      changed(pool.id, pool.orgId);
      deps.events.publish({ type: "agent.updated", id: req.params.agentId, org_id: pool.orgId });
      return successBody({ ok: true as const });
    },
  );

  app.post(
    "/api/v1/pools/:id/users",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: AddPoolUsersBody, response: { 200: PoolMembershipResult } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const members = new Set(
        db.select({ id: memberships.userId }).from(memberships).where(and(eq(memberships.orgId, pool.orgId), inArray(memberships.userId, req.body.user_ids))).all().map((r) => r.id),
      );
      const missing = req.body.user_ids.map((id, i) => ({ id, i })).filter(({ id }) => !members.has(id));
      if (missing.length) throw ApiError.validation(missing.map(({ id, i }) => ({ path: `user_ids.${i}`, message: `no user "${id}" in this pool's org` })));
      const result = addPoolMembers(db, poolUsers, pool.id, req.body.user_ids, nowIso(deps.clock));
      changed(pool.id, pool.orgId);
      return successBody(result);
    },
  );

  app.get("/api/v1/pools/:id/users", { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, response: { 200: PoolUserListResponse } } }, async (req) => {
    const pool = getPool(userOf(req), req.params.id);
    const rows = db
      .select({ id: users.id, name: users.name, added_at: poolUsers.addedAt })
      .from(poolUsers)
      .innerJoin(users, eq(users.id, poolUsers.userId))
      .where(eq(poolUsers.poolId, pool.id))
      .orderBy(users.name)
      .all();
    return successBody(rows, { next_cursor: null });
  });

  app.delete(
    "/api/v1/pools/:id/users/:userId",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params.extend({ userId: Id }), response: { 200: OkDetails } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const n = db.delete(poolUsers).where(and(eq(poolUsers.poolId, pool.id), eq(poolUsers.userId, req.params.userId))).run().changes;
      if (!n) throw ApiError.notFound("pool member", req.params.userId);
      changed(pool.id, pool.orgId);
      return successBody({ ok: true as const });
    },
  );

  app.get("/api/v1/pools/:id/overview", { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, response: { 200: PoolOverviewResponse } } }, async (req) => {
    return successBody(poolOverview(db, getPool(userOf(req), req.params.id)));
  });

  // The agent module request to each agent of the pool; those that cannot take it now are `skipped`.
  app.post(
    "/api/v1/pools/:id/modules",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: InstallModuleBody, response: { 202: PoolModuleRequestsResponse } } },
    async (req, reply) => {
      const pool = getPool(userOf(req), req.params.id);
      const details = requestInstallOnPool(db, fastify.hub, pool, req.body, nowIso(deps.clock));
      for (const r of details.requested) deps.events.publish({ type: "agent.updated", id: r.agent_id, org_id: pool.orgId });
      return reply.code(202).send(successBody(details));
    },
  );

  // Asks the pool's agents, a batch at a time, to upgrade to the server's version; answers when done or stopped.
  app.post(
    "/api/v1/pools/:id/upgrade",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: UpgradePoolBody.default({ batch_size: 2, timeout_s: 300 }), response: { 200: PoolUpgradeResponse } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const details = await upgradePool(deps, fastify.hub, pool, req.body, SERVER_VERSION);
      for (const a of details.agents) if (a.outcome === "upgraded") deps.events.publish({ type: "agent.updated", id: a.agent_id, org_id: pool.orgId });
      return successBody(details);
    },
  );
}
