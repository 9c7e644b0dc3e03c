/**
 * Issue 14 §4: POST /api/v1/pools/:id/upgrade against a real listening server with real `ws`
 * protocol agents. An agent told `upgrade` goes away and comes back saying hello with the version
 * it was asked for, as the service's ExecStartPre would make it; one that never comes back stops
 * the run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { makeTestApp, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";
import { SERVER_VERSION } from "../src/version.js";

let t: TestApp;
let url: string;
const sessions: ProtoAgent[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.ws.terminate();
  await t?.close();
});

/** A protocol agent that, told to upgrade, reconnects with the new version (or, stubborn, just disconnects). */
async function agent(name: string, version: string, opts: { stubborn?: boolean; connect?: boolean } = {}) {
  const r = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name, hostname: `${name}.local`, modules: [], version }) });
  expect(r.status).toBe(201);
  const id = r.body.details.id as string;
  const upgrades: string[] = [];
  const live = async (v: string) => {
    const s = await connectAgent(url, r.body.credential, { version: v });
    sessions.push(s);
    void s.next("upgrade", 60_000).then(
      async (f) => {
        upgrades.push(f.version);
        s.ws.close();
        await s.closed;
        if (!opts.stubborn) await live(f.version);
      },
      () => {},
    );
  };
  if (opts.connect !== false) await live(version);
  return { id, upgrades };
}

async function pool(ids: string[]) {
  const p = await t.api("POST", "/api/v1/pools", { body: { name: "fleet" } });
  expect((await t.api("POST", `/api/v1/pools/${p.body.details.id}/agents`, { body: { agent_ids: ids } })).status).toBe(200);
  return p.body.details.id as string;
}

describe("POST /api/v1/pools/:id/upgrade", () => {
  it("asks each older agent of the pool, a batch at a time, and answers once each is back on the server's version", async () => {
    t = await makeTestApp();
    url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    const a = await agent("a", "0.0.1");
    const b = await agent("b", "0.0.2");
    const c = await agent("c", SERVER_VERSION);
    const d = await agent("d", "0.0.1", { connect: false });
    const id = await pool([a.id, b.id, c.id, d.id]);

    const r = await t.api("POST", `/api/v1/pools/${id}/upgrade`, { body: { batch_size: 1, timeout_s: 30 } });
    expect(r.status).toBe(200);
    expect(r.body.details).toMatchObject({ pool_id: id, version: SERVER_VERSION, outcome: "completed" });
    expect(r.body.details.agents.map((x: { name: string; outcome: string; from_version: string; version: string }) => [x.name, x.outcome, x.from_version, x.version])).toEqual([
      ["a", "upgraded", "0.0.1", SERVER_VERSION],
      ["b", "upgraded", "0.0.2", SERVER_VERSION],
      ["c", "current", SERVER_VERSION, SERVER_VERSION],
      ["d", "skipped", "0.0.1", "0.0.1"],
    ]);
    expect([a.upgrades, b.upgrades, c.upgrades]).toEqual([[SERVER_VERSION], [SERVER_VERSION], []]);
    expect((await t.api("GET", `/api/v1/agents/${a.id}`)).body.details.version).toBe(SERVER_VERSION);
    // The console compares each agent's version with this.
    expect((await t.api("GET", "/api/v1/me")).body.details.server_version).toBe(SERVER_VERSION);
  });

  it("stops at the first agent that does not come back: the agents after it are not asked", async () => {
    t = await makeTestApp();
    url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    const a = await agent("a", "0.0.1", { stubborn: true });
    const b = await agent("b", "0.0.1");
    const id = await pool([a.id, b.id]);

    const r = await t.api("POST", `/api/v1/pools/${id}/upgrade`, { body: { batch_size: 1, timeout_s: 5 } });
    expect(r.status).toBe(200);
    expect(r.body.details.outcome).toBe("stopped");
    expect(r.body.details.agents).toMatchObject([
      { name: "a", outcome: "failed", message: expect.stringContaining(`not back with version ${SERVER_VERSION} within 5 s`) },
      { name: "b", outcome: "not_attempted" },
    ]);
    expect(b.upgrades).toEqual([]);
  });

  it("rejects a bad batch size with 422 naming the field, and an unknown pool with 404", async () => {
    t = await makeTestApp();
    const id = await pool([(await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "x", hostname: "x", modules: [] }) })).body.details.id]);
    const bad = await t.api("POST", `/api/v1/pools/${id}/upgrade`, { body: { batch_size: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].path).toBe("batch_size");
    expect((await t.api("POST", "/api/v1/pools/00000000000000000000000000/upgrade", { body: {} })).status).toBe(404);
  });
});
