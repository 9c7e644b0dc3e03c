import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { ModuleListQuery, ModuleListResponse, ModuleVersionResponse, PublishModuleBody, plain } from "@outpost/shared";
import { modules } from "../../db/schema.js";

type ModuleRow = typeof modules.$inferSelect;
import { ApiError } from "../../errors.js";
import { userOf } from "../../plugins/auth.js";
import { orgFilter, targetOrg } from "../../lib/org-scope.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { likeContains } from "../../lib/like.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { checkInputSchemas, publishModule, toModule } from "./catalog.repo.js";
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
    const byName = q.sort === "name";
    const column = byName ? sql`${modules.name} || '@' || ${modules.version}` : modules.insertedAt;
    const keyset = { column, idColumn: modules.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: ModuleRow) => (byName ? `${r.name}@${r.version}` : r.insertedAt) };
    const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
      db
        .select()
        .from(modules)
        .where(
          and(
            inArray(modules.orgId, orgFilter(db, userOf(req), q.org)),
            q.name ? eq(modules.name, q.name) : undefined,
            q.q ? or(likeContains(modules.name, q.q), likeContains(modules.description, q.q)) : undefined,
            page.after,
          ),
        )
        .orderBy(...page.orderBy)
        .limit(page.limit)
        .all(),
    );
    return successBody(rows.map(toModule), { next_cursor: next });
  });

  app.get(
    "/api/v1/modules/:name/:version",
    { onRequest: app.auth("read"), schema: { tags: ["modules"], params: z.object({ name: plain(z.string().max(100)), version: plain(z.string().max(100)) }), response: { 200: ModuleVersionResponse } } },
    async (req) => {
      const row = db
        .select()
        .from(modules)
        .where(and(inArray(modules.orgId, userOf(req).orgIds), eq(modules.name, req.params.name), eq(modules.version, req.params.version)))
        .get();
      if (!row) throw ApiError.notFound("module", `${req.params.name}@${req.params.version}`);
      return successBody(toModule(row));
    },
  );
}
