/**
 * Seeds a fleet's history straight into the server's database with prepared inserts, one
 * transaction per batch (the API would take hours for a million jobs): agents with modules,
 * pools and status history, jobs with their attempts and log lines. Ids sort like the app's (a
 * time prefix), times are RFC 3339 UTC spread over the last 30 days.
 */
import type Database from "better-sqlite3";
import { randomUUID } from "node:crypto";

const BATCH = 5_000;
const DAY_MS = 86_400_000;
const SPAN_MS = 30 * DAY_MS;
const JOB_MIX = [
  ["completed", 70],
  ["failed", 15],
  ["cancelled", 5],
  ["pending", 6],
  ["running", 3],
  ["retrying", 1],
] as const;
const SOURCES = ["manual", "api", "schedule", "webhook", "event"] as const;
const AGENT_STATUS = ["Offline", "Offline", "Offline", "Idle", "ExecutionSuccess", "ExecutionFailed", "Unknown"] as const;

export type Seeded = { agentIds: string[]; poolIds: string[]; jobIds: string[]; firstAt: string; lastAt: string };
/** What the read paths name from a seeded fleet (kept beside a `--keep-db` file, so a reused one needs no ids). */
export type Picks = { agent: string; job: string; pool: string; firstAt: string; jobs: number };

export const picks = (s: Seeded): Picks => ({
  agent: s.agentIds[Math.floor(s.agentIds.length / 2)]!,
  job: s.jobIds[Math.floor(s.jobIds.length / 3)]!,
  pool: s.poolIds[0]!,
  firstAt: s.firstAt,
  jobs: s.jobIds.length,
});

function batches(n: number, fn: (i: number) => void, c: Database.Database): void {
  const run = c.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) fn(i);
  });
  for (let from = 0; from < n; from += BATCH) run(from, Math.min(n, from + BATCH));
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** `agents` agents (a tenth of them in one of `pools` pools), `jobs` jobs over them. */
export function seedFleet(c: Database.Database, orgId: string, opts: { agents: number; pools: number; jobs: number }): Seeded {
  const t0 = Date.now() - SPAN_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const insertAgent = c.prepare(
    `insert into agents (id, org_id, agent_id, name, hostname, status, status_updated_at, version, host_os, os, credential_digest, slots, last_restarted_at, inserted_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, '{"platform":"linux","distro":"Debian","release":"12","kernel":"6.1","arch":"x64"}', ?, 1, ?, ?, ?)`,
  );
  const insertModule = c.prepare(`insert into agent_modules (agent_id, name, version, installed_at) values (?, ?, ?, ?)`);
  const insertHistory = c.prepare(`insert into agent_status_history (agent_id, from_status, to_status, reason, job_id, at) values (?, ?, ?, ?, null, ?)`);
  const insertPool = c.prepare(`insert into pools (id, org_id, name, inserted_at, updated_at) values (?, ?, ?, ?, ?)`);
  const insertMember = c.prepare(`insert into pool_agents (pool_id, agent_id, added_at) values (?, ?, ?)`);
  const poolIds = Array.from({ length: opts.pools }, () => randomUUID());
  c.transaction(() => {
    poolIds.forEach((id, i) => insertPool.run(id, orgId, `pool-${String(i).padStart(4, "0")}`, iso(t0), iso(t0)));
  })();
  const agentIds: string[] = new Array(opts.agents);
  batches(
    opts.agents,
    (i) => {
      const id = randomUUID();
      agentIds[i] = id;
      const at = iso(t0 + (i * SPAN_MS) / opts.agents);
      const status = pick(AGENT_STATUS, i);
      insertAgent.run(id, orgId, `seed-${i}`, `seed host ${i}`, `seed-${i}.fleet`, status, at, `0.${i % 7}.0`, pick(["linux", "darwin", "windows"], i), `seed-digest-${id}`, at, at, at);
      insertModule.run(id, "hello", `1.0.${i % 3}`, at);
      insertHistory.run(id, null, "Offline", "registered", at);
      insertHistory.run(id, "Offline", status, "connected", at);
      if (i % 10 === 0) insertMember.run(pick(poolIds, i / 10), id, at);
    },
    c,
  );
  const insertJob = c.prepare(
    `insert into jobs (id, org_id, module, version, function, inputs, pool_id, agent_id, status, attempt, trigger_source, triggered_by, exit_code, inserted_at, claimed_at, started_at, completed_at, updated_at)
     values (?, ?, 'hello', '1.0.0', 'greet', '{"who":"fleet"}', ?, ?, ?, ?, ?, 'bench', ?, ?, ?, ?, ?, ?)`,
  );
  const insertAttempt = c.prepare(`insert into job_attempts (job_id, attempt, agent_id, claimed_at, started_at, ended_at, outcome, exit_code) values (?, 1, ?, ?, ?, ?, ?, ?)`);
  const insertLog = c.prepare(`insert into job_logs (job_id, attempt, seq, stream, data, at) values (?, 1, ?, 'stdout', ?, ?)`);
  const weights = JOB_MIX.flatMap(([s, w]) => Array<string>(w).fill(s));
  const jobIds: string[] = new Array(opts.jobs);
  batches(
    opts.jobs,
    (i) => {
      const atMs = t0 + (i * SPAN_MS) / opts.jobs;
      const at = iso(atMs);
      const id = `${atMs.toString(36).padStart(9, "0")}${randomUUID().slice(0, 13)}`;
      jobIds[i] = id;
      const status = weights[(i * 7919) % weights.length]!;
      const queued = status === "pending" || status === "retrying";
      const agentId = queued ? null : agentIds[(i * 31) % agentIds.length]!;
      const poolId = i % 4 === 0 ? pick(poolIds, i) : null;
      const ended = status === "completed" || status === "failed" || status === "cancelled";
      const end = ended ? iso(atMs + 2_000) : null;
      const exit = status === "completed" ? 0 : status === "failed" ? 1 : null;
      insertJob.run(id, orgId, poolId, agentId, status, queued ? 0 : 1, pick(SOURCES, i), exit, at, queued ? null : at, queued ? null : at, end, end ?? at);
      if (queued) return;
      insertAttempt.run(id, agentId, at, at, end, ended ? status : "running", exit);
      insertLog.run(id, 0, `job ${i} starting`, at);
      insertLog.run(id, 1, `job ${i} done`, end ?? at);
    },
    c,
  );
  return { agentIds, poolIds, jobIds, firstAt: iso(t0), lastAt: iso(t0 + SPAN_MS) };
}
