/**
 * The agent-facing routes: the session WebSocket (/api/v1/agent/session) and the catalog lookup
 * an agent makes at start to accept its configured modules. Registration (POST /api/v1/agent)
 * lives with the agents module.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { CLOSE, ModuleName, ModuleVersionResponse, SESSION_PATH, SUBPROTOCOL, SemverString } from "@outpost/shared";
import { modules } from "../db/schema.js";
import { ApiError } from "../errors.js";
import { targetOrg } from "../lib/org-scope.js";
import { toModule } from "../modules/catalog/catalog.repo.js";
import type { Deps } from "../deps.js";
import type { AgentHub } from "./hub.js";
import { successBody } from "../lib/reply.js";

export async function sessionRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: AgentHub }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get(SESSION_PATH, { websocket: true, onRequest: app.auth("agent"), schema: { tags: ["agent"], hide: true } }, (socket, req) => {
    const p = req.principal;
    if (p?.kind !== "agent") return socket.close(CLOSE.unauthorized, "an agent credential is required");
    if (socket.protocol !== SUBPROTOCOL) {
      return socket.close(CLOSE.unsupportedVersion, `subprotocol "${socket.protocol}" is not supported; use "${SUBPROTOCOL}"`);
    }
    const ids = { reqId: req.id, agent_id: p.agentId, org_id: p.orgId };
    req.log.info(ids, "agent connected");
    socket.on("close", (code, reason) => deps.log.info({ ...ids, code, reason: reason.toString().slice(0, 200) }, "agent disconnected"));
    hub.attach(socket, p.agentId, p.orgId);
  });

  app.get(
    "/api/v1/agent/modules/:name/:version",
    {
      onRequest: app.auth("agents:register|agent"),
      schema: { tags: ["agent"], params: z.object({ name: ModuleName, version: SemverString }), response: { 200: ModuleVersionResponse } },
    },
    async (req) => {
      const p = req.principal!;
      const orgId = p.kind === "agent" ? p.orgId : targetOrg(deps.db, p, undefined);
      const row = deps.db
        .select()
        .from(modules)
        .where(and(eq(modules.orgId, orgId), eq(modules.name, req.params.name), eq(modules.version, req.params.version)))
        .get();
      if (!row) throw ApiError.notFound("Module version", `${req.params.name}@${req.params.version}`);
      return successBody(toModule(row));
    },
  );
}
