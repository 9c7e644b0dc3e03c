/**
 * Issue 15 §5: agents report labels at registration, the agent list filters by them, and a job or
 * pool that requires labels is claimed only by an agent carrying them; a job no agent's labels
 * satisfy says so in its waiting_reason. A real listening server, real SQLite, protocol agents on ws.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";
import { createPool, makeTestApp, publish, sampleRegistration, type TestApp } from "./support.js";

const HELLO = { name: "hello", version: "1.0.0" };
let t: TestApp | null = null;
const agents: ProtoAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.ws.terminate();
  await t?.close();
  t = null;
});

async function register(app: TestApp, name: string, labels?: Record<string, string>) {
  const r = await app.api("POST", "/api/v1/agent", { body: sampleRegistration({ name, hostname: `${name}.local`, modules: [HELLO], ...(labels ? { labels } : {}) }) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { id: r.body.details.id as string, credential: r.body.credential as string };
}
const names = async (app: TestApp, query: string) =>
  ((await app.api("GET", `/api/v1/agents?${query}`)).body.details as { name: string }[]).map((a) => a.name).sort();

describe("agent labels", () => {
  it("are reported at registration, kept when a later registration sends none, and filter the agent list", async () => {
    t = await makeTestApp();
    const gpu = await register(t, "gpu-box", { gpu: "true", zone: "eu" });
    await register(t, "cpu-box", { gpu: "false" });
    await register(t, "plain-box");
    expect((await t.api("GET", `/api/v1/agents/${gpu.id}`)).body.details.labels).toEqual({ gpu: "true", zone: "eu" });
    expect(await names(t, "label=gpu=true")).toEqual(["gpu-box"]);
    expect(await names(t, "label=gpu")).toEqual(["cpu-box", "gpu-box"]);
    expect(await names(t, "label=gpu=true,zone=eu")).toEqual(["gpu-box"]);
    expect(await names(t, "label=zone=us")).toEqual([]);
    expect((await t.api("GET", "/api/v1/agents?label=%3Dx")).status).toBe(422);
    // The agent restarts without --label: the stored labels (here a PATCH's) stay.
    expect((await t.api("PATCH", `/api/v1/agents/${gpu.id}`, { body: { labels: { gpu: "true", zone: "us" } } })).status).toBe(200);
    const again = await t.api("POST", "/api/v1/agent", { token: gpu.credential, body: sampleRegistration({ name: "gpu-box", hostname: "gpu-box.local", modules: [HELLO] }) });
    expect(again.status, JSON.stringify(again.body)).toBeLessThan(300);
    expect((await t.api("GET", `/api/v1/agents/${gpu.id}`)).body.details.labels).toEqual({ gpu: "true", zone: "us" });
  });
});

describe("jobs that require labels", () => {
  it("go only to an agent carrying them; until one does, waiting_reason names the labels", async () => {
    t = await makeTestApp();
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    await publish(t);
    const plain = await register(t, "plain-box", { gpu: "false" });
    const a = await connectAgent(url, plain.credential, { modules: [HELLO] });
    agents.push(a);

    const job = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, labels: { gpu: "true" } } });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const id = job.body.details.id as string;
    expect(job.body.details).toMatchObject({ status: "pending", required_labels: { gpu: "true" } });
    expect(job.body.details.waiting_reason).toBe("No eligible agent has the labels the job requires (gpu=true).");

    // A job without requirements still goes to the unlabelled agent: the check is per job.
    const free = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" } } });
    expect((await a.next("assign")).job_id).toBe(free.body.details.id);

    const gpu = await register(t, "gpu-box", { gpu: "true" });
    const b = await connectAgent(url, gpu.credential, { modules: [HELLO] });
    agents.push(b);
    expect((await b.next("assign")).job_id).toBe(id);
    expect((await t.api("GET", `/api/v1/jobs/${id}`)).body.details).toMatchObject({ status: "claimed", agent_id: gpu.id });
  });

  it("inherit the pool's labels at creation, the job's own winning key by key", async () => {
    t = await makeTestApp();
    await publish(t);
    const pool = await createPool(t, { name: "gpus", labels: { gpu: "true", zone: "eu" } });
    expect(pool.labels).toEqual({ gpu: "true", zone: "eu" });
    const box = await register(t, "box", { gpu: "true", zone: "us" });
    expect((await t.api("POST", `/api/v1/pools/${pool.id}/agents`, { body: { agent_ids: [box.id] } })).status).toBe(200);
    const job = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, pool_id: pool.id, labels: { zone: "us" } } });
    expect(job.body.details.required_labels).toEqual({ gpu: "true", zone: "us" });
    const strict = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, pool_id: pool.id } });
    expect(strict.body.details.waiting_reason).toBe("No eligible agent has the labels the job requires (gpu=true, zone=eu).");
    const patched = await t.api("PATCH", `/api/v1/pools/${pool.id}`, { body: { labels: {} } });
    expect(patched.body.details.labels).toEqual({});
  });
});
