/**
 * GET /api/v1/overview (scope read): the console's Overview page in one read, for the caller's
 * orgs: agents by status, jobs ended per minute by outcome over 24 h, queue wait p50/p95, the
 * busiest pools, agents on a version older than the server's, and the latest failures.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { OverviewQuery, OverviewResponse } from "@outpost/shared";
import type { Deps } from "../../deps.js";
import { orgFilter } from "../../lib/org-scope.js";
import type { UserPrincipal } from "../../plugins/auth.js";
import { successBody } from "../../lib/reply.js";
import { overview } from "./overview.repo.js";

export async function overviewRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    "/api/v1/overview",
    { onRequest: app.auth("read"), schema: { tags: ["overview"], querystring: OverviewQuery, response: { 200: OverviewResponse } } },
    async (req) => successBody(overview(deps, orgFilter(deps.db, req.principal as UserPrincipal, req.query.org))),
  );
}
