/**
 * GET /api/v1/overview reads counts kept by triggers (agent_counts, job_minutes, queue_waits), not
 * the agents, jobs and attempts themselves: these tests move rows every way (the API, plain SQL)
 * and hold the page's figures to a recount of the tables; the queue-wait trigger and bucketOf are
 * one list of bounds.
 */
import { afterEach, describe, expect, it } from "vitest";
import semver from "semver";
import { QUEUE_WAIT_BOUNDS_S, bucketOf, quantileS } from "../src/modules/overview/overview-queue-wait.js";
import { SERVER_VERSION } from "../src/version.js";
import { makeTestApp, sampleRegistration, type TestApp } from "./support.js";

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

async function app(): Promise<TestApp> {
  t = await makeTestApp();
  return t;
}

function orgOf(t: TestApp): string {
  return (t.deps.db.$client.prepare(`select id from orgs where slug = 'default'`).get() as { id: string }).id;
}

let seq = 0;
function insertJob(t: TestApp, org: string, insertedAt: number, status = "pending"): string {
  const id = `job-${++seq}`;
  t.deps.db.$client
    .prepare(`insert into jobs (id, org_id, module, version, function, inputs, status, trigger_source, triggered_by, inserted_at, updated_at) values (?, ?, 'hello', '1.0.0', 'greet', '{}', ?, 'api', 'test', ?, ?)`)
    .run(id, org, status, iso(insertedAt), iso(insertedAt));
  return id;
}

describe("the Overview's kept counts", () => {
  it("counts each first claim in the bucket bucketOf names, at every bound and just past it", async () => {
    const t = await app();
    const org = orgOf(t);
    const db = t.deps.db.$client;
    const waits = [0, ...QUEUE_WAIT_BOUNDS_S.flatMap((b) => [b, b + 0.01]), 100_000];
    const claimAt = NOW - 3600_000;
    for (const w of waits) {
      const id = insertJob(t, org, claimAt - Math.round(w * 1000));
      db.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, outcome) values (?, 1, 'a', ?, 'running')`).run(id, iso(claimAt));
      // A second attempt is not a queue wait.
      db.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, outcome) values (?, 2, 'a', ?, 'running')`).run(id, iso(claimAt));
    }
    const kept = db.prepare(`select bucket, n from queue_waits order by bucket`).all() as { bucket: number; n: number }[];
    const expected = new Map<number, number>();
    for (const w of waits) expected.set(bucketOf(w), (expected.get(bucketOf(w)) ?? 0) + 1);
    expect(kept).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([bucket, n]) => ({ bucket, n })));
    const o = (await t.api("GET", "/api/v1/overview")).body.details;
    expect(o.queue_wait.count).toBe(waits.length);
  });

  it("estimates quantiles inside the bucket, as histogram_quantile does", () => {
    const counts = Array(QUEUE_WAIT_BOUNDS_S.length + 1).fill(0);
    expect(quantileS(counts, 0.5)).toBeNull();
    counts[bucketOf(0.7)] = 10; // (0.5, 1]
    expect(quantileS(counts, 0.5)).toBe(0.75);
    expect(quantileS(counts, 1)).toBe(1);
    counts[bucketOf(7200)] = 10; // past the last bound: reported at it
    expect(quantileS(counts, 0.95)).toBe(3600);
  });

  it("answers agents by status, jobs per minute and queue wait equal to recounting the tables, after rows moved every way", async () => {
    const t = await app();
    const org = orgOf(t);
    const db = t.deps.db.$client;
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: `agent-${i}`, hostname: `h${i}` }) })).body.details.id);
    db.prepare(`update agents set status = 'Idle' where id in (?, ?, ?)`).run(ids[0], ids[1], ids[2]);
    db.prepare(`update agents set status = 'Running' where id = ?`).run(ids[3]);
    expect((await t.api("POST", `/api/v1/agents/${ids[4]}/retire`)).status).toBeLessThan(300);
    db.prepare(`delete from agents where id = ?`).run(ids[5]);

    const jobs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const created = NOW - (i % 3 === 0 ? 30 : 2) * 3600_000 + i * 61_000;
      const id = insertJob(t, org, created);
      jobs.push(id);
      db.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, outcome) values (?, 1, 'a', ?, 'running')`).run(id, iso(created + i * 1500));
      const status = ["completed", "failed", "cancelled", "running"][i % 4]!;
      db.prepare(`update jobs set status = ?, completed_at = ? where id = ?`).run(status, status === "running" ? null : iso(created + 90_000), id);
    }
    db.prepare(`delete from jobs where id in (?, ?)`).run(jobs[1], jobs[2]);

    const o = (await t.api("GET", "/api/v1/overview")).body.details;
    const since = iso(NOW - 24 * 3600_000);
    const byStatus = Object.fromEntries((db.prepare(`select status, count(*) as n from agents where org_id = ? and archived = 0 group by status`).all(org) as { status: string; n: number }[]).map((r) => [r.status, r.n]));
    expect(o.agents_by_status).toEqual(byStatus);
    expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(6);
    const perMinute = db
      .prepare(
        `select substr(completed_at, 1, 16) || ':00Z' as minute, sum(status = 'completed') as completed, sum(status = 'failed') as failed, sum(status = 'cancelled') as cancelled
           from jobs where org_id = ? and completed_at >= ? group by minute order by minute`,
      )
      .all(org, since);
    expect(o.jobs_per_minute).toEqual(perMinute);
    expect(perMinute.length).toBeGreaterThan(10);
    const waits = (
      db
        .prepare(`select (julianday(a.claimed_at) - julianday(j.inserted_at)) * 86400.0 as s from job_attempts a join jobs j on j.id = a.job_id where j.org_id = ? and a.claimed_at >= ? and a.attempt = 1 order by s`)
        .all(org, since) as { s: number }[]
    ).map((r) => r.s);
    // Deleted jobs' claims stay counted: they waited.
    expect(o.queue_wait.count).toBe(waits.length + 2);
    const exactP50 = waits[Math.floor(0.5 * waits.length)]!;
    expect(bucketOf(o.queue_wait.p50_s)).toBeLessThanOrEqual(bucketOf(exactP50) + 1);
    expect(bucketOf(o.queue_wait.p50_s)).toBeGreaterThanOrEqual(bucketOf(exactP50) - 1);
  });

  it("lists up to 20 agents older than the server, oldest version first, then by name; none on the server's version or newer", async () => {
    const t = await app();
    const older = ["0.0.1", "0.0.2"];
    const newer = [SERVER_VERSION, semver.inc(SERVER_VERSION, "minor")!];
    for (const [i, version] of [...older, ...newer].entries()) {
      for (let k = 0; k < 12; k++) await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: `v${i}-${String(11 - k).padStart(2, "0")}`, hostname: `h${i}-${k}`, version }) });
    }
    const o = (await t.api("GET", "/api/v1/overview")).body.details;
    expect(o.older_agents).toHaveLength(20);
    expect(o.older_agents.map((a: any) => a.version)).toEqual([...Array(12).fill("0.0.1"), ...Array(8).fill("0.0.2")]);
    const first = o.older_agents.slice(0, 12).map((a: any) => a.name);
    expect(first).toEqual([...first].sort());
  });
});
