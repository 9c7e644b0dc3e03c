/**
 * GET /api/v1/events: Server-Sent Events of changes in the caller's orgs, so the console updates
 * live without polling. The events are hints without ids: a client that reconnects (after a drop
 * for falling behind, say) reloads what it shows rather than resuming.
 */
import type { FastifyInstance } from "fastify";
import { sseStreams, streamAuth } from "../../lib/sse.js";
import type { Deps } from "../../deps.js";

const FEED_TYPES = new Set(["agent.updated", "job.updated", "pool.updated"]);

export async function eventRoutes(app: FastifyInstance, { deps }: { deps: Deps }) {
  const openStream = sseStreams(app, deps);
  app.get("/api/v1/events", { onRequest: app.auth("read", { queryToken: true }), schema: { hide: true }, config: { sse: true } }, (req, reply) => {
    const auth = streamAuth(req);
    const orgs = new Set(auth.principal.orgIds);
    let unsubscribe = () => {};
    const stream = openStream(req, reply, auth, () => unsubscribe());
    unsubscribe = deps.events.subscribe((event) => {
      if (!FEED_TYPES.has(event.type) || !("org_id" in event) || !orgs.has(event.org_id)) return;
      stream.write(`data: ${JSON.stringify({ type: event.type, id: event.id })}\n\n`);
    });
  });
}
