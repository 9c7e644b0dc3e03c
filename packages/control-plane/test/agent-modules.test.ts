/**
 * Module requests over the REST API and the session: validation (404/409/422 in the error
 * envelope), the `module` frame an agent receives, and what its `module_progress` and
 * `module_result` change (module history, agent modules, agent status, dispatch). Real listening
 * server, real `ws` protocol agents, real SQLite.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@outpost/shared";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";
import { until } from "../src/test-support/until.js";

const HELLO = { name: "hello", version: "1.0.0" };
const V2 = sampleModule({ version: "2.0.0", image: "127.0.0.1:5999/outpost-test/busybox:2" });

let t: TestApp;
let url: string;
const sessions: ProtoAgent[] = [];

async function setup() {
  t = await makeTestApp();
  url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  expect((await t.api("POST", "/api/v1/modules", { body: sampleModule() })).status).toBe(201);
  expect((await t.api("POST", "/api/v1/modules", { body: V2 })).status).toBe(201);
}

async function agent(name: string, opts: { connect?: boolean; modules?: { name: string; version: string }[] } = {}) {
  const modules = opts.modules ?? [HELLO];
  const r = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name, hostname: `${name}.local`, modules }) });
  expect(r.status).toBe(201);
  const id = r.body.details.id as string;
  let session: ProtoAgent | null = null;
  if (opts.connect !== false) {
    session = await connectAgent(url, r.body.credential, { modules });
    sessions.push(session);
  }
  return { id, session };
}

const history = async (id: string) => (await t.api("GET", `/api/v1/agents/${id}/module-history?order=asc`)).body.details;
const statuses = async (id: string) => (await t.api("GET", `/api/v1/agents/${id}/status-history?order=asc`)).body.details.map((h: { to: string }) => h.to);
const agentModules = async (id: string) => (await t.api("GET", `/api/v1/agents/${id}/modules`)).body.details.map((m: { name: string; version: string }) => `${m.name}@${m.version}`);
const status = async (id: string) => (await t.api("GET", `/api/v1/agents/${id}`)).body.details.status;


afterEach(async () => {
  for (const s of sessions.splice(0)) s.ws.terminate();
  await t?.close();
});

describe("requesting a module on an agent", () => {
  it("answers 404, 422 and 409 in the error envelope, naming the field and the value", async () => {
    await setup();
    const offline = await agent("offline", { connect: false });

    const missing = await t.api("POST", "/api/v1/agents/nope/modules", { body: { name: "hello", version: "1.0.0" } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: "error", code: "not_found", message: 'agent "nope" was not found.' });

    const noVersion = await t.api("POST", `/api/v1/agents/${offline.id}/modules`, { body: { name: "hello" } });
    expect(noVersion.status).toBe(422);
    expect(noVersion.body.errors[0].path).toBe("version");

    const badVersion = await t.api("POST", `/api/v1/agents/${offline.id}/modules`, { body: { name: "hello", version: "latest" } });
    expect(badVersion.status).toBe(422);
    expect(badVersion.body.errors[0]).toMatchObject({ path: "version" });
    expect(badVersion.body.errors[0].message).toContain("latest");

    const unknownModule = await t.api("POST", `/api/v1/agents/${offline.id}/modules`, { body: { name: "ghost", version: "1.0.0" } });
    expect(unknownModule.status).toBe(422);
    expect(unknownModule.body).toMatchObject({ status: "error", code: "validation_errors", errors: [{ path: "name" }] });
    expect(unknownModule.body.message).toContain('"ghost"');

    const unknownVersion = await t.api("POST", `/api/v1/agents/${offline.id}/modules`, { body: { name: "hello", version: "9.9.9" } });
    expect(unknownVersion.status).toBe(422);
    expect(unknownVersion.body.errors).toEqual([{ path: "version", message: 'version "9.9.9" of module "hello" is not in the catalog (published: 1.0.0, 2.0.0)' }]);

    const notConnected = await t.api("POST", `/api/v1/agents/${offline.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(notConnected.status).toBe(409);
    expect(notConnected.body).toMatchObject({ status: "error", code: "conflict" });
    expect(notConnected.body.message).toContain("must be connected");
    // A refusal leaves no trace: no history row, no status change.
    expect((await history(offline.id)).filter((h: { outcome: string }) => h.outcome === "started")).toEqual([]);
    expect(await status(offline.id)).toBe("Offline");

    const removeUnknown = await t.api("DELETE", `/api/v1/agents/${offline.id}/modules/ghost`);
    expect(removeUnknown.status).toBe(404);
    expect(removeUnknown.body.message).toContain('does not have module "ghost"');
  });

  it("refuses a version the agent already has, a second request while one runs, and needs agents:write", async () => {
    await setup();
    const a = await agent("a");
    const same = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "1.0.0" } });
    expect(same.status).toBe(409);
    expect(same.body.message).toContain("already has hello@1.0.0");

    const readOnly = t.mint({ user: "reader", name: "ro", scopes: ["read"] });
    expect((await t.api("POST", `/api/v1/agents/${a.id}/modules`, { token: readOnly, body: { name: "hello", version: "2.0.0" } })).status).toBe(403);

    expect((await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } })).status).toBe(202);
    const again = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain("already updating a module");
  });

  it("sends the module frame, holds jobs while UpdatingModule, and on success records the update and dispatches", async () => {
    await setup();
    const a = await agent("a");
    const res = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(res.status).toBe(202);
    expect(res.body.details).toMatchObject({ agent_id: a.id, name: "hello", action: "update", from_version: "1.0.0", to_version: "2.0.0", image: V2.image });
    const requestId = res.body.details.request_id as string;

    const frame = await a.session!.next("module");
    expect(frame).toEqual({ v: PROTOCOL_VERSION, type: "module", action: "install", request_id: requestId, name: "hello", version: "2.0.0", image: V2.image });
    expect(await status(a.id)).toBe("UpdatingModule");

    // A job for the new version waits: the agent lacks it; one for the old version waits: it is updating.
    const job = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", version: "2.0.0", function: "greet", inputs: { who: "x" } } });
    expect(job.status).toBe(201);
    const jobId = job.body.details.id as string;
    expect((await t.api("GET", `/api/v1/jobs/${jobId}`)).body.details.waiting_reason).toBe("No eligible agent has module hello@2.0.0 installed.");
    const old = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", version: "1.0.0", function: "greet", inputs: { who: "x" } } });
    expect((await t.api("GET", `/api/v1/jobs/${old.body.details.id}`)).body.details.waiting_reason).toBe("Every eligible agent is updating a module.");
    a.session!.send({ type: "ready", free_slots: 1 });
    await a.session!.roundTrip();
    expect(a.session!.frames.filter((f) => f.type === "assign")).toEqual([]);

    a.session!.send({ type: "module_progress", request_id: requestId, name: "hello", version: "2.0.0", message: "a1b2: Downloading 1MB/2MB" });
    await until("progress in the history", async () => (await history(a.id)).find((h: { message: string }) => h.message === "a1b2: Downloading 1MB/2MB"));

    a.session!.send({ type: "module_result", request_id: requestId, name: "hello", version: "2.0.0", action: "install", outcome: "succeeded", message: "installed" });
    // The dispatch pass after the result hands the waiting job over (old 1.0.0 job now lacks its module).
    const assign = await a.session!.next("assign");
    expect(assign).toMatchObject({ job_id: jobId, version: "2.0.0", image: V2.image });
    expect(await agentModules(a.id)).toEqual(["hello@2.0.0"]);
    const h = (await history(a.id)).at(-1);
    expect(h).toMatchObject({ id: Number(requestId), module: "hello", action: "update", from_version: "1.0.0", to_version: "2.0.0", outcome: "succeeded", message: "installed" });
    expect(await statuses(a.id)).toEqual(["Offline", "Idle", "UpdatingModule", "Idle", "Claimed"]);

    // A repeated result (after a reconnect) changes nothing.
    const before = await history(a.id);
    a.session!.send({ type: "module_result", request_id: requestId, name: "hello", version: "2.0.0", action: "install", outcome: "failed", message: "late" });
    await a.session!.roundTrip();
    expect(await history(a.id)).toEqual(before);
    expect((await history(a.id)).at(-1)).toMatchObject({ outcome: "succeeded", message: "installed" });
  });

  it("a failed install ends UpdateFailed with the agent's message and leaves the modules as they were", async () => {
    await setup();
    const a = await agent("a");
    const res = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    const requestId = res.body.details.request_id as string;
    await a.session!.next("module");
    const message = "pulling x failed: manifest for x not found: manifest unknown: manifest unknown";
    a.session!.send({ type: "module_result", request_id: requestId, name: "hello", version: "2.0.0", action: "install", outcome: "failed", message });
    await until("UpdateFailed", async () => (await status(a.id)) === "UpdateFailed");
    expect((await history(a.id)).at(-1)).toMatchObject({ action: "update", outcome: "failed", message });
    expect(await agentModules(a.id)).toEqual(["hello@1.0.0"]);
    const errorMessage = async () => (await t.api("GET", `/api/v1/agents/${a.id}`)).body.details.error_message;
    expect(await errorMessage()).toBe(`Module update of hello@2.0.0 failed: ${message}`);
    // UpdateFailed is at rest: the agent can be asked again; a success clears error_message.
    const again = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(again.status).toBe(202);
    await a.session!.next("module");
    a.session!.send({ type: "module_result", request_id: again.body.details.request_id, name: "hello", version: "2.0.0", action: "install", outcome: "succeeded", message: "installed" });
    await until("Idle", async () => (await status(a.id)) === "Idle");
    expect(await errorMessage()).toBeNull();
  });

  it("settles a request whose result never came from what the agent reports when it reconnects, once", async () => {
    await setup();
    const r = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "b", hostname: "b.local", modules: [HELLO] }) });
    const id = r.body.details.id as string;
    const credential = r.body.credential as string;
    const first = await connectAgent(url, credential, { modules: [HELLO] });
    sessions.push(first);
    expect((await t.api("POST", `/api/v1/agents/${id}/modules`, { body: { name: "hello", version: "2.0.0" } })).status).toBe(202);
    await first.next("module");
    first.ws.terminate(); // gone mid-pull; the pull finished while it was away
    await until("Offline", async () => (await status(id)) === "Offline");
    const again = await connectAgent(url, credential, { modules: [{ name: "hello", version: "2.0.0" }] });
    sessions.push(again);
    const rows = await history(id);
    expect(rows.at(-1)).toMatchObject({ action: "update", to_version: "2.0.0", outcome: "succeeded" });
    expect(rows.filter((h: { to_version: string }) => h.to_version === "2.0.0")).toHaveLength(1);
    expect(await agentModules(id)).toEqual(["hello@2.0.0"]);
    expect(await status(id)).toBe("Idle");
  });

  it("removes a module: remove frame with the installed version, then the module is gone and the history says remove", async () => {
    await setup();
    const a = await agent("a");
    const res = await t.api("DELETE", `/api/v1/agents/${a.id}/modules/hello`);
    expect(res.status).toBe(202);
    expect(res.body.details).toMatchObject({ action: "remove", from_version: "1.0.0", to_version: null });
    const frame = await a.session!.next("module");
    expect(frame).toMatchObject({ action: "remove", name: "hello", version: "1.0.0", image: "outpost-test/busybox:1" });
    a.session!.send({ type: "module_result", request_id: frame.request_id, name: "hello", version: "1.0.0", action: "remove", outcome: "succeeded", message: "removed hello@1.0.0" });
    await until("the module gone", async () => (await agentModules(a.id)).length === 0);
    expect((await history(a.id)).at(-1)).toMatchObject({ module: "hello", action: "remove", from_version: "1.0.0", to_version: null, outcome: "succeeded" });
    expect(await status(a.id)).toBe("Idle");
  });

  it("ignores progress and results for requests of another agent or unknown ids", async () => {
    await setup();
    const a = await agent("a");
    const b = await agent("b");
    const res = await t.api("POST", `/api/v1/agents/${a.id}/modules`, { body: { name: "hello", version: "2.0.0" } });
    const requestId = res.body.details.request_id as string;
    b.session!.send({ type: "module_result", request_id: requestId, name: "hello", version: "2.0.0", action: "install", outcome: "succeeded", message: "not mine" });
    b.session!.send({ type: "module_result", request_id: "12345", name: "hello", version: "2.0.0", action: "install", outcome: "succeeded", message: "unknown" });
    await b.session!.roundTrip();
    expect((await history(a.id)).at(-1)).toMatchObject({ outcome: "started" });
    expect(await agentModules(b.id)).toEqual(["hello@1.0.0"]);
    expect(await status(a.id)).toBe("UpdatingModule");
  });
});

describe("requesting a module on a pool", () => {
  it("asks each agent that can take it and lists the others with the reason", async () => {
    await setup();
    const a = await agent("a");
    const b = await agent("b", { connect: false });
    const c = await agent("c", { modules: [{ name: "hello", version: "2.0.0" }] });
    const pool = (await t.api("POST", "/api/v1/pools", { body: { name: "p" } })).body.details.id as string;
    const empty = (await t.api("POST", "/api/v1/pools", { body: { name: "empty" } })).body.details.id as string;
    await t.api("POST", `/api/v1/pools/${pool}/agents`, { body: { agent_ids: [a.id, b.id, c.id] } });

    expect((await t.api("POST", "/api/v1/pools/nope/modules", { body: { name: "hello", version: "2.0.0" } })).status).toBe(404);
    const none = await t.api("POST", `/api/v1/pools/${empty}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(none.status).toBe(409);
    expect(none.body.message).toBe('Pool "empty" has no agents.');
    const bad = await t.api("POST", `/api/v1/pools/${pool}/modules`, { body: { name: "hello", version: "3.0.0" } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("version");

    const res = await t.api("POST", `/api/v1/pools/${pool}/modules`, { body: { name: "hello", version: "2.0.0" } });
    expect(res.status).toBe(202);
    expect(res.body.details.requested.map((r: { agent_id: string; action: string }) => [r.agent_id, r.action])).toEqual([[a.id, "update"]]);
    expect(res.body.details.skipped.map((s: { agent_id: string; code: string }) => [s.agent_id, s.code])).toEqual([
      [b.id, "not_connected"],
      [c.id, "already_installed"],
    ]);
    expect((await a.session!.next("module")).version).toBe("2.0.0");
    expect(await status(a.id)).toBe("UpdatingModule");
  });
});
