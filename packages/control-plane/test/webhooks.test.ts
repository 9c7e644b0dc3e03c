/** Issue 12 §2: webhook triggers: signed deliveries, replay window, size cap, delivery-id dedup, the last 100. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signDelivery, KEPT_DELIVERIES, MAX_DELIVERY_BYTES } from "../src/modules/triggers/trigger-webhook.js";
import { expectError, expectFieldError, makeTestApp, publish, type TestApp } from "./support.js";

let t: TestApp;
let now = 0;
beforeEach(async () => {
  t = await makeTestApp();
  now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => now;
  await publish(t, {
    functions: [{ name: "greet", display_name: "Greet", command: ["sh", "-c", "echo hi"], input_schema: { type: "object", properties: { who: { type: "string" }, payload: { type: "object" } }, required: ["who"] } }],
  });
});
afterEach(async () => t.close());

async function createHook(name = "github") {
  const res = await t.api("POST", "/api/v1/triggers", { body: { name, kind: "webhook", target: { module: "hello", function: "greet", inputs: { who: "hook" } } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details as { id: string; hook_path: string; secret: string };
}

type Delivery = { body?: string; secret?: string; timestamp?: number; delivery?: string | null; signature?: string; path?: string };
async function deliver(hook: { hook_path: string; secret: string }, d: Delivery = {}) {
  const body = d.body ?? JSON.stringify({ ref: "refs/heads/main" });
  const timestamp = String(d.timestamp ?? Math.floor(now / 1000));
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-outpost-timestamp": timestamp,
    "x-outpost-signature-256": d.signature ?? signDelivery(d.secret ?? hook.secret, timestamp, body),
  };
  if (d.delivery !== null) headers["x-outpost-delivery"] = d.delivery ?? "d-1";
  const res = await t.app.inject({ method: "POST", url: d.path ?? hook.hook_path, headers, payload: body });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}
const deliveries = async (id: string) => (await t.api("GET", `/api/v1/triggers/${id}/deliveries`)).body.details;

describe("webhooks", () => {
  it("shows the secret once and the URL always; a signed delivery starts a job with the body as `payload`", async () => {
    const hook = await createHook();
    expect(hook.secret).toMatch(/^owhs_/);
    expect(hook.hook_path).toMatch(/^\/api\/v1\/hooks\/wh_/);
    const read = (await t.api("GET", `/api/v1/triggers/${hook.id}`)).body.details;
    expect(read.secret).toBeUndefined();
    expect(read.hook_path).toBe(hook.hook_path);
    const res = await deliver(hook, { token: undefined } as Delivery);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.details).toMatchObject({ delivery_id: "d-1", status: "accepted", repeat: false });
    const job = (await t.api("GET", `/api/v1/jobs/${res.body.details.job_id}`)).body.details;
    expect(job).toMatchObject({ trigger_source: "webhook", triggered_by: "github", trigger_id: hook.id, inputs: { who: "hook", payload: { ref: "refs/heads/main" } } });
  });

  it("answers a repeated delivery id with 200 and the first delivery's job, starting nothing", async () => {
    const hook = await createHook();
    const first = await deliver(hook, { delivery: "same" });
    const [again, third] = await Promise.all([deliver(hook, { delivery: "same" }), deliver(hook, { delivery: "same" })]);
    expect(first.status).toBe(202);
    for (const r of [again, third]) {
      expect(r.status).toBe(200);
      expect(r.body.details).toMatchObject({ job_id: first.body.details.job_id, repeat: true });
    }
    const jobs = (await t.api("GET", "/api/v1/jobs")).body.details.filter((j: any) => j.trigger_id === hook.id);
    expect(jobs).toHaveLength(1);
  });

  it("a bad signature, a wrong secret, no signature and an unknown id all get the same 401", async () => {
    const hook = await createHook();
    const other = await createHook("other");
    const bodies = [
      await deliver(hook, { signature: "sha256=" + "0".repeat(64) }),
      await deliver(hook, { secret: other.secret }),
      await deliver(hook, { signature: "" }),
      await deliver(hook, { path: "/api/v1/hooks/wh_doesnotexist" }),
      await deliver(other, { path: hook.hook_path }),
      await deliver(hook, { body: '{"tampered":true}', signature: (await import("../src/modules/triggers/trigger-webhook.js")).signDelivery(hook.secret, String(now / 1000), '{"ref":"x"}') }),
    ];
    for (const r of bodies) expectError(r, 401, "unauthorized");
    expect(new Set(bodies.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(await deliveries(hook.id)).toEqual([]);
  });

  it("refuses a delivery signed outside the 5-minute window, and records why", async () => {
    const hook = await createHook();
    expectError(await deliver(hook, { timestamp: now / 1000 - 301, delivery: "old" }), 401);
    expectError(await deliver(hook, { timestamp: now / 1000 + 301, delivery: "future" }), 401);
    expect(await deliveries(hook.id)).toMatchObject([
      { delivery_id: "future", status: "rejected", error: expect.stringContaining("301 s") },
      { delivery_id: "old", status: "rejected", error: expect.stringContaining("301 s") },
    ]);
    expect((await deliver(hook, { timestamp: now / 1000 - 299, delivery: "old" })).status).toBe(202);
  });

  it("caps the body, wants a delivery id and JSON (422 naming them), and refuses a paused hook", async () => {
    const hook = await createHook();
    const big = JSON.stringify({ x: "a".repeat(MAX_DELIVERY_BYTES) });
    expectError(await deliver(hook, { body: big }), 413);
    expectFieldError(await deliver(hook, { delivery: null }), "headers.x-outpost-delivery");
    expectFieldError(await deliver(hook, { delivery: "a\u0001b" }), "headers.x-outpost-delivery");
    expectFieldError(await deliver(hook, { body: "{not json", delivery: "nj" }), "body");
    expect(expectFieldError(await deliver(hook, { body: "[".repeat(100) + "]".repeat(100), delivery: "deep" }), "body").message).toContain("more than 64 levels");
    await t.api("POST", `/api/v1/triggers/${hook.id}/pause`);
    expectError(await deliver(hook, { delivery: "paused" }), 409);
    await t.api("POST", `/api/v1/triggers/${hook.id}/resume`);
    expect((await deliver(hook, { delivery: "paused" })).status).toBe(202); // a rejected delivery may be sent again
  });

  it("keeps the last 100 deliveries, newest first", async () => {
    const hook = await createHook();
    for (let i = 0; i < KEPT_DELIVERIES + 5; i++) {
      now += 1000;
      expect((await deliver(hook, { delivery: `d-${i}` })).status).toBe(202);
    }
    const kept = await deliveries(hook.id);
    expect(kept).toHaveLength(KEPT_DELIVERIES);
    expect(kept[0].delivery_id).toBe(`d-${KEPT_DELIVERIES + 4}`);
    expect(kept.at(-1).delivery_id).toBe("d-5");
  });

  it("sends a test delivery from the API (the console's button)", async () => {
    const hook = await createHook();
    const res = await t.api("POST", `/api/v1/triggers/${hook.id}/test-delivery`, { body: { payload: { hello: "world" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = (await t.api("GET", `/api/v1/jobs/${res.body.details.job_id}`)).body.details;
    expect(job.inputs).toEqual({ who: "hook", payload: { hello: "world" } });
    expect((await deliveries(hook.id))[0]).toMatchObject({ status: "accepted", job_id: job.id });
  });
});
