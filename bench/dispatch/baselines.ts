/**
 * The two baselines, measured in the same run as the server:
 * (a) an echo WebSocket server that commits one insert (an immediate transaction, the app's
 *     pragmas via openDb) before it answers: one ws round trip plus one SQLite commit;
 * (b) a raw better-sqlite3 loop doing the rows a no-op job's lifecycle writes, one transaction per
 *     protocol step as the server does (claim, started, finished), with prepared statements and
 *     no candidate search: the floor for jobs/s on this disk and CPU.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { makeTestApp, openDb, sampleModule, sampleRegistration, tx } from "@outpost/control-plane/testing";
import { nowMs } from "./stats.js";

export type EchoServer = { url: string; close: () => Promise<void> };

export async function startEchoServer(): Promise<EchoServer> {
  const dir = mkdtempSync(join(tmpdir(), "outpost-bench-echo-"));
  const db = openDb(join(dir, "echo.db"));
  db.$client.exec("create table bench_echo (id integer primary key, at text not null, payload text not null)");
  const insert = db.$client.prepare("insert into bench_echo (at, payload) values (?, ?)");
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.on("message", (data) => {
      const text = data.toString();
      tx(db, () => insert.run(new Date().toISOString(), text));
      ws.send(text);
    });
  });
  await new Promise((r) => wss.once("listening", r));
  const { port } = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Jobs per second of the raw write loop over `n` pending jobs in a fresh database with the real migrations. */
export async function rawLifecycleLoop(n: number): Promise<{ n: number; seconds: number }> {
  const t = await makeTestApp();
  try {
    await t.api("POST", "/api/v1/modules", { body: sampleModule() });
    const reg = await t.api("POST", "/api/v1/agent", { body: sampleRegistration({ name: "raw", modules: [{ name: "hello", version: "1.0.0" }] }) });
    const agentId = reg.body.details.id as string;
    const c = t.deps.db.$client;
    const orgId = c.prepare("select org_id from agents where id = ?").pluck().get(agentId) as string;
    const at0 = new Date().toISOString();
    const ids = Array.from({ length: n }, (_, i) => `rawjob${String(i).padStart(8, "0")}`);
    const insertJob = c.prepare(
      "insert into jobs (id, org_id, module, version, function, inputs, status, limits, trigger_source, triggered_by, inserted_at, updated_at) values (?, ?, 'hello', '1.0.0', 'greet', '{\"who\":\"bench\"}', 'pending', '{}', 'api', 'bench', ?, ?)",
    );
    c.transaction(() => {
      for (const id of ids) insertJob.run(id, orgId, at0, at0);
    })();
    const claimJob = c.prepare(
      "update jobs set attempt = ?, agent_id = ?, claimed_at = ?, lease_expires_at = ?, exit_code = null, error_reason = null, error_message = null, error_step = null, status = 'claimed', updated_at = ? where id = ? and status in ('pending') and attempt = ?",
    );
    const insertAttempt = c.prepare("insert into job_attempts (job_id, attempt, agent_id, claimed_at) values (?, ?, ?, ?)");
    const startJob = c.prepare("update jobs set started_at = ?, lease_expires_at = ?, status = 'running', updated_at = ? where id = ? and status in ('claimed') and attempt = ?");
    const startAttempt = c.prepare("update job_attempts set started_at = ? where job_id = ? and attempt = ?");
    const finishJob = c.prepare(
      "update jobs set exit_code = ?, error_reason = null, error_message = null, error_step = null, completed_at = ?, lease_expires_at = null, status = 'completed', updated_at = ? where id = ? and status in ('claimed', 'running', 'cancelling') and attempt = ?",
    );
    const finishAttempt = c.prepare("update job_attempts set outcome = 'completed', ended_at = ?, exit_code = ?, error_reason = null, error_message = null where job_id = ? and attempt = ?");
    const agentStatus = c.prepare("update agents set status = ?, status_updated_at = ?, updated_at = ? where id = ? and status = ?");
    const history = c.prepare("insert into agent_status_history (agent_id, from_status, to_status, reason, job_id, at) values (?, ?, ?, ?, ?, ?)");
    let status = c.prepare("select status from agents where id = ?").pluck().get(agentId) as string;
    const moveAgent = (to: string, reason: string, jobId: string, at: string) => {
      agentStatus.run(to, at, at, agentId, status);
      history.run(agentId, status, to, reason, jobId, at);
      status = to;
    };
    const claim = c.transaction((id: string, at: string, lease: string) => {
      claimJob.run(1, agentId, at, lease, at, id, 0);
      insertAttempt.run(id, 1, agentId, at);
      moveAgent("Claimed", "job_claimed", id, at);
    });
    const start = c.transaction((id: string, at: string, lease: string) => {
      startJob.run(at, lease, at, id, 1);
      startAttempt.run(at, id, 1);
      moveAgent("ExecutingJob", "job_started", id, at);
    });
    const finish = c.transaction((id: string, at: string) => {
      finishJob.run(0, at, at, id, 1);
      finishAttempt.run(at, 0, id, 1);
      moveAgent("ExecutionSuccess", "job_succeeded", id, at);
    });
    const t0 = nowMs();
    for (const id of ids) {
      const at = new Date().toISOString();
      const lease = new Date(Date.now() + 120_000).toISOString();
      claim.immediate(id, at, lease);
      start.immediate(id, at, lease);
      finish.immediate(id, at);
    }
    const seconds = (nowMs() - t0) / 1000;
    const done = c.prepare("select count(*) from jobs where status = 'completed'").pluck().get() as number;
    if (done !== n) throw new Error(`raw loop: ${done} of ${n} jobs completed`);
    return { n, seconds };
  } finally {
    await t.close();
  }
}
