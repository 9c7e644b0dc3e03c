/** Issue 12 §7: re-run one or several runs (`rerun_of`), cancel several at once. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOrg, createJob, expectError, expectFieldError, makeTestApp, orgAdminToken, publish, type TestApp } from "./support.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  await publish(t);
});
afterEach(async () => t.close());

describe("re-run", () => {
  it("creates a new job with the same target and inputs, rerun_of the original, provenance from the caller", async () => {
    const orig = await createJob(t, { inputs: { who: "again" }, priority: 7, timeout_s: 30, max_attempts: 2 });
    const res = await t.api("POST", `/api/v1/jobs/${orig.id}/rerun`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.details).toMatchObject({ module: "hello", version: "1.0.0", function: "greet", inputs: { who: "again" }, priority: 7, timeout_s: 30, max_attempts: 2, rerun_of: orig.id, trigger_source: "api", triggered_by: "admin" });
    expect(res.body.details.id).not.toBe(orig.id);
  });

  it("re-runs several selected runs; ids the caller cannot see are not_found", async () => {
    const a = await createJob(t);
    const b = await createJob(t);
    await createOrg(t, "other");
    const other = await orgAdminToken(t, "other");
    const res = await t.api("POST", "/api/v1/jobs/rerun", { body: { ids: [a.id, b.id, "nope"] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.details.created.map((j: any) => j.rerun_of)).toEqual([a.id, b.id]);
    expect(res.body.details.not_found).toEqual(["nope"]);
    expect((await t.api("POST", "/api/v1/jobs/rerun", { token: other, body: { ids: [a.id] } })).body.details).toEqual({ created: [], not_found: [a.id] });
    expectError(await t.api("POST", `/api/v1/jobs/${a.id}/rerun`, { token: other }), 404);
  });

  it("answers a run that can no longer run (inputs no longer fit) with a 422 naming ids[i]", async () => {
    const a = await createJob(t);
    t.deps.db.$client.prepare(`update jobs set inputs = '{"who":5}' where id = ?`).run(a.id);
    const item = expectFieldError(await t.api("POST", "/api/v1/jobs/rerun", { body: { ids: [a.id] } }), "ids.0");
    expect(item.message).toContain(a.id);
    expectFieldError(await t.api("POST", "/api/v1/jobs/rerun", { body: { ids: [] } }), "ids");
  });
});

describe("bulk cancel", () => {
  it("cancels the live ones, refuses finished ones naming why, and reports unknown ids", async () => {
    const a = await createJob(t);
    const b = await createJob(t);
    await t.api("POST", `/api/v1/jobs/${b.id}/cancel`);
    const res = await t.api("POST", "/api/v1/jobs/cancel", { body: { ids: [a.id, b.id, "nope"] } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.details).toMatchObject({ cancelled: [a.id], not_found: ["nope"], refused: [{ id: b.id, message: expect.stringContaining("cancelled") }] });
    expect((await t.api("GET", `/api/v1/jobs/${a.id}`)).body.details.status).toBe("cancelled");
  });
});
