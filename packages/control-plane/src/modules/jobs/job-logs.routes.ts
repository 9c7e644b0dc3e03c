/**
 * GET /api/v1/jobs/:id/logs: stored chunks in (attempt, seq) order; with ?follow=1 a Server-Sent
 * Events stream that sends what is stored, then each new chunk as it is written (woken by the
 * event bus, not polled), and ends with `event: end` once the job is finished.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, asc, eq, gt, or } from "drizzle-orm";
import { z } from "zod";
import { Id, JobLogsResponse, plain, isTerminalJobStatus, type JobStatus, type LogChunk } from "@outpost/shared";
import type { Db } from "../../db/client.js";
import { jobLogs, jobs } from "../../db/schema.js";
import { sseStreams } from "../../lib/sse.js";
import { userOf } from "../../plugins/auth.js";
import type { Deps } from "../../deps.js";
import { getJobOr404 } from "./jobs.repo.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";

const LogQuery = z.object({
  follow: z.stringbool().default(false),
  after_attempt: z.coerce.number().int().min(0).default(0),
  after_seq: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(10_000).default(5_000),
  token: plain(z.string().max(512)).optional(),
});

function chunksAfter(db: Db, jobId: string, attempt: number, seq: number, limit: number): LogChunk[] {
  return db
    .select()
    .from(jobLogs)
    .where(and(eq(jobLogs.jobId, jobId), or(gt(jobLogs.attempt, attempt), and(eq(jobLogs.attempt, attempt), gt(jobLogs.seq, seq)))))
    .orderBy(asc(jobLogs.attempt), asc(jobLogs.seq))
    .limit(limit)
    .all()
    .map((c) => ({ attempt: c.attempt, seq: c.seq, stream: c.stream as LogChunk["stream"], data: c.data, at: c.at }));
}

export async function jobLogRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const openStream = sseStreams(fastify);

  app.get(
    "/api/v1/jobs/:id/logs",
    {
      onRequest: app.auth("read", { queryToken: true }),
      config: EXPENSIVE,
      schema: { tags: ["jobs"], params: z.object({ id: Id }), querystring: LogQuery, response: { 200: JobLogsResponse } },
    },
    async (req, reply) => {
      const principal = userOf(req);
      const job = getJobOr404(db, principal.orgIds, req.params.id);
      let cursor = { attempt: req.query.after_attempt, seq: req.query.after_seq };
      if (!req.query.follow) {
        const chunks = chunksAfter(db, job.id, cursor.attempt, cursor.seq, req.query.limit);
        const last = chunks[chunks.length - 1];
        const more = chunks.length === req.query.limit && last ? `${last.attempt}:${last.seq}` : null;
        return { status: "success" as const, details: chunks, next_cursor: more };
      }
      let unsubscribe = () => {};
      let closed = false;
      const stream = openStream(req, reply, () => {
        closed = true;
        unsubscribe();
      });
      const flush = () => {
        if (closed) return;
        for (let batch = chunksAfter(db, job.id, cursor.attempt, cursor.seq, 1000); batch.length; batch = chunksAfter(db, job.id, cursor.attempt, cursor.seq, 1000)) {
          for (const c of batch) stream.write(`id: ${c.attempt}:${c.seq}\ndata: ${JSON.stringify(c)}\n\n`);
          const last = batch[batch.length - 1]!;
          cursor = { attempt: last.attempt, seq: last.seq };
        }
        const status = db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, job.id)).get()?.status;
        if (!status || isTerminalJobStatus(status as JobStatus)) {
          stream.write(`event: end\ndata: ${JSON.stringify({ status: status ?? "deleted" })}\n\n`);
          stream.end();
        }
      };
      unsubscribe = deps.events.subscribe((e) => {
        if (e.id === job.id && (e.type === "job.log" || e.type === "job.updated")) flush();
      });
      flush();
    },
  );
}
