/**
 * Target 6, logs (`--phases logs`): `--log-jobs` jobs, one per one-slot agent, print
 * `--log-lines` lines each as fast as the acks allow (agent.ts, `print`: logs frames of 256
 * one-line chunks, as the real agent batches them, at most two frames unacknowledged per job).
 * Lines stored per second (first line sent to last logs_ack) against a raw better-sqlite3 insert
 * loop of the same rows into the same table afterwards (one transaction per 256 rows, a frame's
 * worth). Meanwhile `--log-followers` SSE followers (`GET /api/v1/jobs/:id/logs?follow=1`), in a
 * third process, time each line from the `t=<ms>` the agent stamped in it to its arrival.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LISTEN_BACKLOG, makeTestApp, sampleModule } from "@outpost/control-plane/testing";
import { nowMs } from "../dispatch/stats.js";
import { rate, summarize, verdict, type PhaseContext } from "./phase.js";
import type { FleetResult } from "./protocol.js";
import { queueJobs, registerAgents, retryBudget } from "./register.js";

const FRAME_ROWS = 256;

type Row = { job_id: string; attempt: number; seq: number; stream: string; data: string; at: string };

/** The raw baseline: the stored rows deleted and inserted again by a prepared statement, FRAME_ROWS per transaction. */
function rawInsertLoop(c: import("better-sqlite3").Database): { rows: number; seconds: number } {
  const rows = c.prepare("select job_id, attempt, seq, stream, data, at from job_logs").all() as Row[];
  c.exec("delete from job_logs");
  const insert = c.prepare("insert into job_logs (job_id, attempt, seq, stream, data, at) values (?, ?, ?, ?, ?, ?)");
  const batch = c.transaction((from: number) => {
    for (let i = from; i < Math.min(rows.length, from + FRAME_ROWS); i++) {
      const r = rows[i]!;
      insert.run(r.job_id, r.attempt, r.seq, r.stream, r.data, r.at);
    }
  });
  const t0 = nowMs();
  for (let i = 0; i < rows.length; i += FRAME_ROWS) batch(i);
  return { rows: rows.length, seconds: (nowMs() - t0) / 1000 };
}

/** The followers run in a process of their own (client.ts's `follow`): resolves once each stream is open. */
function startFollowers(url: string, token: string, jobIds: string[]): { opened: Promise<void>; result: Promise<Extract<FleetResult, { kind: "follow" }>>; kill: () => void } {
  const child = fork(fileURLToPath(new URL("./client.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  let open = 0;
  let onOpen = () => {};
  const opened = new Promise<void>((r) => (onOpen = r));
  const result = new Promise<Extract<FleetResult, { kind: "follow" }>>((resolve, reject) => {
    child.on("message", (m: { opened?: string; ok?: boolean; result?: Extract<FleetResult, { kind: "follow" }>; error?: string }) => {
      if (m.opened) return void (++open === jobIds.length && onOpen());
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    });
  });
  child.send({ kind: "follow", url, token, jobIds });
  return { opened, result, kill: () => child.kill() };
}

export async function logsPhase({ ask, results, load, args }: PhaseContext): Promise<void> {
  const jobs = Number(args["log-jobs"]);
  const lines = Number(args["log-lines"]);
  const following = Math.min(jobs, Number(args["log-followers"]));
  console.log(`\n## logs: ${jobs} jobs printing ${lines} lines each as fast as acks allow, ${following} followers (load ${load()})`);
  const t = await makeTestApp();
  await retryBudget("POST /api/v1/modules", () => t.api("POST", "/api/v1/modules", { body: sampleModule() }));
  const credentials = registerAgents(t.deps.db, t.deps.installSecret, jobs, "logs");
  const url = await t.app.listen({ host: "127.0.0.1", port: 0, backlog: LISTEN_BACKLOG });
  const jobIds = queueJobs(t.deps.db, jobs, "logs");
  const followers = startFollowers(url, t.adminToken, jobIds.slice(0, following));
  try {
    await followers.opened;
    const run = await ask<"agentsUp">({ kind: "agentsUp", url, credentials, slots: 1, mode: "print", linesPerJob: lines, expected: jobs });
    const seen = await followers.result;
    await ask<"agentsDown">({ kind: "agentsDown" });
    const c = t.deps.db.$client;
    const stored = c.prepare("select count(*) from job_logs").pluck().get() as number;
    const ourRate = stored / run.lines.seconds;
    const raw = rawInsertLoop(c);
    const rawRate = raw.rows / raw.seconds;
    const ratio = ourRate / rawRate;
    const delay = summarize(seen.delaysMs);
    const complete = stored === jobs * lines && seen.lines === following * lines;
    console.log(`| measure | Outpost (agents -> logs frames -> job_logs) | raw better-sqlite3 loop, ${FRAME_ROWS} rows per commit | ratio |\n|---|---|---|---|`);
    console.log(`| lines stored | ${rate(ourRate)} (${stored} in ${run.lines.seconds.toFixed(2)} s) | ${rate(rawRate)} (${raw.rows} in ${raw.seconds.toFixed(2)} s) | ${ratio.toFixed(2)}x |`);
    console.log(`follower delay (stamped at the agent -> SSE arrival), ${seen.lines} lines over ${following} followers: p50 ${delay.p50.toFixed(1)} ms, p99 ${delay.p99.toFixed(1)} ms, max ${Math.max(...seen.delaysMs).toFixed(1)} ms`);
    if (run.firstError) console.log(`first agent error: ${run.firstError}`);
    console.log(`target 6 (lines stored at least 0.5x of the raw loop; follower p99 within 100 ms): ${verdict(ratio >= 0.5 && delay.p99 <= 100 && complete)}${complete ? "" : `; INCOMPLETE: ${stored} stored, ${seen.lines} followed`}`);
    results.logs = { stored, seconds: run.lines.seconds, ourRate, rawRate, ratio, follower: delay, load: load() };
  } finally {
    followers.kill();
    await t.close();
  }
}
