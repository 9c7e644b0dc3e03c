/**
 * The chaos soak (issue 17): outpost-server and several real outpost-agents (real processes, a
 * real dockerd, the busybox test image), each agent behind a FaultProxy, jobs of mixed lengths,
 * and faults injected at seeded random times while they run; then the invariants, checked from
 * the database (the REST API over it) and from a host-side tally: Docker's own event stream of
 * this run's containers (start and die of every container, with its job and attempt labels), so
 * a body that ran twice is seen even if the server never learned of it. Each job's stdout lines
 * name the job, the attempt and a counter; the server's stored logs are checked line by line.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTestDir, removeTestRunContainers, TEST_IMAGE } from "../support/docker.js";
import { PrivateDockerd } from "./dockerd.js";
import { AGENT_BIN, freePort, startProc, startServer, until, type Proc, type ServerProc } from "../support/processes.js";
import { TEST_RUN_LABEL_ARG } from "../support/test-run.js";
import { FaultProxy } from "./proxy.js";
import { seeded, type Rng } from "./rng.js";

export const FAULT_KINDS = ["agent_kill", "server_kill", "partition_short", "partition_long", "delay", "cut", "clock_step", "server_clock_step", "disk_full", "container_kill", "docker_restart"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type SoakOptions = {
  seed: number;
  jobs: number;
  agents: number;
  slots: number;
  leaseTtlS: number;
  graceS: number;
  /** Pause between faults, ms (random in the range). */
  faultGapMs: [number, number];
  /** Give up waiting for the jobs after this long (the run is bounded). */
  deadlineMs: number;
  /** Stop injecting after this many faults (the short variant: one of each kind). */
  maxFaults?: number;
  log?: (line: string) => void;
};

export type SoakSummary = {
  seed: number;
  jobs: number;
  wall_s: number;
  faults: Record<string, number>;
  fault_log: string[];
  completed: number;
  failed: Record<string, number>;
  lost: number;
  overlapping: number;
  double_runs_without_loss: number;
  retries: number;
  log_problems: string[];
  agents_end: Record<string, string>;
  containers_left: number;
  client_errors: Record<string, number>;
  unanswered_requests: number;
  detect_lost_agent_s: number[];
  slowest_recovery: { what: string; s: number } | null;
  disk_full_errors_logged: boolean;
  /** What POST /api/v1/jobs answered while the server's disk was full (status, code). */
  disk_full_probes: string[];
  notes: string[];
};

const LINES: Record<string, number> = { short: 3, medium: 15, long: 50 };
const body = (n: number) => `i=1; while [ $i -le ${n} ]; do echo "$OUTPOST_JOB_ID $OUTPOST_ATTEMPT $i"; i=$((i+1)); sleep 0.1; done`;
const MODULE = {
  name: "chaos",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: Object.entries(LINES).map(([name, n]) => ({ name, display_name: name, command: ["sh", "-c", body(n)] })),
};
/** Where an agent may end: a status it takes new work from (the console's green Idle/ExecutionSuccess and the other at-rest ones), or Offline. */
export const AT_REST_OR_OFFLINE = ["Idle", "ExecutionSuccess", "ExecutionFailed", "Canceled", "Offline"];
const FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Agent = { name: string; proxy: FaultProxy; proc: Proc; clockFile: string | null; down: boolean };
type Tally = Map<string, Map<number, { start: number; die?: number; count: number; id: string }>>;

export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
  const log = o.log ?? (() => undefined);
  const rng: Rng = seeded(o.seed);
  const notes: string[] = [];
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "outpost-chaos-"));
  // The soak's own dockerd (the shared one is never restarted): the agents reach it by DOCKER_HOST.
  const dockerd = new PrivateDockerd(join(dir, "d"));
  await dockerd.start();
  const docker = dockerd.docker;
  let dockerDown = false;
  const dataDir = join(dir, "server");
  mkdirSync(dataDir);
  let tmpfs = false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", dataDir]);
    tmpfs = true;
  } catch (err) {
    notes.push(`disk_full skipped: could not mount a tmpfs (${(err as Error).message.split("\n")[0]})`);
  }
  const faketime = existsSync(FAKETIME_LIB);
  if (!faketime) notes.push("clock skew skipped: libfaketime is not installed (apt-get install faketime)");

  const faults: Record<string, number> = {};
  const faultLog: string[] = [];
  const recoveries: { what: string; s: number }[] = [];
  const clientErrors: Record<string, number> = {};
  let unanswered = 0;
  const diskProbes: string[] = [];
  const partitions: { agent: string; at: number }[] = [];
  const note = (kind: FaultKind, what: string) => {
    faults[kind] = (faults[kind] ?? 0) + 1;
    faultLog.push(`${((performance.now() - t0) / 1000).toFixed(1)}s ${kind} ${what}`);
    log(`fault ${kind} ${what}`);
  };

  // The host-side tally: every container of this run, from Docker's event stream.
  // It survives a dockerd restart: the stream is re-opened with `since` the last event seen (an
  // event seen twice counts once), and a container that died while nobody listened is read back.
  const tally: Tally = new Map();
  const seenEvents = new Set<string>();
  let lastEventS = Math.floor(Date.now() / 1000);
  let events: NodeJS.ReadableStream | null = null;
  let tallyDone = false;
  const follow = async (): Promise<void> => {
    const stream = (await docker.getEvents({ since: lastEventS, filters: { type: ["container"], event: ["start", "die"], label: [TEST_RUN_LABEL_ARG] } })) as NodeJS.ReadableStream;
    events = stream;
    let evBuf = "";
    stream.on("data", (d: Buffer) => {
      evBuf += d.toString();
      let i: number;
      while ((i = evBuf.indexOf("\n")) >= 0) {
        const line = evBuf.slice(0, i);
        evBuf = evBuf.slice(i + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as { id: string; Action: string; time: number; timeNano: number; Actor: { Attributes: Record<string, string> } };
        const key = `${e.id} ${e.Action} ${e.timeNano}`;
        if (seenEvents.has(key)) continue;
        seenEvents.add(key);
        lastEventS = Math.max(lastEventS, e.time);
        const job = e.Actor.Attributes["outpost.job_id"];
        const attempt = Number(e.Actor.Attributes["outpost.attempt"]);
        if (!job) continue;
        const byAttempt = tally.get(job) ?? new Map();
        tally.set(job, byAttempt);
        const rec = byAttempt.get(attempt) ?? { start: 0, count: 0, id: e.id };
        byAttempt.set(attempt, rec);
        if (e.Action === "start") {
          rec.start = e.timeNano / 1e6;
          rec.count++;
        } else rec.die = e.timeNano / 1e6;
      }
    });
    stream.once("close", () => {
      if (!tallyDone) void until("dockerd back for the event stream", async () => !dockerDown && (await follow().then(() => true, () => false)), 300_000).catch(() => undefined);
    });
  };
  await follow();
  /** After a dockerd restart: a container that was running when it died has died since; its end is read back (or, removed meanwhile, bounded by now). */
  const reconcileTally = async (): Promise<void> => {
    for (const byAttempt of tally.values()) {
      for (const rec of byAttempt.values()) {
        if (rec.die !== undefined) continue;
        const info = await docker.getContainer(rec.id).inspect().catch(() => null);
        if (info?.State.Running) continue;
        const finished = info ? Date.parse(info.State.FinishedAt) : Number.NaN;
        rec.die = Number.isFinite(finished) && finished > 0 ? finished : Date.now();
      }
    }
  };

  const port = await freePort();
  const serverArgs = ["--port", String(port), "--lease-ttl", String(o.leaseTtlS), "--lease-grace", String(o.graceS), "--heartbeat", "1", "--rate-limit-max", "10000000", "--log-level", "warn"];
  const db = join(dataDir, "outpost.db");
  // The server runs under libfaketime too, on the true clock until a server_clock_step moves it
  // forward (its monotonic clock stays true, as on a real host): every stored lease must not expire at once.
  const serverClock = join(dir, "clock-server");
  let serverOffsetS = 0;
  /** When (true clock) each server clock step took effect, with the offset from then on. */
  const serverSteps: { fromMs: number; offsetS: number }[] = [{ fromMs: 0, offsetS: 0 }];
  /** A time the server wrote (its stepped clock) on the true clock. */
  const trueTime = (serverMs: number): number => {
    for (const st of [...serverSteps].reverse()) if (serverMs - st.offsetS * 1000 >= st.fromMs) return serverMs - st.offsetS * 1000;
    return serverMs;
  };
  writeFileSync(serverClock, "+0");
  const serverEnv: Record<string, string> = faketime ? { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: serverClock, FAKETIME_NO_CACHE: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1" } : {};
  let server: ServerProc = await startServer(db, serverArgs, undefined, { env: serverEnv });
  const token = server.token;
  const serverOutputs: string[] = [];
  let serverDown = false;
  const url = server.url;

  /** One REST call with a deadline: an answer, an error status, or a client-side error; never a hang. */
  const call = async (method: string, path: string, bodyJson?: unknown): Promise<{ status: number; body: any } | null> => {
    try {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(bodyJson !== undefined ? { "content-type": "application/json" } : {}) },
        body: bodyJson !== undefined ? JSON.stringify(bodyJson) : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status >= 400) clientErrors[`${method} ${res.status}`] = (clientErrors[`${method} ${res.status}`] ?? 0) + 1;
      // A refusal other than a full disk's 507 is unexpected here: keep what it said (the first few).
      if (res.status >= 400 && res.status !== 507 && notes.filter((n) => n.startsWith("answer ")).length < 5) notes.push(`answer ${method} ${path} ${res.status}: ${text.slice(0, 300)}`);
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch (err) {
      const name = (err as Error).name === "TimeoutError" ? "timeout" : "connection";
      if (name === "timeout") unanswered++;
      clientErrors[`${method} ${name}`] = (clientErrors[`${method} ${name}`] ?? 0) + 1;
      return null;
    }
  };
  const mod = await call("POST", "/api/v1/modules", MODULE);
  if (mod?.status !== 201) throw new Error(`module registration failed: ${JSON.stringify(mod)}`);

  const agents: Agent[] = [];
  // If the soak's process ends early (a test timeout), its children go with it.
  const killAll = () => {
    for (const a of agents) a.proc.child.kill("SIGKILL");
    server.proc.child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const agentProcs: { name: string; proc: Proc }[] = [];
  const startAgent = (a: Omit<Agent, "proc" | "down">): Proc => {
    const proc = startAgentProc(a);
    agentProcs.push({ name: a.name, proc });
    return proc;
  };
  const startAgentProc = (a: Omit<Agent, "proc" | "down">): Proc => {
    const env: Record<string, string> = { DOCKER_HOST: dockerd.host };
    if (a.clockFile) Object.assign(env, { LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: a.clockFile, FAKETIME_NO_CACHE: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1" });
    return startProc(AGENT_BIN, ["run", "--url", `http://127.0.0.1:${a.proxy.port}`, "--token", token, "--name", a.name, "--data-dir", join(dir, a.name), "--slots", String(o.slots), "--module", "chaos@1.0.0", "--cancel-grace", "1", "--log-level", "info"], env);
  };
  for (let i = 0; i < o.agents; i++) {
    const proxy = new FaultProxy(port);
    await proxy.listen();
    // Every other agent lives minutes off the server's clock (ahead, behind), and its clock is stepped during the run.
    let clockFile: string | null = null;
    if (faketime && i % 2 === 1) {
      clockFile = join(dir, `clock-${i}`);
      writeFileSync(clockFile, i % 4 === 1 ? "+5m" : "-7m");
    }
    const a = { name: `chaos-${i}`, proxy, clockFile };
    const proc = startAgent(a);
    agents.push({ ...a, proc, down: false });
  }
  for (const a of agents) await a.proc.waitFor(/session open/, 60_000);
  log(`${o.agents} agents up (${agents.filter((a) => a.clockFile).length} with a skewed clock)`);

  // Submission: keeps about 3 jobs per slot queued; a refused or unanswered POST is retried as a new job.
  const submitted: string[] = [];
  const fns = Object.keys(LINES);
  let submitting = true;
  const submitter = (async () => {
    while (submitted.length < o.jobs) {
      if (serverDown) {
        await sleep(200);
        continue;
      }
      const r = await call("GET", "/api/v1/jobs?status=pending,claimed,running,retrying,cancelling&limit=200");
      const open = r?.status === 200 ? (r.body.details as unknown[]).length : o.agents * o.slots * 3;
      const room = Math.min(o.agents * o.slots * 3 - open, o.jobs - submitted.length);
      for (let i = 0; i < room; i++) {
        const fn = fns[Math.floor(((submitted.length * 7919) % 100) / 34)]!; // deterministic mix: short, medium, long
        const res = await call("POST", "/api/v1/jobs", { module: "chaos", function: fn, max_attempts: 5 });
        if (res?.status === 201) submitted.push(res.body.details.id);
        else await sleep(100);
      }
      await sleep(250);
    }
    submitting = false;
  })();

  // Faults, one after another with random gaps; several overlap (a partition, a clock step, a disk
  // fill run in the background while the next fault starts).
  const background: Promise<void>[] = [];
  const agentSession = (a: Agent, from: number) => a.proc.output().slice(from).includes("session open");
  const inject = async (kind: FaultKind): Promise<void> => {
    const a = rng.pick(agents.filter((x) => !x.down)) ?? agents[0]!;
    switch (kind) {
      case "agent_kill": {
        if (a.down) return;
        a.down = true;
        note(kind, a.name);
        await a.proc.kill("SIGKILL");
        const pause = rng.int(300, 4000);
        background.push(
          (async () => {
            await sleep(pause);
            const t = performance.now();
            const proc = (a.proc = startAgent(a));
            a.down = false;
            const opened = await proc.waitFor(/session open/, 120_000).then(
              () => true,
              () => {
                // Killed again before its session opened (another agent_kill): no recovery to time.
                if (proc.child.signalCode === "SIGKILL") return false;
                notes.push(`${a.name} restarted but no session in 120 s (exit ${proc.child.exitCode ?? "none: still running"}): ${proc.output().slice(-600).replace(/\s+/g, " ")}`);
                return true;
              },
            );
            if (opened) recoveries.push({ what: `${a.name} restart -> session open`, s: (performance.now() - t) / 1000 });
          })(),
        );
        return;
      }
      case "server_kill": {
        if (serverDown) return;
        serverDown = true;
        note(kind, "outpost-server");
        serverOutputs.push(server.proc.output());
        await server.proc.kill("SIGKILL");
        await sleep(rng.int(300, 3000));
        const t = performance.now();
        server = await startServer(db, serverArgs, token, { env: serverEnv });
        serverDown = false;
        recoveries.push({ what: "outpost-server restart -> up", s: (performance.now() - t) / 1000 });
        return;
      }
      case "partition_short":
      case "partition_long": {
        const ms = kind === "partition_short" ? rng.int(500, Math.max(600, o.leaseTtlS * 500)) : rng.int((o.leaseTtlS + o.graceS + 2) * 1000, (o.leaseTtlS + o.graceS + 6) * 1000);
        note(kind, `${a.name} ${ms} ms`);
        if (kind === "partition_long") partitions.push({ agent: a.name, at: Date.now() });
        const heal = a.proxy.blackhole();
        const from = a.proc.output().length;
        background.push(
          (async () => {
            const t = performance.now();
            await sleep(Math.max(0, ms - (performance.now() - t)));
            heal();
            const h = performance.now();
            await until(`${a.name} back`, async () => agentSession(a, from) || a.down, 120_000).catch(() => undefined);
            if (kind === "partition_long") recoveries.push({ what: `${a.name} partition healed -> session open`, s: (performance.now() - h) / 1000 });
          })(),
        );
        return;
      }
      case "delay": {
        const ms = rng.int(100, 800);
        note(kind, `${a.name} ${ms} ms for ${o.leaseTtlS} s`);
        const heal = a.proxy.delay(ms);
        background.push(sleep(o.leaseTtlS * 1000).then(heal));
        return;
      }
      case "cut":
        note(kind, `${a.name} (${a.proxy.cut()} connections)`);
        return;
      case "clock_step": {
        const skewed = agents.filter((x) => x.clockFile);
        if (!skewed.length) return;
        const s = rng.pick(skewed);
        const step = rng.pick(["-10m", "+10m", "-3m", "+90s"]);
        note(kind, `${s.name} to ${step} during a ${o.leaseTtlS + o.graceS + 2} s partition`);
        // The step lands while the agent is cut off: its fence must still come on time.
        writeFileSync(s.clockFile!, step);
        partitions.push({ agent: s.name, at: Date.now() });
        const heal = s.proxy.blackhole();
        background.push(sleep((o.leaseTtlS + o.graceS + 2) * 1000).then(heal));
        return;
      }
      case "server_clock_step": {
        if (!faketime) return;
        // Forward only, while leases run: the server's stored leases would all look expired at once.
        const stepS = rng.pick([90, 180, 300]);
        serverOffsetS += stepS;
        note(kind, `outpost-server +${stepS} s (now +${serverOffsetS} s)`);
        writeFileSync(serverClock, `+${serverOffsetS}s`);
        serverSteps.push({ fromMs: Date.now(), offsetS: serverOffsetS });
        return;
      }
      case "docker_restart": {
        // Docker restarted under the running agents: the soak's dockerd killed (-9 or TERM), back after a pause.
        if (dockerDown) return;
        dockerDown = true;
        const signal = rng.pick(["SIGKILL", "SIGTERM"] as const);
        const pause = rng.int(1000, 5000);
        note(kind, `dockerd ${signal}, down ${pause} ms`);
        await dockerd.kill(signal);
        background.push(
          (async () => {
            await sleep(pause);
            const t = performance.now();
            await dockerd.start();
            dockerDown = false;
            await reconcileTally();
            recoveries.push({ what: "dockerd restart -> API up (its running containers stopped)", s: (performance.now() - t) / 1000 });
          })(),
        );
        return;
      }
      case "disk_full": {
        if (!tmpfs || serverDown) return;
        const ms = rng.int(500, 3000);
        note(kind, `${ms} ms`);
        const filler = join(dataDir, "filler");
        const fd = openSync(filler, "w");
        const chunk = Buffer.alloc(1 << 20);
        try {
          for (;;) writeSync(fd, chunk);
        } catch {
          // ENOSPC: the disk is full.
        }
        closeSync(fd);
        // Writes while the disk is full (the WAL may still hold free pages, so until one is refused):
        // each is a 201 that is really stored (checked as a job like any other) or an error envelope, never a hang.
        let accepted = 0;
        for (let i = 0; i < 40; i++) {
          const probe = await call("POST", "/api/v1/jobs", { module: "chaos", function: "short", max_attempts: 5 });
          if (probe?.status === 201) {
            submitted.push(probe.body.details.id);
            accepted++;
            continue;
          }
          diskProbes.push(`${accepted} x 201 then ${probe ? `${probe.status} ${probe.body?.code ?? ""}`.trim() : "no answer"}`);
          break;
        }
        if (accepted === 40) diskProbes.push("40 x 201 (the disk never refused)");
        await sleep(ms);
        rmSync(filler, { force: true });
        return;
      }
      case "container_kill": {
        // Docker restarted under a running agent, as far as one agent's jobs see it: their containers
        // die (this run's only; the shared dockerd itself is never restarted).
        if (dockerDown) return;
        const mine = await docker.listContainers({ filters: { label: [TEST_RUN_LABEL_ARG], status: ["running"] } });
        if (!mine.length) return;
        const victims = mine.filter((c) => c.Labels["outpost.agent_id"] === mine[0]!.Labels["outpost.agent_id"]);
        note(kind, `${victims.length} container(s) of one agent`);
        await Promise.all(victims.map((c) => docker.getContainer(c.Id).kill().catch(() => undefined)));
        return;
      }
    }
  };

  const kinds = FAULT_KINDS.filter((k) => (k !== "disk_full" || tmpfs) && ((k !== "clock_step" && k !== "server_clock_step") || faketime));
  // Every kind once first (in a seeded order), then at random.
  const order = [...kinds].sort(() => rng.next() - 0.5);
  let injected = 0;
  while ((submitting || order.length) && injected++ < (o.maxFaults ?? Infinity) && performance.now() - t0 < o.deadlineMs) {
    await sleep(rng.int(o.faultGapMs[0], o.faultGapMs[1]));
    await inject(order.shift() ?? rng.pick(kinds)).catch((err) => notes.push(`fault failed: ${(err as Error).message.split("\n")[0]}`));
  }
  await submitter;
  await Promise.all(background);
  log(`all ${submitted.length} jobs submitted; faults over; waiting for the jobs to end`);

  // Every job is terminal: all the database holds, and every id the client was given.
  const terminal = new Set(["completed", "failed", "cancelled"]);
  const listAll = async () => {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const page = `/api/v1/jobs?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const r = await until("a page of jobs", async () => {
        if (server.proc.child.exitCode !== null || server.proc.child.signalCode !== null) throw new Error(`outpost-server exited on its own:\n${server.proc.output().slice(-2000)}`);
        const x = await call("GET", page);
        return x?.status === 200 ? x : null;
      }, 120_000);
      out.push(...r.body.details);
      cursor = r.body.next_cursor ?? null;
    } while (cursor);
    return out;
  };
  const remaining = Math.max(60_000, o.deadlineMs - (performance.now() - t0));
  await until("every job terminal", async () => (await listAll()).every((j) => terminal.has(j.status)), remaining).catch((err) => notes.push((err as Error).message));
  const all = await listAll();
  const byId = new Map(all.map((j) => [j.id as string, j]));
  for (const j of all.filter((x) => !terminal.has(x.status))) notes.push(`not terminal: ${j.id} ${j.status} attempt ${j.attempt} agent ${j.agent_id ?? "-"}`);
  let lost = submitted.filter((id) => !byId.has(id)).length + all.filter((j) => !terminal.has(j.status)).length;

  // Per job: the attempts, the tally, the stored logs.
  const failed: Record<string, number> = {};
  const logProblems: string[] = [];
  let overlapping = 0;
  let doubleRuns = 0;
  let retries = 0;
  let completed = 0;
  for (const j of all) {
    const d = (await call("GET", `/api/v1/jobs/${j.id}`))?.body?.details;
    if (!d) {
      lost++;
      continue;
    }
    if (d.status === "completed") completed++;
    else failed[`${d.status}:${d.error?.reason ?? "?"}`] = (failed[`${d.status}:${d.error?.reason ?? "?"}`] ?? 0) + 1;
    retries += Math.max(0, d.attempts.length - 1);
    const ran = [...(tally.get(j.id)?.entries() ?? [])].sort((x, y) => x[0] - y[0]);
    for (const [, rec] of ran) if (rec.count > 1) doubleRuns++;
    for (let i = 1; i < ran.length; i++) {
      const prev = ran[i - 1]![1];
      const cur = ran[i]![1];
      if (prev.die === undefined || prev.die > cur.start) overlapping++;
      const prevAttempt = d.attempts.find((x: { attempt: number }) => x.attempt === ran[i - 1]![0]);
      if (prevAttempt && prevAttempt.outcome !== "lost" && prevAttempt.outcome !== "released") doubleRuns++;
    }
    // Logs: per attempt, lines 1..k each once and in order; the final attempt of a completed job has all of them.
    const lr = await call("GET", `/api/v1/jobs/${j.id}/logs?limit=10000`);
    const text = ((lr?.body?.details ?? []) as { stream: string; data: string }[]).filter((c) => c.stream === "stdout").map((c) => c.data).join("");
    const seen = new Map<number, number[]>();
    for (const line of text.split("\n").filter(Boolean)) {
      const [jid, att, n] = line.split(" ");
      if (jid !== j.id) logProblems.push(`${j.id}: foreign line ${line}`);
      const arr = seen.get(Number(att)) ?? [];
      arr.push(Number(n));
      seen.set(Number(att), arr);
    }
    for (const [att, ns] of seen) {
      if (ns.some((n, i) => n !== i + 1)) logProblems.push(`${j.id} attempt ${att}: lines ${ns.slice(0, 12).join(",")}${ns.length > 12 ? ",..." : ""}`);
    }
    if (d.status === "completed" && (seen.get(d.attempt)?.length ?? 0) !== LINES[d.function]) {
      logProblems.push(`${j.id}: completed with ${seen.get(d.attempt)?.length ?? 0} of ${LINES[d.function]} lines stored`);
      // What the agents said of it, and what the server and Docker saw: to find the cause.
      const said = agentProcs.flatMap(({ name, proc }) => proc.output().split("\n").filter((l) => l.includes(j.id)).map((l) => `${name}: ${l.slice(0, 300)}`));
      notes.push(`log problem ${j.id}: attempts ${JSON.stringify(d.attempts)}; tally ${JSON.stringify([...(tally.get(j.id)?.entries() ?? [])])}; stored ${JSON.stringify(lr?.body?.details ?? null).slice(0, 600)}; agents: ${said.join(" | ").slice(0, 3000)}`);
    }
  }

  // Agents end Idle (connected) or Offline; no container of this run is left behind.
  const agentsEnd: Record<string, string> = {};
  await until("agents settled", async () => {
    const r = await call("GET", "/api/v1/agents?q=chaos-&search_by=name&limit=200");
    for (const x of r?.body?.details ?? []) agentsEnd[x.name] = x.status;
    return Object.values(agentsEnd).every((s) => AT_REST_OR_OFFLINE.includes(s)) && Object.keys(agentsEnd).length === o.agents;
  }, 30_000).catch(() => undefined);
  // Time to detect a lost agent: from a partition longer than the lease to the server's first
  // Unknown/Offline for that agent (its status history, written by the server).
  const detect: number[] = [];
  for (const p of partitions) {
    const id = (await call("GET", `/api/v1/agents?q=${p.agent}&search_by=name`))?.body?.details?.find((x: { name: string }) => x.name === p.agent)?.id;
    let seen: { to: string; at: string } | undefined;
    let cursor: string | null = null;
    do {
      const r = await call("GET", `/api/v1/agents/${id}/status-history?order=asc&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      seen = ((r?.body?.details ?? []) as { to: string; at: string }[]).find((h) => trueTime(Date.parse(h.at)) >= p.at && (h.to === "Unknown" || h.to === "Offline"));
      cursor = r?.body?.next_cursor ?? null;
    } while (!seen && cursor);
    if (seen) detect.push((trueTime(Date.parse(seen.at)) - p.at) / 1000);
  }
  let left = -1;
  await until("containers gone", async () => (left = (await docker.listContainers({ all: true, filters: { label: [TEST_RUN_LABEL_ARG] } })).length) === 0, 30_000).catch(() => undefined);

  serverOutputs.push(server.proc.output());
  const diskLogged = serverOutputs.some((s) => /SQLITE_FULL|ENOSPC|disk is full|database or disk is full/i.test(s));

  // Teardown: only what this run started.
  process.off("exit", killAll);
  tallyDone = true;
  (events as unknown as { destroy?: () => void } | null)?.destroy?.();
  for (const a of agents) {
    await a.proc.kill("SIGKILL");
    await a.proxy.close();
  }
  await server.proc.kill("SIGKILL");
  await removeTestRunContainers(docker);
  await dockerd.destroy();
  if (tmpfs) execFileSync("umount", ["--lazy", dataDir]);
  removeTestDir(dir);

  return {
    seed: o.seed,
    jobs: all.length,
    wall_s: Math.round((performance.now() - t0) / 1000),
    faults,
    fault_log: faultLog,
    completed,
    failed,
    lost,
    overlapping,
    double_runs_without_loss: doubleRuns,
    retries,
    log_problems: logProblems,
    agents_end: agentsEnd,
    containers_left: left,
    client_errors: clientErrors,
    unanswered_requests: unanswered,
    detect_lost_agent_s: detect.map((s) => Math.round(s * 10) / 10),
    slowest_recovery: recoveries.sort((x, y) => y.s - x.s)[0] ?? null,
    disk_full_errors_logged: diskLogged,
    disk_full_probes: diskProbes,
    notes,
  };
}
