/**
 * bench/metrics: what a Prometheus scrape costs at fleet size, and what keeping the counts costs
 * the write path. `pnpm bench:metrics [--jobs 1000000] [--rounds 6] [--lifecycles 2000]`.
 *
 * Two SQLite files in one process, same pragmas: "kept" has every migration (job_counts and its
 * triggers, the partial indexes), "scanned" every migration but the one that adds them. Both get
 * the same --jobs (70% completed, 15% failed, 5% cancelled, 6% pending, 3% running, 1% retrying
 * over 20 pools and no pool, an attempt per job that ran, 1 in 50 a retry, 1 in 200 lost).
 * Scrape: the scrape's statements (SCRAPE_SQL) on "kept" against the statements they replace on
 * "scanned" (jobs by status and the queues were two statements, now one), each timed --rounds
 * times, alternating. Writes: --lifecycles job lifecycles (insert pending; claimed with its first
 * attempt; running; completed: each its own commit as dispatch writes them) on each file,
 * alternating, --rounds times; the ratio of the medians.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { SCRAPE_SQL } from "@outpost/control-plane/testing";

const { values: args } = parseArgs({ options: { jobs: { type: "string", default: "1000000" }, rounds: { type: "string", default: "6" }, lifecycles: { type: "string", default: "2000" } } });
const JOBS = Number(args.jobs);
const ROUNDS = Number(args.rounds);
const LIFECYCLES = Number(args.lifecycles);
const MIGRATIONS = new URL("../../packages/control-plane/drizzle/", import.meta.url).pathname;
const KEPT_BY = "0012_metrics_counts";

/** The statements a scrape ran before job_counts, by the statement that replaces them: a count of every job, every pending job (twice), every attempt. */
const SCANNED_SQL: Record<keyof typeof SCRAPE_SQL, string[]> = {
  jobsByStatus: [
    `select o."slug" as org, coalesce(p."name", '') as pool, j."status" as status, count(*) as n
    from "jobs" j join "orgs" o on o."id" = j."org_id" left join "pools" p on p."id" = j."pool_id" group by o."slug", p."name", j."status"`,
    `select o."slug" as org, coalesce(p."name", '') as pool, count(*) as n, min(j."inserted_at") as oldest
    from "jobs" j join "orgs" o on o."id" = j."org_id" left join "pools" p on p."id" = j."pool_id" where j."status" = 'pending' group by o."slug", p."name"`,
  ],
  leaseExpiries: [`select count(*) from "job_attempts" where "outcome" = 'lost'`],
  retries: [`select count(*) from "job_attempts" where "attempt" > 1`],
};

const dir = mkdtempSync(join(tmpdir(), "outpost-bench-metrics-"));
function open(name: string, kept: boolean): Database.Database {
  const db = new Database(join(dir, `${name}.db`));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("cache_size = -65536");
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort()) {
    if (!kept && file.startsWith(KEPT_BY)) continue;
    for (const statement of readFileSync(join(MIGRATIONS, file), "utf8").split("--> statement-breakpoint")) if (statement.trim()) db.exec(statement);
  }
  return db;
}

const MIX: [string, number][] = [["completed", 70], ["failed", 15], ["cancelled", 5], ["pending", 6], ["running", 3], ["retrying", 1]];
const weights = MIX.flatMap(([s, w]) => Array<string>(w).fill(s));
const ORG = "org-1";
const POOLS = Array.from({ length: 20 }, (_, i) => `pool-${i}`);
const T0 = Date.parse("2026-11-01T00:00:00Z");

function seed(db: Database.Database): void {
  db.prepare(`insert into orgs (id, slug, name) values (?, 'default', 'Default')`).run(ORG);
  const pool = db.prepare(`insert into pools (id, org_id, name, inserted_at, updated_at) values (?, ?, ?, ?, ?)`);
  const job = db.prepare(`insert into jobs (id, org_id, module, version, function, inputs, pool_id, status, attempt, trigger_source, triggered_by, inserted_at, updated_at)
    values (?, ?, 'hello', '1.0.0', 'greet', '{}', ?, ?, ?, 'api', 'bench', ?, ?)`);
  const attempt = db.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, outcome) values (?, ?, 'agent', ?, ?)`);
  db.transaction(() => POOLS.forEach((p) => pool.run(p, ORG, p, "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z")))();
  for (let start = 0; start < JOBS; start += 5000) {
    db.transaction(() => {
      for (let i = start; i < Math.min(JOBS, start + 5000); i++) {
        const status = weights[i % weights.length]!;
        const at = new Date(T0 + i * 1000).toISOString();
        const id = `job-${i}`;
        const ran = status !== "pending";
        job.run(id, ORG, i % 4 === 0 ? null : POOLS[i % POOLS.length]!, status, ran ? 1 : 0, at, at);
        if (ran) attempt.run(id, 1, at, i % 200 === 0 ? "lost" : status === "running" ? "running" : status);
        if (ran && i % 50 === 0) attempt.run(id, 2, at, status === "running" ? "running" : status);
      }
    })();
  }
  db.exec("analyze");
}

function lifecycles(db: Database.Database, n: number): number {
  const insert = db.prepare(`insert into jobs (id, org_id, module, version, function, inputs, pool_id, status, trigger_source, triggered_by, inserted_at, updated_at)
    values (?, ?, 'hello', '1.0.0', 'greet', '{}', ?, 'pending', 'api', 'bench', ?, ?)`);
  const move = db.prepare(`update jobs set status = ?, updated_at = ?, completed_at = ? where id = ?`);
  const claim = db.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, outcome) values (?, 1, 'agent', ?, 'running')`);
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const at = new Date().toISOString();
    insert.run(id, ORG, POOLS[i % POOLS.length]!, at, at);
    db.transaction(() => {
      move.run("claimed", at, null, id);
      claim.run(id, at);
    })();
    move.run("running", at, null, id);
    move.run("completed", at, at, id);
  }
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const kept = open("kept", true);
const scanned = open("scanned", false);
let t = performance.now();
seed(kept);
seed(scanned);
console.log(`bench/metrics  ${new Date().toISOString()}  Node ${process.version}; ${JOBS} jobs seeded in each file in ${((performance.now() - t) / 1000).toFixed(1)} s`);

console.log(`\n| scrape statement | counted from job_counts / partial indexes | scanning jobs and attempts | ratio |\n|---|---|---|---|`);
let keptTotal = 0;
let scannedTotal = 0;
for (const name of Object.keys(SCRAPE_SQL) as (keyof typeof SCRAPE_SQL)[]) {
  const a: number[] = [];
  const b: number[] = [];
  const ka = kept.prepare(SCRAPE_SQL[name]);
  const sb = SCANNED_SQL[name].map((sql) => scanned.prepare(sql));
  for (let r = 0; r < ROUNDS; r++) {
    t = performance.now();
    ka.all();
    a.push(performance.now() - t);
    t = performance.now();
    for (const statement of sb) statement.all();
    b.push(performance.now() - t);
  }
  keptTotal += median(a);
  scannedTotal += median(b);
  console.log(`| ${name} | ${median(a).toFixed(2)} ms | ${median(b).toFixed(2)} ms | ${(median(a) / median(b)).toFixed(4)}x |`);
}
console.log(`| a whole scrape | **${keptTotal.toFixed(2)} ms** | ${scannedTotal.toFixed(2)} ms | ${(keptTotal / scannedTotal).toFixed(4)}x |`);

const wa: number[] = [];
const wb: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  wa.push(lifecycles(kept, LIFECYCLES));
  wb.push(lifecycles(scanned, LIFECYCLES));
}
console.log(`\nwrites: ${LIFECYCLES} job lifecycles (insert + 3 status moves, one commit each), median of ${ROUNDS} alternating rounds:`);
console.log(`  with the counts kept ${median(wa).toFixed(1)} ms, without ${median(wb).toFixed(1)} ms: ${(median(wa) / median(wb)).toFixed(3)}x`);
const consistent = JSON.stringify(kept.prepare(`select org_id, coalesce(pool_id, ''), status, count(*) from jobs where status in ('completed', 'failed', 'cancelled') group by 1, 2, 3 order by 1, 2, 3`).raw().all()) ===
  JSON.stringify(kept.prepare(`select org_id, pool_id, status, n from job_counts where n > 0 order by 1, 2, 3`).raw().all());
console.log(`  job_counts equal to counting the table's finished jobs afterwards: ${consistent}`);
kept.close();
scanned.close();
rmSync(dir, { recursive: true, force: true });
