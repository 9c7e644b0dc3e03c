/** Issue 12 §1: triggers CRUD and schedules (croner, IANA zones, overlap, missed firings, exactly once). */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Scheduler } from "../src/modules/triggers/trigger-scheduler.js";
import { fireTrigger } from "../src/modules/triggers/trigger-fire.js";
import { getTriggerOr404 } from "../src/modules/triggers/triggers.repo.js";
import { createOrg, expectError, expectFieldError, makeTestApp, orgAdminToken, publish, type TestApp } from "./support.js";

let t: TestApp;
let now = 0;
const at = (iso: string) => (now = Date.parse(iso));
beforeEach(async () => {
  t = await makeTestApp();
  at("2026-01-01T00:00:30.000Z");
  t.deps.clock = () => now;
  await publish(t);
});
afterEach(async () => t.close());

const target = { module: "hello", function: "greet", inputs: { who: "cron" } };
async function createTrigger(body: Record<string, unknown> = {}) {
  const res = await t.api("POST", "/api/v1/triggers", { body: { name: "nightly", kind: "schedule", target, schedule: { cron: "*/5 * * * *" }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}
const jobsOf = async (id: string) => (await t.api("GET", "/api/v1/jobs?limit=100")).body.details.filter((j: any) => j.trigger_id === id);
const firingsOf = async (id: string) => (await t.api("GET", `/api/v1/triggers/${id}/firings`)).body.details;

describe("triggers API", () => {
  it("creates, lists, reads, edits, pauses, resumes and deletes a schedule, with its next five firing times", async () => {
    const trig = await createTrigger({ schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" } });
    expect(trig).toMatchObject({ kind: "schedule", enabled: true, created_by: "admin", schedule: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin", overlap: "skip", missed: "skip" } });
    // 09:00 Berlin in winter is 08:00 UTC; 2026-01-01 is a Thursday.
    expect(trig.next_fire_times).toEqual(["2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z", "2026-01-05T08:00:00.000Z", "2026-01-06T08:00:00.000Z", "2026-01-07T08:00:00.000Z"]);
    expect((await t.api("GET", "/api/v1/triggers")).body.details.map((x: any) => x.id)).toEqual([trig.id]);
    const edited = await t.api("PATCH", `/api/v1/triggers/${trig.id}`, { body: { name: "hourly", schedule: { cron: "0 * * * *", timezone: "UTC" } } });
    expect(edited.body.details).toMatchObject({ name: "hourly", next_fire_times: expect.arrayContaining(["2026-01-01T01:00:00.000Z"]) });
    const paused = await t.api("POST", `/api/v1/triggers/${trig.id}/pause`);
    expect(paused.body.details).toMatchObject({ enabled: false, next_fire_times: [] });
    expect((await t.api("POST", `/api/v1/triggers/${trig.id}/resume`)).body.details.enabled).toBe(true);
    expect((await t.api("DELETE", `/api/v1/triggers/${trig.id}`)).status).toBe(200);
    expectError(await t.api("GET", `/api/v1/triggers/${trig.id}`), 404, "not_found");
  });

  it("previews the next five firings of a cron expression in a zone, before any trigger exists", async () => {
    const preview = (q: string) => t.api("GET", `/api/v1/triggers/schedule-preview?${q}`);
    const res = await preview("cron=0%209%20*%20*%201-5&timezone=Europe%2FBerlin");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.details.next_fire_times).toEqual(["2026-01-01T08:00:00.000Z", "2026-01-02T08:00:00.000Z", "2026-01-05T08:00:00.000Z", "2026-01-06T08:00:00.000Z", "2026-01-07T08:00:00.000Z"]);
    expect(expectFieldError(await preview("cron=61%20*%20*%20*%20*"), "cron").message).toContain("61 * * * *");
    expect(expectFieldError(await preview("cron=*%20*%20*%20*"), "cron").message).toContain("4 fields");
    expect(expectFieldError(await preview("cron=*%20*%20*%20*%20*&timezone=Mars%2FOlympus"), "timezone").message).toContain("Mars/Olympus");
  });

  it("answers bad input with a 422 naming the field", async () => {
    const post = (body: Record<string, unknown>) => t.api("POST", "/api/v1/triggers", { body: { name: "x", kind: "schedule", target, schedule: { cron: "* * * * *" }, ...body } });
    expect(expectFieldError(await post({ schedule: { cron: "61 * * * *" } }), "schedule.cron").message).toContain("61 * * * *");
    expect(expectFieldError(await post({ schedule: { cron: "* * * *" } }), "schedule.cron").message).toContain("4 fields");
    expect(expectFieldError(await post({ schedule: { cron: "0 0 0 * * * *" } }), "schedule.cron").message).toContain("7 fields");
    expect(expectFieldError(await post({ schedule: { cron: "* * * * *", timezone: "Mars/Olympus" } }), "schedule.timezone").message).toContain("Mars/Olympus");
    expectFieldError(await post({ schedule: { cron: "* * * * *", overlap: "sometimes" } }), "schedule.overlap");
    expectFieldError(await post({ schedule: undefined }), "schedule");
    expectFieldError(await post({ kind: "webhook" }), "schedule");
    expectFieldError(await post({ kind: "cron" }), "kind");
    expectFieldError(await post({ target: { ...target, module: "nope" } }), "target.module");
    expectFieldError(await post({ target: { ...target, function: "nope" } }), "target.function");
    expectFieldError(await post({ target: { ...target, inputs: { who: 5 } } }), "target.inputs.who");
    expectFieldError(await post({ name: "bad\u0000name" }), "name");
    expectFieldError(await post({ target: { ...target, trigger_source: "schedule" } }), "target");
    expectFieldError(await post({ target: { ...target, retry: { max_attempts: 0, backoff_s: 5 } } }), "target.retry.max_attempts");
    expectFieldError(await post({ target: { ...target, retry: { max_attempts: 2, backoff_s: -1 } } }), "target.retry.backoff_s");
    // The same checks on an edit.
    const trig = await createTrigger();
    const patch = (body: unknown) => t.api("PATCH", `/api/v1/triggers/${trig.id}`, { body });
    expect(expectFieldError(await patch({ schedule: { cron: "61 * * * *" } }), "schedule.cron").message).toContain("61 * * * *");
    expectFieldError(await patch({ schedule: { cron: "* * * * *", timezone: "Mars/Olympus" } }), "schedule.timezone");
    expectFieldError(await patch({ event: { on: "job.finished" } }), "event");
    expectFieldError(await patch({ target: { ...target, retry: { max_attempts: 21, backoff_s: 5 } } }), "target.retry.max_attempts");
  });

  it("a job body can never set trigger_source, triggered_by or trigger_id; an API job is `api` with no trigger", async () => {
    for (const field of ["trigger_source", "triggered_by", "trigger_id"]) {
      expectFieldError(await t.api("POST", "/api/v1/jobs", { body: { ...target, [field]: "x" } }), field);
    }
    const job = (await t.api("POST", "/api/v1/jobs", { body: target })).body.details;
    expect(job).toMatchObject({ trigger_source: "api", triggered_by: "admin", trigger_id: null });
  });

  it("a job the console starts (x-outpost-client: console) is `manual` by the token's user; the header can choose nothing else", async () => {
    const post = (client: string, url = "/api/v1/jobs", body: unknown = target) => t.api("POST", url, { body, headers: { "x-outpost-client": client } });
    const manual = (await post("console")).body.details;
    expect(manual).toMatchObject({ trigger_source: "manual", triggered_by: "admin", trigger_id: null });
    for (const client of ["schedule", "webhook", "copilot", "Console", "script"]) expect((await post(client)).body.details.trigger_source).toBe("api");
    // A re-run from the console, one or several, is `manual` too.
    expect((await post("console", `/api/v1/jobs/${manual.id}/rerun`, undefined)).body.details).toMatchObject({ trigger_source: "manual", rerun_of: manual.id });
    expect((await post("console", "/api/v1/jobs/rerun", { ids: [manual.id] })).body.details.created[0].trigger_source).toBe("manual");
  });

  it("is org-scoped: another org's trigger is a 404 for every route", async () => {
    const trig = await createTrigger();
    await createOrg(t, "other");
    const other = await orgAdminToken(t, "other");
    expect((await t.api("GET", "/api/v1/triggers", { token: other })).body.details).toEqual([]);
    for (const [method, path] of [["GET", ""], ["PATCH", ""], ["DELETE", ""], ["POST", "/pause"], ["POST", "/resume"], ["GET", "/firings"]] as const) {
      expectError(await t.api(method, `/api/v1/triggers/${trig.id}${path}`, { token: other, ...(method === "PATCH" ? { body: { name: "x" } } : {}) }), 404);
    }
  });
});

describe("schedules", () => {
  it("fire on the app's clock, exactly once per scheduled time, with the trigger's provenance", async () => {
    const trig = await createTrigger({ schedule: { cron: "*/5 * * * *", overlap: "allow" } });
    await t.app.scheduler.tick();
    expect(await jobsOf(trig.id)).toEqual([]);
    at("2026-01-01T00:05:01.000Z");
    await t.app.scheduler.tick();
    await t.app.scheduler.tick();
    // A second loop over the same database (a restarted server) reaches the same time: nothing more.
    const restarted = new Scheduler(t.deps, t.app.hub);
    await Promise.all([restarted.tick(), t.app.scheduler.tick()]);
    const jobs = await jobsOf(trig.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ trigger_source: "schedule", triggered_by: "nightly", trigger_id: trig.id, inputs: { who: "cron" } });
    expect(await firingsOf(trig.id)).toMatchObject([{ scheduled_at: "2026-01-01T00:05:00.000Z", outcome: "started", job_id: jobs[0].id }]);
    // The unique key itself: the same scheduled time fired again directly is refused.
    const row = getTriggerOr404(t.deps.db, [trig.org_id], trig.id);
    expect(await fireTrigger(t.deps, t.app.hub, row, { scheduledAt: "2026-01-01T00:05:00.000Z" })).toBeNull();
    at("2026-01-01T00:10:00.000Z");
    await t.app.scheduler.tick();
    expect(await jobsOf(trig.id)).toHaveLength(2);
    expect((await t.api("GET", `/api/v1/triggers/${trig.id}`)).body.details.last_firing).toMatchObject({ scheduled_at: "2026-01-01T00:10:00.000Z", outcome: "started" });
  });

  it("a paused schedule does not fire, and on resume owes nothing for the pause", async () => {
    const trig = await createTrigger({ schedule: { cron: "*/5 * * * *", missed: "run_once" } });
    await t.api("POST", `/api/v1/triggers/${trig.id}/pause`);
    at("2026-01-01T00:05:00.000Z");
    await t.app.scheduler.tick();
    at("2026-01-01T00:07:00.000Z");
    await t.api("POST", `/api/v1/triggers/${trig.id}/resume`);
    await t.app.scheduler.tick();
    expect(await firingsOf(trig.id)).toEqual([]);
    at("2026-01-01T00:10:00.000Z");
    await t.app.scheduler.tick();
    expect(await jobsOf(trig.id)).toHaveLength(1);
  });

  it("missed firings: `skip` records one skipped firing and starts nothing; `run_once` starts one job for the latest", async () => {
    const skip = await createTrigger({ name: "skipper", schedule: { cron: "*/5 * * * *", missed: "skip" } });
    const once = await createTrigger({ name: "once", schedule: { cron: "*/5 * * * *", missed: "run_once" } });
    at("2026-01-01T03:02:00.000Z"); // the server was down for three hours
    await t.app.scheduler.tick();
    expect(await jobsOf(skip.id)).toEqual([]);
    const [skipped] = await firingsOf(skip.id);
    expect(skipped).toMatchObject({ outcome: "skipped", scheduled_at: "2026-01-01T03:00:00.000Z", job_id: null });
    expect(skipped.error).toContain("missed 36 scheduled times");
    expect(await jobsOf(once.id)).toHaveLength(1);
    expect(await firingsOf(once.id)).toMatchObject([{ outcome: "started", scheduled_at: "2026-01-01T03:00:00.000Z" }]);
  });

  it("overlap: `skip` skips while the previous run is going, `allow` starts another, `queue` holds one until it ends", async () => {
    const ids: Record<string, string> = {};
    for (const overlap of ["skip", "allow", "queue"]) ids[overlap] = (await createTrigger({ name: overlap, schedule: { cron: "*/5 * * * *", overlap } })).id;
    for (const time of ["00:05", "00:10", "00:15"]) {
      at(`2026-01-01T${time}:00.000Z`);
      await t.app.scheduler.tick(); // no agent: each job stays pending, so it is still going
    }
    expect(await jobsOf(ids.skip!)).toHaveLength(1);
    expect((await firingsOf(ids.skip!)).map((f: any) => f.outcome)).toEqual(["skipped", "skipped", "started"]);
    expect(await jobsOf(ids.allow!)).toHaveLength(3);
    expect((await firingsOf(ids.queue!)).map((f: any) => f.outcome)).toEqual(["skipped", "queued", "started"]);
    const [first] = await jobsOf(ids.queue!);
    expect((await t.api("POST", `/api/v1/jobs/${first.id}/cancel`)).status).toBe(200);
    await t.app.scheduler.tick();
    const queued = await jobsOf(ids.queue!);
    expect(queued).toHaveLength(2);
    expect((await firingsOf(ids.queue!)).map((f: any) => f.outcome)).toEqual(["skipped", "started", "started"]);
  });

  it("a firing whose target no longer resolves is recorded as failed, naming why", async () => {
    const trig = await createTrigger({ schedule: { cron: "*/5 * * * *" } });
    await t.api("PATCH", `/api/v1/triggers/${trig.id}`, { body: { name: "still" } });
    t.deps.db.$client.prepare(`update triggers set target = json_set(target, '$.function', 'gone') where id = ?`).run(trig.id);
    at("2026-01-01T00:05:00.000Z");
    await t.app.scheduler.tick();
    const [f] = await firingsOf(trig.id);
    expect(f).toMatchObject({ outcome: "failed", job_id: null });
    expect(f.error).toContain('no function "gone"');
  });
});
