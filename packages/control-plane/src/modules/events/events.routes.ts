/**
 * GET /api/v1/events: Server-Sent Events of changes in the caller's orgs, so the console updates
 * live without polling.
 */
import type { FastifyInstance } from "fastify";
import { sseStreams } from "../../lib/sse.js";
import { userOf } from "../../plugins/auth.js";
import type { Deps } from "../../deps.js";

export async function eventRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const openStream = sseStreams(app);
  app.get("/api/v1/events", { onRequest: app.auth("read", { queryToken: true }), schema: { hide: true } }, (req, reply) => {
    const orgs = new Set(userOf(req).orgIds);
    let unsubscribe = () => {};
    const stream = openStream(req, reply, () => unsubscribe());
    unsubscribe = deps.events.subscribe((event) => {
      if (event.type === "job.log" || !orgs.has(event.org_id)) return;
      stream.write(`data: ${JSON.stringify({ type: event.type, id: event.id })}\n\n`);
    });
  });
}
