/**
 * The dispatcher without a socket: sessions are plain send targets, the database is the real
 * one (real migrations, real claims). What a pass costs must follow what changed, not the fleet:
 * a session opening is one offer however many sessions are ready.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CreateJobBody, type ServerFrame } from "@outpost/shared";
import { makeTestApp, sampleModule, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";
import { FrameBatch } from "../src/session/batch.js";
import { ChangeRouting } from "../src/session/change-routing.js";
import type { HubContext } from "../src/session/context.js";
import { Dispatcher } from "../src/session/dispatcher.js";
import type { Session } from "../src/session/session.js";
import { createJob as insertJob, resolveJobTarget } from "../src/modules/jobs/jobs.service.js";

const FLEET = 200;
type FakeSession = Session & { frames: ServerFrame[] };

let t: TestApp;
let ctx: HubContext;
let dispatcher: Dispatcher;
let batch: FrameBatch;
let sessions: Map<string, Session>;

function fakeSession(agentId: string, orgId: string): FakeSession {
  const frames: ServerFrame[] = [];
  return { agentId, orgId, said: true, freeSlots: 1, closed: false, congested: false, frames, send: (f: ServerFrame) => frames.push(f) } as unknown as FakeSession;
}

/** Registers agents through the API and opens a (fake) ready session for each. */
async function fleet(n: number, modules: { name: string; version: string }[]): Promise<FakeSession[]> {
  const out: FakeSession[] = [];
  for (let i = 0; i < n; i++) {
    const r = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: `a${out.length}-${sessions.size}`, modules }) });
    expect(r.status).toBe(201);
    const id = r.body.details.id as string;
    t.deps.db.$client.prepare("update agents set connected = 1, status = 'Idle' where id = ?").run(id);
    const s = fakeSession(id, r.body.details.org_id as string);
    sessions.set(id, s);
    out.push(s);
  }
  return out;
}

/** Lets the scheduled pass run (it runs on the next turn of the event loop). */
const pass = () => new Promise((r) => setImmediate(r));

beforeEach(async () => {
  t = await makeTestApp();
  await t.api("POST", "/api/v1/modules", { body: sampleModule() });
  sessions = new Map();
  ctx = {
    deps: t.deps,
    sessions,
    leaseMs: 60_000,
    now: () => new Date().toISOString(),
    scheduleDispatch: (s) => dispatcher.schedule(s),
    jobChanged: (s, id, status) => changes.jobChanged(s, id, status),
    agentChanged: (s) => changes.agentChanged(s),
  };
  const changes = new ChangeRouting(ctx);
  batch = new FrameBatch(t.deps, ctx.agentChanged);
  dispatcher = new Dispatcher(ctx, batch, () => false);
});
afterEach(async () => t.close());

const createJob = async (over: Record<string, unknown> = {}) => {
  const r = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...over } });
  expect(r.status).toBe(201);
  return r.body.details.id as string;
};

describe("dispatch cost", () => {
  it("offers nothing while no job is pending, however many sessions are ready", async () => {
    await fleet(FLEET, [{ name: "hello", version: "1.0.0" }]);
    dispatcher.schedule();
    await pass();
    expect(dispatcher.stats.offers).toBe(0);
  });

  it("a session opening or freeing a slot is one offer, not one per ready session", async () => {
    // Every ready agent lacks the module the one pending job needs: nobody can take it.
    await fleet(FLEET, []);
    await createJob();
    dispatcher.schedule(); // the job became pending: every ready session is offered it once
    await pass();
    expect(dispatcher.stats.offers).toBe(FLEET);
    const [late] = await fleet(1, []);
    const before = dispatcher.stats.offers;
    dispatcher.schedule(late); // hello
    await pass();
    expect(dispatcher.stats.offers - before).toBe(1);
    dispatcher.schedule(late); // ready
    await pass();
    expect(dispatcher.stats.offers - before).toBe(2);
  });

  it("a job becoming pending reaches the one ready session that can take it", async () => {
    await fleet(FLEET - 1, []);
    const [able] = await fleet(1, [{ name: "hello", version: "1.0.0" }]);
    const id = await createJob();
    dispatcher.schedule();
    await pass();
    expect(able!.frames).toMatchObject([{ type: "assign", job_id: id, attempt: 1 }]);
  });

  it("a woken session takes a job that was pending before it opened", async () => {
    const id = await createJob();
    const [s] = await fleet(1, [{ name: "hello", version: "1.0.0" }]);
    dispatcher.schedule(s);
    await pass();
    expect(s!.frames).toMatchObject([{ type: "assign", job_id: id }]);
  });
});

describe("group commit", () => {
  const body = { ...CreateJobBody.parse({ module: "hello", function: "greet", inputs: { who: "x" } }), trigger_source: "api" as const, triggered_by: "test" };

  it("writes the submissions of one tick in one commit and answers none before it, a failing one alone", async () => {
    const [s] = await fleet(1, [{ name: "hello", version: "1.0.0" }]);
    const orgId = s!.orgId;
    const count = () => t.deps.db.$client.prepare("select count(*) from jobs").pluck().get() as number;
    const before = batch.commits;
    const settled: string[] = [];
    const subs = Array.from({ length: 20 }, (_, i) =>
      dispatcher
        .submit(() => {
          if (i === 7) throw new Error("bad submission");
          return insertJob(t.deps.db, orgId, [orgId], body, new Date().toISOString(), resolveJobTarget(t.deps.db, orgId, body));
        })
        .then(
          (row) => {
            settled.push(row.id);
            // Resolved only once stored: a fresh read outside the transaction sees it.
            expect(t.deps.db.$client.inTransaction).toBe(false);
            return row;
          },
          (err: Error) => err.message,
        ),
    );
    expect(settled).toEqual([]); // nothing answered in the tick it was asked
    expect(count()).toBe(0);
    const results = await Promise.all(subs);
    expect(results.filter((r) => typeof r === "string")).toEqual(["bad submission"]);
    expect(batch.commits - before).toBe(1);
    expect(results[7]).toBe("bad submission");
    expect(settled).toHaveLength(19);
    expect(count()).toBe(19);
    expect(s!.frames.filter((f) => f.type === "assign")).toHaveLength(1); // the one free slot, same commit
  });
});
