/** Issue 12 §4: copilot integration tokens: their jobs are `trigger_source: copilot`, triggered by the integration (and session). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectFieldError, makeTestApp, publish, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await publish(t);
});
afterEach(async () => t.close());

const job = { module: "hello", function: "greet", inputs: { who: "copilot" } };
async function copilotToken(name = "Copilot for Acme") {
  const res = await t.api("POST", "/api/v1/tokens", { body: { name, kind: "copilot", scopes: ["jobs:write", "read"] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.details.kind).toBe("copilot");
  return res.body.details.token as string;
}

describe("copilot integration tokens", () => {
  it("start jobs that are `copilot`, triggered by the integration's name and, when given, its session id", async () => {
    const token = await copilotToken();
    const plain = await t.api("POST", "/api/v1/jobs", { token, body: job });
    expect(plain.body.details).toMatchObject({ trigger_source: "copilot", triggered_by: "Copilot for Acme", trigger_id: null });
    const session = await t.api("POST", "/api/v1/jobs", { token, body: job, headers: { "x-outpost-copilot-session": "sess-42" } });
    expect(session.body.details).toMatchObject({ trigger_source: "copilot", triggered_by: "Copilot for Acme (session sess-42)" });
    const listed = await t.api("GET", "/api/v1/jobs?trigger_source=copilot");
    expect(listed.body.details.map((j: any) => j.id).sort()).toEqual([plain.body.details.id, session.body.details.id].sort());
    // A body cannot claim it, and an ordinary token stays `api` whatever header it sends.
    expectFieldError(await t.api("POST", "/api/v1/jobs", { body: { ...job, trigger_source: "copilot" } }), "trigger_source");
    const pat = await t.api("POST", "/api/v1/jobs", { body: job, headers: { "x-outpost-copilot-session": "sess-42" } });
    expect(pat.body.details).toMatchObject({ trigger_source: "api", triggered_by: "admin" });
  });

  it("answers a bad session id or a copilot registration token with a 422 naming the field", async () => {
    const token = await copilotToken();
    expectFieldError(await t.api("POST", "/api/v1/jobs", { token, body: job, headers: { "x-outpost-copilot-session": "a\u0001b" } }), "headers.x-outpost-copilot-session");
    expectFieldError(await t.api("POST", "/api/v1/jobs", { token, body: job, headers: { "x-outpost-copilot-session": "x".repeat(201) } }), "headers.x-outpost-copilot-session");
    expectFieldError(await t.api("POST", "/api/v1/tokens", { body: { name: "c", kind: "copilot", scopes: ["agents:register"], max_uses: 2 } }), "max_uses");
    expectFieldError(await t.api("POST", "/api/v1/tokens", { body: { name: "c", kind: "robot" } }), "kind");
  });
});
