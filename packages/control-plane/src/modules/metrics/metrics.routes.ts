/**
 * GET /metrics (Prometheus text) and GET /readyz (200 only when the database answers). Metrics are
 * install-wide (every org's pools), so reading them takes the `metrics:read` scope on a token of
 * an install admin; a Prometheus scrape sends it as a bearer token. Wrapped with fastify-plugin so
 * the request-duration hook sees every route of the app.
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Deps } from "../../deps.js";
import { ApiError } from "../../errors.js";
import { ServerMetrics, checkDatabase } from "./metrics.registry.js";
import { successBody } from "../../lib/reply.js";

declare module "fastify" {
  interface FastifyInstance {
    metrics: ServerMetrics;
  }
}

export const metricsPlugin = fp(async (app: FastifyInstance, { deps, sessions }: { deps: Deps; sessions: () => number }) => {
  const metrics = new ServerMetrics(deps.db, deps.events, { sessions, clock: deps.clock });
  app.decorate("metrics", metrics);
  app.addHook("onClose", async () => metrics.close());
  app.addHook("onResponse", async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get(
    "/metrics",
    {
      onRequest: app.auth("metrics:read"),
      schema: { hide: true },
      preHandler: async (req) => {
        if (req.principal?.kind !== "user" || !req.principal.isAdmin) {
          throw new ApiError("forbidden", "Metrics cover every org: only an install admin's token (scope metrics:read) may read them.");
        }
      },
    },
    async (_req, reply) => {
      reply.header("content-type", metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get("/readyz", { config: { access: "public" }, schema: { hide: true } }, async (req, reply) => {
    try {
      checkDatabase(deps.db);
      return successBody({ ready: true });
    } catch (err) {
      req.log.warn({ err }, "readiness check: the database does not answer");
      return reply.code(503).send({ status: "error", code: "not_ready", message: "The database does not answer." });
    }
  });
});
