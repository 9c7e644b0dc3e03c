/** Issue 2 §8: creating, listing, cancelling and deleting jobs; waiting_reason. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { agents, jobLogs, jobReports, jobs } from "../src/db/schema.js";
import {
  collectPages,
  createJob,
  createPool,
  expectError,
  expectFieldError,
  makeTestApp,
  publish,
  registerAgent,
  tickingClock,
  type TestApp,
} from "./support.js";
import { loadConfig } from "../src/config.js";

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
  tickingClock(t);
  await publish(t);
});
afterEach(async () => t.close());

const post = (body: Record<string, unknown>, token?: string) => t.api("POST", "/api/v1/jobs", { body, ...(token ? { token } : {}) });
const base = { module: "hello", function: "greet", inputs: { who: "x" } };
const setJob = (id: string, patch: Partial<typeof jobs.$inferInsert>) => t.deps.db.update(jobs).set(patch).where(eq(jobs.id, id)).run();
const connect = (id: string) => t.deps.db.update(agents).set({ connected: true }).where(eq(agents.id, id)).run();

describe("POST /api/v1/jobs", () => {
  it("creates a pending job recording module, resolved version, and its provenance from the credential", async () => {
    const res = await post({ ...base, priority: 5, max_attempts: 2, timeout_s: 30, limits: { cpus: "0.5" } });
    expect(res.status).toBe(201);
    expect(res.body.details).toMatchObject({
      module: "hello",
      version: "1.0.0",
      function: "greet",
      inputs: { who: "x" },
      status: "pending",
      attempt: 0,
      max_attempts: 2,
      attempts: [],
      priority: 5,
      timeout_s: 30,
      limits: { cpus: "0.5" },
      trigger_source: "api",
      triggered_by: "admin",
      pool_id: null,
      agent_id: null,
      exit_code: null,
      error: null,
      has_report: false,
    });
    expect(typeof res.body.details.waiting_reason).toBe("string");
    const ci = t.mint({ user: "ci-bot", name: "pipeline", scopes: ["jobs:write", "read"] });
    const api = await post(base, ci);
    expect(api.body.details).toMatchObject({ trigger_source: "api", triggered_by: "ci-bot", max_attempts: 3, priority: 0, timeout_s: 60 });
  });

  it("refuses a body that sets trigger_source or triggered_by, naming the field: the run history cannot be forged", async () => {
    for (const source of ["manual", "api", "schedule", "webhook", "event", "cron"]) {
      const item = expectFieldError(await post({ ...base, trigger_source: source }), "trigger_source");
      expect(item.message).toContain("set by the server");
    }
    for (const who of ["admin", "someone-else", ""]) expectFieldError(await post({ ...base, triggered_by: who }), "triggered_by");
    const both = expectError(await post({ ...base, trigger_source: "schedule", triggered_by: "nightly" }), 422, "validation_errors");
    expect(both.errors!.map((e) => e.path).sort()).toEqual(["trigger_source", "triggered_by"]);
    expect((await t.api("GET", "/api/v1/jobs")).body.details).toEqual([]);
  });

  it("gives a job without timeout_s (request or function) the server's default timeout; the request's and the function's win; 0 leaves it unbounded", async () => {
    const noDefault = { name: "greet", display_name: "Greet", command: ["true"] };
    await publish(t, { version: "2.0.0", functions: [noDefault] });
    const v2 = { module: "hello", version: "2.0.0", function: "greet", inputs: {} };
    expect(t.deps.config.defaultJobTimeoutS).toBe(3600);
    expect((await post(v2)).body.details.timeout_s).toBe(3600);
    expect((await post({ ...v2, timeout_s: 5 })).body.details.timeout_s).toBe(5);
    expect((await post({ ...base, version: "1.0.0" })).body.details.timeout_s).toBe(60); // the function's default
    const custom = await makeTestApp({ defaultJobTimeoutS: 90 });
    const unbounded = await makeTestApp({ defaultJobTimeoutS: 0 });
    try {
      await publish(custom, { functions: [noDefault] });
      await publish(unbounded, { functions: [noDefault] });
      const body = { ...v2, version: "1.0.0" };
      expect((await custom.api("POST", "/api/v1/jobs", { body })).body.details.timeout_s).toBe(90);
      expect((await unbounded.api("POST", "/api/v1/jobs", { body })).body.details.timeout_s).toBeNull();
    } finally {
      await custom.close();
      await unbounded.close();
    }
    expect(loadConfig({}, { OUTPOST_DEFAULT_JOB_TIMEOUT_S: "120" }).defaultJobTimeoutS).toBe(120);
    expect(loadConfig({ defaultJobTimeoutS: "30" }, { OUTPOST_DEFAULT_JOB_TIMEOUT_S: "120" }).defaultJobTimeoutS).toBe(30);
    expect(() => loadConfig({ defaultJobTimeoutS: "soon" }, {})).toThrow(/^--default-job-timeout="soon": /);
  });

  it("validates inputs against the function's input_schema, naming the field and the value", async () => {
    const missing = expectFieldError(await post({ ...base, inputs: {} }), "inputs.who");
    expect(missing.message).toContain("who");
    const wrongType = expectFieldError(await post({ ...base, inputs: { who: 42 } }), "inputs.who");
    expect(wrongType.message).toContain("42");
    const extra = expectFieldError(await post({ ...base, inputs: { who: "x", colour: "red" } }), "inputs.colour");
    expect(extra.message).toContain("colour");
    const whole = expectError(await post({ ...base, inputs: {} }), 422, "validation_errors");
    expect(whole.message).toContain("inputs.who");
  });

  it("names each bad field of the request itself", async () => {
    expectFieldError(await post({ ...base, function: "nope" }), "function");
    expectFieldError(await post({ function: "greet" }), "module");
    expectFieldError(await post({ ...base, inputs: "x" }), "inputs");
    expectFieldError(await post({ ...base, max_attempts: 0 }), "max_attempts");
    expectFieldError(await post({ ...base, priority: 1000 }), "priority");
    expectFieldError(await post({ ...base, timeout_s: 0 }), "timeout_s");
    expectFieldError(await post({ ...base, limits: { mem_limit: "lots" } }), "limits.mem_limit");
    expectFieldError(await post({ ...base, pool_id: "nope" }), "pool_id");
    expectFieldError(await post({ ...base, agent_id: "nope" }), "agent_id");
    const pool = await createPool(t);
    const agent = (await registerAgent(t)).details;
    expectFieldError(await post({ ...base, pool_id: pool.id, agent_id: agent.id }), "agent_id");
  });

  it("needs jobs:write", async () => {
    const read = t.mint({ user: "r", name: "r", scopes: ["read"] });
    expect(expectError(await post(base, read), 403, "forbidden").message).toContain("jobs:write");
  });
});

describe("waiting_reason", () => {
  const reason = async (id: string) => (await t.api("GET", `/api/v1/jobs/${id}`)).body.details.waiting_reason as string;

  it("says why no agent has taken a pending job, condition by condition", async () => {
    const pool = await createPool(t, { name: "builders" });
    const inPool = await createJob(t, { pool_id: pool.id });
    const anywhere = await createJob(t);
    expect(await reason(inPool.id)).toMatch(/no agent in the pool/i);
    expect(await reason(anywhere.id)).toMatch(/no agent in the organization/i);

    const bare = (await registerAgent(t, { name: "bare" })).details;
    await t.api("POST", `/api/v1/pools/${pool.id}/agents`, { body: { agent_ids: [bare.id] } });
    expect(await reason(inPool.id)).toMatch(/hello@1\.0\.0/);

    const first = await registerAgent(t, { name: "fit", modules: [{ name: "hello", version: "1.0.0" }] });
    await t.api("POST", `/api/v1/pools/${pool.id}/agents`, { body: { agent_ids: [first.details.id] } });
    expect(await reason(inPool.id)).toMatch(/connected/i);

    connect(first.details.id);
    await t.api("POST", `/api/v1/agents/${first.details.id}/pause`);
    expect(await reason(inPool.id)).toMatch(/paused/i);
    await t.api("POST", `/api/v1/agents/${first.details.id}/resume`);

    const busy = await createJob(t, { pool_id: pool.id });
    setJob(busy.id, { status: "running", agentId: first.details.id, attempt: 1 });
    expect(await reason(inPool.id)).toMatch(/slots are busy/i);
    setJob(busy.id, { status: "completed" });
    expect(await reason(inPool.id)).toMatch(/waiting for an eligible agent/i);

    await t.api("POST", `/api/v1/pools/${pool.id}/archive`);
    expect(await reason(inPool.id)).toMatch(/archived/i);
    await t.api("POST", `/api/v1/pools/${pool.id}/restore`);

    const targeted = await createJob(t, { agent_id: first.details.agent_id });
    await t.api("POST", `/api/v1/agents/${first.details.id}/retire`);
    expect(await reason(targeted.id)).toMatch(/retired/i);

    // Only queued jobs carry one.
    setJob(anywhere.id, { status: "completed" });
    expect(await reason(anywhere.id)).toBeNull();
  });
});

describe("cancel and delete", () => {
  it("cancels a pending job at once; a finished job cannot be cancelled", async () => {
    const job = await createJob(t);
    const res = await t.api("POST", `/api/v1/jobs/${job.id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({ status: "cancelled", waiting_reason: null, error: { reason: "cancelled" } });
    expect(res.body.details.completed_at).toMatch(/Z$/);
    expectError(await t.api("POST", `/api/v1/jobs/${job.id}/cancel`), 409, "conflict");
  });

  it("moves a job on an agent to cancelling (the session stops it)", async () => {
    const agent = (await registerAgent(t, { modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const job = await createJob(t);
    setJob(job.id, { status: "running", agentId: agent.id, attempt: 1 });
    const res = await t.api("POST", `/api/v1/jobs/${job.id}/cancel`);
    expect(res.body.details.status).toBe("cancelling");
    // Cancelling again is idempotent while it stops.
    expect((await t.api("POST", `/api/v1/jobs/${job.id}/cancel`)).body.details.status).toBe("cancelling");
  });

  it("deletes one job with its logs and report; a running one must be cancelled first", async () => {
    const job = await createJob(t);
    t.deps.db.insert(jobLogs).values({ jobId: job.id, attempt: 1, seq: 0, stream: "stdout", data: "hi", at: "2026-01-01T00:00:00.000Z" }).run();
    t.deps.db.insert(jobReports).values({ jobId: job.id, markdown: "# r", updatedAt: "2026-01-01T00:00:00.000Z" }).run();
    const del = await t.api("DELETE", `/api/v1/jobs/${job.id}`);
    expect(del.body).toEqual({ status: "success", details: { ok: true } });
    expectError(await t.api("GET", `/api/v1/jobs/${job.id}`), 404, "not_found");
    expect(t.deps.db.select().from(jobLogs).where(eq(jobLogs.jobId, job.id)).all()).toEqual([]);
    expect(t.deps.db.select().from(jobReports).where(eq(jobReports.jobId, job.id)).all()).toEqual([]);
    expectError(await t.api("DELETE", `/api/v1/jobs/${job.id}`), 404, "not_found");

    const running = await createJob(t);
    setJob(running.id, { status: "running" });
    expectError(await t.api("DELETE", `/api/v1/jobs/${running.id}`), 409, "conflict");
  });

  it("deletes many at once, reporting ids it did not find", async () => {
    const a = await createJob(t);
    const b = await createJob(t);
    const keep = await createJob(t);
    const res = await t.api("POST", "/api/v1/jobs/delete", { body: { ids: [a.id, b.id, "ghost"] } });
    expect(res.status).toBe(200);
    expect(res.body.details.deleted.sort()).toEqual([a.id, b.id].sort());
    expect(res.body.details.not_found).toEqual(["ghost"]);
    expect((await collectPages(t, "/api/v1/jobs")).all.map((j: any) => j.id)).toEqual([keep.id]);
    expectFieldError(await t.api("POST", "/api/v1/jobs/delete", { body: { ids: [] } }), "ids");
    setJob(keep.id, { status: "claimed" });
    expectError(await t.api("POST", "/api/v1/jobs/delete", { body: { ids: [keep.id] } }), 409, "conflict");
  });
});

describe("GET /api/v1/jobs", () => {
  async function seed() {
    const pool = await createPool(t, { name: "p" });
    const agent = (await registerAgent(t, { name: "a", modules: [{ name: "hello", version: "1.0.0" }] })).details;
    const j = {
      plain: await createJob(t),
      manual: await createJob(t),
      pooled: await createJob(t, { pool_id: pool.id }),
      targeted: await createJob(t, { agent_id: agent.id }),
      ran: await createJob(t),
      failed: await createJob(t),
    };
    // No REST caller can set a source; these rows stand in for a console session, a schedule and a webhook.
    setJob(j.manual.id, { triggerSource: "manual" });
    setJob(j.pooled.id, { triggerSource: "schedule" });
    setJob(j.failed.id, { triggerSource: "webhook" });
    setJob(j.ran.id, { status: "completed", agentId: agent.id, attempt: 1, completedAt: "2026-02-01T00:00:00.000Z" });
    setJob(j.failed.id, { status: "failed", completedAt: "2026-01-15T00:00:00.000Z" });
    return { pool, agent, j };
  }
  const ids = async (qs: string) => (await collectPages(t, `/api/v1/jobs?${qs}`)).all.map((x: any) => x.id);

  it("lists newest first by default, pages with a cursor and ends with next_cursor null", async () => {
    const { j } = await seed();
    const order = [j.failed, j.ran, j.targeted, j.pooled, j.manual, j.plain].map((x) => x.id);
    expect(await ids("")).toEqual(order);
    expect(await ids("limit=1")).toEqual(order);
    expect(await ids("limit=4")).toEqual(order);
    expect(await ids("order=asc&limit=5")).toEqual([...order].reverse());
    const { pages } = await collectPages(t, "/api/v1/jobs?limit=3");
    expect(pages.map((p) => p.length)).toEqual([3, 3]);
  });

  it("filters by status, agent_id, trigger_source, pool_id, from and to", async () => {
    const { pool, agent, j } = await seed();
    expect(await ids("status=completed")).toEqual([j.ran.id]);
    expect((await ids("status=completed,failed")).sort()).toEqual([j.ran.id, j.failed.id].sort());
    expect((await ids("status=pending")).length).toBe(4);
    expect((await ids(`agent_id=${agent.id}`)).sort()).toEqual([j.targeted.id, j.ran.id].sort());
    expect(await ids("trigger_source=manual")).toEqual([j.manual.id]);
    expect(await ids("trigger_source=schedule")).toEqual([j.pooled.id]);
    expect(await ids(`pool_id=${pool.id}`)).toEqual([j.pooled.id]);
    const times = (await collectPages(t, "/api/v1/jobs?order=asc")).all.map((x: any) => x.inserted_at);
    expect(await ids(`from=${times[2]}`)).toEqual([j.failed.id, j.ran.id, j.targeted.id, j.pooled.id]);
    expect(await ids(`to=${times[1]}`)).toEqual([j.manual.id, j.plain.id]);
    expect(await ids(`from=${times[1]}&to=${times[2]}`)).toEqual([j.pooled.id, j.manual.id]);
    // An offset is understood as the same instant in UTC.
    const plusOne = new Date(Date.parse(times[2]) + 3600_000).toISOString().replace("Z", "+01:00");
    expect(await ids(`from=${encodeURIComponent(plusOne)}&to=${encodeURIComponent(plusOne)}`)).toEqual([j.pooled.id]);
    expect(await ids(`status=pending&pool_id=${pool.id}&trigger_source=schedule`)).toEqual([j.pooled.id]);
  });

  it("sorts by inserted_at, status and completed_at (NULLs last), paging without loss", async () => {
    const { j } = await seed();
    const byCompleted = await ids("sort=completed_at&order=asc&limit=2");
    expect(byCompleted.slice(0, 2)).toEqual([j.failed.id, j.ran.id]);
    expect(byCompleted).toHaveLength(6);
    const byCompletedDesc = await ids("sort=completed_at&order=desc&limit=1");
    expect(byCompletedDesc.slice(0, 2)).toEqual([j.ran.id, j.failed.id]);
    expect(new Set(byCompletedDesc).size).toBe(6);
    const byStatus = (await collectPages(t, "/api/v1/jobs?sort=status&order=asc&limit=2")).all.map((x: any) => x.status);
    expect(byStatus).toEqual(["completed", "failed", "pending", "pending", "pending", "pending"]);
  });

  it("rejects bad filters with a 422 naming the field", async () => {
    expect(expectFieldError(await t.api("GET", "/api/v1/jobs?status=done"), "status").message).toContain("done");
    expectFieldError(await t.api("GET", "/api/v1/jobs?status=pending,"), "status");
    expectFieldError(await t.api("GET", "/api/v1/jobs?trigger_source=cron"), "trigger_source");
    expectFieldError(await t.api("GET", "/api/v1/jobs?from=yesterday"), "from");
    expectFieldError(await t.api("GET", "/api/v1/jobs?to=2026-13-01"), "to");
    expectFieldError(await t.api("GET", "/api/v1/jobs?sort=priority"), "sort");
    expectFieldError(await t.api("GET", "/api/v1/jobs?cursor=abc"), "cursor");
    expectFieldError(await t.api("GET", "/api/v1/jobs?limit=-1"), "limit");
  });
});
