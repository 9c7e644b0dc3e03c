/**
 * Issue 12 §6: the failing step. Every way a job can end with an error (or wait `retrying` with
 * one) records the step that was running at that moment, else the last one that failed: the
 * table below lists each path, so one that forgets the step fails here.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { agents } from "../src/db/schema.js";
import { claimNextJob } from "../src/modules/dispatch/claim.js";
import { finishAttempt, startAttempt } from "../src/modules/dispatch/attempts.js";
import { recordSteps } from "../src/modules/dispatch/outputs.js";
import { enforceTimeouts, expireLeases } from "../src/modules/dispatch/leases.js";
import { makeTestApp, publish, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp;
let now = Date.parse("2026-01-01T00:00:00.000Z");
const iso = () => new Date(now).toISOString();
beforeEach(async () => {
  t = await makeTestApp();
  now = Date.parse("2026-01-01T00:00:00.000Z");
  t.deps.clock = () => now;
  await publish(t);
});
afterEach(async () => t.close());

type Ref = { jobId: string; attempt: number; agentId: string };
const exitFailed = (ref: Ref) => finishAttempt(t.deps.db, ref, { outcome: "failed", exitCode: 2, reason: "exit_code", message: "exit 2" }, iso());
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
  const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }] }) });
  const agentId = reg.body.details.id as string;
  t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, agentId)).run();
  const job = (await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...body } })).body.details;
  const claim = claimNextJob(t.deps.db, agentId, iso(), 60_000)!;
  const ref = { jobId: job.id as string, attempt: claim.attempt, agentId };
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
