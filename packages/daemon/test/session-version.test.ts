/**
 * The agent's side of the envelope's `v`, against a real `ws` server on port 0 that plays a server
 * of another protocol version: the agent's own frames carry v = PROTOCOL_VERSION, and a server
 * frame whose v is missing or another version closes the session with 4004 and stops the agent
 * (fatal, so it exits 2 saying what to do) rather than being read as this version's.
 */
import { afterEach, expect, it } from "vitest";
import pino from "pino";
import type { WebSocketServer } from "ws";
import { CLOSE, PROTOCOL_VERSION } from "@outpost/shared";
import { AgentSession } from "../src/session/connection.js";
import { sessionServer } from "./support/session-server.js";

let wss: WebSocketServer | null = null;
let session: AgentSession | null = null;

afterEach(async () => {
  await session?.stop();
  await new Promise((r) => (wss ? wss.close(r) : r(null)));
  wss = session = null;
});

it.each([
  ["missing", {}],
  ["2", { v: PROTOCOL_VERSION + 1 }],
])("a server frame with v %s closes the session with 4004 and stops the agent", async (said, envelope) => {
  const server = await sessionServer();
  wss = server.wss;
  const hello = new Promise<unknown>((resolve) => wss!.on("connection", (ws) => ws.once("message", (d) => resolve(JSON.parse(d.toString())))));
  const closedWith = new Promise<number>((resolve) =>
    wss!.on("connection", (ws) => {
      ws.once("message", () => ws.send(JSON.stringify({ ...envelope, type: "welcome", protocol_version: PROTOCOL_VERSION, agent_id: "a", heartbeat_s: 10, lease_ttl_s: 120, max_frame_bytes: 1, server_time: "2026-01-01T00:00:00Z", resume: [] })));
      ws.once("close", (code) => resolve(code));
    }),
  );
  const { port } = server;
  let welcomed = false;
  const fatal = new Promise<string>((resolve) => {
    session = new AgentSession(
      { url: `http://127.0.0.1:${port}`, credential: "oagt_test", log: pino({ level: "silent" }) },
      { hello: () => ({ version: "t", slots: 1, modules: [], running: [] }), welcome: () => (welcomed = true), frame: () => {}, fatal: resolve },
    );
    session.start();
  });
  expect(await hello).toEqual({ v: PROTOCOL_VERSION, type: "hello", protocol_version: PROTOCOL_VERSION, version: "t", slots: 1, modules: [], running: [] });
  expect(await closedWith).toBe(CLOSE.unsupportedVersion);
  expect(await fatal).toMatch(new RegExp(`^the server speaks a protocol version this outpost-agent does not \\(v: ${said}; this side speaks protocol version ${PROTOCOL_VERSION}\\): run the same version of both \\(close 4004`));
  expect(welcomed).toBe(false);
});
