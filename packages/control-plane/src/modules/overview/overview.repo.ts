/** The Overview page's numbers, read in one pass over the caller's orgs (raw SQL: aggregates drizzle would only wrap). */
import semver from "semver";
import type { Overview } from "@outpost/shared";
import { prepared } from "../../db/client.js";
import type { Deps } from "../../deps.js";
import { SERVER_VERSION } from "../../version.js";
import { QUEUE_WAIT_BOUNDS_S, quantileS } from "./overview-queue-wait.js";

const DAY_MS = 24 * 3600 * 1000;

export function overview(deps: Deps, orgIds: string[]): Overview {
  const now = deps.clock();
  const since = new Date(now - DAY_MS).toISOString();
  const orgs = orgIds.map(() => "?").join(", ") || "null";
  // Every query names the orgs first, then its own parameters.
  const all = <T>(sql: string, ...params: unknown[]) => prepared(deps.db, sql).all(...orgIds, ...params) as T[];

  // Counts come from tables kept by triggers (agent_counts, job_minutes, queue_waits: migration
  // 0012), so the page costs the same for ten agents and jobs as for a hundred thousand and a million.
  const agentsByStatus: Record<string, number> = {};
  for (const r of all<{ status: string; n: number }>(`select "status", sum("n") as n from "agent_counts" where "org_id" in (${orgs}) and "n" > 0 group by "status"`)) {
    agentsByStatus[r.status] = r.n;
  }
  const sinceMinute = `${since.slice(0, 16)}:00Z`;
  const perMinute = all<{ minute: string; completed: number; failed: number; cancelled: number }>(
    `select "minute", sum("completed") as completed, sum("failed") as failed, sum("cancelled") as cancelled
       from "job_minutes" where "org_id" in (${orgs}) and "minute" >= ? group by "minute"
      having sum("completed") + sum("failed") + sum("cancelled") > 0 order by "minute"`,
    sinceMinute,
  );
  const waitCounts = new Array<number>(QUEUE_WAIT_BOUNDS_S.length + 1).fill(0);
  for (const r of all<{ bucket: number; n: number }>(`select "bucket", sum("n") as n from "queue_waits" where "org_id" in (${orgs}) and "minute" >= ? group by "bucket"`, sinceMinute)) {
    waitCounts[r.bucket] = r.n;
  }
  const pools = all<{ pool_id: string; name: string; jobs_24h: number; pending: number; running: number }>(
    `select p."id" as pool_id, p."name", count(j."id") as jobs_24h,
            coalesce(sum(j."status" = 'pending'), 0) as pending, coalesce(sum(j."status" in ('claimed', 'running', 'cancelling')), 0) as running
       from "pools" p join "jobs" j on j."pool_id" = p."id"
      where p."org_id" in (${orgs}) and j."inserted_at" >= ? group by p."id" order by jobs_24h desc, p."name" limit 5`,
    since,
  );
  const older = olderAgents(deps, orgIds);
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
    queue_wait: { count: waitCounts.reduce((a, b) => a + b, 0), p50_s: quantileS(waitCounts, 0.5), p95_s: quantileS(waitCounts, 0.95) },
    busiest_pools: pools,
    older_agents: older,
    recent_failures: failures,
  };
}

const OLDER_SHOWN = 20;
/** An org's distinct agent versions, one seek of the version index each (a skip scan). */
const DISTINCT_VERSIONS = `with recursive v(version) as (
    select min("version") from "agents" where "org_id" = @org and "archived" = 0
    union all
    select (select min("version") from "agents" where "org_id" = @org and "archived" = 0 and "version" > v.version) from v where v.version is not null
  ) select version from v where version is not null`;
const AGENTS_OF_VERSION = `select "id", "name", "version" from "agents" where "org_id" = ? and "archived" = 0 and "version" = ? order by "id" limit ${OLDER_SHOWN}`;

/**
 * Up to 20 active agents on a version older than the server's, oldest version first, then by name.
 * The distinct versions of an org are read by a skip scan of the version index (one seek per
 * version, not one row per agent); of each older version at most 20 agents are read, in the
 * index's order (right after a server upgrade every agent is older: reading them all to sort by
 * name is what made this page cost a second at 100,000 agents).
 */
function olderAgents(deps: Deps, orgIds: string[]): { id: string; name: string; version: string }[] {
  if (!semver.valid(SERVER_VERSION)) return [];
  const versions = prepared(deps.db, DISTINCT_VERSIONS).pluck();
  const agentsOf = prepared(deps.db, AGENTS_OF_VERSION);
  const rows: { id: string; name: string; version: string }[] = [];
  for (const org of orgIds) {
    for (const version of versions.all({ org }) as string[]) {
      if (semver.valid(version) && semver.lt(version, SERVER_VERSION)) rows.push(...(agentsOf.all(org, version) as typeof rows));
    }
  }
  return rows.sort((a, b) => semver.compare(a.version, b.version) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id)).slice(0, OLDER_SHOWN);
}
