/**
 * The fleet process's tasks for the storm, spread and logs phases (client.ts registers them):
 * working agents (agent.ts) kept between tasks, and a log follower over SSE.
 */
import { nowMs } from "../dispatch/stats.js";
import { FleetAgent, FleetStats } from "./agent.js";
import type { FleetResult, FleetTask } from "./protocol.js";

type Task<K extends FleetTask["kind"]> = Extract<FleetTask, { kind: K }>;
type Result<K extends FleetTask["kind"]> = Extract<FleetResult, { kind: K }>;

let agents: FleetAgent[] = [];
let stats = new FleetStats();

const counters = () => ({ lapsed: stats.lapsed, stale: stats.stale, errors: stats.errors, redials: stats.redials, minMarginMs: Number.isFinite(stats.minMarginMs) ? stats.minMarginMs : null, firstError: stats.firstError });

/** Dials every agent at once; resolves when each holds welcome (and, with `expected`, when that many jobs are acked). */
async function agentsUp(task: Task<"agentsUp">): Promise<Result<"agentsUp">> {
  stats = new FleetStats();
  agents = task.credentials.map((c) => new FleetAgent(task.url, c, task.slots, task.mode, stats, task.linesPerJob));
  const t0 = nowMs();
  let welcomedAll = 0;
  await new Promise<void>((resolve) => {
    const seen = new Set<FleetAgent>();
    const check = () => {
      if (!welcomedAll && seen.size === agents.length) welcomedAll = nowMs();
      if (welcomedAll && stats.finishedAcks >= task.expected) resolve();
    };
    stats.onWelcome = (a) => {
      seen.add(a);
      check();
    };
    stats.onFinishedAck = check;
    for (const a of agents) a.dial();
  });
  stats.onWelcome = () => {};
  stats.onFinishedAck = () => {};
  const seconds = (nowMs() - t0) / 1000;
  const lines = { sent: stats.linesSent, acked: stats.linesAcked, seconds: stats.lastAckMs ? (stats.lastAckMs - stats.firstLineMs) / 1000 : 0 };
  return { kind: "agentsUp", seconds, welcomeSeconds: (welcomedAll - t0) / 1000, done: agents.map((a) => a.done), held: agents.reduce((n, a) => n + a.held.size, 0), lines, ...counters() };
}

/**
 * The storm: from now, every agent must be welcomed by a new session. With `drop`, every socket
 * is dropped at once here; without, the main process restarts the server meanwhile.
 */
async function storm(task: Task<"storm">): Promise<Result<"storm">> {
  const t0 = Date.now();
  const waiting = new Set(agents);
  const back: number[] = [];
  let maxWindowMs = 0;
  const lapsed0 = stats.lapsed;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`storm: ${waiting.size} agents not back after ${task.timeoutS} s`)), task.timeoutS * 1000);
    stats.onWelcome = (a) => {
      if (!waiting.delete(a)) return;
      back.push(a.welcomedAtMs);
      maxWindowMs = Math.max(maxWindowMs, a.lastWindowMs);
      if (!waiting.size) {
        clearTimeout(timer);
        resolve();
      }
    };
    if (task.drop) for (const a of agents) a.drop();
  });
  stats.onWelcome = () => {};
  // Every held lease is renewed once more after the storm before the counts are read.
  const renewedAfter = Date.now();
  await new Promise((r) => setTimeout(r, 2_500));
  return { kind: "storm", startedAtMs: t0, backAtMs: back, maxWindowMs, held: agents.reduce((n, a) => n + a.held.size, 0), lapsedDuring: stats.lapsed - lapsed0, renewedAfter, ...counters() };
}

/** Every agent finishes what it holds; resolves once every finished is acknowledged. */
async function finishAll(task: Task<"finishAll">): Promise<Result<"finishAll">> {
  const held = agents.reduce((n, a) => n + a.held.size, 0);
  const target = stats.finishedAcks + held;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`finishAll: ${target - stats.finishedAcks} finished not acked after ${task.timeoutS} s`)), task.timeoutS * 1000);
    stats.onFinishedAck = () => {
      if (stats.finishedAcks < target) return;
      clearTimeout(timer);
      resolve();
    };
    if (held === 0) stats.onFinishedAck();
    for (const a of agents) a.finishAll();
  });
  stats.onFinishedAck = () => {};
  return { kind: "finishAll", finished: held, ...counters() };
}

async function agentsDown(): Promise<Result<"agentsDown">> {
  const n = agents.length;
  await Promise.all(agents.map((a) => a.stop()));
  agents = [];
  return { kind: "agentsDown", closed: n };
}

/**
 * Follows each job's log over SSE (`?follow=1`) until its `end` event: for every line, the delay
 * from the time stamped in it (`t=<ms>`, by the agent that sent it) to its arrival here.
 */
async function follow(task: Task<"follow">): Promise<Result<"follow">> {
  const delays: number[] = [];
  const lines = await Promise.all(
    task.jobIds.map(async (id) => {
      const res = await fetch(`${task.url}/api/v1/jobs/${id}/logs?follow=1`, { headers: { authorization: `Bearer ${task.token}` } });
      if (res.status !== 200 || !res.body) throw new Error(`follow ${id}: HTTP ${res.status}`);
      const decoder = new TextDecoder();
      let buf = "";
      let n = 0;
      process.send?.({ opened: id }); // the main process starts the jobs once every follower is open
      for await (const part of res.body) {
        buf += decoder.decode(part as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const event = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          if (event.startsWith("event: end")) return n;
          const data = event.split("\n").find((l) => l.startsWith("data: "));
          const m = data && /"data":"t=(\d+) /.exec(data);
          if (!m) continue;
          delays.push(Date.now() - Number(m[1]));
          n++;
        }
      }
      return n;
    }),
  );
  return { kind: "follow", lines: lines.reduce((a, b) => a + b, 0), delaysMs: delays };
}

export const agentTasks = { agentsUp, storm, finishAll, agentsDown, follow } as const;
