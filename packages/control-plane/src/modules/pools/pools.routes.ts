import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
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
import { userOf, type UserPrincipal } from "../../plugins/auth.js";
import { assertVisible, orgFilter, targetOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { findPool, inPool, listPools, poolOverview, poolUserList, toPool } from "./pools.repo.js";
import { addPoolAgents, addPoolUsers, createPool, removePoolMember, setPoolArchived, updatePool } from "./pools.service.js";
import { listAgents } from "../agents/agents.repo.js";
import { requestInstallOnPool } from "../agents/agent-modules.js";
import { upgradePool } from "./pool-upgrade.js";
import { SERVER_VERSION } from "../../version.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

export async function poolRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const getPool = (p: UserPrincipal, id: string) => assertVisible(p, findPool(db, id), "pool", id);
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "pool.updated", id, org_id: orgId });

  app.post("/api/v1/pools", { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], body: CreatePoolBody, response: { 201: PoolResponse } } }, async (req, reply) => {
    const pool = createPool(db, targetOrg(db, userOf(req), req.body.org), req.body, nowIso(deps.clock));
    changed(pool.id, pool.orgId);
    return reply.code(201).send(successBody(toPool(db, pool)));
  });

  app.get("/api/v1/pools", { onRequest: app.auth("read"), schema: { tags: ["pools"], querystring: PoolListQuery, response: { 200: PoolListResponse } } }, async (req) => {
    const page = listPools(db, orgFilter(db, userOf(req), req.query.org), req.query);
    return successBody(page.items, { next_cursor: page.next });
  });

  app.get("/api/v1/pools/:id", { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, response: { 200: PoolResponse } } }, async (req) => {
    return successBody(toPool(db, getPool(userOf(req), req.params.id)));
  });

  app.patch(
    "/api/v1/pools/:id",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: UpdatePoolBody, response: { 200: PoolResponse } } },
    async (req) => {
      const pool = updatePool(db, getPool(userOf(req), req.params.id), req.body, nowIso(deps.clock));
      changed(pool.id, pool.orgId);
      return successBody(toPool(db, pool));
    },
  );

  for (const [action, archived] of [["archive", true], ["restore", false]] as const) {
    app.post(
      `/api/v1/pools/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, response: { 200: PoolResponse } } },
      async (req) => {
        const pool = setPoolArchived(db, getPool(userOf(req), req.params.id), archived, nowIso(deps.clock));
        changed(pool.id, pool.orgId);
        return successBody(toPool(db, pool));
      },
    );
  }

  app.post(
    "/api/v1/pools/:id/agents",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params, body: AddPoolAgentsBody, response: { 200: PoolMembershipResult } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      const result = addPoolAgents(db, pool, req.body, nowIso(deps.clock));
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
      const page = listAgents(db, [pool.orgId], req.query, inPool(pool.id));
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.delete(
    "/api/v1/pools/:id/agents/:agentId",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params.extend({ agentId: Id }), response: { 200: OkDetails } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      removePoolMember(db, pool, { agentId: req.params.agentId });
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
      const result = addPoolUsers(db, pool, req.body, nowIso(deps.clock));
      changed(pool.id, pool.orgId);
      return successBody(result);
    },
  );

  app.get("/api/v1/pools/:id/users", { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, response: { 200: PoolUserListResponse } } }, async (req) => {
    return successBody(poolUserList(db, getPool(userOf(req), req.params.id).id), { next_cursor: null });
  });

  app.delete(
    "/api/v1/pools/:id/users/:userId",
    { onRequest: app.auth("agents:write"), schema: { tags: ["pools"], params: Params.extend({ userId: Id }), response: { 200: OkDetails } } },
    async (req) => {
      const pool = getPool(userOf(req), req.params.id);
      removePoolMember(db, pool, { userId: req.params.userId });
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
