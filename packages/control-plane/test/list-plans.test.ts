/**
 * The runs list at scale: every filter of JobListQuery (enumerated from the schema, so a new filter
 * must be added here) and the default order must be an index walk from the cursor, never a scan
 * of the jobs table or a sort of it (EXPLAIN QUERY PLAN of the statement the route runs, on a real
 * database with the real migrations, analysed with 20,000 jobs in it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_SORTS, JOB_SORTS, JobListQuery } from "@outpost/shared";
import { makeTestApp, sampleRegistration, type TestApp } from "../src/test-support/test-app.js";

let t: TestApp;
let agentId: string;
let poolId: string;
const captured: { sql: string; args: unknown[] }[] = [];
/** The SQL of every statement the server prepares once the app is up (its cached statements among them). */
const preparedSql = new Set<string>();

beforeAll(async () => {
  t = await makeTestApp();
  const client = t.deps.db.$client;
  const prepareAny = client.prepare.bind(client);
  (client as unknown as { prepare: (s: string) => unknown }).prepare = (sql: string) => (preparedSql.add(sql), prepareAny(sql));
  agentId = (await t.api("POST", "/api/v1/agent", { body: sampleRegistration() })).body.details.id;
  poolId = (await t.api("POST", "/api/v1/pools", { body: { name: "p" } })).body.details.id;
  const c = t.deps.db.$client;
  const orgId = c.prepare("select id from orgs limit 1").pluck().get() as string;
  const insert = c.prepare(
    `insert into jobs (id, org_id, module, version, function, inputs, pool_id, agent_id, status, trigger_source, triggered_by, inserted_at, completed_at, updated_at)
     values (?, ?, 'hello', '1.0.0', 'greet', '{}', ?, ?, ?, ?, 'test', ?, ?, ?)`,
  );
  const statuses = ["completed", "completed", "completed", "failed", "cancelled", "pending", "running"];
  const sources = ["manual", "api", "schedule", "webhook", "event"];
  c.transaction(() => {
    for (let i = 0; i < 20_000; i++) {
      const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
      const status = statuses[i % statuses.length]!;
      insert.run(`job${String(i).padStart(6, "0")}`, orgId, i % 4 ? null : poolId, status === "pending" ? null : agentId, status, sources[i % 5], at, status === "completed" ? at : null, at);
    }
  })();
  const insertAgent = c.prepare(
    `insert into agents (id, org_id, agent_id, name, hostname, version, host_os, os, credential_digest, last_restarted_at)
     values (?, ?, ?, ?, 'h', ?, 'linux', '{"platform":"linux","distro":"Debian","release":"12","kernel":"6.1","arch":"x64"}', ?, ?)`,
  );
  c.transaction(() => {
    for (let i = 0; i < 5_000; i++) insertAgent.run(`agent${i}`, orgId, `slug-${i}`, `name ${i % 977}`, `0.${i % 7}.0`, `digest-${i}`, i % 3 ? new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() : null);
  })();
  c.exec("analyze");
  const prepare = c.prepare.bind(c);
  (c as unknown as { prepare: (s: string) => unknown }).prepare = (sql: string) => {
    const stmt = prepare(sql);
    if (!/from "(jobs|agents)"/.test(sql) || !sql.startsWith(`select "id", "org_id"`) || !/ limit \?$/.test(sql)) return stmt;
    const all = stmt.all.bind(stmt);
    (stmt as unknown as { all: (...a: unknown[]) => unknown }).all = (...args: unknown[]) => {
      captured.push({ sql, args });
      return all(...(args as []));
    };
    return stmt;
  };
});
afterAll(async () => t.close());

/** A value for each filter of the runs list; a filter added to JobListQuery without one fails. */
const FILTERS: Record<string, () => string> = {
  status: () => "completed",
  agent_id: () => agentId,
  trigger_source: () => "webhook",
  pool_id: () => poolId,
  from: () => "2026-01-05T00:00:00Z",
  to: () => "2026-01-06T00:00:00Z",
};
const NOT_FILTERS = new Set(["limit", "cursor", "order", "sort", "org"]);

function planOf(url: string): Promise<string> {
  captured.length = 0;
  return t.api("GET", url).then((res) => {
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(captured.length, `the list query of ${url}`).toBe(1);
    const { sql, args } = captured[0]!;
    const plan = t.deps.db.$client.prepare(`explain query plan ${sql}`).all(...(args as [])) as { detail: string }[];
    return plan.map((p) => p.detail).join(" | ");
  });
}

describe("runs list plans", () => {
  const filters = Object.keys(JobListQuery.shape).filter((k) => !NOT_FILTERS.has(k));

  it("has a sample value for every filter of JobListQuery", () => {
    expect(filters.filter((k) => !FILTERS[k])).toEqual([]);
  });

  const orders = JOB_SORTS.flatMap((sort) => ["asc", "desc"].map((order) => `/api/v1/jobs?limit=50&sort=${sort}&order=${order}`));
  for (const url of ["/api/v1/jobs?limit=50", ...orders]) {
    it(`walks an index in page order: ${url}`, async () => {
      const plan = await planOf(url);
      expect(plan).not.toMatch(/SCAN jobs\b(?! USING)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    });
  }

  it("filters through an index, never a scan of the jobs table, for every filter", async () => {
    for (const f of filters) {
      const plan = await planOf(`/api/v1/jobs?limit=50&${f}=${encodeURIComponent(FILTERS[f]!())}`);
      expect(plan, f).not.toMatch(/SCAN jobs\b(?! USING (COVERING )?INDEX)/);
      if (f !== "agent_id") expect(plan, f).not.toMatch(/TEMP B-TREE/);
    }
  });
});

describe("agents list plans", () => {
  // Every sort in both orders, status ones included (their index writes on the dispatch path are
  // measured in docs/performance.md).
  for (const sort of AGENT_SORTS) {
    for (const order of ["asc", "desc"]) {
      it(`walks an index in page order: sort=${sort}&order=${order}`, async () => {
        const plan = await planOf(`/api/v1/agents?limit=50&sort=${sort}&order=${order}`);
        expect(plan).not.toMatch(/TEMP B-TREE/);
        expect(plan).not.toMatch(/SCAN agents\b(?! USING)/);
      });
    }
  }
});

describe("agents search plans", () => {
  it("a search by name matching few agents reads them through the trigram index (migration 0010), not every agent", async () => {
    // "name 97" is in 8 of the 977 names (5,000 agents).
    const plan = await planOf(`/api/v1/agents?limit=50&q=${encodeURIComponent("name 97")}`);
    expect(plan).toMatch(/SCAN agents_search VIRTUAL TABLE/);
    expect(plan).toMatch(/SEARCH agents USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(plan).not.toMatch(/SCAN agents\b(?! USING)|SEARCH agents USING INDEX agents_list_name/);
  });

  it("a search matching most agents walks the page's index (its rows come soon), with no sort of the matches", async () => {
    const plan = await planOf("/api/v1/agents?limit=50&q=name");
    expect(plan).toMatch(/SEARCH agents USING INDEX agents_list_name/);
    expect(plan).not.toMatch(/TEMP B-TREE|agents_search/);
  });
});

describe("pool overview plan", () => {
  it("counts the pool's unfinished jobs through jobs_pool_unfinished (migration 0011), not every job the pool ran", async () => {
    const res = await t.api("GET", `/api/v1/pools/${poolId}/overview`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The seed's pool jobs (every 4th) whose status (the 7-cycle) is pending or running.
    const seeded = Array.from({ length: 20_000 }, (_, i) => i).filter((i) => i % 4 === 0 && (i % 7 === 5 || i % 7 === 6)).length;
    expect(res.body.details.unfinished_jobs).toBe(seeded);
    const c = t.deps.db.$client;
    const counts = [...preparedSql].filter((sql) => /^select count\(\*\) from "jobs" where "pool_id" = \?/.test(sql));
    expect(counts).toHaveLength(1);
    const plan = (c.prepare(`explain query plan ${counts[0]}`).all(poolId) as { detail: string }[]).map((p) => p.detail).join(" | ");
    expect(plan).toMatch(/USING (COVERING )?INDEX jobs_pool_unfinished/);
  });
});

describe("background passes", () => {
  // The clocks and loops run whatever the traffic: the sweep every second, the trigger loop on
  // every wake (each batch of finished jobs). Every cached statement they (and the rest of the
  // server) prepared must reach jobs through an index: requeueDueRetries scanned the table and cut
  // bench/dispatch's lifecycle rate (docs/performance.md).
  it("no prepared statement scans the jobs table", async () => {
    await t.app.scheduler.tick();
    t.app.hub.sweep();
    const texts = [...preparedSql].filter((sql) => /from "jobs"/.test(sql) && !/^explain /i.test(sql));
    expect(texts.some((sql) => sql.includes(`'retrying'`))).toBe(true);
    for (const sql of texts) {
      const named = Object.fromEntries([...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], null]));
      const positional = (sql.match(/\?/g) ?? []).map(() => null);
      const stmt = t.deps.db.$client.prepare(`explain query plan ${sql}`);
      const rows = (Object.keys(named).length ? stmt.all(named) : stmt.all(...positional)) as { detail: string }[];
      // Nor a skip-scan (ANY(org_id)): cheap here with one org, a walk of every org's rows on a real server.
      expect(rows.map((r) => r.detail).join(" | "), sql).not.toMatch(/SCAN jobs\b(?! USING)|SEARCH jobs USING (?:\w+ )?INDEX \w+ \(ANY\(/);
    }
  });
});
