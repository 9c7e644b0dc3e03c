import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  AgentListQuery,
  AgentListResponse,
  AgentModulesResponse,
  AgentResponse,
  HistoryQuery,
  Id,
  plain,
  InstallModuleBody,
  ModuleHistoryResponse,
  ModuleRequestResponse,
  OkDetails,
  RegisterAgentBody,
  RegisterAgentResponse,
  StatusHistoryResponse,
  UpdateAgentBody,
} from "@outpost/shared";
import { UNAUTHORIZED } from "../../errors.js";
import { tx } from "../../db/client.js";
import { consumeRegistration } from "../tokens/tokens.service.js";
import { userOf } from "../../plugins/auth.js";
import { orgFilter, targetOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { getAgentOr404, listAgents, moduleHistory, statusHistory, toAgent } from "./agents.repo.js";
import { createAgent, deleteAgent, reregisterAgent, setArchived, setPaused, updateAgent } from "./agents.service.js";
import { agentModulesWithFunctions } from "../catalog/catalog.repo.js";
import { requestInstall, requestRemove } from "./agent-modules.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

export async function agentRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "agent.updated", id, org_id: orgId });

  app.post(
    "/api/v1/agent",
    {
      onRequest: app.auth("agents:register|agent"),
      config: EXPENSIVE,
      schema: { tags: ["agents"], body: RegisterAgentBody, response: { 200: RegisterAgentResponse, 201: RegisterAgentResponse } },
    },
    async (req, reply) => {
      const p = req.principal!;
      const at = nowIso(deps.clock);
      if (p.kind === "agent") {
        const row = reregisterAgent(db, p.agentId, req.body, at);
        changed(row.id, row.orgId);
        return reply.code(200).send(successBody(toAgent(db, row)));
      }
      const orgId = targetOrg(db, p, undefined);
      // One use of the token, in the same transaction as the new agent (a failed registration uses none).
      const { row, credential } = tx(db, () => {
        if (!consumeRegistration(db, p.tokenId, at)) throw UNAUTHORIZED;
        return createAgent(db, deps.installSecret, orgId, p.userId, req.body, at);
      });
      changed(row.id, row.orgId);
      return reply.code(201).send(successBody(toAgent(db, row), { credential }));
    },
  );

  app.get("/api/v1/agents", { onRequest: app.auth("read"), schema: { tags: ["agents"], querystring: AgentListQuery, response: { 200: AgentListResponse } } }, async (req) => {
    const p = userOf(req);
    const page = listAgents(db, orgFilter(db, p, req.query.org), req.query);
    return successBody(page.items, { next_cursor: page.next });
  });

  app.get("/api/v1/agents/:id", { onRequest: app.auth("read"), schema: { tags: ["agents"], params: Params, response: { 200: AgentResponse } } }, async (req) => {
    const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
    return successBody(toAgent(db, row));
  });

  app.patch(
    "/api/v1/agents/:id",
    { onRequest: app.auth("agents:write"), schema: { tags: ["agents"], params: Params, body: UpdateAgentBody, response: { 200: AgentResponse } } },
    async (req) => {
      const row = updateAgent(db, getAgentOr404(db, userOf(req).orgIds, req.params.id), req.body, nowIso(deps.clock));
      changed(row.id, row.orgId);
      return successBody(toAgent(db, row));
    },
  );

  for (const [action, archived] of [["retire", true], ["reinstate", false]] as const) {
    app.post(
      `/api/v1/agents/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags: ["agents"], params: Params, response: { 200: AgentResponse } } },
      async (req) => {
        const row = setArchived(db, getAgentOr404(db, userOf(req).orgIds, req.params.id), archived, nowIso(deps.clock));
        changed(row.id, row.orgId);
        return successBody(toAgent(db, row));
      },
    );
  }

  // Pause: no new jobs, running ones finish (a drain an operator can undo).
  for (const [action, paused] of [["pause", true], ["resume", false]] as const) {
    app.post(
      `/api/v1/agents/:id/${action}`,
      { onRequest: app.auth("agents:write"), schema: { tags: ["agents"], params: Params, response: { 200: AgentResponse } } },
      async (req) => {
        const row = setPaused(db, getAgentOr404(db, userOf(req).orgIds, req.params.id), paused, nowIso(deps.clock));
        changed(row.id, row.orgId);
        return successBody(toAgent(db, row));
      },
    );
  }

  app.delete("/api/v1/agents/:id", { onRequest: app.auth("agents:write"), schema: { tags: ["agents"], params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
    deleteAgent(db, row);
    changed(row.id, row.orgId);
    return successBody({ ok: true as const });
  });

  app.get(
    "/api/v1/agents/:id/status-history",
    { onRequest: app.auth("read"), schema: { tags: ["agents"], params: Params, querystring: HistoryQuery, response: { 200: StatusHistoryResponse } } },
    async (req) => {
      const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
      const page = statusHistory(db, row.id, req.query);
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.get(
    "/api/v1/agents/:id/module-history",
    { onRequest: app.auth("read"), schema: { tags: ["agents"], params: Params, querystring: HistoryQuery, response: { 200: ModuleHistoryResponse } } },
    async (req) => {
      const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
      const page = moduleHistory(db, row.id, req.query);
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.get("/api/v1/agents/:id/modules", { onRequest: app.auth("read"), schema: { tags: ["agents"], params: Params, response: { 200: AgentModulesResponse } } }, async (req) => {
    const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
    return successBody(agentModulesWithFunctions(db, row.orgId, row.id), { next_cursor: null });
  });

  // Module requests: 202, the agent pulls in the background; the outcome lands in module-history.
  app.post(
    "/api/v1/agents/:id/modules",
    { onRequest: app.auth("agents:write"), schema: { tags: ["agents"], params: Params, body: InstallModuleBody, response: { 202: ModuleRequestResponse } } },
    async (req, reply) => {
      const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
      const details = requestInstall(db, fastify.hub, row, req.body, nowIso(deps.clock));
      changed(row.id, row.orgId);
      return reply.code(202).send(successBody(details));
    },
  );

  app.delete(
    "/api/v1/agents/:id/modules/:name",
    {
      onRequest: app.auth("agents:write"),
      schema: { tags: ["agents"], params: Params.extend({ name: plain(z.string().min(1).max(100)) }), response: { 202: ModuleRequestResponse } },
    },
    async (req, reply) => {
      const row = getAgentOr404(db, userOf(req).orgIds, req.params.id);
      const details = requestRemove(db, fastify.hub, row, req.params.name, nowIso(deps.clock));
      changed(row.id, row.orgId);
      return reply.code(202).send(successBody(details));
    },
  );
}
