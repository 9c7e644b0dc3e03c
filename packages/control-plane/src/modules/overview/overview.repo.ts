/** The Overview page's numbers, read in one pass over the caller's orgs (raw SQL: aggregates drizzle would only wrap). */
import semver from "semver";
import type { Overview } from "@outpost/shared";
import type { Deps } from "../../deps.js";
import { SERVER_VERSION } from "../../version.js";

const DAY_MS = 24 * 3600 * 1000;

export function overview(deps: Deps, orgIds: string[]): Overview {
  const db = deps.db.$client;
  const now = deps.clock();
  const since = new Date(now - DAY_MS).toISOString();
  const orgs = orgIds.map(() => "?").join(", ") || "null";
  // Every query names the orgs first, then its own parameters.
  const all = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...orgIds, ...params) as T[];

  const agentsByStatus: Record<string, number> = {};
  for (const r of all<{ status: string; n: number }>(`select "status", count(*) as n from "agents" where "org_id" in (${orgs}) and "archived" = 0 group by "status"`)) {
    agentsByStatus[r.status] = r.n;
  }
  const perMinute = all<{ minute: string; completed: number; failed: number; cancelled: number }>(
    `select substr("completed_at", 1, 16) || ':00Z' as minute,
            sum("status" = 'completed') as completed, sum("status" = 'failed') as failed, sum("status" = 'cancelled') as cancelled
       from "jobs" where "org_id" in (${orgs}) and "completed_at" >= ? group by minute order by minute`,
    since,
  );
  const waits = all<{ s: number }>(
    `select (julianday(a."claimed_at") - julianday(j."inserted_at")) * 86400.0 as s
       from "job_attempts" a join "jobs" j on j."id" = a."job_id"
      where j."org_id" in (${orgs}) and a."claimed_at" >= ? and a."attempt" = 1 order by s`,
    since,
  ).map((r) => Math.max(0, r.s));
  const pct = (p: number) => (waits.length ? Math.round(waits[Math.min(waits.length - 1, Math.floor(p * waits.length))]! * 1000) / 1000 : null);
  const pools = all<{ pool_id: string; name: string; jobs_24h: number; pending: number; running: number }>(
    `select p."id" as pool_id, p."name", count(j."id") as jobs_24h,
            coalesce(sum(j."status" = 'pending'), 0) as pending, coalesce(sum(j."status" in ('claimed', 'running', 'cancelling')), 0) as running
       from "pools" p join "jobs" j on j."pool_id" = p."id"
      where p."org_id" in (${orgs}) and j."inserted_at" >= ? group by p."id" order by jobs_24h desc, p."name" limit 5`,
    since,
  );
  const older = all<{ id: string; name: string; version: string }>(`select "id", "name", "version" from "agents" where "org_id" in (${orgs}) and "archived" = 0 order by "name"`).filter(
    (a) => semver.valid(a.version) && semver.valid(SERVER_VERSION) && semver.lt(a.version, SERVER_VERSION),
  );
  const failures = all<Overview["recent_failures"][number]>(
    `select j."id", j."module", j."function", a."name" as agent_name, j."error_reason", j."error_message", j."completed_at"
       from "jobs" j left join "agents" a on a."id" = j."agent_id"
      where j."org_id" in (${orgs}) and j."status" = 'failed' order by j."completed_at" desc limit 10`,
  );
  return {
    generated_at: new Date(now).toISOString(),
    server_version: SERVER_VERSION,
    agents_by_status: agentsByStatus,
    jobs_per_minute: perMinute,
    queue_wait: { count: waits.length, p50_s: pct(0.5), p95_s: pct(0.95) },
    busiest_pools: pools,
    older_agents: older.slice(0, 20),
    recent_failures: failures,
  };
}
