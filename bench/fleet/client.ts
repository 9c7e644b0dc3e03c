/**
 * The simulated fleet, in a second process (forked by run.ts) so the server keeps its own process,
 * its own core and its own file-descriptor limit (10,000 sockets a side): lean protocol
 * agents over real `ws` (frames JSON-parsed without zod), dialing all at once. The same client
 * dials the baseline server, which speaks just enough of the handshake (hello -> welcome).
 */
import WebSocket from "ws";
import { PROTOCOL_VERSION, SESSION_PATH, type AgentFrame } from "@outpost/shared";
import type { FleetResult, FleetTask } from "./protocol.js";
import { nowMs } from "../dispatch/stats.js";
import { RawHttp } from "../dispatch/raw-http.js";
import { DEFAULT_BACKOFF, fullJitter } from "../../packages/daemon/src/session.js";

const MODULE = { name: "hello", version: "1.0.0" };
let fleet: WebSocket[] = [];

/** Every frame the fleet sends: typed against the shared schema, so each carries the envelope's `v`. */
function sendFrame(ws: WebSocket, frame: AgentFrame): void {
  ws.send(JSON.stringify(frame));
}

/**
 * Dials every credential at once; resolves once all hold `welcome` and have sent `ready`. A dial
 * refused before the handshake (a full accept queue resets it) is redialed as the real agent does
 * (full jitter on DEFAULT_BACKOFF); a close after the upgrade is a failure.
 */
function connect(task: Extract<FleetTask, { kind: "connect" }>): Promise<FleetResult> {
  const t0 = nowMs();
  let welcomed = 0;
  let failed = 0;
  let redials = 0;
  let firstError: string | null = null;
  const url = task.url.replace(/^http/, "ws") + SESSION_PATH;
  return new Promise((resolve) => {
    const settle = () => {
      if (welcomed + failed === task.credentials.length) resolve({ kind: "connect", seconds: (nowMs() - t0) / 1000, welcomed, failed, redials, firstError });
    };
    const dial = (credential: string, attempt: number) => {
      const ws = new WebSocket(url, task.subprotocol ?? undefined, { headers: { authorization: `Bearer ${credential}` }, perMessageDeflate: false });
      let opened = false;
      let done = false;
      const lost = (why: string) => {
        if (done) return;
        done = true;
        if (!opened && attempt < 8) {
          redials++;
          setTimeout(() => dial(credential, attempt + 1), fullJitter(attempt, DEFAULT_BACKOFF));
          return;
        }
        failed++;
        firstError ??= why;
        settle();
      };
      ws.on("open", () => {
        opened = true;
        fleet.push(ws);
        sendFrame(ws, { v: PROTOCOL_VERSION, type: "hello", protocol_version: PROTOCOL_VERSION, version: "bench", slots: task.slots, modules: [MODULE], running: [] });
      });
      ws.on("message", (data) => {
        const f = JSON.parse(data.toString()) as { type: string };
        if (f.type === "welcome" && !done) {
          sendFrame(ws, { v: PROTOCOL_VERSION, type: "ready", free_slots: task.slots });
          done = true;
          welcomed++;
          settle();
        }
      });
      ws.on("error", (err) => lost(String(err)));
      ws.on("close", (code, reason) => lost(`closed ${code} ${reason.toString()}`));
    };
    for (const credential of task.credentials) dial(credential, 0);
  });
}

/** Requests as fast as `concurrency` clients with one request in flight each can send them. */
async function http(task: Extract<FleetTask, { kind: "http" }>): Promise<FleetResult> {
  const lanes = await Promise.all(Array.from({ length: task.concurrency }, () => RawHttp.open(task.url)));
  let next = 0;
  const t0 = nowMs();
  await Promise.all(
    lanes.map(async (lane) => {
      const request = lane.build(task.method, task.path, task.headers, task.body);
      while (next < task.n) {
        next++;
        await lane.send(request, task.expect);
      }
    }),
  );
  const seconds = (nowMs() - t0) / 1000;
  for (const lane of lanes) lane.close();
  return { kind: "http", n: task.n, seconds };
}

async function close(): Promise<FleetResult> {
  const open = fleet.filter((ws) => ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING);
  await Promise.all(open.map((ws) => new Promise<void>((r) => { ws.once("close", () => r()); ws.terminate(); })));
  fleet = [];
  return { kind: "close", closed: open.length };
}

const tasks = { connect, http, close } as const;

process.on("message", (task: FleetTask) => {
  (tasks[task.kind] as (t: FleetTask) => Promise<FleetResult>)(task).then(
    (r) => process.send!({ ok: true, result: r }),
    (err: Error) => process.send!({ ok: false, error: err.stack ?? String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
