/**
 * A job's report: read it, download it as a file, or share it through a read-only link that
 * expires. The link carries its own secret (`oshr_...`, stored as a digest), not the caller's token.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id, JobReportResponse, plain, success, Timestamp } from "@outpost/shared";
import { userOf } from "../../plugins/auth.js";
import { ApiError } from "../../errors.js";
import { digestSecret, generateSecret, isWellFormedSecret } from "../../lib/secrets.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { getJobOr404 } from "./jobs.repo.js";
import { findShare, reportOf } from "./job-reports.repo.js";
import { createShare } from "./job-reports.service.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });
const ShareBody = z.object({ expires_in_s: z.number().int().min(60).max(30 * 86_400).default(7 * 86_400) }).default({ expires_in_s: 7 * 86_400 });
const ShareResponse = success(z.object({ url: z.string(), expires_at: Timestamp }));

export async function jobReportRoutes(fastify: FastifyInstance, { deps }: { deps: Deps }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.get("/api/v1/jobs/:id/report", { onRequest: app.auth("read"), config: EXPENSIVE, schema: { tags: ["jobs"], params: Params, response: { 200: JobReportResponse } } }, async (req) => {
    const job = getJobOr404(db, userOf(req).orgIds, req.params.id);
    return successBody(reportOf(db, job.id));
  });

  app.get(
    "/api/v1/jobs/:id/report/download",
    { onRequest: app.auth("read"), config: EXPENSIVE, schema: { tags: ["jobs"], params: Params, querystring: z.object({ format: z.enum(["md", "json"]).optional() }) } },
    async (req, reply) => {
      const job = getJobOr404(db, userOf(req).orgIds, req.params.id);
      const report = reportOf(db, job.id);
      const format = req.query.format ?? (report.markdown !== null ? "md" : "json");
      if (format === "md" && report.markdown === null) throw new ApiError("not_found", `Job ${job.id} has no Markdown report.`);
      if (format === "json" && report.json === null) throw new ApiError("not_found", `Job ${job.id} has no JSON report.`);
      reply.header("content-disposition", `attachment; filename="report-${job.id}.${format}"`);
      if (format === "md") return reply.type("text/markdown; charset=utf-8").send(report.markdown);
      return reply.type("application/json").send(JSON.stringify(report.json, null, 2));
    },
  );

  app.post(
    "/api/v1/jobs/:id/report/share",
    { onRequest: app.auth("read"), config: EXPENSIVE, schema: { tags: ["jobs"], params: Params, body: ShareBody.optional(), response: { 201: ShareResponse } } },
    async (req, reply) => {
      const job = getJobOr404(db, userOf(req).orgIds, req.params.id);
      reportOf(db, job.id);
      const secret = generateSecret("share");
      const now = nowIso(deps.clock);
      const expiresAt = new Date(deps.clock() + (req.body?.expires_in_s ?? 7 * 86_400) * 1000).toISOString();
      createShare(db, job.id, digestSecret(deps.installSecret, secret), expiresAt, now);
      return reply.code(201).send(successBody({ url: `/api/v1/shared/reports/${secret}`, expires_at: expiresAt }));
    },
  );

  app.get(
    "/api/v1/shared/reports/:secret",
    { config: { access: "share-link", ...EXPENSIVE }, schema: { tags: ["jobs"], params: z.object({ secret: plain(z.string().max(200)) }), response: { 200: JobReportResponse } } },
    async (req) => {
      const gone = new ApiError("not_found", "This share link does not exist or has expired.");
      if (!isWellFormedSecret("share", req.params.secret)) throw gone;
      const share = findShare(db, digestSecret(deps.installSecret, req.params.secret));
      if (!share || share.expiresAt <= nowIso(deps.clock)) throw gone;
      return successBody(reportOf(db, share.jobId));
    },
  );
}
