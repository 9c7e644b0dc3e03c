/**
 * The read paths an operator hits on a big fleet, each timed `samples` times through the real
 * app (inject: routing, auth, validation, serialisation) once every path is warm.
 */
import { AGENT_SORTS, JOB_SORTS } from "@outpost/shared";
import type { TestApp } from "@outpost/control-plane/testing";
import { nowMs, summarize, type Summary } from "../dispatch/stats.js";
import type { Picks } from "./seed.js";

export type QueryTiming = { name: string; url: string; summary: Summary };

export function readPaths(s: Picks): [string, string][] {
  const { agent, job, pool } = s;
  const day = new Date(Date.parse(s.firstAt) + 10 * 86_400_000);
  const from = day.toISOString();
  const to = new Date(day.getTime() + 86_400_000).toISOString();
  const paths: [string, string][] = [];
  for (const sort of AGENT_SORTS) for (const order of ["asc", "desc"]) paths.push([`agents, sort ${sort} ${order}`, `/api/v1/agents?limit=50&sort=${sort}&order=${order}`]);
  paths.push(
    ["agents, search by name", "/api/v1/agents?limit=50&q=seed-4242"],
    ["agents, search by module", "/api/v1/agents?limit=50&q=hello@1.0.1&search_by=module"],
    ["agents, in a pool", "/api/v1/agents?limit=50&pool=in"],
    ["agents, in no pool", "/api/v1/agents?limit=50&pool=none"],
    ["agents, status Idle", "/api/v1/agents?limit=50&status=Idle"],
  );
  for (const sort of JOB_SORTS) for (const order of ["asc", "desc"]) paths.push([`runs, sort ${sort} ${order}`, `/api/v1/jobs?limit=50&sort=${sort}&order=${order}`]);
  for (const status of ["pending", "running", "completed", "failed", "cancelling", "failed,cancelled"]) paths.push([`runs, status ${status}`, `/api/v1/jobs?limit=50&status=${status}`]);
  for (const source of ["manual", "webhook"]) paths.push([`runs, trigger ${source}`, `/api/v1/jobs?limit=50&trigger_source=${source}`]);
  paths.push(
    ["runs, one day", `/api/v1/jobs?limit=50&from=${from}&to=${to}`],
    ["runs, one day, completed", `/api/v1/jobs?limit=50&status=completed&from=${from}&to=${to}`],
    ["runs, pool", `/api/v1/jobs?limit=50&pool_id=${pool}`],
    ["runs, agent", `/api/v1/jobs?limit=50&agent_id=${agent}`],
    ["pool's runs", `/api/v1/pools/${pool}/jobs?limit=50`],
    ["job detail", `/api/v1/jobs/${job}`],
    ["job logs", `/api/v1/jobs/${job}/logs`],
    ["agent detail", `/api/v1/agents/${agent}`],
    ["pool overview", `/api/v1/pools/${pool}/overview`],
    ["pools list", `/api/v1/pools`],
    ["status history", `/api/v1/agents/${agent}/status-history`],
    ["overview (the console's landing page)", `/api/v1/overview`],
    ["Prometheus scrape", `/metrics`],
  );
  return paths;
}

/**
 * Every path is called `warmup` times before any is timed, so the timings are a warm server's
 * (compiled code, cached statements, the database pages in memory), not the first path's share
 * of what the process does once.
 */
export async function timeReadPaths(t: TestApp, paths: [string, string][], samples: number, warmup = 5): Promise<QueryTiming[]> {
  for (const [name, url] of paths) {
    const first = await t.api("GET", url);
    if (first.status !== 200) throw new Error(`${name}: GET ${url} -> ${first.status} ${JSON.stringify(first.body).slice(0, 300)}`);
    for (let i = 1; i < warmup; i++) await t.api("GET", url);
  }
  const out: QueryTiming[] = [];
  for (const [name, url] of paths) {
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = nowMs();
      await t.api("GET", url);
      ms.push(nowMs() - t0);
    }
    out.push({ name, url, summary: summarize(ms) });
  }
  return out;
}
