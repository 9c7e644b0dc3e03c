/**
 * GET /api/v1/jobs/:id/logs: stored chunks in (attempt, seq) order; with ?follow=1 a Server-Sent
 * Events stream that sends what is stored, then each new chunk as it is written (woken by the
 * event bus, not polled), and ends with `event: end` once the job is finished. Each event's id is
 * `<attempt>:<seq>`; a follower that reconnects with Last-Event-ID (as EventSource does after a
 * drop) goes on after it.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id, JobLogsResponse, plain } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { sseStreams, streamAuth } from "../../lib/sse.js";
import type { Deps } from "../../deps.js";
import { getJobOr404 } from "./jobs.repo.js";
import { chunksAfter, followLog, type Cursor } from "./job-log-follower.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const LogQuery = z.object({
  follow: z.stringbool().default(false),
  after_attempt: z.coerce.number().int().min(0).default(0),
  after_seq: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(10_000).default(5_000),
  token: plain(z.string().max(512)).optional(),
});

/** EventSource's resume point: the `id:` of the last event it got, `<attempt>:<seq>`. */
function resumeFrom(header: string | string[] | undefined): Cursor | null {
  if (header === undefined) return null;
  const m = typeof header === "string" ? /^(\d{1,9}):(-1|\d{1,9})$/.exec(header.trim()) : null;
  if (!m) throw ApiError.validation([{ path: "last-event-id", message: `must be "<attempt>:<seq>" as sent in id: (got ${JSON.stringify(header)})` }]);
  return { attempt: Number(m[1]), seq: Number(m[2]) };
}

export async function jobLogRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const openStream = sseStreams(fastify, deps);

  app.get(
    "/api/v1/jobs/:id/logs",
    {
      onRequest: app.auth("read", { queryToken: true }),
      config: { ...EXPENSIVE, sse: true },
      schema: { tags: ["jobs"], params: z.object({ id: Id }), querystring: LogQuery, response: { 200: JobLogsResponse } },
    },
    async (req, reply) => {
      const auth = streamAuth(req);
      const job = getJobOr404(db, auth.principal.orgIds, req.params.id);
      const from = { attempt: req.query.after_attempt, seq: req.query.after_seq };
      if (!req.query.follow) {
        const chunks = chunksAfter(db, job.id, from, req.query.limit);
        const last = chunks[chunks.length - 1];
        const more = chunks.length === req.query.limit && last ? `${last.attempt}:${last.seq}` : null;
        return successBody(chunks, { next_cursor: more });
      }
      // A reconnecting EventSource repeats the first URL: its Last-Event-ID is the newer place.
      const cursor = resumeFrom(req.headers["last-event-id"]) ?? from;
      let unsubscribe = () => {};
      const stream = openStream(req, reply, auth, () => unsubscribe());
      const follower = followLog(db, job.id, cursor, stream);
      unsubscribe = deps.events.subscribe((e) => {
        if (e.type === "job.log" || e.type === "job.updated") {
          if (e.id === job.id) follower.wake();
        }
      });
      follower.wake();
    },
  );
}
