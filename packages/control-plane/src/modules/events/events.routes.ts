/**
 * GET /api/v1/events: Server-Sent Events of changes in the caller's orgs, so the console updates
 * live without polling. EventSource cannot send headers, so the token may come as ?token=.
 */
import type { FastifyInstance } from "fastify";
import { authenticate, bearerOf } from "../../plugins/auth.js";
import { UNAUTHORIZED } from "../../errors.js";
import type { Deps } from "../../deps.js";

const KEEPALIVE_MS = 15_000;

export async function eventRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  // Open streams end when the server closes, so SIGTERM never waits on a console tab.
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of [...open]) end();
  });
  app.get("/api/v1/events", { schema: { hide: true } }, (req, reply) => {
    const query = req.query as { token?: string };
    const principal = authenticate(deps, bearerOf(req.headers.authorization) ?? query.token ?? null);
    if (!principal || principal.kind !== "user") throw UNAUTHORIZED;
    const orgs = new Set(principal.orgIds);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write(": connected\n\n");
    const unsubscribe = deps.events.subscribe((event) => {
      if (event.type === "job.log" || !orgs.has(event.org_id)) return;
      res.write(`data: ${JSON.stringify({ type: event.type, id: event.id })}\n\n`);
    });
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    const close = () => {
      clearInterval(keepalive);
      unsubscribe();
      open.delete(end);
    };
    const end = () => {
      close();
      res.end();
    };
    open.add(end);
    req.raw.on("close", close);
  });
}
