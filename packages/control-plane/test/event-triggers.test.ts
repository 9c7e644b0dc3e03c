/** Issue 12 §3: event triggers: a job finishing or an agent changing status starts a job; chains stop at a depth limit. */
import { afterEach, describe, expect, it } from "vitest";
import { connectAgent } from "../src/test-support/agent-client.js";
import { until } from "../src/test-support/until.js";
import { expectFieldError, makeTestApp, publish, registerAgent, type TestApp } from "./support.js";

let t: TestApp;
afterEach(async () => t?.close());

const target = { module: "hello", function: "greet", inputs: { who: "event" } };
async function setup(config: Record<string, unknown> = {}) {
  t = await makeTestApp(config);
  await publish(t, {
    functions: [{ name: "greet", display_name: "Greet", command: ["sh", "-c", "echo hi"], input_schema: { type: "object", properties: { who: { type: "string" }, event: { type: "object" } }, required: ["who"] } }],
  });
}
async function createTrigger(event: Record<string, unknown>, name = "on-event") {
  const res = await t.api("POST", "/api/v1/triggers", { body: { name, kind: "event", target, event } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.details;
}
const jobsOf = async (id: string) => (await t.api("GET", "/api/v1/jobs?limit=100")).body.details.filter((j: any) => j.trigger_id === id);
const cancel = async (id: string) => expect((await t.api("POST", `/api/v1/jobs/${id}/cancel`)).status).toBe(200);

describe("event triggers", () => {
  it("fire once per matching finished job, with the event as the job's input", async () => {
    await setup();
    const trig = await createTrigger({ on: "job.finished", module: "hello", outcome: ["cancelled"] }, "after-hello");
    const done = (await t.api("POST", "/api/v1/jobs", { body: target })).body.details;
    await t.app.scheduler.tick();
    expect(await jobsOf(trig.id)).toEqual([]); // still pending: not finished
    await cancel(done.id);
    await t.app.scheduler.tick();
    await t.app.scheduler.tick();
    const [job] = await jobsOf(trig.id);
    expect(await jobsOf(trig.id)).toHaveLength(1);
    expect(job).toMatchObject({ trigger_source: "event", triggered_by: "after-hello", chain_depth: 1, inputs: { who: "event", event: { type: "job.finished", job_id: done.id, module: "hello", status: "cancelled" } } });
    expect((await t.api("GET", `/api/v1/triggers/${trig.id}/firings`)).body.details).toMatchObject([{ event_key: `job:${done.id}`, outcome: "started", job_id: job.id }]);
  });

  it("do not fire for jobs that finished before the trigger existed, nor for other outcomes", async () => {
    await setup();
    const old = (await t.api("POST", "/api/v1/jobs", { body: target })).body.details;
    await cancel(old.id);
    const trig = await createTrigger({ on: "job.finished", outcome: ["failed"] });
    const other = (await t.api("POST", "/api/v1/jobs", { body: target })).body.details;
    await cancel(other.id);
    await t.app.scheduler.tick();
    expect(await jobsOf(trig.id)).toEqual([]);
  });

  it("stop a chain at the configured depth: a trigger set off by its own jobs runs `limit` times, then skips", async () => {
    await setup({ triggerChainLimit: 3 });
    const trig = await createTrigger({ on: "job.finished", module: "hello" }, "loop");
    let last = (await t.api("POST", "/api/v1/jobs", { body: target })).body.details;
    for (let i = 0; i < 5; i++) {
      await cancel(last.id);
      await t.app.scheduler.tick();
      const jobs = await jobsOf(trig.id);
      if (jobs.length === i) break; // the chain stopped
      last = jobs[0];
    }
    const jobs = await jobsOf(trig.id);
    expect(jobs.map((j: any) => j.chain_depth).sort()).toEqual([1, 2, 3]);
    const [stopped] = (await t.api("GET", `/api/v1/triggers/${trig.id}/firings`)).body.details;
    expect(stopped).toMatchObject({ outcome: "skipped", job_id: null });
    expect(stopped.error).toContain("chain depth 4 is past the limit of 3");
  });

  it("fire when an agent goes Offline (filter: status), with the change as the input", async () => {
    await setup();
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    const reg = await registerAgent(t); // registered Offline: before the trigger, so not an event for it
    const trig = await createTrigger({ on: "agent.status", status: ["Offline"] }, "agent-down");
    const agent = await connectAgent(url, reg.credential);
    agent.close();
    await until("the agent to be Offline", async () => (await t.api("GET", `/api/v1/agents/${reg.details.id}`)).body.details.status === "Offline");
    await t.app.scheduler.tick();
    const jobs = await jobsOf(trig.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].inputs.event).toMatchObject({ type: "agent.status", agent_id: reg.details.id, to: "Offline" });
  });

  it("answers a bad filter with a 422 naming the field", async () => {
    await setup();
    const post = (event: unknown, kind = "event") => t.api("POST", "/api/v1/triggers", { body: { name: "x", kind, target, event } });
    expectFieldError(await post(undefined), "event");
    expectFieldError(await post({ on: "job.started" }), "event.on");
    expectFieldError(await post({ on: "agent.status", status: ["Sleeping"] }), "event.status.0");
    expectFieldError(await post({ on: "job.finished", outcome: ["running"] }), "event.outcome.0");
    expectFieldError(await post({ on: "job.finished", pool_id: "x" }), "event");
    expectFieldError(await post({ on: "job.finished" }, "webhook"), "event");
  });
});
