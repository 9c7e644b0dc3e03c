/**
 * The agent's watchdog against a real `ws` server on port 0: the server's pings name the interval
 * of the pings to come (a large fleet is pinged less often than every heartbeat), and the agent
 * waits that interval plus two heartbeats (silentAfterMs) before it presumes the server gone.
 */
import { afterEach, expect, it } from "vitest";
import pino from "pino";
import type { WebSocketServer, WebSocket } from "ws";
import { PROTOCOL_VERSION } from "@outpost/shared";
import { AgentSession } from "../src/session/connection.js";
import { sessionServer } from "./support/session-server.js";

let wss: WebSocketServer | null = null;
let session: AgentSession | null = null;

afterEach(async () => {
  await session?.stop();
  await new Promise((r) => (wss ? wss.close(r) : r(null)));
  wss = session = null;
});

async function serve(onConnection: (ws: WebSocket) => void, welcome: Record<string, unknown> = {}): Promise<{ port: number; connections: () => number }> {
  const server = await sessionServer();
  wss = server.wss;
  let n = 0;
  wss.on("connection", (ws) => {
    n += 1;
    ws.once("message", () => {
      ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "welcome", protocol_version: PROTOCOL_VERSION, agent_id: "a", heartbeat_s: 1, lease_ttl_s: 120, max_frame_bytes: 1 << 20, server_time: new Date().toISOString(), resume: [], ...welcome }));
      onConnection(ws);
    });
  });
  return { port: server.port, connections: () => n };
}

function start(port: number): void {
  session = new AgentSession(
    { url: `http://127.0.0.1:${port}`, credential: "oagt_test", log: pino({ level: "silent" }) },
    { hello: () => ({ version: "t", slots: 1, modules: [], running: [] }), welcome: () => {}, frame: () => {}, fatal: () => {} },
  );
  session.start();
}

it("follows the interval a ping names: quiet for 6 s after a ping naming 5 s (heartbeat 1 s) is not a dead server", async () => {
  const s = await serve((ws) => setTimeout(() => ws.ping("5"), 200));
  start(s.port);
  await new Promise((r) => setTimeout(r, 6500));
  expect(s.connections()).toBe(1);
}, 15_000);

it("follows the interval the welcome names: quiet for 6 s after a welcome naming 5 s (heartbeat 1 s) is not a dead server", async () => {
  const s = await serve(() => {}, { ping_every_s: 5 });
  start(s.port);
  await new Promise((r) => setTimeout(r, 6500));
  expect(s.connections()).toBe(1);
}, 15_000);

it("still redials a server quiet for its interval plus two heartbeats (no interval named: three heartbeats)", async () => {
  const s = await serve(() => {});
  start(s.port);
  await new Promise((r) => setTimeout(r, 6500));
  expect(s.connections()).toBeGreaterThan(1);
}, 15_000);
