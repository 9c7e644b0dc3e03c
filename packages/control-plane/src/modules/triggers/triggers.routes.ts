/** /api/v1/triggers: CRUD, pause/resume and firings of schedules, webhooks and event triggers (org-scoped). */
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
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
} from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { userOf } from "../../plugins/auth.js";
import { orgFilter, targetOrg } from "../../lib/org-scope.js";
import { newId } from "../../lib/ids.js";
import type { Deps } from "../../deps.js";
import { checkSchedule, nextFireTimes } from "./trigger-cron.js";
import { deliveriesOf, getTriggerOr404, getWebhookOr404, listFirings, listTriggers, triggerDetails } from "./triggers.repo.js";
import { createTrigger, deleteTrigger, setTriggerEnabled, updateTrigger } from "./triggers.service.js";
import { acceptDelivery, toDelivery } from "./trigger-webhook.js";
import type { Submit } from "./trigger-fire.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { successBody } from "../../lib/reply.js";

const Params = z.object({ id: Id });

export async function triggerRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: Submit }) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;
  const details = (id: string) => triggerDetails(db, id, deps.clock());

  app.post("/api/v1/triggers", { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], body: CreateTriggerBody, response: { 201: CreateTriggerResponse } } }, async (req, reply) => {
    const p = userOf(req);
    const { id, secret } = await createTrigger(deps, targetOrg(db, p, req.body.org), p.userName, req.body);
    return reply.code(201).send(successBody({ ...details(id), secret }));
  });

  app.get("/api/v1/triggers", { onRequest: app.auth("read"), schema: { tags: ["triggers"], querystring: TriggerListQuery, response: { 200: TriggerListResponse } } }, async (req) => {
    const { items, next } = listTriggers(db, orgFilter(db, userOf(req), req.query.org), req.query, deps.clock());
    return successBody(items, { next_cursor: next });
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
    await updateTrigger(deps, row, req.body);
    return successBody(details(row.id));
  });

  for (const [action, enabled] of [["pause", false], ["resume", true]] as const) {
    app.post(`/api/v1/triggers/:id/${action}`, { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], params: Params, response: { 200: TriggerResponse } } }, async (req) => {
      const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
      setTriggerEnabled(deps, row, enabled);
      return successBody(details(row.id));
    });
  }

  app.delete("/api/v1/triggers/:id", { onRequest: app.auth("jobs:write"), schema: { tags: ["triggers"], params: Params, response: { 200: OkDetails } } }, async (req) => {
    const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
    deleteTrigger(deps, row);
    return successBody({ ok: true as const });
  });

  app.get(
    "/api/v1/triggers/:id/firings",
    { onRequest: app.auth("read"), schema: { tags: ["triggers"], params: Params, querystring: PageQuery.pick({ limit: true, cursor: true }), response: { 200: TriggerFiringListResponse } } },
    async (req) => {
      const row = getTriggerOr404(db, userOf(req).orgIds, req.params.id);
      const { items, next } = listFirings(db, row.id, req.query);
      return successBody(items, { next_cursor: next });
    },
  );

  app.get(
    "/api/v1/triggers/:id/deliveries",
    { onRequest: app.auth("read"), schema: { tags: ["triggers"], params: Params, response: { 200: WebhookDeliveryListResponse } } },
    async (req) => {
      const row = getWebhookOr404(db, userOf(req).orgIds, req.params.id);
      return successBody(deliveriesOf(db, row.id).map(toDelivery));
    },
  );

  // The console's "send a test delivery": the same path as a signed delivery, after the signature.
  app.post(
    "/api/v1/triggers/:id/test-delivery",
    { onRequest: app.auth("jobs:write"), config: EXPENSIVE, schema: { tags: ["triggers"], params: Params, body: TestDeliveryBody, response: { 202: HookResponse } } },
    async (req, reply) => {
      const row = getWebhookOr404(db, userOf(req).orgIds, req.params.id);
      if (!row.enabled) throw ApiError.conflict(`Trigger ${row.id} is paused; resume it first.`);
      const { delivery } = await acceptDelivery(deps, hub, row, `test-${newId()}`, req.body.payload);
      return reply.code(202).send(successBody({ ...toDelivery(delivery), repeat: false }));
    },
  );
}
