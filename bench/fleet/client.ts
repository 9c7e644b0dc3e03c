/**
 * The simulated fleet, in a worker thread so the server keeps the main thread: lean protocol
 * agents over real `ws` (frames JSON-parsed without zod), dialing all at once. The same client
 * dials the baseline server, which speaks just enough of the handshake (hello -> welcome).
 */
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";
import { PROTOCOL_VERSION, SESSION_PATH } from "@outpost/shared";
import type { FleetResult, FleetTask } from "./protocol.js";
import { nowMs } from "../dispatch/stats.js";

const MODULE = { name: "hello", version: "1.0.0" };
let fleet: WebSocket[] = [];

/** Dials every credential at once; resolves once all hold `welcome` and have sent `ready`. */
function connect(task: Extract<FleetTask, { kind: "connect" }>): Promise<FleetResult> {
  const t0 = nowMs();
  let welcomed = 0;
  let failed = 0;
  let firstError: string | null = null;
  const url = task.url.replace(/^http/, "ws") + SESSION_PATH;
  return new Promise((resolve) => {
    const settle = () => {
      if (welcomed + failed === task.credentials.length) resolve({ kind: "connect", seconds: (nowMs() - t0) / 1000, welcomed, failed, firstError });
    };
    const fail = (why: string) => {
      failed++;
      firstError ??= why;
      settle();
    };
    for (const credential of task.credentials) {
      const ws = new WebSocket(url, task.subprotocol ?? undefined, { headers: { authorization: `Bearer ${credential}` }, perMessageDeflate: false });
      fleet.push(ws);
      let done = false;
      ws.on("open", () => ws.send(JSON.stringify({ type: "hello", protocol_version: PROTOCOL_VERSION, version: "bench", slots: task.slots, modules: [MODULE], running: [] })));
      ws.on("message", (data) => {
        const f = JSON.parse(data.toString()) as { type: string };
        if (f.type === "welcome" && !done) {
          ws.send(JSON.stringify({ type: "ready", free_slots: task.slots }));
          done = true;
          welcomed++;
          settle();
        }
      });
      ws.on("error", (err) => {
        if (!done) {
          done = true;
          fail(String(err));
        }
      });
      ws.on("close", (code, reason) => {
        if (!done) {
          done = true;
          fail(`closed ${code} ${reason.toString()}`);
        }
      });
    }
  });
}

async function close(): Promise<FleetResult> {
  const open = fleet.filter((ws) => ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING);
  await Promise.all(open.map((ws) => new Promise<void>((r) => { ws.once("close", () => r()); ws.terminate(); })));
  fleet = [];
  return { kind: "close", closed: open.length };
}

const tasks = { connect, close } as const;

parentPort!.on("message", (task: FleetTask) => {
  (tasks[task.kind] as (t: FleetTask) => Promise<FleetResult>)(task).then(
    (r) => parentPort!.postMessage({ ok: true, result: r }),
    (err: Error) => parentPort!.postMessage({ ok: false, error: err.stack ?? String(err) }),
  );
});
