/**
 * Issue 17: the server's wall clock stepping forward 10 minutes while attempts hold leases. The
 * hub's sweep (the real one, on the real app and SQLite file) must not declare them lost: the
 * step is detected against the monotonic clock and the live leases move with it.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { agents, jobs } from "../src/db/schema.js";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { startAttempt } from "../src/modules/dispatch/dispatch-attempts.js";
import { dispatchHarness } from "../src/test-support/dispatch-harness.js";
import { WallClockWatch } from "../src/modules/dispatch/dispatch-clock-jump.js";

let t: TestApp;
const LEASE = 10_000;

beforeEach(async () => {
  t = await makeTestApp({ leaseGraceS: 1 });
  const mod = await t.api("POST", "/api/v1/modules", { body: sampleModule() });
  expect(mod.status, JSON.stringify(mod.body)).toBe(201);
});
afterEach(async () => t.close());

it("a wall-clock step forward 10 minutes expires no lease; the leases move with it", async () => {
  const agentIds: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: `a${i}`, modules: [{ name: "hello", version: "1.0.0" }] }) });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    agentIds.push(reg.body.details.id);
    t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, reg.body.details.id)).run();
    const res = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, timeout_s: 3600 } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.details.id);
  }
  let offset = 0;
  const real = t.deps.clock;
  t.deps.clock = () => real() + offset;
  const now = () => new Date(t.deps.clock()).toISOString();
  const d = dispatchHarness(t.deps);
  for (const agentId of agentIds) {
    const claim = d.claim(agentId, now(), LEASE);
    if (claim) startAttempt(t.deps.db, { jobId: claim.job_id, attempt: 1, agentId }, now(), LEASE);
  }
  const live = () => t.deps.db.select().from(jobs).all().filter((j) => j.status === "running");
  expect(live()).toHaveLength(3);
  const before = new Map(live().map((j) => [j.id, Date.parse(j.leaseExpiresAt!)]));
  // The restart grace (1 s) passes on the app's clock, by less than a step (2 s): from this sweep on, expiry runs.
  offset = 1100;
  t.app.hub.sweep();
  expect(live().map((j) => j.status)).toEqual(["running", "running", "running"]);
  offset = 600_000; // the server's clock steps forward 10 minutes (under the default job timeout, which runs from claim time)
  t.app.hub.sweep();
  t.app.hub.sweep();
  const after = live();
  expect(after.map((j) => j.id).sort()).toEqual([...ids].sort());
  for (const j of after) expect(Date.parse(j.leaseExpiresAt!) - before.get(j.id)!).toBeGreaterThan(590_000);
});

it("WallClockWatch tells a step from time passing", () => {
  let wall = 1_000_000;
  let mono = 0;
  const watch = new WallClockWatch(() => wall, () => mono);
  wall += 5_000;
  mono += 5_000;
  expect(watch.step()).toBe(0);
  wall += 600_000;
  expect(watch.step()).toBe(600_000);
  expect(watch.step()).toBe(600_000); // pending until accepted
  watch.accept();
  wall -= 120_000;
  mono += 1_000;
  expect(watch.step()).toBe(-121_000);
});

it("a sweep whose writes fail (a full disk) is logged and retried, never thrown out of the timer (issue 17)", async () => {
  const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "gone", modules: [{ name: "hello", version: "1.0.0" }] }) });
  const agentId = reg.body.details.id as string;
  t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, agentId)).run();
  const res = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, timeout_s: 3600 } });
  const id = res.body.details.id as string;
  const past = new Date(Date.now() - 60_000).toISOString();
  dispatchHarness(t.deps).claim(agentId, past, 1_000);
  // Every write to jobs fails, as on a full disk: the lease is long expired, so the sweep tries to write.
  t.deps.db.$client.exec(`create temp trigger full_disk before update on jobs begin select raise(abort, 'database or disk is full'); end`);
  expect(() => t.app.hub.sweepSafely()).not.toThrow();
  expect(t.deps.db.select().from(jobs).where(eq(jobs.id, id)).get()!.status).toBe("claimed");
  t.deps.db.$client.exec("drop trigger full_disk");
  t.app.hub.sweepSafely(); // space is back: the lost attempt is re-queued
  expect(["pending", "retrying", "claimed"]).toContain(t.deps.db.select().from(jobs).where(eq(jobs.id, id)).get()!.status);
  expect(t.deps.db.select().from(jobs).where(eq(jobs.id, id)).get()!.attempt).toBeGreaterThanOrEqual(1);
});

it("a step whose lease move fails (a full disk) is moved by the next sweep, not lost with the failed write (issue 17)", async () => {
  const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "a", modules: [{ name: "hello", version: "1.0.0" }] }) });
  const agentId = reg.body.details.id as string;
  t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, agentId)).run();
  const res = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, timeout_s: 3600 } });
  const id = res.body.details.id as string;
  let offset = 0;
  const real = t.deps.clock;
  t.deps.clock = () => real() + offset;
  const now = () => new Date(t.deps.clock()).toISOString();
  dispatchHarness(t.deps).claim(agentId, now(), LEASE);
  startAttempt(t.deps.db, { jobId: id, attempt: 1, agentId }, now(), LEASE);
  offset = 1100; // past the restart grace (1 s) on the app's clock, by less than a step
  t.app.hub.sweep();
  offset = 601_100;
  // The first sweep after the step cannot write (the disk is full): the step must not be spent.
  t.deps.db.$client.exec(`create temp trigger full_disk before update on jobs begin select raise(abort, 'database or disk is full'); end`);
  t.app.hub.sweepSafely();
  t.deps.db.$client.exec("drop trigger full_disk");
  t.app.hub.sweepSafely();
  const job = t.deps.db.select().from(jobs).where(eq(jobs.id, id)).get()!;
  expect(job.status).toBe("running");
  expect(Date.parse(job.leaseExpiresAt!) - t.deps.clock()).toBeGreaterThan(LEASE / 2);
});
