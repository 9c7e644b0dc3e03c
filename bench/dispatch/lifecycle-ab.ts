/**
 * The lifecycle phase of bench/dispatch alone, for A/B runs across commits (docs/performance.md,
 * "Pass 5"): N pending jobs inserted through the jobs service, then 4 lean agents x 8 slots drain
 * them (the throughput task of client.ts); beside it the raw lifecycle loop in the same process.
 * Runs unchanged in an older worktree (createJob's target argument is looked up, not assumed).
 *
 *   node --import tsx dispatch/lifecycle-ab.ts [jobs=10000] [profile.cpuprofile]
 */
import { writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { Session as Inspector } from "node:inspector/promises";
import { makeTestApp, sampleModule, sampleRegistration } from "../../packages/control-plane/src/test-support/test-app.js";
import { CreateJobBody } from "@outpost/shared";
import * as svc from "../../packages/control-plane/src/modules/jobs/jobs.service.js";
import { rawLifecycleLoop } from "./baselines.js";
import { MODULE } from "./protocol.js";
const N = Number(process.argv[2] ?? 20000);
const prof = process.argv[3];
const worker = new Worker(new URL("./client-entry.mjs", import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one message shape per task
const ask = (task: any) => new Promise<any>((res, rej) => { const d = (m: any) => { if (m.ok === undefined) return; worker.off("message", d); m.ok ? res(m.result) : rej(new Error(m.error)); }; worker.on("message", d); worker.postMessage(task); });
const raw = await rawLifecycleLoop(N);
const t = await makeTestApp();
const httpUrl = await t.app.listen({ host: "127.0.0.1", port: 0 });
await t.api("POST", "/api/v1/modules", { body: sampleModule() });
const creds: string[] = [];
for (let i = 0; i < 4; i++) creds.push((await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: `tp${i}`, hostname: `tp${i}.b`, modules: [MODULE] }) })).body.credential);
const orgId = t.deps.db.$client.prepare("select id from orgs limit 1").pluck().get() as string;
const body = { ...CreateJobBody.parse({ module: "hello", function: "greet", inputs: { who: "bench" } }), trigger_source: "api" as const, triggered_by: "bench" };
const target = (svc as any).resolveJobTarget?.(t.deps.db, orgId, body);
t.deps.db.$client.transaction(() => { for (let i = 0; i < N; i++) (svc.createJob as any)(t.deps.db, orgId, [orgId], body, new Date().toISOString(), target); })();
let insp: Inspector | null = null;
if (prof) { insp = new Inspector(); insp.connect(); await insp.post("Profiler.enable"); await insp.post("Profiler.start"); }
const tp = await ask({ kind: "throughput", httpUrl, credentials: creds, slots: 8, expected: N });
if (insp) { const { profile } = await insp.post("Profiler.stop"); writeFileSync(prof!, JSON.stringify(profile)); }
const ours = tp.completed / tp.seconds, rr = raw.n / raw.seconds;
console.log(`lifecycle ${Math.round(ours)}/s raw ${Math.round(rr)}/s ratio ${(ours / rr).toFixed(3)} load ${(await import("node:os")).loadavg()[0].toFixed(1)}`);
await t.close(); await worker.terminate();
