/**
 * Issue 12 §5: retrying is visible: failed attempts wait `retrying` for an exponential backoff with
 * jitter, then re-queue. §6: the failing step: every way a job can end with an error (or wait
 * `retrying` with one) records the step that was running, else the last that failed; PATHS lists
 * each way, so one that forgets the step fails here.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { agents } from "../src/db/schema.js";
import { dispatchHarness } from "../src/test-support/dispatch-harness.js";
import { finishAttempt, retryDelayMs, startAttempt } from "../src/modules/dispatch/dispatch-attempts.js";
import { recordSteps } from "../src/modules/dispatch/dispatch-outputs.js";
import { enforceTimeouts, expireLeases } from "../src/modules/dispatch/dispatch-leases.js";
import { expectFieldError, makeTestApp, publish, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp;
let now = Date.parse("2026-01-01T00:00:00.000Z");
const iso = () => new Date(now).toISOString();
/** Claims through the real dispatcher: one pass for the agent's session. */
const claim = (agentId: string, at: string, leaseMs: number) => dispatchHarness(t.deps).claim(agentId, at, leaseMs);
beforeEach(async () => {
  t = await makeTestApp();
  now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => now;
  await publish(t);
});
afterEach(async () => t.close());

async function agent() {
  const res = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }] }) });
  t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, res.body.details.id)).run();
  return res.body.details.id as string;
}
const get = async (id: string) => (await t.api("GET", `/api/v1/jobs/${id}`)).body.details;
const fail = (jobId: string, attempt: number, agentId: string) =>
  finishAttempt(t.deps.db, { jobId, attempt, agentId }, { outcome: "failed", exitCode: 2, reason: "exit_code", message: `attempt ${attempt} exited 2` }, iso());

describe("retry with backoff", () => {
  it("waits `retrying` with the failed attempt's reason and retry time, re-queues when the time comes, fails after max_attempts", async () => {
    const a = await agent();
    const job = (await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, retry: { max_attempts: 3, backoff_s: 10 } } })).body.details;
    expect(job).toMatchObject({ retry: { max_attempts: 3, backoff_s: 10 }, max_attempts: 3, retry_at: null });
    for (const [attempt, base] of [[1, 10_000], [2, 20_000]] as const) {
      expect(claim(a, iso(), 60_000)?.job_id).toBe(job.id);
      expect(fail(job.id, attempt, a)).toBe("retrying");
      const waiting = await get(job.id);
      expect(waiting).toMatchObject({ status: "retrying", error: { reason: "exit_code", message: `attempt ${attempt} exited 2` } });
      // Not "Waiting for an eligible agent": when it is retried and why.
      expect(waiting.waiting_reason).toBe(`Retrying at ${waiting.retry_at} (attempt ${attempt + 1} of 3): attempt ${attempt} failed: attempt ${attempt} exited 2.`);
      const wait = Date.parse(waiting.retry_at) - now;
      expect(wait).toBeGreaterThanOrEqual(base);
      expect(wait).toBeLessThanOrEqual(base * 1.2);
      now += wait - 1;
      await t.app.scheduler.tick();
      expect((await get(job.id)).status).toBe("retrying"); // not yet
      now += 1;
      await t.app.scheduler.tick();
      expect(await get(job.id)).toMatchObject({ status: "pending", retry_at: null });
    }
    expect(claim(a, iso(), 60_000)?.job_id).toBe(job.id);
    expect(fail(job.id, 3, a)).toBe("failed");
    expect(await get(job.id)).toMatchObject({ status: "failed", attempt: 3, retry_at: null });
  });

  it("a lost attempt of a job with a retry policy waits its backoff too; without one a job fails at once as before", async () => {
    const a = await agent();
    const withRetry = (await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, retry: { max_attempts: 2, backoff_s: 5 } } })).body.details;
    claim(a, iso(), 1_000);
    now += 10_000;
    expireLeases(t.deps.db, iso(), 0);
    const lost = await get(withRetry.id);
    expect(lost).toMatchObject({ status: "retrying", error: { reason: "agent_lost" } });
    expect(lost.waiting_reason).toMatch(new RegExp(`^Retrying at ${lost.retry_at} \\(attempt 2 of 2\\): attempt 1 failed: `));
    const plain = (await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" } } })).body.details;
    expect(claim(a, iso(), 60_000)?.job_id).toBe(plain.id);
    expect(fail(plain.id, 1, a)).toBe("failed");
  });

  it("grows exponentially with at most 20% jitter", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(10, n, () => 0))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(10, 1, () => 1)).toBe(12_000);
    expect(retryDelayMs(3600, 10, () => 0)).toBe(86_400_000);
  });

  it("answers a bad retry policy with a 422 naming the field", async () => {
    const post = (retry: unknown) => t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, retry } });
    expectFieldError(await post({ max_attempts: 0, backoff_s: 1 }), "retry.max_attempts");
    expectFieldError(await post({ max_attempts: 2, backoff_s: -1 }), "retry.backoff_s");
    expectFieldError(await post({ max_attempts: 2 }), "retry.backoff_s");
  });
});

type Ref = { jobId: string; attempt: number; agentId: string };
const exitFailed = (ref: Ref) =>
  finishAttempt(t.deps.db, ref, { outcome: "failed", exitCode: 2, reason: "exit_code", message: "exit 2" }, iso());
const leaseLost = () => {
  now += 10 * 60_000;
  expireLeases(t.deps.db, iso(), 0);
};
const timedOut = () => {
  now += 61_000; // hello.greet's timeout_s is 60
  enforceTimeouts(t.deps.db, iso());
};

/** Each path to an error: the job's body (retry policy or not) and what ends the attempt. */
const PATHS: [string, Record<string, unknown>, (ref: Ref) => unknown, string][] = [
  ["the container exits non-zero", { max_attempts: 1 }, exitFailed, "failed"],
  ["it exits non-zero with a retry policy (retrying)", { retry: { max_attempts: 2, backoff_s: 5 } }, exitFailed, "retrying"],
  ["the agent is lost on the last attempt", { max_attempts: 1 }, leaseLost, "failed"],
  ["the agent is lost with a retry policy (retrying)", { retry: { max_attempts: 2, backoff_s: 5 } }, leaseLost, "retrying"],
  ["it times out and the agent reports the stop", { max_attempts: 1 }, (ref) => (timedOut(), exitFailed(ref)), "failed"],
  ["it times out and the agent is lost before it answers", { max_attempts: 1 }, () => (timedOut(), leaseLost()), "failed"],
];

async function runningAtStep(body: Record<string, unknown>): Promise<Ref> {
  const agentId = await agent();
  const job = (await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...body } })).body.details;
  const assigned = claim(agentId, iso(), 60_000)!;
  const ref = { jobId: job.id as string, attempt: assigned.attempt, agentId };
  startAttempt(t.deps.db, ref, iso(), 60_000);
  recordSteps(t.deps.db, ref, [{ name: "fetch", status: "completed", output: null }, { name: "build", status: "running", output: null }, { name: "publish", status: "pending", output: null }], iso());
  return ref;
}

describe("error.step", () => {
  for (const [path, body, end, status] of PATHS) {
    it(`names the running step when ${path}`, async () => {
      const ref = await runningAtStep(body);
      end(ref);
      const job = (await t.api("GET", `/api/v1/jobs/${ref.jobId}`)).body.details;
      expect(job.status).toBe(status);
      expect(job.error).toMatchObject({ step: "build" });
    });
  }

  it("names the last failed step when none is running, and none for a completed job", async () => {
    const ref = await runningAtStep({ max_attempts: 1 });
    recordSteps(t.deps.db, ref, [{ name: "build", status: "failed", output: "boom" }], iso());
    exitFailed(ref);
    expect((await t.api("GET", `/api/v1/jobs/${ref.jobId}`)).body.details.error).toMatchObject({ step: "build" });
    const ok = await runningAtStep({});
    finishAttempt(t.deps.db, ok, { outcome: "completed", exitCode: 0, reason: null, message: null }, iso());
    expect((await t.api("GET", `/api/v1/jobs/${ok.jobId}`)).body.details.error).toBeNull();
  });
});
