import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { CreateJobBody, DeleteJobsBody, DeleteJobsResponse, Id, JobListQuery, JobListResponse, JobResponse, OkDetails } from "@outpost/shared";
import { userOf } from "../../plugins/auth.js";
import { assertVisible, orgFilter, targetOrg } from "../../lib/org-scope.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import type { DispatchCommands } from "../../session/dispatcher.js";
import { getJobOr404, listJobs, toJob, toStoredJob, visibleJobs } from "./jobs.repo.js";
import { findPool } from "../pools/pools.repo.js";
import { cancelJob, createJob, deleteJobs, requestProvenance, resolveJobTarget, validateInputs } from "./jobs.service.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

export async function jobRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: DispatchCommands }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const changed = (id: string, orgId: string) => deps.events.publish({ type: "job.updated", id, org_id: orgId });

  app.post("/api/v1/jobs", { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["jobs"], body: CreateJobBody, response: { 201: JobResponse } } }, async (req, reply) => {
    const p = userOf(req);
    const orgId = targetOrg(db, p, req.body.org);
    // Insert and claim in one commit, shared with the other submissions of this tick (group
    // commit); the hub sends the assign once it is stored and answers none before that. The 201 is built
    // after that (off the dispatch path) and shows the job as stored: pending with its waiting
    // reason, or already claimed by an agent.
    // Validation runs off the event loop; the version it picked is the one inserted.
    const provenance = requestProvenance(p, req.headers);
    const target = resolveJobTarget(db, orgId, req.body);
    await validateInputs(target, req.body.inputs);
    const row = await hub.submit(() => createJob(db, orgId, p.orgIds, { ...req.body, ...provenance }, nowIso(deps.clock), target, deps.config.defaultJobTimeoutS));
    changed(row.id, row.orgId);
    return reply.code(201).send(successBody(toStoredJob(db, row)));
  });

  app.get("/api/v1/jobs", { onRequest: app.auth("read"), schema: { tags: ["jobs"], querystring: JobListQuery, response: { 200: JobListResponse } } }, async (req) => {
    const page = listJobs(db, orgFilter(db, userOf(req), req.query.org), req.query);
    return successBody(page.items, { next_cursor: page.next });
  });

  app.get(
    "/api/v1/pools/:id/jobs",
    { onRequest: app.auth("read"), schema: { tags: ["pools"], params: Params, querystring: JobListQuery, response: { 200: JobListResponse } } },
    async (req) => {
      const p = userOf(req);
      const pool = assertVisible(p, findPool(db, req.params.id), "pool", req.params.id);
      const page = listJobs(db, [pool.orgId], { ...req.query, pool_id: pool.id });
      return successBody(page.items, { next_cursor: page.next });
    },
  );

  app.get("/api/v1/jobs/:id", { onRequest: app.auth("read"), schema: { tags: ["jobs"], params: Params, response: { 200: JobResponse } } }, async (req) => {
    return successBody(toJob(db, getJobOr404(db, userOf(req).orgIds, req.params.id)));
  });

  app.post("/api/v1/jobs/:id/cancel", { onRequest: app.auth("jobs:write"), schema: { tags: ["jobs"], params: Params, response: { 200: JobResponse } } }, async (req) => {
    const p = userOf(req);
    const row = cancelJob(db, getJobOr404(db, p.orgIds, req.params.id), p.userName, nowIso(deps.clock));
    hub.jobChanged(row);
    return successBody(toJob(db, row));
  });

  app.delete("/api/v1/jobs/:id", { onRequest: app.auth("jobs:write"), schema: { tags: ["jobs"], params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getJobOr404(db, userOf(req).orgIds, req.params.id);
    deleteJobs(db, [row]);
    changed(row.id, row.orgId);
    return successBody({ ok: true as const });
  });

  app.post("/api/v1/jobs/delete", { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["jobs"], body: DeleteJobsBody, response: { 200: DeleteJobsResponse } } }, async (req) => {
    const p = userOf(req);
    const ids = [...new Set(req.body.ids)];
    const { rows } = visibleJobs(db, p.orgIds, ids);
    const deleted = deleteJobs(db, rows);
    for (const r of rows) changed(r.id, r.orgId);
    return successBody({ deleted, not_found: ids.filter((id) => !deleted.includes(id)) });
  });
}
