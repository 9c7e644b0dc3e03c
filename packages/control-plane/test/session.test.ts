/**
 * The agent session over a real `ws` connection to a real listening server on port 0, over a
 * real SQLite file: handshake, push dispatch, the attempt lifecycle, bad frames, liveness,
 * leases and cancel.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AgentFrame, CLOSE, MAX_FRAME_BYTES, MAX_STEPS, PINGS_PER_SECOND, PROTOCOL_VERSION, pingEveryMs, silentAfterMs } from "@outpost/shared";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { connectAgent, openSession, type ProtoAgent } from "../src/test-support/agent-client.js";
import type { ServerConfig } from "../src/config.js";
import { until } from "../src/test-support/until.js";
import { observeTransactions } from "../src/db/client.js";
import { LAST_SEEN_EVERY_MS } from "../src/session/hub.js";

const HELLO = { name: "hello", version: "1.0.0" };
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

type Env = { t: TestApp; url: string; register: (name: string) => Promise<{ id: string; credential: string }>; agents: ProtoAgent[] };
let env: Env | null = null;

async function setup(config: Partial<ServerConfig> = {}): Promise<Env> {
  const t = await makeTestApp(config);
  const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
  expect((await t.api("POST", "/api/v1/modules", { body: sampleModule() })).status).toBe(201);
  const agents: ProtoAgent[] = [];
  const register = async (name: string) => {
    const r = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name, hostname: `${name}.local`, modules: [HELLO] }) });
    expect(r.status).toBe(201);
    return { id: r.body.details.id as string, credential: r.body.credential as string };
  };
  env = { t, url, register, agents };
  return env;
}

async function connect(e: Env, credential: string, hello: Parameters<typeof connectAgent>[2] = {}) {
  const a = await connectAgent(e.url, credential, { modules: [HELLO], ...hello });
  e.agents.push(a);
  return a;
}

const createJob = async (e: Env, over: Record<string, unknown> = {}) => {
  const r = await e.t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "world" }, ...over } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.details.id as string;
};
const getJob = async (e: Env, id: string) => (await e.t.api("GET", `/api/v1/jobs/${id}`)).body.details;
const getAgent = async (e: Env, id: string) => (await e.t.api("GET", `/api/v1/agents/${id}`)).body.details;


afterEach(async () => {
  if (!env) return;
  for (const a of env.agents) a.ws.terminate();
  await env.t.close();
  env = null;
});

describe("handshake", () => {
  it("refuses a missing or wrong credential with 401 before upgrading", async () => {
    const e = await setup();
    await expect(openSession(e.url, "oagt_nope")).rejects.toThrow("HTTP 401");
    await expect(openSession(e.url, e.t.adminToken)).rejects.toThrow("HTTP 401");
  });

  it("closes a session that offers another subprotocol", async () => {
    const e = await setup();
    const { credential } = await e.register("a1");
    await expect(openSession(e.url, credential, { protocol: "outpost.agent.v0" })).rejects.toThrow(/subprotocol/i);
  });

  it("welcomes a hello, marks the agent connected and Idle, and closes an unsupported protocol version", async () => {
    const e = await setup();
    const { id, credential } = await e.register("a1");
    const a = await connect(e, credential);
    const agent = await getAgent(e, id);
    expect(agent.status).toBe("Idle");
    const raw = await openSession(e.url, credential);
    raw.send({ type: "hello", protocol_version: 99, version: "0.1.0", slots: 1, modules: [] });
    expect((await raw.closed).code).toBe(CLOSE.unsupportedVersion);
    a.close();
    await until("Offline", async () => (await getAgent(e, id)).status === "Offline");
    const history = (await e.t.api("GET", `/api/v1/agents/${id}/status-history`)).body.details.map((h: { to: string }) => h.to);
    expect(history).toContain("Idle");
    expect(history).toContain("Offline");
  });

  it("refuses a frame of every agent type whose v is missing or another version: error unsupported_version, then close 4004", async () => {
    const e = await setup();
    const { credential } = await e.register("a1");
    const types = AgentFrame.options.map((o) => o.shape.type.value);
    expect(types).toContain("hello");
    for (const type of types) {
      for (const [said, text] of [
        ["missing", JSON.stringify({ type })],
        ["2", JSON.stringify({ v: PROTOCOL_VERSION + 1, type })],
      ] as const) {
        const a = await openSession(e.url, credential);
        e.agents.push(a);
        a.sendRaw(text);
        const error = await a.next("error");
        expect(error, `${type}, v ${said}`).toEqual({ v: PROTOCOL_VERSION, type: "error", code: "unsupported_version", message: `v: ${said}; this side speaks protocol version ${PROTOCOL_VERSION}`, frame_type: type });
        expect((await a.closed).code, `${type}, v ${said}`).toBe(CLOSE.unsupportedVersion);
      }
    }
    // The agent's own session still opens with frames of this version.
    await connect(e, credential);
  });

  it("replaces an older session of the same agent", async () => {
    const e = await setup();
    const { credential } = await e.register("a1");
    const first = await connect(e, credential);
    await connect(e, credential);
    expect((await first.closed).code).toBe(CLOSE.replaced);
  });

  it("closes a retired agent's session", async () => {
    const e = await setup();
    const { id, credential } = await e.register("a1");
    expect((await e.t.api("POST", `/api/v1/agents/${id}/retire`)).status).toBe(200);
    const s = await openSession(e.url, credential);
    expect((await s.closed).code).toBe(CLOSE.retired);
  });
});

describe("bad frames", () => {
  it("answers malformed and unknown frames with error frames, closes floods and oversize, and keeps other sessions", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const b = await connect(e, (await e.register("b1")).credential);
    a.sendRaw("not json");
    expect((await a.next("error")).message).toMatch(/JSON/);
    a.send({ type: "launch_missiles" });
    expect((await a.next("error")).frame_type).toBe("launch_missiles");
    a.send({ type: "logs", job_id: "x", attempt: "one", chunks: [] });
    expect((await a.next("error")).message).toMatch(/attempt/);
    a.sendRaw(Buffer.from([1, 2, 3]));
    expect((await a.next("error")).code).toBe("bad_frame");
    for (let i = 0; i < 30; i++) a.sendRaw("{");
    expect((await a.closed).code).toBe(CLOSE.policy);
    const c = await connect(e, (await e.register("c1")).credential);
    c.sendRaw("x".repeat(MAX_FRAME_BYTES + 10));
    expect((await c.closed).code).toBe(CLOSE.tooBig);
    // The server and the other session are fine.
    const id = await createJob(e);
    const assign = await b.next("assign");
    expect(assign.job_id).toBe(id);
    expect((await e.t.api("GET", "/healthz")).status).toBe(200);
  });

  it("requires hello first", async () => {
    const e = await setup();
    const s = await openSession(e.url, (await e.register("a1")).credential);
    e.agents.push(s);
    s.send({ type: "ready", free_slots: 1 });
    expect((await s.next("error")).message).toMatch(/hello/);
  });
});

describe("dispatch and the attempt lifecycle", () => {
  it("pushes a job, records started, logs, steps, report and the result, and the agent's statuses", async () => {
    const e = await setup();
    const { id: agentId, credential } = await e.register("a1");
    const a = await connect(e, credential);
    const jobId = await createJob(e);
    const assign = await a.next("assign");
    expect(assign).toMatchObject({ job_id: jobId, attempt: 1, image: "outpost-test/busybox:1", command: ["sh", "-c", "echo hello"], inputs: { who: "world" } });
    expect(assign.limits).toEqual({ cpus: "1.0", mem_limit: "1g", pids_limit: 200 });
    const ref = { job_id: jobId, attempt: 1 };
    a.send({ type: "accept", ...ref });
    a.send({ type: "started", ...ref, container_id: "c1" });
    a.send({ type: "logs", ...ref, chunks: [{ seq: 0, stream: "stdout", data: "hello\n" }, { seq: 1, stream: "stderr", data: "warn\n" }] });
    expect((await a.next("logs_ack")).acked_seq).toBe(1);
    a.send({ type: "logs", ...ref, chunks: [{ seq: 1, stream: "stderr", data: "warn\n" }] }); // a resend
    expect((await a.next("logs_ack")).acked_seq).toBe(1);
    a.send({ type: "steps", ...ref, steps: [{ name: "build", status: "running" }] });
    a.send({ type: "steps", ...ref, steps: [{ name: "build", status: "completed", output: "ok" }] });
    a.send({ type: "report", ...ref, json: { passed: 3 }, markdown: "# Done" });
    a.send({ type: "renew", leases: [ref] });
    expect((await a.next("renewed")).leases).toHaveLength(1);
    a.send({ type: "finished", ...ref, outcome: "completed", exit_code: 0, reason: null, message: null, last_seq: 1 });
    expect((await a.next("finished_ack")).status).toBe("completed");
    const job = await getJob(e, jobId);
    expect(job).toMatchObject({ status: "completed", attempt: 1, exit_code: 0, error: null, has_report: true });
    expect(job.attempts).toHaveLength(1);
    expect(job.steps[0]).toMatchObject({ name: "build", status: "completed", output: "ok" });
    // Stamped by the server when first seen running, then final: inside the attempt, in order.
    const { started_at, ended_at } = job.steps[0] as { started_at: string; ended_at: string };
    expect(started_at).toMatch(RFC3339);
    expect(ended_at).toMatch(RFC3339);
    expect(started_at >= job.attempts[0].claimed_at && started_at <= ended_at && ended_at <= job.completed_at, JSON.stringify(job)).toBe(true);
    const logs = (await e.t.api("GET", `/api/v1/jobs/${jobId}/logs`)).body.details;
    expect(logs.map((l: { data: string }) => l.data)).toEqual(["hello\n", "warn\n"]);
    const report = (await e.t.api("GET", `/api/v1/jobs/${jobId}/report`)).body.details;
    expect(report.json).toEqual({ passed: 3 });
    const history = (await e.t.api("GET", `/api/v1/agents/${agentId}/status-history?order=asc`)).body.details as { from: string; to: string; job_id: string | null; at: string }[];
    expect(history.map((h) => h.to)).toEqual(expect.arrayContaining(["Idle", "Claimed", "ExecutingJob", "ExecutionSuccess"]));
    // The move to Claimed is written just after the claim's commit, stamped with the claim's time.
    const claimed = history.filter((h) => h.to === "Claimed");
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ from: "Idle", job_id: jobId, at: job.attempts[0].claimed_at });
  });

  it("stores at most MAX_STEPS steps per job, however many frames name new ones; known steps still update", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    const ref = { job_id: (await a.next("assign")).job_id, attempt: 1 };
    const batch = (from: number) => Array.from({ length: MAX_STEPS }, (_, i) => ({ name: `s${from + i}`, status: "running" }));
    a.send({ type: "steps", ...ref, steps: batch(0) });
    a.send({ type: "steps", ...ref, steps: [...batch(MAX_STEPS).slice(0, MAX_STEPS - 1), { name: "s0", status: "completed" }] });
    a.send({ type: "renew", leases: [ref] });
    await a.next("renewed"); // a round trip: both steps frames are handled
    const steps = (await getJob(e, jobId)).steps as { name: string; status: string }[];
    expect(steps).toHaveLength(MAX_STEPS);
    expect(steps.map((st) => st.name)).toEqual(batch(0).map((st) => st.name));
    expect(steps[0]!.status).toBe("completed");
  });

  it("records one move to Claimed per agent when a pass gives it several jobs", async () => {
    const e = await setup();
    const { id: agentId, credential } = await e.register("a1");
    const ids = [await createJob(e), await createJob(e), await createJob(e)];
    const a = await connect(e, credential, { slots: 3 });
    const assigned = [await a.next("assign"), await a.next("assign"), await a.next("assign")].map((f) => f.job_id);
    expect(assigned.sort()).toEqual([...ids].sort());
    await until("Claimed", async () => (await getAgent(e, agentId)).status === "Claimed");
    const history = (await e.t.api("GET", `/api/v1/agents/${agentId}/status-history`)).body.details as { to: string }[];
    expect(history.filter((h) => h.to === "Claimed")).toHaveLength(1);
  });

  it("answers POST /api/v1/jobs with the job as stored: claimed when an agent was ready, else pending with a waiting reason", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const first = await e.t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "one" } } });
    expect(first.status).toBe(201);
    expect(first.body.details).toMatchObject({ status: "claimed", attempt: 1, agent_name: "a1", waiting_reason: null });
    expect(first.body.details.attempts).toMatchObject([{ attempt: 1, agent_name: "a1", outcome: "running" }]);
    expect((await a.next("assign")).job_id).toBe(first.body.details.id);
    const second = await e.t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "two" } } });
    expect(second.body.details).toMatchObject({ status: "pending", attempt: 0, attempts: [] });
    expect(second.body.details.waiting_reason).toBe("All slots are busy on the 1 eligible agent.");
  });

  it("gives one job to exactly one of many agents", async () => {
    const e = await setup();
    const agents = [];
    for (let i = 0; i < 8; i++) agents.push(await connect(e, (await e.register(`a${i}`)).credential));
    const jobId = await createJob(e);
    for (const a of agents) await a.roundTrip(); // every assign sent before each agent's renewed has arrived
    const assigns = agents.map((a) => a.frames.filter((f) => f.type === "assign").map((f) => (f as { job_id: string }).job_id));
    expect(assigns.flat()).toEqual([jobId]);
  });

  it("holds a job for an agent without the module, with a waiting reason, and assigns once one connects", async () => {
    const e = await setup();
    const bare = await connectAgent(e.url, (await e.register("bare")).credential, { modules: [] });
    e.agents.push(bare);
    const jobId = await createJob(e);
    await bare.roundTrip();
    expect(bare.frames.filter((f) => f.type === "assign")).toEqual([]);
    const job = await getJob(e, jobId);
    expect(job.status).toBe("pending");
    expect(job.waiting_reason).toBe("No eligible agent has module hello@1.0.0 installed.");
    const a = await connect(e, (await e.register("a1")).credential);
    expect((await a.next("assign")).job_id).toBe(jobId);
  });

  it("re-offers a rejected claim and keeps slots", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential, { slots: 2 });
    const j1 = await createJob(e);
    const j2 = await createJob(e);
    const first = await a.next("assign");
    const second = await a.next("assign");
    expect(new Set([first.job_id, second.job_id])).toEqual(new Set([j1, j2]));
    const third = await createJob(e);
    await a.roundTrip();
    expect(a.frames.filter((f) => f.type === "assign")).toEqual([]); // both slots busy
    expect((await getJob(e, third)).waiting_reason).toBe("All slots are busy on the 1 eligible agent.");
    a.send({ type: "reject", job_id: first.job_id, attempt: 1, reason: "shutting down" });
    await until("released", async () => (await getJob(e, first.job_id)).status === "pending");
  });

  it("refuses messages about a stale attempt and tells the agent to stop it", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    await a.next("assign");
    a.send({ type: "logs", job_id: jobId, attempt: 7, chunks: [{ seq: 0, stream: "stdout", data: "x" }] });
    expect(await a.next("stale")).toMatchObject({ job_id: jobId, attempt: 7 });
    a.send({ type: "finished", job_id: jobId, attempt: 7, outcome: "completed", exit_code: 0, reason: null, message: null });
    await a.next("stale");
    expect((await getJob(e, jobId)).status).toBe("claimed");
  });

  it("sends cancel to the agent holding the job and records cancelled", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    await a.next("assign");
    a.send({ type: "started", job_id: jobId, attempt: 1, container_id: "c" });
    await until("running", async () => (await getJob(e, jobId)).status === "running");
    expect((await e.t.api("POST", `/api/v1/jobs/${jobId}/cancel`)).status).toBe(200);
    const cancel = await a.next("cancel");
    expect(cancel).toMatchObject({ job_id: jobId, attempt: 1, reason: "cancelled", grace_s: 10 });
    a.send({ type: "finished", job_id: jobId, attempt: 1, outcome: "cancelled", exit_code: 143, reason: "cancelled", message: "stopped" });
    await a.next("finished_ack");
    const job = await getJob(e, jobId);
    expect(job.status).toBe("cancelled");
    expect(job.error.reason).toBe("cancelled");
  });

  it("a cancel over REST publishes one job.updated, with its status, and tells the agent", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    await a.next("assign");
    a.send({ type: "started", job_id: jobId, attempt: 1, container_id: "c" });
    await until("running", async () => (await getJob(e, jobId)).status === "running");
    const events: unknown[] = [];
    const off = e.t.deps.events.subscribe((ev) => {
      if (ev.type === "job.updated" && ev.id === jobId) events.push(ev);
    });
    expect((await e.t.api("POST", `/api/v1/jobs/${jobId}/cancel`)).status).toBe(200);
    await a.next("cancel"); // a round trip after the route: every event of the cancel is out
    off();
    expect(events).toEqual([{ type: "job.updated", id: jobId, org_id: expect.any(String), status: "cancelling" }]);
  });

  it("times a job out from claim time and tells the agent to stop it", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e, { timeout_s: 1 });
    await a.next("assign");
    a.send({ type: "started", job_id: jobId, attempt: 1, container_id: "c" });
    const cancel = await a.next("cancel", 5000);
    expect(cancel.reason).toBe("timeout");
    a.send({ type: "finished", job_id: jobId, attempt: 1, outcome: "cancelled", exit_code: 137, reason: "cancelled", message: "stopped" });
    await a.next("finished_ack");
    const job = await getJob(e, jobId);
    expect(job).toMatchObject({ status: "failed", error: { reason: "timeout" } });
  });
});

describe("liveness and leases", () => {
  it("marks a session that stops answering pings Unknown by the server's clock", async () => {
    const e = await setup({ heartbeatS: 1 });
    const { id, credential } = await e.register("a1");
    const a = await connect(e, credential);
    (a.ws as unknown as { pong: () => void }).pong = () => {}; // stop answering pings
    await until("Unknown", async () => (await getAgent(e, id)).status === "Unknown", 8000);
    const last = (await e.t.api("GET", `/api/v1/agents/${id}/status-history`)).body.details.find((h: { to: string }) => h.to === "Unknown");
    expect(last.reason).toBe("heartbeat_missed");
  });

  it("pings a session only when it has gone quiet for its interval, naming the interval; a fleet over PINGS_PER_SECOND x heartbeat is pinged less often", async () => {
    const e = await setup({ heartbeatS: 1 });
    const a = await connect(e, (await e.register("a1")).credential);
    const pings: { at: number; payload: string }[] = [];
    a.ws.on("ping", (d: Buffer) => pings.push({ at: Date.now(), payload: d.toString() }));
    await until("an idle session's ping", async () => pings.length > 0, 4000);
    expect(pings[0]!.payload).toBe("1"); // the interval of the pings to come, in seconds
    // A session that talks both ways (a frame each 200 ms, each answered) is not pinged at all.
    pings.length = 0;
    const busyUntil = Date.now() + 3000;
    while (Date.now() < busyUntil) {
      a.send({ type: "nope" });
      await a.next("error");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(pings).toEqual([]);
    // The interval: the heartbeat up to PINGS_PER_SECOND x heartbeat sessions, then sessions / PINGS_PER_SECOND s.
    expect(pingEveryMs(1, 10_000)).toBe(10_000);
    expect(pingEveryMs(PINGS_PER_SECOND * 10, 10_000)).toBe(10_000);
    expect(pingEveryMs(10_000, 10_000)).toBe((10_000 / PINGS_PER_SECOND) * 1000);
    expect(silentAfterMs(10_000, 10_000)).toBe(30_000); // three heartbeats, as before the fleet grows
    expect(silentAfterMs(50_000, 10_000)).toBe(70_000); // one interval, then two heartbeats for the pong
  }, 15_000);

  it("writes a live agent's last-seen time at most once a minute, not at every heartbeat (idle cost: 10,000 agents)", async () => {
    const e = await setup();
    const { id, credential } = await e.register("a1");
    const a = await connect(e, credential);
    const lastSeen = () => e.t.deps.db.$client.prepare(`select last_seen_at from agents where id = ?`).pluck().get(id) as string;
    // A frame that is answered (an error for an unknown type) is heard first: a round trip, then a sweep flushes what was noted.
    const heardAt = async (ms: number) => {
      const real = Date.now();
      e.t.deps.clock = () => real + ms;
      a.send({ type: "nope" });
      await a.next("error");
      e.t.app.hub.sweep();
      return lastSeen();
    };
    const first = await heardAt(0);
    expect(await heardAt(e.t.deps.config.heartbeatS * 1000)).toBe(first); // the next heartbeat's pong: noted in memory only
    expect(await heardAt(30_000)).toBe(first);
    expect(Date.parse(await heardAt(LAST_SEEN_EVERY_MS + 1000))).toBeGreaterThan(Date.parse(first) + 60_000 - 1);
  });

  it("re-queues a job whose lease lapsed past the grace as a new attempt, once, on another agent", async () => {
    const e = await setup({ leaseTtlS: 1, leaseGraceS: 1 });
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    await a.next("assign");
    a.send({ type: "started", job_id: jobId, attempt: 1, container_id: "c" });
    a.ws.terminate(); // gone without a word, never renews
    const b = await connect(e, (await e.register("b1")).credential);
    const again = await b.next("assign", 8000);
    expect(again).toMatchObject({ job_id: jobId, attempt: 2 });
    b.send({ type: "started", job_id: jobId, attempt: 2, container_id: "c2" });
    b.send({ type: "finished", job_id: jobId, attempt: 2, outcome: "completed", exit_code: 0, reason: null, message: null });
    await b.next("finished_ack");
    const job = await getJob(e, jobId);
    expect(job.status).toBe("completed");
    expect(job.attempts.map((x: { outcome: string }) => x.outcome)).toEqual(["lost", "completed"]);
  });

  /** An agent that started a job and then dropped its connection without a word. */
  async function runningThenGone() {
    const e = await setup();
    const { credential } = await e.register("a1");
    const a = await connect(e, credential);
    const jobId = await createJob(e);
    await a.next("assign");
    a.send({ type: "started", job_id: jobId, attempt: 1, container_id: "c" });
    await until("running", async () => (await getJob(e, jobId)).status === "running");
    a.ws.terminate();
    return { e, credential, jobId };
  }

  it("treats an attempt the agent no longer holds at hello as lost at once", async () => {
    const { e, credential, jobId } = await runningThenGone();
    const again = await connect(e, credential, { running: [] });
    expect((await again.next("assign")).attempt).toBe(2);
  });

  it("renews the lease of an attempt the agent still holds at hello", async () => {
    const { e, credential, jobId } = await runningThenGone();
    const again = await connect(e, credential, { running: [{ job_id: jobId, attempt: 1 }, { job_id: "nope", attempt: 1 }] });
    expect((await again.next("stale")).job_id).toBe("nope");
    expect((await getJob(e, jobId)).status).toBe("running");
  });
});

describe("reconnect storms", () => {
  it("writes a storm of closes Offline in one commit, not one per session", async () => {
    const e = await setup();
    const n = 30;
    for (let i = 0; i < n; i++) await connect(e, (await e.register(`storm${i}`)).credential);
    const offline = () => e.t.deps.db.$client.prepare("select count(*) from agents where connected = 0 and status = 'Offline'").pluck().get() as number;
    expect(offline()).toBe(0);
    let commits = 0;
    const undo = observeTransactions(e.t.deps.db, () => commits++);
    for (const a of e.agents) a.ws.terminate();
    await until("every agent Offline", async () => offline() === n);
    undo();
    expect(commits).toBeLessThan(n / 3); // one per session before (30); one per turn that saw closes now
  });

  it("writes nothing for a session that ends before its hello (a dial its agent gave up on), but still writes Offline for one that replaced a live session", async () => {
    const e = await setup();
    const { id, credential } = await e.register("a1");
    const row = () => e.t.deps.db.$client.prepare("select connected, status, last_seen_at as lastSeen from agents where id = ?").get(id) as { connected: number; status: string; lastSeen: string | null };
    const before = row();
    let commits = 0;
    const undo = observeTransactions(e.t.deps.db, () => commits++);
    for (let i = 0; i < 5; i++) {
      const raw = await openSession(e.url, credential);
      raw.ws.terminate();
      await raw.closed;
    }
    await new Promise((r) => setTimeout(r, 100));
    undo();
    expect(commits).toBe(0);
    expect(row()).toEqual(before);
    // A live agent whose newer dial replaces its session and then ends before hello: stored Offline.
    await connect(e, credential);
    expect(row().connected).toBe(1);
    const raw = await openSession(e.url, credential);
    raw.ws.terminate();
    await until("Offline", async () => row().status === "Offline" && row().connected === 0);
  });
});

describe("log followers", () => {
  it("see each chunk as it is stored over SSE, and an end event when the job finishes", async () => {
    const e = await setup();
    const a = await connect(e, (await e.register("a1")).credential);
    const jobId = await createJob(e);
    await a.next("assign");
    const ref = { job_id: jobId, attempt: 1 };
    a.send({ type: "started", ...ref, container_id: "c" });
    const res = await fetch(`${e.url}/api/v1/jobs/${jobId}/logs?follow=1`, { headers: { authorization: `Bearer ${e.t.adminToken}` } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}; got ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    a.send({ type: "logs", ...ref, chunks: [{ seq: 0, stream: "stdout", data: "first line\n" }] });
    await readUntil("first line");
    a.send({ type: "logs", ...ref, chunks: [{ seq: 1, stream: "stdout", data: "second line\n" }] });
    await readUntil("second line");
    a.send({ type: "finished", ...ref, outcome: "completed", exit_code: 0, reason: null, message: null });
    await readUntil("event: end");
    expect(text.indexOf("first line")).toBeLessThan(text.indexOf("second line"));
    await reader.cancel();
  });
});

describe("closing the server", () => {
  it("ends open change feeds and log followers instead of waiting on them", async () => {
    const e = await setup();
    const jobId = await createJob(e);
    const headers = { authorization: `Bearer ${e.t.adminToken}` };
    const feed = await fetch(`${e.url}/api/v1/events`, { headers });
    const follow = await fetch(`${e.url}/api/v1/jobs/${jobId}/logs?follow=1`, { headers });
    const ended = Promise.all([feed.text(), follow.text()]);
    await e.t.app.close();
    const [feedText] = await ended;
    expect(feedText).toContain(": connected");
  });
});

describe("a frame the server cannot store (issue 17)", () => {
  it("closes the session with 1011 instead of acking later frames past the lost one; the resend after reconnect fills the gap", async () => {
    const e = await setup();
    const { credential } = await e.register("full");
    let a = await connect(e, credential);
    const jobId = await createJob(e);
    await a.next("assign");
    const ref = { job_id: jobId, attempt: 1 };
    a.send({ type: "accept", ...ref });
    a.send({ type: "started", ...ref, container_id: "c1" });
    a.send({ type: "logs", ...ref, chunks: [{ seq: 0, stream: "stdout", data: "one\n" }] });
    expect((await a.next("logs_ack")).acked_seq).toBe(0);
    // One write fails (as on a full disk): a real SQLite trigger refuses the chunk "two".
    e.t.deps.db.$client.exec(`create temp trigger fail_two before insert on job_logs when new.data = 'two' || char(10) begin select raise(abort, 'database or disk is full'); end`);
    const acks: number[] = [];
    void a.next("logs_ack").then((f) => acks.push(f.acked_seq), () => undefined);
    a.send({ type: "logs", ...ref, chunks: [{ seq: 1, stream: "stdout", data: "two\n" }] });
    a.send({ type: "logs", ...ref, chunks: [{ seq: 2, stream: "stdout", data: "three\n" }] });
    expect((await a.closed).code).toBe(CLOSE.serverError);
    expect(acks).toEqual([]); // seq 2 was not acked past the lost seq 1
    e.t.deps.db.$client.exec("drop trigger fail_two");
    // Nothing after the failed frame was stored, so the resume point is the lost chunk.
    a = await connect(e, credential, { running: [ref] });
    a.send({ type: "logs", ...ref, chunks: [{ seq: 1, stream: "stdout", data: "two\n" }, { seq: 2, stream: "stdout", data: "three\n" }] });
    expect((await a.next("logs_ack")).acked_seq).toBe(2);
    const logs = (await e.t.api("GET", `/api/v1/jobs/${jobId}/logs`)).body.details as { data: string; stream: string }[];
    expect(logs.filter((l) => l.stream === "stdout").map((l) => l.data).join("")).toBe("one\ntwo\nthree\n");
  });
});
