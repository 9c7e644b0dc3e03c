/**
 * bench/fleet: one outpost-server holding a fleet, each figure beside a baseline measured in the
 * same run (docs/performance.md, "bench/fleet"). The server under test is the real app
 * (makeTestApp: a SQLite file in a temp dir, the real migrations) on 127.0.0.1:0; the simulated
 * agents are lean protocol clients in a second process (client.ts), registered through the API.
 *
 *   pnpm bench:fleet [--phases connect,data,submit,storm,spread,logs] [--submissions 20000] [--idle 30] [--agents 10000] [--seed-agents 100000]
 *                    [--jobs 1000000] [--samples 50] [--keep-db fleet.db] [--json out.json] [--idle-profile idle.cpuprofile] [--connect-profile connect.cpuprofile]
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { fork } from "node:child_process";
import { Session as Inspector } from "node:inspector/promises";
import Fastify from "fastify";
import { fileURLToPath } from "node:url";
import { SUBPROTOCOL } from "@outpost/shared";
import { LISTEN_BACKLOG, createAgent, makeTestApp, sampleModule, type TestApp } from "@outpost/control-plane/testing";
import { startBareServer } from "./baseline.js";
import type { FleetResult, FleetTask } from "./protocol.js";
import { readPaths, timeReadPaths } from "./queries.js";
import { picks, seedFleet, type Picks } from "./seed.js";
import { registerAgents } from "./register.js";
import { PHASE_OPTIONS, PHASES as MORE_PHASES } from "./phases.js";

const { values: args } = parseArgs({
  options: {
    phases: { type: "string", default: "connect,data,submit,storm,spread,logs" },
    agents: { type: "string", default: "10000" },
    "seed-agents": { type: "string", default: "100000" },
    jobs: { type: "string", default: "1000000" },
    samples: { type: "string", default: "50" },
    idle: { type: "string", default: "30" },
    submissions: { type: "string", default: "20000" },
    json: { type: "string" },
    /**
     * Data phase: seed into this database file and keep it (with PATH.json naming what the read
     * paths ask for); when both exist, reuse them instead of seeding (the app's migrator brings
     * the file up to the current schema at start).
     */
    "keep-db": { type: "string" },
    ...PHASE_OPTIONS,
    /** Writes a CPU profile of the server's idle window (Outpost's, not the baseline's) to this file. */
    "idle-profile": { type: "string" },
    /** Writes a CPU profile of the server while the fleet connects (Outpost's, not the baseline's) to this file. */
    "connect-profile": { type: "string" },
  },
});
const PHASES = new Set(args.phases.split(","));
const AGENTS = Number(args.agents);
const SEED_AGENTS = Number(args["seed-agents"]);
const JOBS = Number(args.jobs);
const SAMPLES = Number(args.samples);
const IDLE_S = Number(args.idle);
const SUBMISSIONS = Number(args.submissions);

// The fleet runs in a second process: its own core and its own fd limit (one socket per agent a side).
const worker = fork(fileURLToPath(new URL("./client.ts", import.meta.url)), [], { execArgv: ["--import", "tsx", "--max-old-space-size=4096"], stdio: "inherit" });
function ask<K extends FleetTask["kind"]>(task: Extract<FleetTask, { kind: K }>): Promise<Extract<FleetResult, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const done = (m: { ok: boolean; result?: Extract<FleetResult, { kind: K }>; error?: string }) => {
      worker.off("message", done);
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    };
    worker.on("message", done);
    worker.send(task);
  });
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
const results: Record<string, unknown> = {};
const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");

/** Registers `n` agents through the API's own registration (register.ts); returns their credentials. */
const registerFleet = (t: TestApp, n: number) => registerAgents(t.deps.db, t.deps.installSecret, n);

/** Resident memory after a full collection (the script runs node with --expose-gc). */
function rssAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

/** CPU ticks (user + system) of each thread of this process, by thread name and id (Linux /proc). */
function threadTicks(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(`${name}#${tid}`, Number(f[11]) + Number(f[12]));
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return out;
}

/** The threads that used CPU between two threadTicks() readings, busiest first ("name 12 ticks"). */
function threadUse(before: Map<string, number>, after: Map<string, number>): string {
  const used = [...after].map(([k, v]) => [k.replace(/#\d+$/, ""), v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  const byName = new Map<string, number>();
  for (const [k, v] of used) byName.set(k, (byName.get(k) ?? 0) + v);
  return [...byName].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ") || "none";
}

type Holding = { connect: Extract<FleetResult, { kind: "connect" }>; bytesPerAgent: number; idleCpuPct: number; idleThreads: string };

/** Profiles the server's own thread from now until the returned function is called, writing the profile to `to`. */
async function profile(to: string | undefined): Promise<() => Promise<void>> {
  if (!to) return async () => {};
  const profiler = new Inspector();
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
  return async () => {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(to, JSON.stringify(profile));
    profiler.disconnect();
  };
}

/** Dials the fleet at a server, then measures what holding it costs: RSS per agent, idle CPU. */
async function holdFleet(url: string, credentials: string[], subprotocol: string | null, profileTo?: string, connectProfileTo?: string): Promise<Holding> {
  const before = rssAfterGc();
  const stopConnectProfile = await profile(connectProfileTo);
  const connect = await ask<"connect">({ kind: "connect", url, credentials, slots: 1, subprotocol });
  await stopConnectProfile();
  const bytesPerAgent = (rssAfterGc() - before) / connect.welcomed;
  const stopProfile = await profile(profileTo);
  console.log(`(idle window of ${IDLE_S} s starts: server pid ${process.pid}, ${subprotocol ? "Outpost" : "bare ws"})`);
  const cpu0 = process.cpuUsage();
  const ticks0 = threadTicks();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const cpu = process.cpuUsage(cpu0);
  const idleThreads = threadUse(ticks0, threadTicks());
  await stopProfile();
  const idleCpuPct = ((cpu.user + cpu.system) / 1000 / (Date.now() - t0)) * 100;
  return { connect, bytesPerAgent, idleCpuPct, idleThreads };
}

async function connectPhase(): Promise<void> {
  console.log(`\n## connect: ${AGENTS} agents dial at once, then ${IDLE_S} s idle (load ${load()})`);
  const bare = await startBareServer();
  const base = await holdFleet(bare.url, Array.from({ length: AGENTS }, (_, i) => `bare-${i}`), null);
  await ask<"close">({ kind: "close" });
  await bare.close();
  const t = await makeTestApp();
  await t.api("POST", "/api/v1/modules", { body: sampleModule() });
  const creds = registerFleet(t, AGENTS);
  const url = await t.app.listen({ host: "127.0.0.1", port: 0, backlog: LISTEN_BACKLOG });
  const ours = await holdFleet(url, creds, SUBPROTOCOL, args["idle-profile"], args["connect-profile"]);
  const connected = t.deps.db.$client.prepare("select count(*) from agents where connected = 1").pluck().get() as number;
  await ask<"close">({ kind: "close" });
  await t.close();
  const o = ours.connect;
  const b = base.connect;
  const ratio = o.seconds / b.seconds;
  const memRatio = ours.bytesPerAgent / base.bytesPerAgent;
  const kb = (v: number) => `${(v / 1024).toFixed(1)} KB`;
  console.log(`| measure | Outpost | bare ws + 1 write per hello | ratio |\n|---|---|---|---|`);
  console.log(`| all ${AGENTS} welcomed and ready | ${o.seconds.toFixed(2)} s (${o.welcomed} ok, ${o.failed} failed, ${o.redials} redials) | ${b.seconds.toFixed(2)} s (${b.welcomed} ok, ${b.failed} failed, ${b.redials} redials) | ${ratio.toFixed(2)}x |`);
  console.log(`| server RSS per connected idle agent | ${kb(ours.bytesPerAgent)} | ${kb(base.bytesPerAgent)} | ${memRatio.toFixed(2)}x |`);
  console.log(`| server CPU while idle, ${IDLE_S} s | ${ours.idleCpuPct.toFixed(2)}% of a core | ${base.idleCpuPct.toFixed(2)}% of a core | |`);
  console.log(`idle CPU by thread (clock ticks of 10 ms): Outpost ${ours.idleThreads}; bare ws ${base.idleThreads}`);
  if (o.firstError) console.log(`first failure: ${o.firstError}`);
  console.log(`server rows: ${connected} agents connected`);
  console.log(`target 1 (connect within 1.5x of baseline, all ${AGENTS} in under 15 s): ${verdict(ratio <= 1.5 && o.seconds < 15 && o.failed === 0)}`);
  console.log(`target 3 (RSS per idle agent within 1.5x of bare ws; idle CPU under 2% of a core): ${verdict(memRatio <= 1.5 && ours.idleCpuPct < 2)}`);
  results.connect = { ours, base, ratio, memRatio, load: load() };
}

async function dataPhase(): Promise<void> {
  const keep = args["keep-db"];
  const reuse = keep !== undefined && existsSync(keep) && existsSync(`${keep}.json`);
  const t = await makeTestApp(keep ? { db: keep } : {});
  const dbPath = keep ?? `${t.dir}/outpost.db`;
  const c = t.deps.db.$client;
  let seedS = 0;
  let picked: Picks;
  if (reuse) {
    picked = JSON.parse(readFileSync(`${keep}.json`, "utf8")) as Picks;
    console.log(`\n## data at scale: reusing ${keep} (${picked.jobs} jobs; load ${load()})`);
  } else {
    console.log(`\n## data at scale: ${SEED_AGENTS} agents, ${JOBS} jobs (load ${load()})`);
    const orgId = c.prepare("select id from orgs limit 1").pluck().get() as string;
    const s0 = Date.now();
    picked = picks(seedFleet(c, orgId, { agents: SEED_AGENTS, pools: 100, jobs: JOBS }));
    c.exec("analyze");
    seedS = (Date.now() - s0) / 1000;
    if (keep) writeFileSync(`${keep}.json`, JSON.stringify(picked));
  }
  c.pragma("wal_checkpoint(TRUNCATE)");
  const jobs = picked.jobs;
  const bytes = statSync(dbPath).size;
  console.log(`${reuse ? "reused" : `seeded in ${seedS.toFixed(1)} s`}; database ${(bytes / 2 ** 20).toFixed(1)} MiB, ${Math.round(bytes / jobs)} bytes per job (all tables / jobs)`);
  const timings = await timeReadPaths(t, readPaths(picked), SAMPLES);
  await t.close();
  console.log(`| read path | p50 | p99 |\n|---|---|---|`);
  for (const q of timings) console.log(`| ${q.name} | ${q.summary.p50.toFixed(2)} ms | ${q.summary.p99.toFixed(2)} ms${q.summary.p99 >= 20 ? " **over**" : ""} |`);
  const worst = timings.reduce((a, b) => (b.summary.p99 > a.summary.p99 ? b : a));
  const over = timings.filter((q) => q.summary.p99 >= 20);
  console.log(`target 4 (every read path p99 under 20 ms): ${verdict(over.length === 0)}; worst ${worst.name} ${worst.summary.p99.toFixed(2)} ms${over.length ? `; over: ${over.map((q) => q.name).join(", ")}` : ""}`);
  results.data = { seedS, bytes, bytesPerJob: bytes / jobs, timings, load: load() };
}

/**
 * Target 7: POST /api/v1/jobs from `concurrency` clients with no agents, against a Fastify hello
 * world (same process layout, same client) in the same run.
 */
async function submitPhase(): Promise<void> {
  const n = SUBMISSIONS;
  console.log(`\n## submissions: ${n} POST /api/v1/jobs from 32 clients, no agents (load ${load()})`);
  const hello = Fastify({ logger: false });
  hello.get("/", async () => ({ hello: "world" }));
  const helloUrl = await hello.listen({ host: "127.0.0.1", port: 0 });
  const base = await ask<"http">({ kind: "http", url: helloUrl, method: "GET", path: "/", headers: {}, body: "", expect: 200, n, concurrency: 32 });
  await hello.close();
  const t = await makeTestApp();
  await t.api("POST", "/api/v1/modules", { body: sampleModule() });
  const url = await t.app.listen({ host: "127.0.0.1", port: 0, backlog: LISTEN_BACKLOG });
  const body = JSON.stringify({ module: "hello", function: "greet", inputs: { who: "bench" } });
  const ours = await ask<"http">({
    kind: "http",
    url,
    method: "POST",
    path: "/api/v1/jobs",
    headers: { Authorization: `Bearer ${t.adminToken}`, "Content-Type": "application/json" },
    body,
    expect: 201,
    n,
    concurrency: 32,
  });
  const stored = t.deps.db.$client.prepare("select count(*) from jobs").pluck().get() as number;
  await t.close();
  const ourRate = ours.n / ours.seconds;
  const baseRate = base.n / base.seconds;
  const ratio = ourRate / baseRate;
  const rate = (v: number) => `${Math.round(v).toLocaleString("en-US")} /s`;
  console.log(`| measure | Outpost POST /api/v1/jobs | Fastify hello world | ratio |\n|---|---|---|---|`);
  console.log(`| requests, 32 clients | ${rate(ourRate)} (${stored} jobs stored) | ${rate(baseRate)} | ${ratio.toFixed(3)}x |`);
  console.log(`target 7 (submissions at least 0.4x of hello world): ${verdict(ratio >= 0.4 && stored === n)}`);
  results.submit = { ourRate, baseRate, ratio, load: load() };
}

async function main() {
  console.log(`bench/fleet  ${new Date().toISOString()}\n${machine}; fd limit ${process.env.OUTPOST_FD_LIMIT ?? "?"}; load ${load()}`);
  if (PHASES.has("connect")) await connectPhase();
  if (PHASES.has("data")) await dataPhase();
  if (PHASES.has("submit")) await submitPhase();
  for (const [name, phase] of Object.entries(MORE_PHASES)) if (PHASES.has(name)) await phase({ ask, results, load, args });
  worker.kill();
  if (args.json) writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), machine, ...results }, null, 2));
  // After the spread and logs phases something (one socket, not found yet) kept the process alive: exit when done.
  process.exit(0);
}

main().catch(async (err) => {
  console.error(err);
  worker.kill();
  process.exit(1);
});
