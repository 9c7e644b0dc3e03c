/** /api/v1/triggers: CRUD, pause/resume and firings of schedules, webhooks and event triggers (org-scoped). */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import {
  CreateTriggerBody,
  CreateTriggerResponse,
  TestDeliveryBody,
  WebhookDeliveryListResponse,
  HookResponse,
  Id,
  OkDetails,
  PageQuery,
  SchedulePreviewQuery,
  SchedulePreviewResponse,
  TriggerFiringListResponse,
  TriggerListQuery,
  TriggerListResponse,
  TriggerResponse,
  UpdateTriggerBody,
  type EventFilter,
  type ScheduleSpec,
  type TriggerTarget,
} from "@outpost/shared";
import { triggerFirings, triggers, webhookDeliveries } from "../../db/schema.js";
import { ApiError } from "../../errors.js";
import { userOf } from "../../plugins/auth.js";
import { orgFilter, targetOrg } from "../../lib/org-scope.js";
import { keysetPage, type PageClauses } from "../../lib/cursor.js";
import { newId } from "../../lib/ids.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { resolveJobTarget, validateInputs } from "../jobs/jobs.service.js";
import { checkSchedule, nextFireTimes } from "./trigger-cron.js";
import { eventCursorNow } from "./trigger-events.js";
import { getTriggerOr404, toFiring, toTrigger, type TriggerRow } from "./triggers.repo.js";
import { acceptDelivery, newPublicId, toDelivery, webhookSecret } from "./trigger-webhook.js";
import type { Submit } from "./trigger-fire.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

/** Prefixes the paths of a 422 from the job checks with `target.`, so the error names the trigger's field. */
async function checkTarget(deps: Deps, orgId: string, target: TriggerTarget, kind: TriggerRow["kind"]): Promise<void> {
  try {
    const resolved = resolveJobTarget(deps.db, orgId, target);
    // Webhook and event triggers merge their payload into the inputs when they fire; a schedule's are final.
    if (kind === "schedule") await validateInputs(resolved, target.inputs);
  } catch (err) {
    if (err instanceof ApiError && err.errors) throw ApiError.validation(err.errors.map((e) => ({ ...e, path: `target.${e.path}` })));
    throw err;
  }
}

export async function triggerRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: Submit }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const details = (id: string) => toTrigger(db, db.select().from(triggers).where(eq(triggers.id, id)).get()!, deps.clock());

  app.post("/api/v1/triggers", { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], body: CreateTriggerBody, response: { 201: CreateTriggerResponse } } }, async (req, reply) => {
    const p = userOf(req);
    const body = req.body;
    const orgId = targetOrg(db, p, body.org);
    if (body.schedule) checkSchedule(body.schedule);
    await checkTarget(deps, orgId, body.target, body.kind);
    const at = nowIso(deps.clock);
    const id = newId();
    const publicId = body.kind === "webhook" ? newPublicId() : null;
    const cursor = body.kind === "schedule" ? at : body.event ? eventCursorNow(db, body.event, deps.clock()) : null;
    db.insert(triggers)
      .values({ id, orgId, name: body.name, kind: body.kind, enabled: body.enabled, target: body.target, schedule: body.schedule ?? null, event: body.event ?? null, scheduledThrough: cursor, publicId, createdBy: p.userName, insertedAt: at, updatedAt: at })
      .run();
    return reply.code(201).send(successBody({ ...details(id), secret: publicId ? webhookSecret(deps.installSecret, publicId) : null }));
  });

  app.get("/api/v1/triggers", { onRequest: app.auth("read"), schema: { tags: ["triggers"], querystring: TriggerListQuery, response: { 200: TriggerListResponse } } }, async (req) => {
    const q = req.query;
    const keyset = { column: triggers.insertedAt, idColumn: triggers.id, order: q.order, cursor: q.cursor, limit: q.limit, keyOf: (r: TriggerRow) => r.insertedAt };
    const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
      db
        .select()
        .from(triggers)
        .where(and(inArray(triggers.orgId, orgFilter(db, userOf(req), q.org)), q.kind ? eq(triggers.kind, q.kind) : undefined, page.after))
        .orderBy(...page.orderBy)
        .limit(page.limit)
        .all(),
    );
    const now = deps.clock();
    return successBody(rows.map((r) => toTrigger(db, r, now)), { next_cursor: next });
  });

  app.get(
    "/api/v1/triggers/schedule-preview",
    { onRequest: app.auth("read"), schema: { tags: ["triggers"], querystring: SchedulePreviewQuery, response: { 200: SchedulePreviewResponse } } },
    async (req) => {
      checkSchedule(req.query, "");
      return successBody({ next_fire_times: nextFireTimes(req.query, deps.clock()) });
    },
  );

  app.get("/api/v1/triggers/:id", { onRequest: app.auth("read"), schema: { tags: ["triggers"], params: Params, response: { 200: TriggerResponse } } }, async (req) => {
    return successBody(details(getTriggerOr404(db, userOf(req).orgIds, req.params.id).id));
  });

  app.patch("/api/v1/triggers/:id", { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], params: Params, body: UpdateTriggerBody, response: { 200: TriggerResponse } } }, async (req) => {
    const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
    const body = req.body;
    if (body.schedule && row.kind !== "schedule") throw ApiError.validation([{ path: "schedule", message: `a ${row.kind} trigger takes no schedule` }]);
    if (body.schedule) checkSchedule(body.schedule);
    if (body.event && row.kind !== "event") throw ApiError.validation([{ path: "event", message: `a ${row.kind} trigger takes no event filter` }]);
    if (body.target) await checkTarget(deps, row.orgId, body.target, row.kind);
    const at = nowIso(deps.clock);
    // A new schedule, or a schedule turned back on, starts from now: nothing before it is owed.
    const restart = body.schedule !== undefined || body.event !== undefined || (body.enabled === true && !row.enabled);
    db.update(triggers)
      .set({ name: body.name, target: body.target, enabled: body.enabled, schedule: body.schedule as ScheduleSpec | undefined, event: body.event, updatedAt: at, ...(restart ? { scheduledThrough: restartCursor(row, body.event) } : {}) })
      .where(eq(triggers.id, row.id))
      .run();
    return successBody(details(row.id));
  });

  for (const [action, enabled] of [["pause", false], ["resume", true]] as const) {
    app.post(`/api/v1/triggers/:id/${action}`, { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], params: Params, response: { 200: TriggerResponse } } }, async (req) => {
      const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
      const at = nowIso(deps.clock);
      if (row.enabled !== enabled) {
        db.update(triggers)
          .set({ enabled, updatedAt: at, ...(enabled ? { scheduledThrough: restartCursor(row) } : {}) })
          .where(eq(triggers.id, row.id))
          .run();
      }
      return successBody(details(row.id));
    });
  }

  app.delete("/api/v1/triggers/:id", { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
    db.delete(triggers).where(eq(triggers.id, row.id)).run();
    return successBody({ ok: true as const });
  });

  app.get(
    "/api/v1/triggers/:id/firings",
    { onRequest: app.auth("read"), schema: { tags: ["triggers"], params: Params, querystring: PageQuery.pick({ limit: true, cursor: true }), response: { 200: TriggerFiringListResponse } } },
    async (req) => {
      const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
      const q = req.query;
      const keyset = { column: triggerFirings.firedAt, idColumn: triggerFirings.id, order: "desc" as const, cursor: q.cursor, limit: q.limit, keyOf: (r: typeof triggerFirings.$inferSelect) => r.firedAt };
      const { rows, next } = keysetPage(db, keyset, (page: PageClauses) =>
        db.select().from(triggerFirings).where(and(eq(triggerFirings.triggerId, row.id), page.after)).orderBy(...page.orderBy).limit(page.limit).all(),
      );
      return successBody(rows.map(toFiring), { next_cursor: next });
    },
  );

  /** A schedule or event trigger (re)started: nothing before now is owed. */
  function restartCursor(row: TriggerRow, event?: EventFilter): string | null {
    if (row.kind === "schedule") return nowIso(deps.clock);
    const filter = event ?? (row.event as EventFilter | null);
    return filter ? eventCursorNow(db, filter, deps.clock()) : null;
  }

  const webhookOr404 = (orgIds: string[], id: string) => {
    const row = getTriggerOr404(db, orgIds, id);
    if (row.kind !== "webhook") throw ApiError.notFound("webhook trigger", id);
    return row;
  };

  app.get(
    "/api/v1/triggers/:id/deliveries",
    { onRequest: app.auth("read"), schema: { tags: ["triggers"], params: Params, response: { 200: WebhookDeliveryListResponse } } },
    async (req) => {
      const row = webhookOr404(userOf(req).orgIds, req.params.id);
      const rows = db.select().from(webhookDeliveries).where(eq(webhookDeliveries.triggerId, row.id)).orderBy(desc(webhookDeliveries.receivedAt), desc(webhookDeliveries.id)).all();
      return successBody(rows.map(toDelivery));
    },
  );

  // The console's "send a test delivery": the same path as a signed delivery, after the signature.
  app.post(
    "/api/v1/triggers/:id/test-delivery",
    { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["triggers"], params: Params, body: TestDeliveryBody, response: { 202: HookResponse } } },
    async (req, reply) => {
      const row = webhookOr404(userOf(req).orgIds, req.params.id);
      if (!row.enabled) throw ApiError.conflict(`Trigger ${row.id} is paused; resume it first.`);
      const { delivery } = await acceptDelivery(deps, hub, row, `test-${newId()}`, req.body.payload);
      return reply.code(202).send(successBody({ ...toDelivery(delivery), repeat: false }));
    },
  );
}
