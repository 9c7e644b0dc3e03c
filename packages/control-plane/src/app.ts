/**
 * buildApp(deps): the whole HTTP surface as one Fastify instance, without listening, so tests
 * call app.inject() on the real thing. Plugins, then the error handler, then feature modules.
 */
import { MAX_FRAME_BYTES, SUBPROTOCOL } from "@outpost/shared";
import { existsSync } from "node:fs";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import fastifySwagger from "@fastify/swagger";
import fastifyStatic from "@fastify/static";
import fastifyWebsocket from "@fastify/websocket";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { openapiTransform, openapiTransformObject } from "./lib/openapi.js";
import type { Deps } from "./deps.js";
import { authPlugin } from "./plugins/auth.js";
import { requestLogController } from "./lib/log.js";
import { rateLimitPlugin } from "./plugins/rate-limit.js";
import { securityHeadersPlugin } from "./plugins/security-headers.js";
import { clientErrorHandler, frameworkErrors, installErrorHandler } from "./plugins/error-handler.js";
import { installInputBounds } from "./plugins/input-bounds.js";
import { tokenRoutes } from "./modules/tokens/tokens.routes.js";
import { orgRoutes } from "./modules/orgs/orgs.routes.js";
import { agentRoutes } from "./modules/agents/agents.routes.js";
import { poolRoutes } from "./modules/pools/pools.routes.js";
import { containerProfileRoutes } from "./modules/container-profiles/container-profiles.routes.js";
import { catalogRoutes } from "./modules/catalog/catalog.routes.js";
import { jobRoutes } from "./modules/jobs/jobs.routes.js";
import { jobLogRoutes } from "./modules/jobs/job-logs.routes.js";
import { jobBulkRoutes } from "./modules/jobs/job-bulk.routes.js";
import { jobReportRoutes } from "./modules/jobs/job-reports.routes.js";
import { eventRoutes } from "./modules/events/events.routes.js";
import { overviewRoutes } from "./modules/overview/overview.routes.js";
import { downloadRoutes } from "./modules/downloads/downloads.routes.js";
import { triggerRoutes } from "./modules/triggers/triggers.routes.js";
import { hookRoutes } from "./modules/triggers/trigger-hooks.routes.js";
import { Scheduler } from "./modules/triggers/trigger-scheduler.js";
import { AgentHub } from "./session/hub.js";
import { metricsPlugin } from "./modules/metrics/metrics.routes.js";
import { requestLogPlugin } from "./plugins/request-log.js";
import { logJobLifecycle } from "./modules/events/event-lifecycle-log.js";
import { sessionRoutes } from "./session/session.routes.js";
import { successBody } from "./lib/reply.js";

declare module "fastify" {
  interface FastifyInstance {
    hub: AgentHub;
    /** The schedule loop; tests call scheduler.tick() after moving deps.clock. */
    scheduler: Scheduler;
  }
}

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    logController: requestLogController(deps.log),
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const consoleDir = deps.config.consoleDir;
  const serveConsole = Boolean(consoleDir && existsSync(consoleDir));
  installErrorHandler(app, { spaFallback: serveConsole });
  installInputBounds(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Outpost control plane", version: "1.0.0", description: "REST API of outpost-server. See docs/api.md." },
      servers: [{ url: "{origin}", description: "this outpost-server", variables: { origin: { default: "http://127.0.0.1:7070", description: "where the server is reached" } } }],
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: openapiTransform,
    transformObject: openapiTransformObject,
  });
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: MAX_FRAME_BYTES,
      // Agree only on our subprotocol; the session route closes any other with CLOSE.unsupportedVersion.
      handleProtocols: (offered: Set<string>) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    },
  });
  await app.register(securityHeadersPlugin);
  await app.register(requestLogPlugin);
  await app.register(authPlugin, { deps });
  await app.register(rateLimitPlugin, { deps });
  // The hub is built below; sessions are counted through it once it exists.
  let hubRef: AgentHub | undefined;
  await app.register(metricsPlugin, { deps, sessions: () => hubRef?.size ?? 0 });

  await app.register(tokenRoutes, { deps });
  await app.register(orgRoutes, { deps });
  await app.register(agentRoutes, { deps });
  await app.register(poolRoutes, { deps });
  await app.register(containerProfileRoutes, { deps });
  await app.register(catalogRoutes, { deps });
  const hub = new AgentHub(deps);
  hubRef = hub;
  await app.register(jobRoutes, { deps, hub });
  await app.register(jobBulkRoutes, { deps, hub });
  await app.register(jobLogRoutes, { deps });
  await app.register(jobReportRoutes, { deps });
  await app.register(eventRoutes, { deps });
  await app.register(downloadRoutes, { deps });
  await app.register(overviewRoutes, { deps });
  await app.register(sessionRoutes, { deps, hub });
  await app.register(triggerRoutes, { deps, hub });
  await app.register(hookRoutes, { deps, hub });
  app.decorate("hub", hub);
  app.addHook("onReady", async () => hub.start());
  app.addHook("preClose", async () => hub.stop());
  const stopLifecycleLog = logJobLifecycle(deps.events, deps.log);
  app.addHook("onClose", async () => stopLifecycleLog());
  const scheduler = new Scheduler(deps, hub);
  app.decorate("scheduler", scheduler);
  app.addHook("onReady", async () => scheduler.start());
  app.addHook("preClose", async () => scheduler.stop());

  app.get("/api/v1/openapi.json", { config: { access: "public" }, schema: { hide: true } }, async () => app.swagger());
  app.get("/healthz", { config: { access: "public" }, schema: { hide: true } }, async () => successBody({ ok: true }));

  // Deep links (/agents, /runs/123) fall back to index.html in the error handler's not-found handler.
  if (serveConsole) await app.register(fastifyStatic, { root: consoleDir!, wildcard: false });
  return app;
}
