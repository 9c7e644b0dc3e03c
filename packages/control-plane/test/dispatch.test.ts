import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { agents, jobLogs, jobs } from "../src/db/schema.js";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { releaseClaim } from "../src/modules/dispatch/dispatch-claim.js";
import { finishAttempt, renewLease, startAttempt } from "../src/modules/dispatch/dispatch-attempts.js";
import { dispatchHarness, type DispatchHarness } from "../src/test-support/dispatch-harness.js";
import { enforceTimeouts, expireLeases } from "../src/modules/dispatch/dispatch-leases.js";
import { appendLogs, recordReport, recordSteps } from "../src/modules/dispatch/dispatch-outputs.js";

let t: TestApp;
/** Claims go through the real dispatcher: one pass for the agent's session (test-support/dispatch-harness.ts). */
let d: DispatchHarness;
const LEASE = 5_000;
const T0 = "2026-01-01T00:00:00.000Z";
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

async function agent(name: string, modules = [{ name: "hello", version: "1.0.0" }]) {
  const res = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name, modules }) });
  t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, res.body.details.id)).run();
  return res.body.details.id as string;
}

async function job(body: Record<string, unknown> = {}) {
  const res = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...body } });
  expect(res.status).toBe(201);
  return res.body.details.id as string;
}

const jobRow = (id: string) => t.deps.db.select().from(jobs).where(eq(jobs.id, id)).get()!;

beforeEach(async () => {
  t = await makeTestApp();
  d = dispatchHarness(t.deps);
  await t.api("POST", "/api/v1/modules", { body: sampleModule() });
});
afterEach(async () => t.close());

describe("claiming", () => {
  it("gives one job to exactly one of many agents", async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => agent(`a${i}`)));
    const jobId = await job();
    const claims = ids.map((id) => d.claim(id, at(0), LEASE)).filter(Boolean);
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ job_id: jobId, attempt: 1, image: "outpost-test/busybox:1", command: ["sh", "-c", "echo hello"] });
    expect(jobRow(jobId).status).toBe("claimed");
  });

  it("respects the module version, the pool, the named agent, retirement and free slots", async () => {
    const noModule = await agent("bare", []);
    const a = await agent("a");
    const b = await agent("b");
    const pool = (await t.api("POST", "/api/v1/pools", { body: { name: "p" } })).body.details.id;
    await t.api("POST", `/api/v1/pools/${pool}/agents`, { body: { agent_ids: [b] } });
    const inPool = await job({ pool_id: pool });
    expect(d.claim(noModule, at(0), LEASE)).toBeNull();
    expect(d.claim(a, at(0), LEASE)).toBeNull();
    expect(d.claim(b, at(0), LEASE)?.job_id).toBe(inPool);
    const named = await job({ agent_id: b });
    expect(d.claim(a, at(0), LEASE)).toBeNull();
    expect(d.claim(b, at(0), LEASE)).toBeNull(); // one slot, busy
    await t.api("POST", `/api/v1/agents/${b}/retire`);
    finishAttempt(t.deps.db, { jobId: inPool, attempt: 1, agentId: b }, { outcome: "completed", exitCode: 0, reason: null, message: null }, at(1));
    expect(d.claim(b, at(2), LEASE)).toBeNull(); // retired
    expect(jobRow(named).status).toBe("pending");
  });

  it("takes higher priority first, then the oldest", async () => {
    const a = await agent("a");
    const low = await job();
    const high = await job({ priority: 10 });
    expect(d.claim(a, at(0), LEASE)?.job_id).toBe(high);
    void low;
  });

  it("releases a refused claim back to pending", async () => {
    const a = await agent("a");
    const id = await job();
    d.claim(a, at(0), LEASE);
    expect(releaseClaim(t.deps.db, id, 1, a, "full", at(1))).toBe(true);
    expect(jobRow(id)).toMatchObject({ status: "pending", agentId: null });
    expect(d.claim(a, at(2), LEASE)?.attempt).toBe(2);
  });
});

describe("an attempt's life", () => {
  it("runs claimed -> running -> completed and moves the agent through the status table", async () => {
    const a = await agent("a");
    const id = await job();
    d.claim(a, at(0), LEASE);
    const ref = { jobId: id, attempt: 1, agentId: a };
    expect(startAttempt(t.deps.db, ref, at(10), LEASE)).toBe("running");
    expect(finishAttempt(t.deps.db, ref, { outcome: "completed", exitCode: 0, reason: null, message: null }, at(20))).toBe("completed");
    expect(finishAttempt(t.deps.db, ref, { outcome: "failed", exitCode: 1, reason: "exit_code", message: "x" }, at(30))).toBe("stale");
    const detail = (await t.api("GET", `/api/v1/jobs/${id}`)).body.details;
    expect(detail).toMatchObject({ status: "completed", exit_code: 0, attempt: 1, error: null });
    expect(detail.attempts[0]).toMatchObject({ attempt: 1, agent_id: a, outcome: "completed" });
    const history = (await t.api("GET", `/api/v1/agents/${a}/status-history?order=asc`)).body.details.map((h: { to: string }) => h.to);
    expect(history).toEqual(["Offline", "Claimed", "ExecutingJob", "ExecutionSuccess"]);
  });

  it("refuses every message of a stale attempt", async () => {
    const a = await agent("a");
    const b = await agent("b");
    const id = await job();
    d.claim(a, at(0), LEASE);
    const wrongAgent = { jobId: id, attempt: 1, agentId: b };
    const wrongAttempt = { jobId: id, attempt: 2, agentId: a };
    for (const ref of [wrongAgent, wrongAttempt]) {
      expect(startAttempt(t.deps.db, ref, at(1), LEASE)).toBe("stale");
      expect(renewLease(t.deps.db, ref, at(1), LEASE)).toEqual({ status: "stale" });
      expect(appendLogs(t.deps.db, ref, [{ seq: 0, stream: "stdout", data: "x" }], at(1))).toBe("stale");
      expect(recordSteps(t.deps.db, ref, [], at(0))).toBe("stale");
      expect(recordReport(t.deps.db, ref, { markdown: "# r" }, at(1))).toBe("stale");
      expect(finishAttempt(t.deps.db, ref, { outcome: "completed", exitCode: 0, reason: null, message: null }, at(1))).toBe("stale");
    }
    expect(jobRow(id).status).toBe("claimed");
  });

  it("re-queues a lost attempt exactly once, after the lease and the grace, and keeps it in history", async () => {
    const a = await agent("a");
    const b = await agent("b");
    const id = await job();
    d.claim(a, at(0), LEASE);
    startAttempt(t.deps.db, { jobId: id, attempt: 1, agentId: a }, at(0), LEASE);
    expect(expireLeases(t.deps.db, at(LEASE + 500), 1_000).lost).toEqual([]);
    const swept = expireLeases(t.deps.db, at(LEASE + 1_500), 1_000);
    expect(swept.requeued).toEqual([id]);
    expect(expireLeases(t.deps.db, at(LEASE + 1_600), 1_000).lost).toEqual([]);
    expect(d.claim(b, at(LEASE + 2_000), LEASE)).toMatchObject({ job_id: id, attempt: 2 });
    const detail = (await t.api("GET", `/api/v1/jobs/${id}`)).body.details;
    expect(detail.attempts.map((x: { outcome: string }) => x.outcome)).toEqual(["lost", "running"]);
    expect(finishAttempt(t.deps.db, { jobId: id, attempt: 1, agentId: a }, { outcome: "completed", exitCode: 0, reason: null, message: null }, at(LEASE + 3_000))).toBe("stale");
  });

  it("fails with agent_lost when no attempts remain", async () => {
    const a = await agent("a");
    const id = await job({ max_attempts: 1 });
    d.claim(a, at(0), LEASE);
    expect(expireLeases(t.deps.db, at(LEASE * 3), 0).failed).toEqual([id]);
    expect(jobRow(id)).toMatchObject({ status: "failed", errorReason: "agent_lost" });
  });

  it("times out from the container's start (an image pull before it does not count) and ends failed with reason timeout", async () => {
    const a = await agent("a");
    const id = await job({ timeout_s: 2 });
    d.claim(a, at(0), 60_000);
    // Claimed, pulling its image for longer than its timeout: not timed out.
    expect(enforceTimeouts(t.deps.db, at(5_000))).toEqual([]);
    startAttempt(t.deps.db, { jobId: id, attempt: 1, agentId: a }, at(6_000), 60_000);
    expect(enforceTimeouts(t.deps.db, at(7_500))).toEqual([]);
    expect(enforceTimeouts(t.deps.db, at(8_000))).toEqual([id]);
    expect(renewLease(t.deps.db, { jobId: id, attempt: 1, agentId: a }, at(8_100), 60_000)).toMatchObject({ cancel: true });
    finishAttempt(t.deps.db, { jobId: id, attempt: 1, agentId: a }, { outcome: "failed", exitCode: 143, reason: "exit_code", message: "terminated" }, at(9_000));
    expect(jobRow(id)).toMatchObject({ status: "failed", errorReason: "timeout" });
  });
});

describe("outputs", () => {
  it("stores log chunks once per (job, attempt, seq) and truncates past the cap with one marker", async () => {
    const a = await agent("a");
    const id = await job();
    d.claim(a, at(0), LEASE);
    const ref = { jobId: id, attempt: 1, agentId: a };
    expect(appendLogs(t.deps.db, ref, [{ seq: 0, stream: "stdout", data: "hello\n" }, { seq: 1, stream: "stderr", data: "warn\n" }], at(1), 20)).toEqual({ acked: 1, stored: 2 });
    expect(appendLogs(t.deps.db, ref, [{ seq: 1, stream: "stderr", data: "warn\n" }], at(2), 20)).toEqual({ acked: 1, stored: 0 });
    appendLogs(t.deps.db, ref, [{ seq: 2, stream: "stdout", data: "x".repeat(50) }, { seq: 3, stream: "stdout", data: "y" }], at(3), 20);
    appendLogs(t.deps.db, ref, [{ seq: 4, stream: "stdout", data: "z" }], at(4), 20);
    const rows = t.deps.db.select().from(jobLogs).where(eq(jobLogs.jobId, id)).all();
    expect(rows.map((r) => [r.seq, r.stream])).toEqual([[0, "stdout"], [1, "stderr"], [2, "system"]]);
    expect(rows[2]!.data).toContain("truncated");
    expect(jobRow(id).status).toBe("claimed");
  });

  it("keeps steps by name and the report, refusing an oversized one", async () => {
    const a = await agent("a");
    const id = await job();
    d.claim(a, at(0), LEASE);
    const ref = { jobId: id, attempt: 1, agentId: a };
    recordSteps(t.deps.db, ref, [{ name: "build", status: "running", output: null }], at(1));
    recordSteps(t.deps.db, ref, [{ name: "build", status: "completed", output: "ok" }, { name: "test", status: "running", output: null }], at(2));
    expect(recordReport(t.deps.db, ref, { json: { ok: true }, markdown: "# Done" }, at(3))).toBe("ok");
    expect(recordReport(t.deps.db, ref, { markdown: "x".repeat(300_000) }, at(3))).toBe("too_large");
    const detail = (await t.api("GET", `/api/v1/jobs/${id}`)).body.details;
    expect(detail.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual(["build:completed", "test:running"]);
    expect(detail.has_report).toBe(true);
    expect((await t.api("GET", `/api/v1/jobs/${id}/report`)).body.details).toMatchObject({ json: { ok: true }, markdown: "# Done" });
  });

  it("records error.step: the step running when the attempt failed, else the last failed one; none when it completed", async () => {
    const a = await agent("a");
    const ids = [await job(), await job(), await job()];
    const results: { step: string | null }[] = [];
    const cases: [{ name: string; status: "running" | "completed" | "failed"; output: null }[], "failed" | "completed"][] = [
      [[{ name: "build", status: "completed", output: null }, { name: "test", status: "running", output: null }], "failed"],
      [[{ name: "lint", status: "failed", output: null }, { name: "report", status: "completed", output: null }], "failed"],
      [[{ name: "build", status: "running", output: null }], "completed"],
    ];
    for (const [i, id] of ids.entries()) {
      d.claim(a, at(0), LEASE);
      const ref = { jobId: id, attempt: 1, agentId: a };
      const [steps, outcome] = cases[i]!;
      recordSteps(t.deps.db, ref, steps, at(1));
      finishAttempt(t.deps.db, ref, { outcome, exitCode: outcome === "failed" ? 1 : 0, reason: outcome === "failed" ? "exit_code" : null, message: outcome === "failed" ? "exit 1" : null }, at(2));
      const detail = (await t.api("GET", `/api/v1/jobs/${id}`)).body.details;
      results.push({ step: detail.error?.step ?? null });
    }
    expect(results).toEqual([{ step: "test" }, { step: "lint" }, { step: null }]);
  });
});
