/**
 * Webhook deliveries: the secret, the signature check and the delivery record.
 *
 * A webhook trigger's secret is never stored: it is HMAC-SHA256(install secret, public id), shown
 * once when the trigger is created, so the database alone does not let anyone sign a delivery.
 * A sender signs `<timestamp>.<raw body>` with it: `X-Outpost-Signature-256: sha256=<hex>`,
 * `X-Outpost-Timestamp: <unix seconds>` (within REPLAY_WINDOW_MS of the server's clock), and names
 * the delivery in `X-Outpost-Delivery`; a repeated delivery id answers with the first one's job.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { and, desc, eq, ne, notInArray } from "drizzle-orm";
import type { WebhookDelivery } from "@outpost/shared";
import { webhookDeliveries } from "../../db/schema.js";
import { newId } from "../../lib/ids.js";
import { nowIso } from "../../lib/time.js";
import type { Deps } from "../../deps.js";
import { fireTrigger, type Submit } from "./trigger-fire.js";
import type { TriggerRow } from "./triggers.repo.js";

export const REPLAY_WINDOW_MS = 5 * 60_000;
export const KEPT_DELIVERIES = 100;
export const MAX_DELIVERY_BYTES = 256 * 1024;
export const HOOK_HEADERS = { signature: "x-outpost-signature-256", timestamp: "x-outpost-timestamp", delivery: "x-outpost-delivery" } as const;

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

export function toDelivery(d: DeliveryRow): WebhookDelivery {
  return { id: d.id, delivery_id: d.deliveryId, received_at: d.receivedAt, status: d.status, error: d.error, job_id: d.jobId };
}

export function newPublicId(): string {
  return `wh_${randomBytes(18).toString("base64url")}`;
}

export function hookPath(publicId: string): string {
  return `/api/v1/hooks/${publicId}`;
}

export function webhookSecret(installSecret: string, publicId: string): string {
  return `owhs_${createHmac("sha256", installSecret).update(`outpost.webhook.v1:${publicId}`).digest("base64url")}`;
}

export function signDelivery(secret: string, timestamp: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex")}`;
}

/** True when `signature` is the trigger's signature of timestamp + body (constant time). */
export function signatureMatches(secret: string, timestamp: string, body: Buffer, signature: string): boolean {
  const want = Buffer.from(signDelivery(secret, timestamp, body));
  const got = Buffer.from(signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The replay check: the signed timestamp (unix seconds) is within the window of the server's clock. */
export function timestampProblem(timestamp: string, nowMs: number): string | null {
  if (!/^\d{1,12}$/.test(timestamp)) return `${HOOK_HEADERS.timestamp} "${timestamp.slice(0, 20)}" is not unix seconds`;
  const skew = Math.abs(nowMs - Number(timestamp) * 1000);
  return skew > REPLAY_WINDOW_MS ? `${HOOK_HEADERS.timestamp} is ${Math.round(skew / 1000)} s from the server's clock (window: ${REPLAY_WINDOW_MS / 1000} s)` : null;
}

function prune(deps: Deps, triggerId: string): void {
  const keep = deps.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.triggerId, triggerId))
    .orderBy(desc(webhookDeliveries.receivedAt), desc(webhookDeliveries.id))
    .limit(KEPT_DELIVERIES)
    .all()
    .map((r) => r.id);
  deps.db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.triggerId, triggerId), notInArray(webhookDeliveries.id, keep))).run();
}

/** A delivery refused after its signature checked out (paused trigger, stale timestamp, bad JSON). */
export function rejectDelivery(deps: Deps, trig: TriggerRow, deliveryId: string, error: string): DeliveryRow {
  const row: DeliveryRow = { id: newId(), triggerId: trig.id, deliveryId, receivedAt: nowIso(deps.clock), status: "rejected", error, jobId: null };
  deps.db.insert(webhookDeliveries).values(row).run();
  prune(deps, trig.id);
  return row;
}

/**
 * Fires the trigger for one delivery; the payload becomes the job's `payload` input. A delivery id
 * seen before (and not rejected) fires nothing and answers that delivery, with its job.
 */
export async function acceptDelivery(deps: Deps, hub: Submit, trig: TriggerRow, deliveryId: string, payload: unknown): Promise<{ delivery: DeliveryRow; repeat: boolean }> {
  const { db } = deps;
  const row: DeliveryRow = { id: newId(), triggerId: trig.id, deliveryId, receivedAt: nowIso(deps.clock), status: "accepted", error: null, jobId: null };
  const firing = await fireTrigger(deps, hub, trig, {
    inputs: { payload },
    claim: () => db.insert(webhookDeliveries).values(row).onConflictDoNothing().run().changes > 0,
    record: (f) => {
      const status = f.outcome === "failed" ? "failed" : "accepted";
      db.update(webhookDeliveries).set({ jobId: f.jobId, status, error: f.error }).where(eq(webhookDeliveries.id, row.id)).run();
    },
  });
  if (firing) {
    prune(deps, trig.id);
    return { delivery: db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, row.id)).get()!, repeat: false };
  }
  const first = db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.triggerId, trig.id), eq(webhookDeliveries.deliveryId, deliveryId), ne(webhookDeliveries.status, "rejected")))
    .get()!;
  return { delivery: first, repeat: true };
}
