/**
 * Runs, several at a time: re-run (a new job with the same target and inputs, `rerun_of` the
 * original, provenance from the caller's credential) and cancel. Jobs the caller cannot see are
 * `not_found`, exactly as a missing id.
 */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { CancelJobsResponse, Id, JobIdsBody, JobResponse, RerunJobsResponse } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { userOf, type UserPrincipal } from "../../plugins/auth.js";
import { nowIso } from "../../lib/time.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import type { Deps } from "../../deps.js";
import type { AgentHub } from "../../session/hub.js";
import { toJob, visibleJobs, type JobRow } from "./jobs.repo.js";
import { cancelJob, createJob, requestProvenance, resolveJobTarget, validateInputs, type Provenance } from "./jobs.service.js";
import { successBody } from "../../lib/reply.js";

export async function jobBulkRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: Pick<AgentHub, "submit"> }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const changed = (r: JobRow) => deps.events.publish({ type: "job.updated", id: r.id, org_id: r.orgId, status: r.status });
  const visible = (p: UserPrincipal, ids: string[]) => visibleJobs(db, p.orgIds, ids);

  /** A new job like `orig`; a 422 naming `ids[i]` when its module version or function is gone or its inputs no longer fit. */
  async function rerun(p: UserPrincipal, orig: JobRow, index: number, provenance: Provenance): Promise<JobRow> {
    let target;
    try {
      target = resolveJobTarget(db, orig.orgId, { module: orig.module, version: orig.version, function: orig.function });
      await validateInputs(target, orig.inputs);
    } catch (err) {
      if (err instanceof ApiError && err.errors) throw ApiError.validation(err.errors.map((e) => ({ path: `ids.${index}`, message: `job ${orig.id} cannot be re-run: ${e.path}: ${e.message}` })));
      throw err;
    }
    const body = {
      module: orig.module,
      function: orig.function,
      inputs: orig.inputs,
      ...(orig.poolId ? { pool_id: orig.poolId } : {}),
      ...(orig.targetAgentId ? { agent_id: orig.targetAgentId } : {}),
      limits: orig.limits,
      ...(orig.timeoutS ? { timeout_s: orig.timeoutS } : {}),
      max_attempts: orig.maxAttempts,
      ...(orig.retryBackoffS !== null ? { retry: { max_attempts: orig.maxAttempts, backoff_s: orig.retryBackoffS } } : {}),
      priority: orig.priority,
      ...provenance,
      rerun_of: orig.id,
    };
    return hub.submit(() => createJob(db, orig.orgId, p.orgIds, body, nowIso(deps.clock), target, deps.config.defaultJobTimeoutS));
  }

  app.post("/api/v1/jobs/rerun", { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["jobs"], body: JobIdsBody, response: { 200: RerunJobsResponse } } }, async (req) => {
    const p = userOf(req);
    const provenance = requestProvenance(p, req.headers);
    const { rows, notFound } = visible(p, req.body.ids);
    const created: JobRow[] = [];
    for (const row of rows) created.push(await rerun(p, row, req.body.ids.indexOf(row.id), provenance));
    for (const r of created) changed(r);
    return successBody({ created: created.map((r) => toJob(db, r)), not_found: notFound });
  });

  app.post(
    "/api/v1/jobs/:id/rerun",
    { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["jobs"], params: z.object({ id: Id }), response: { 201: JobResponse } } },
    async (req, reply) => {
      const p = userOf(req);
      const { rows } = visible(p, [req.params.id]);
      if (!rows[0]) throw ApiError.notFound("job", req.params.id);
      const row = await rerun(p, rows[0], 0, requestProvenance(p, req.headers));
      changed(row);
      return reply.code(201).send(successBody(toJob(db, row)));
    },
  );

  app.post("/api/v1/jobs/cancel", { onRequest: app.auth("jobs:write"), schema: { tags: ["jobs"], body: JobIdsBody, response: { 200: CancelJobsResponse } } }, async (req) => {
    const p = userOf(req);
    const { rows, notFound } = visible(p, req.body.ids);
    const cancelled: string[] = [];
    const refused: { id: string; message: string }[] = [];
    for (const row of rows) {
      try {
        const done = cancelJob(db, row, p.userName, nowIso(deps.clock));
        // No status: the hub reads it and tells the agent of a running job to stop (as the single cancel does).
        deps.events.publish({ type: "job.updated", id: done.id, org_id: done.orgId });
        cancelled.push(row.id);
      } catch (err) {
        if (!(err instanceof ApiError) || err.code !== "conflict") throw err;
        refused.push({ id: row.id, message: err.message });
      }
    }
    return successBody({ cancelled, not_found: notFound, refused });
  });
}
