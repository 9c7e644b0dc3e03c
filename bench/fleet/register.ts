/** Setting up a fleet's server without HTTP: agents registered, jobs queued. */
import type { Db } from "@outpost/control-plane/testing";
import { CreateJobBody } from "@outpost/shared";
import { createAgent, createJob, resolveJobTarget } from "@outpost/control-plane/testing";

/**
 * Registers `n` agents through the API's own registration (createAgent, what POST /api/v1/agent
 * runs after auth), in batches of one transaction; returns their credentials.
 */
export function registerAgents(db: Db, installSecret: string, n: number, prefix = "fleet"): string[] {
  const c = db.$client;
  const orgId = c.prepare("select id from orgs limit 1").pluck().get() as string;
  const creds: string[] = [];
  const at = new Date().toISOString();
  const batch = c.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const body = { name: `${prefix}-${i}`, hostname: `${prefix}-${i}.bench`, os: { platform: "linux", distro: "Debian", release: "12", kernel: "6.1", arch: "x64" }, version: "bench", modules: [{ name: "hello", version: "1.0.0" }] };
      creds.push(createAgent(db, installSecret, orgId, null as never, body as never, at).credential);
    }
  });
  for (let i = 0; i < n; i += 1000) batch(i, Math.min(n, i + 1000));
  return creds;
}

/**
 * Queues `n` pending jobs of the sample module's no-op function through the jobs service
 * (createJob, what POST /api/v1/jobs runs after its checks), 1,000 per transaction, with no
 * session open: the phases that time dispatch start from a full queue, as bench/dispatch does.
 */
export function queueJobs(db: Db, n: number, who = "fleet"): string[] {
  const c = db.$client;
  const orgId = c.prepare("select id from orgs limit 1").pluck().get() as string;
  const body = { ...CreateJobBody.parse({ module: "hello", function: "greet", inputs: { who } }), trigger_source: "api" as const, triggered_by: "bench" };
  const target = resolveJobTarget(db, orgId, body);
  const ids: string[] = [];
  const batch = c.transaction((count: number) => {
    const at = new Date().toISOString();
    for (let i = 0; i < count; i++) ids.push(createJob(db, orgId, [orgId], body, at, target).id);
  });
  for (let i = 0; i < n; i += 1000) batch(Math.min(1000, n - i));
  return ids;
}

/**
 * A request that must succeed, sent again while it is refused only because a JSON-schema check
 * missed its 500 ms budget (a 422 "took over"; on this shared, loaded machine it happens). Returns
 * how many times it was sent again.
 */
export async function retryBudget(what: string, call: () => Promise<{ status: number; body: unknown }>, expect = 201): Promise<number> {
  for (let retries = 0; ; retries++) {
    const r = await call();
    if (r.status === expect) return retries;
    if (r.status !== 422 || !/took over/.test(JSON.stringify(r.body)) || retries >= 20) throw new Error(`${what} -> ${r.status} ${JSON.stringify(r.body)}`);
  }
}
