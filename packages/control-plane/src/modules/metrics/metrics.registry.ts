/**
 * outpost-server's Prometheus metrics (prom-client), one registry per app so tests never share
 * counters. State (jobs by status, queues, sessions, lease expiries, retries) is read from the
 * database when scraped, so it is right after a restart, from rows kept for the purpose (job_counts
 * for finished jobs, partial indexes for live ones and for lost and retried attempts) so a scrape
 * costs the live jobs, whether a million have finished or ten; timings (HTTP, dispatch, queue wait,
 * transactions) are observed as they happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Db } from "../../db/client.js";
import { observeTransactions, prepared } from "../../db/client.js";
import type { EventBus } from "../events/event-bus.js";

const SECONDS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];

/** A series of outpost_jobs; `oldest` is the oldest job's creation time for live statuses (the queue's age, for pending). */
type PoolRow = { org: string; pool: string; status: string; n: number; oldest: string | null };

/**
 * Every statement a scrape runs (test/metrics.test.ts checks that jobs and attempts are reached only
 * through the indexes named here). Finished jobs are counted by triggers into job_counts; live ones
 * through the partial indexes that hold only them, so a scrape costs the live jobs, never history.
 */
const LIVE_JOBS = `select "org_id", "pool_id", "status", "inserted_at" from "jobs" indexed by "jobs_queue" where "status" = 'pending'
  union all select "org_id", "pool_id", "status", "inserted_at" from "jobs" indexed by "jobs_live" where "status" in ('claimed', 'running', 'cancelling')
  union all select "org_id", "pool_id", "status", "inserted_at" from "jobs" indexed by "jobs_retrying" where "status" = 'retrying'`;
export const SCRAPE_SQL = {
  // The queue gauges read their pending rows from here too (one pass over the pending jobs a scrape).
  jobsByStatus: `select o."slug" as org, coalesce(p."name", '') as pool, c."status" as status, c."n" as n, c."oldest" as oldest
      from (select "org_id", nullif("pool_id", '') as "pool_id", "status", "n", null as "oldest" from "job_counts" where "n" > 0
            union all select "org_id", "pool_id", "status", count(*), min("inserted_at") from (${LIVE_JOBS}) group by 1, 2, 3) c
      join "orgs" o on o."id" = c."org_id" left join "pools" p on p."id" = c."pool_id"`,
  // INDEXED BY: the planner would rather walk the primary key (it covers `attempt`) than trust the
  // partial index to be small; and a statement naming an index it cannot use fails to prepare.
  leaseExpiries: `select count(*) from "job_attempts" indexed by "job_attempts_lost" where "outcome" = 'lost'`,
  retries: `select count(*) from "job_attempts" indexed by "job_attempts_retries" where "attempt" > 1`,
} as const;

/** How often the event-loop lag metrics sample the loop (ms). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  private readonly dispatchLatency: Histogram;
  private readonly queueWait: Histogram<"org" | "pool">;
  private readonly stop: () => void;

  constructor(db: Db, events: EventBus, opts: { sessions: () => number; clock: () => number }) {
    const registers = [this.registry];
    // The event-loop lag histogram samples every 100 ms, not prom-client's 10: its 10 ms timer woke an idle
    // server 100 times a second, most of the idle CPU of a server holding 10,000 agents (docs/performance.md).
    collectDefaultMetrics({ register: this.registry, prefix: "outpost_server_", eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.httpDuration = new Histogram({
      name: "outpost_http_request_duration_seconds",
      help: "HTTP request durations by route (the route's pattern, not the URL).",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.dispatchLatency = new Histogram({
      name: "outpost_dispatch_latency_seconds",
      help: "From a job's claim by an agent to its start on that agent.",
      buckets: SECONDS,
      registers,
    });
    this.queueWait = new Histogram({
      name: "outpost_queue_wait_seconds",
      help: "From a job's creation to its claim by an agent.",
      labelNames: ["org", "pool"],
      buckets: SECONDS,
      registers,
    });
    const txSeconds = new Histogram({
      name: "outpost_db_transaction_seconds",
      help: "Database write transactions, begin to commit.",
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    });
    const stopTx = observeTransactions(db, (s) => txSeconds.observe(s));

    // Read once per scrape: prom-client collects every metric in one synchronous pass, and the
    // rows are dropped on the next turn, so the three gauges below share one read and the next
    // scrape reads afresh.
    let rows: PoolRow[] | null = null;
    const jobRows = (): PoolRow[] => {
      if (!rows) {
        rows = prepared(db, SCRAPE_SQL.jobsByStatus).all() as PoolRow[];
        setImmediate(() => (rows = null));
      }
      return rows;
    };
    const queues = () => jobRows().filter((r) => r.status === "pending");
    new Gauge({
      name: "outpost_jobs",
      help: "Jobs by status and pool (pool empty: sent to a named agent).",
      labelNames: ["org", "pool", "status"],
      registers,
      collect() {
        this.reset();
        for (const r of jobRows()) this.set({ org: r.org, pool: r.pool, status: r.status }, r.n);
      },
    });
    new Gauge({
      name: "outpost_queue_depth",
      help: "Pending jobs per pool.",
      labelNames: ["org", "pool"],
      registers,
      collect() {
        this.reset();
        for (const r of queues()) this.set({ org: r.org, pool: r.pool }, r.n);
      },
    });
    new Gauge({
      name: "outpost_queue_oldest_pending_age_seconds",
      help: "Age of the oldest pending job per pool.",
      labelNames: ["org", "pool"],
      registers,
      collect() {
        this.reset();
        const now = opts.clock();
        for (const r of queues()) this.set({ org: r.org, pool: r.pool }, Math.max(0, (now - Date.parse(r.oldest!)) / 1000));
      },
    });
    new Gauge({
      name: "outpost_sessions_connected",
      help: "Agents with an open WebSocket session.",
      registers,
      collect() {
        this.set(opts.sessions());
      },
    });
    counterFromDb("outpost_lease_expiries_total", "Attempts declared lost (lease expired or forgotten by a restarted agent).", SCRAPE_SQL.leaseExpiries);
    counterFromDb("outpost_job_retries_total", "Attempts after a job's first.", SCRAPE_SQL.retries);

    function counterFromDb(name: string, help: string, sql: string) {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(prepared(db, sql).pluck().get() as number);
        },
      });
    }

    const unsubscribe = events.subscribe((e) => {
      if (e.type !== "job.updated" || e.status !== "running") return;
      const j = prepared(
        db,
        `select j."inserted_at" as insertedAt, j."claimed_at" as claimedAt, j."started_at" as startedAt, o."slug" as org, coalesce(p."name", '') as pool
         from "jobs" j join "orgs" o on o."id" = j."org_id" left join "pools" p on p."id" = j."pool_id" where j."id" = ?`,
      ).get(e.id) as { insertedAt: string; claimedAt: string | null; startedAt: string | null; org: string; pool: string } | undefined;
      if (!j?.claimedAt) return;
      this.queueWait.observe({ org: j.org, pool: j.pool }, seconds(j.insertedAt, j.claimedAt));
      if (j.startedAt) this.dispatchLatency.observe(seconds(j.claimedAt, j.startedAt));
    });
    this.stop = () => {
      unsubscribe();
      stopTx();
    };
  }

  close(): void {
    this.stop();
  }
}

function seconds(from: string, to: string): number {
  return Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
}

/** The readiness probe's question: does the database answer a statement? Throws when it does not. */
export function checkDatabase(db: Db): void {
  db.$client.prepare("select 1").get();
}
