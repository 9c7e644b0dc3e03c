/**
 * POST /api/v1/hooks/:public_id: webhook deliveries. No bearer token (config.access public): the
 * delivery's own HMAC-SHA256 signature is the credential (trigger-webhook.ts). An unknown id and a bad
 * signature answer the same 401, after the same work. The body is read raw (to check the
 * signature over its bytes), capped at MAX_DELIVERY_BYTES, then parsed as JSON with the app's own
 * rules (depth bound, no prototype poisoning).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { HookResponse, plain } from "@outpost/shared";
import { ApiError } from "../../errors.js";
import { EXPENSIVE } from "../../plugins/rate-limit.js";
import { boundedJsonParser } from "../../plugins/input-bounds.js";
import type { Deps } from "../../deps.js";
import type { Submit } from "./trigger-fire.js";
import { HOOK_HEADERS, MAX_DELIVERY_BYTES, acceptDelivery, rejectDelivery, signatureMatches, timestampProblem, toDelivery, webhookSecret } from "./trigger-webhook.js";
import { successBody } from "../../lib/reply.js";
import { webhookByPublicId } from "./triggers.repo.js";

const BAD_DELIVERY = new ApiError("unauthorized", "Unknown webhook, or a missing or bad signature.");
const DeliveryId = plain(z.string().trim().min(1).max(200));

export async function hookRoutes(fastify: FastifyInstance, { deps, hub }: { deps: Deps; hub: Submit }) {
  const parseJson = boundedJsonParser(fastify);
  // This plugin's scope only: every body arrives as bytes, whatever its content-type.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_DELIVERY_BYTES }, (_req, body, done) => done(null, body));
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const parse = (req: FastifyRequest, text: string) =>
    new Promise<unknown>((resolve, reject) => (text.trim() === "" ? resolve({}) : parseJson(req, text, (err, value) => (err ? reject(err) : resolve(value)))));

  app.post(
    "/api/v1/hooks/:public_id",
    {
      config: { access: "public", ...EXPENSIVE },
      bodyLimit: MAX_DELIVERY_BYTES,
      schema: { tags: ["triggers"], params: z.object({ public_id: plain(z.string().min(1).max(64)) }), response: { 200: HookResponse, 202: HookResponse } },
    },
    async (req, reply) => {
      const header = (name: string) => {
        const v = req.headers[name];
        return typeof v === "string" ? v : "";
      };
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const publicId = req.params.public_id;
      const trig = webhookByPublicId(db, publicId);
      // The secret is computed for unknown ids too, so both answers take the same work.
      const secret = webhookSecret(deps.installSecret, publicId);
      const timestamp = header(HOOK_HEADERS.timestamp);
      if (!signatureMatches(secret, timestamp, body, header(HOOK_HEADERS.signature)) || !trig) throw BAD_DELIVERY;

      const deliveryId = DeliveryId.safeParse(header(HOOK_HEADERS.delivery));
      if (!deliveryId.success) {
        throw ApiError.validation([{ path: `headers.${HOOK_HEADERS.delivery}`, message: `needs a delivery id: 1-200 characters, no control characters` }]);
      }
      const stale = timestampProblem(timestamp, deps.clock());
      if (stale) {
        rejectDelivery(deps, trig, deliveryId.data, stale);
        throw BAD_DELIVERY; // a replay looks like any other refused delivery to the sender
      }
      if (!trig.enabled) {
        rejectDelivery(deps, trig, deliveryId.data, "the trigger is paused");
        throw ApiError.conflict("This webhook is paused.");
      }
      let payload: unknown;
      try {
        payload = await parse(req, body.toString("utf8"));
      } catch (err) {
        const message = err instanceof ApiError && err.errors?.[0] ? err.errors[0].message : `is not JSON: ${(err as Error).message}`;
        rejectDelivery(deps, trig, deliveryId.data, `body ${message}`);
        throw ApiError.validation([{ path: "body", message }]);
      }
      const { delivery, repeat } = await acceptDelivery(deps, hub, trig, deliveryId.data, payload);
      return reply.code(repeat ? 200 : 202).send(successBody({ ...toDelivery(delivery), repeat }));
    },
  );
}
