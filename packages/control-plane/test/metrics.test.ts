/**
 * Issue 15 §2: GET /metrics (Prometheus text, install admins' metrics:read tokens only), /readyz
 * (200 only while the database answers), and no console fallback outside the console's routes.
 * Against a real listening server, a real SQLite file and a protocol-level agent over real ws.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { isConsoleRoute } from "@outpost/shared";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { connectAgent, type ProtoAgent } from "../src/test-support/agent-client.js";
import { until } from "../src/test-support/until.js";
import { SCRAPE_SQL } from "../src/modules/metrics/metrics.registry.js";
import { createPool, makeTestApp, publish, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp | null = null;
let agent: ProtoAgent | null = null;
afterEach(async () => {
  agent?.ws.terminate();
  agent = null;
  await t?.close();
  t = null;
});

const MIGRATIONS = fileURLToPath(new URL("../drizzle", import.meta.url));
const scrape = async (app: TestApp, token: string | null) => app.api("GET", "/metrics", { token });
const sample = (text: string, name: string, labels = ""): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ""} `) || (labels && l.startsWith(`${name}{`) && l.includes(labels)));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : undefined;
};

describe("GET /metrics", () => {
  it("reports jobs by status and pool, queues, sessions, dispatch and queue-wait timings, HTTP durations and commit times", async () => {
    t = await makeTestApp();
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    await publish(t);
    const pool = await createPool(t, { name: "builders" });
    const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }] }) });
    expect(reg.status).toBe(201);
    const poolId = pool.id as string;
    expect((await t.api("POST", `/api/v1/pools/${poolId}/agents`, { body: { agent_ids: [reg.body.details.id] } })).status).toBeLessThan(300);
    const job = await t.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, pool_id: poolId } });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const token = t.mint({ user: "admin", name: "prometheus", scopes: ["metrics:read"] });

    let text = (await scrape(t, token)).body as string;
    expect(sample(text, "outpost_queue_depth", 'org="default",pool="builders"')).toBe(1);
    expect(sample(text, "outpost_jobs", 'org="default",pool="builders",status="pending"')).toBe(1);
    expect(sample(text, "outpost_queue_oldest_pending_age_seconds", 'org="default",pool="builders"')).toBeGreaterThanOrEqual(0);
    expect(sample(text, "outpost_sessions_connected")).toBe(0);

    agent = await connectAgent(url, reg.body.credential, { modules: [{ name: "hello", version: "1.0.0" }] });
    const assign = await agent.next("assign");
    const ref = { job_id: assign.job_id, attempt: assign.attempt };
    agent.send({ type: "accept", ...ref });
    agent.send({ type: "started", ...ref, container_id: "c1" });
    await until("the job runs", async () => (await t!.api("GET", `/api/v1/jobs/${assign.job_id}`)).body.details.status === "running");

    text = (await scrape(t, token)).body as string;
    expect(sample(text, "outpost_sessions_connected")).toBe(1);
    expect(sample(text, "outpost_jobs", 'org="default",pool="builders",status="running"')).toBe(1);
    expect(sample(text, "outpost_queue_depth", 'org="default",pool="builders"')).toBeUndefined();
    expect(sample(text, "outpost_queue_wait_seconds_count", 'org="default",pool="builders"')).toBe(1);
    expect(sample(text, "outpost_dispatch_latency_seconds_count")).toBe(1);
    expect(sample(text, "outpost_lease_expiries_total")).toBe(0);
    expect(sample(text, "outpost_job_retries_total")).toBe(0);
    expect(sample(text, "outpost_db_transaction_seconds_count")).toBeGreaterThan(0);
    // By the route's pattern, never the URL (no ids in label values).
    expect(text).toContain('outpost_http_request_duration_seconds_count{method="GET",route="/api/v1/jobs/:id",status="200"}');
    expect(text).not.toContain(assign.job_id);
    expect(text).toContain("outpost_server_process_cpu_seconds_total");
  });

  it("keeps job_counts equal to counting the finished jobs, and scrapes every status as counting the table would, whichever way the jobs moved (API, agent frames, plain SQL)", async () => {
    t = await makeTestApp();
    const url = await t.app.listen({ host: "127.0.0.1", port: 0 });
    await publish(t);
    const pool = (await createPool(t, { name: "builders" })).id as string;
    const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ modules: [{ name: "hello", version: "1.0.0" }] }) });
    const agentId = reg.body.details.id as string;
    await t.api("POST", `/api/v1/pools/${pool}/agents`, { body: { agent_ids: [agentId] } });
    const submit = async (over: Record<string, unknown>) => {
      const res = await t!.api("POST", "/api/v1/jobs", { body: { module: "hello", function: "greet", inputs: { who: "x" }, ...over } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.details.id as string;
    };
    const status = async (id: string) => (await t!.api("GET", `/api/v1/jobs/${id}`)).body.details.status as string;
    agent = await connectAgent(url, reg.body.credential, { modules: [{ name: "hello", version: "1.0.0" }] });
    const run = async (over: Record<string, unknown>, outcome: "completed" | "failed" | null) => {
      const id = await submit(over);
      const assign = await agent!.next("assign");
      expect(assign.job_id).toBe(id);
      const ref = { job_id: id, attempt: assign.attempt };
      agent!.send({ type: "accept", ...ref });
      agent!.send({ type: "started", ...ref, container_id: `c-${id}` });
      await until("it runs", async () => (await status(id)) === "running");
      if (outcome) await finish(ref, outcome);
      return { id, ref };
    };
    const finish = async (ref: { job_id: string; attempt: number }, outcome: "completed" | "failed" | "cancelled") => {
      agent!.send({ type: "finished", ...ref, outcome, exit_code: outcome === "cancelled" ? null : outcome === "failed" ? 2 : 0, reason: outcome === "failed" ? "exit_code" : null, message: null });
      await agent!.next("finished_ack");
      agent!.send({ type: "ready", free_slots: 1 });
    };
    const completed = await run({ pool_id: pool }, "completed");
    await until("completed", async () => (await status(completed.id)) === "completed");
    const failed = await run({ pool_id: pool }, "failed");
    await until("failed", async () => (await status(failed.id)) === "failed");
    const retried = await run({ pool_id: pool, retry: { max_attempts: 2, backoff_s: 600 } }, "failed");
    await until("retrying", async () => (await status(retried.id)) === "retrying");
    const running = await run({ agent_id: agentId }, null);
    const waiting = await submit({ pool_id: pool });
    expect((await t.api("POST", `/api/v1/jobs/${waiting}/cancel`)).status).toBe(200);
    expect((await t.api("POST", `/api/v1/jobs/${running.id}/cancel`)).status).toBe(200);
    await finish(running.ref, "cancelled");
    await until("cancelled", async () => (await status(running.id)) === "cancelled");
    const pending = await submit({ pool_id: pool, labels: { never: "matches" } });

    const sqlite = t.deps.db.$client;
    const truth = () => sqlite.prepare(`select org_id as orgId, coalesce(pool_id, '') as poolId, status, count(*) as n from jobs group by 1, 2, 3 order by 1, 2, 3`).all() as { status: string }[];
    const finished = () => truth().filter((r) => ["completed", "failed", "cancelled"].includes(r.status));
    const kept = () => sqlite.prepare(`select org_id as orgId, pool_id as poolId, status, n from job_counts where n > 0 order by 1, 2, 3`).all();
    // What the scrape reports, every status: finished from job_counts, live through their indexes.
    const scraped = () => (sqlite.prepare(SCRAPE_SQL.jobsByStatus).all() as { pool: string; status: string; n: number }[]).map((r) => `${r.pool}/${r.status}=${r.n}`).sort();
    const counted = () =>
      (sqlite.prepare(`select coalesce(p.name, '') as pool, j.status, count(*) as n from jobs j left join pools p on p.id = j.pool_id group by 1, 2`).all() as { pool: string; status: string; n: number }[])
        .map((r) => `${r.pool}/${r.status}=${r.n}`)
        .sort();
    expect(truth().map((r) => r.status)).toEqual(expect.arrayContaining(["completed", "failed", "retrying", "cancelled", "pending"]));
    expect(kept()).toEqual(finished());
    expect(scraped()).toEqual(counted());
    expect(await status(pending)).toBe("pending");
    // Rows moved or removed by hand (an operator's SQL, an org's cascade) keep the counts too.
    sqlite.prepare(`update jobs set pool_id = null where status = 'completed'`).run();
    sqlite.prepare(`delete from jobs where status = 'cancelled'`).run();
    sqlite.prepare(`update jobs set status = 'completed', completed_at = ? where status = 'retrying'`).run(new Date().toISOString());
    expect(kept()).toEqual(finished());
    expect(scraped()).toEqual(counted());
  });

  it("scrapes without scanning jobs or attempts: jobs and attempts are reached only through the partial indexes kept for it", () => {
    const db = new Database(":memory:");
    try {
      for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort()) {
        for (const statement of readFileSync(join(MIGRATIONS, file), "utf8").split("--> statement-breakpoint")) if (statement.trim()) db.exec(statement);
      }
      for (const [name, sql] of Object.entries(SCRAPE_SQL)) {
        const plan = (db.prepare(`explain query plan ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
        // The jobs and attempts tables are only ever reached through the indexes kept for this.
        const scans = plan.filter((d) => /\b(SCAN|SEARCH) (j|jobs|job_attempts)\b/.test(d) && !/USING (COVERING )?INDEX (jobs_queue|jobs_live|jobs_retrying|job_attempts_lost|job_attempts_retries)\b/.test(d));
        expect(scans, `${name}: ${plan.join(" | ")}`).toEqual([]);
      }
    } finally {
      db.close();
    }
  });

  it("is readable only with metrics:read on an install admin's token; every other credential is refused", async () => {
    t = await makeTestApp();
    expect((await scrape(t, null)).status).toBe(401);
    expect((await scrape(t, t.mint({ user: "admin", name: "r", scopes: ["read"] }))).status).toBe(403);
    expect((await scrape(t, t.mint({ user: "alice", name: "m", scopes: ["metrics:read"] }))).status).toBe(403);
    expect((await scrape(t, t.mint({ user: "admin", name: "m", scopes: ["metrics:read"] }))).status).toBe(200);
    expect((await scrape(t, t.adminToken)).status).toBe(200);
    expect(t.app.routeAccess.find((r) => r.url === "/metrics")?.access).toBe("metrics:read");
  });
});

describe("GET /readyz", () => {
  it("is 200 while the database answers and 503 in the envelope once it does not; /healthz stays 200", async () => {
    t = await makeTestApp();
    expect(await t.api("GET", "/readyz", { token: null })).toEqual({ status: 200, body: { status: "success", details: { ready: true } } });
    t.deps.db.$client.close();
    const res = await t.api("GET", "/readyz", { token: null });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: "error", code: "not_ready" });
    expect((await t.api("GET", "/healthz", { token: null })).status).toBe(200);
    // close() closes the database again: give it a fresh handle to close.
    const { openDb } = await import("../src/db/client.js");
    (t.deps.db as { $client: unknown }).$client = openDb(t.deps.config.db).$client;
  });
});

describe("the console's fallback", () => {
  it("covers every route the console declares (app.tsx), so a new page cannot 404 on reload", () => {
    const app = readFileSync(new URL("../../console/src/app.tsx", import.meta.url), "utf8");
    const paths = [...app.matchAll(/<Route path="([^"]+)"/g)].map((m) => m[1]!).filter((p) => p !== "*");
    expect(paths.length).toBeGreaterThan(3);
    for (const p of paths) {
      const sample = p.replace(/:[a-zA-Z]+/g, "x").replace(/\/\*$/, "/pools/p1");
      expect(isConsoleRoute(sample), `${p} (${sample})`).toBe(true);
    }
    expect(isConsoleRoute("/shared/reports/abc")).toBe(true); // the share link, outside <Routes>
  });

  it("answers index.html for the console's own routes only; probe-like typos are 404 in the envelope", async () => {
    const consoleDir = mkdtempSync(join(tmpdir(), "outpost-console-"));
    mkdirSync(join(consoleDir, "assets"));
    writeFileSync(join(consoleDir, "index.html"), "<!doctype html><title>console</title>");
    try {
      t = await makeTestApp({ consoleDir });
      for (const url of ["/", "/overview", "/agents", "/agents/pools", "/agents/pools/p1", "/runs", "/runs/123?x=1", "/shared/reports/abc"]) {
        const res = await t.app.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(200);
        expect(res.body, url).toContain("<title>console</title>");
      }
      for (const url of ["/metricz", "/metric", "/ready", "/readyz/", "/healthz2", "/api/v1/nope", "/runs/1/2", "/x/y"]) {
        if (url === "/readyz/") continue; // ignoreTrailingSlash: that one is /readyz itself
        const res = await t.app.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(404);
        expect(JSON.parse(res.body), url).toMatchObject({ status: "error", code: "route_not_found" });
      }
    } finally {
      rmSync(consoleDir, { recursive: true, force: true });
    }
  });
});
