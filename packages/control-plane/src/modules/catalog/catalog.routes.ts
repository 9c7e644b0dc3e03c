import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ModuleListQuery, ModuleListResponse, ModuleVersionResponse, PublishModuleBody, plain } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { userOf } from "../../plugins/auth.js";
import { orgFilter, targetOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { checkInputSchemas, findModuleVersion, listModules, publishModule, toModule } from "./catalog.repo.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

export async function catalogRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.post(
    "/api/v1/modules",
    { onRequest: app.auth("modules:write"), config: EXPENSIVE, schema: { tags: ["modules"], body: PublishModuleBody, response: { 200: ModuleVersionResponse, 201: ModuleVersionResponse } } },
    async (req, reply) => {
      const orgId = targetOrg(db, userOf(req), req.body.org);
      await checkInputSchemas(req.body.functions);
      const { row, created } = publishModule(db, orgId, req.body, nowIso(deps.clock));
      return reply.code(created ? 201 : 200).send(successBody(toModule(row)));
    },
  );

  app.get("/api/v1/modules", { onRequest: app.auth("read"), schema: { tags: ["modules"], querystring: ModuleListQuery, response: { 200: ModuleListResponse } } }, async (req) => {
    const q = req.query;
    const page = listModules(db, orgFilter(db, userOf(req), q.org), q);
    return successBody(page.items, { next_cursor: page.next });
  });

  app.get(
    "/api/v1/modules/:name/:version",
    { onRequest: app.auth("read"), schema: { tags: ["modules"], params: z.object({ name: plain(z.string().max(100)), version: plain(z.string().max(100)) }), response: { 200: ModuleVersionResponse } } },
    async (req) => {
      const row = findModuleVersion(db, userOf(req).orgIds, req.params.name, req.params.version);
      if (!row) throw ApiError.notFound("module", `${req.params.name}@${req.params.version}`);
      return successBody(toModule(row));
    },
  );
}
