/**
 * GET /api/v1/events: Server-Sent Events of changes in the caller's orgs, so the console updates
 * live without polling.
 */
import type { FastifyInstance } from "fastify";
import { sseStreams, streamPrincipal } from "../../lib/sse.js";
import type { Deps } from "../../deps.js";

export async function eventRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const openStream = sseStreams(app);
  app.get("/api/v1/events", { schema: { hide: true } }, (req, reply) => {
    const orgs = new Set(streamPrincipal(deps, req, (req.query as { token?: string }).token).orgIds);
    let unsubscribe = () => {};
    const stream = openStream(req, reply, () => unsubscribe());
    unsubscribe = deps.events.subscribe((event) => {
      if (event.type === "job.log" || !orgs.has(event.org_id)) return;
      stream.write(`data: ${JSON.stringify({ type: event.type, id: event.id })}\n\n`);
    });
  });
}
