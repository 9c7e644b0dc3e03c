/**
 * The connect baseline: a bare `ws` server on the main thread (the server's process layout) that
 * answers each hello with a welcome after one SQLite commit (the app's pragmas via openDb). It
 * checks nothing else: the floor for "every agent holds welcome".
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { PROTOCOL_VERSION, SESSION_PATH } from "@outpost/shared";
import { LISTEN_BACKLOG, openDb, tx } from "@outpost/control-plane/testing";

export type BareServer = { url: string; close: () => Promise<void> };

export async function startBareServer(): Promise<BareServer> {
  const dir = mkdtempSync(join(tmpdir(), "outpost-fleet-bare-"));
  const db = openDb(join(dir, "bare.db"));
  db.$client.exec("create table hellos (id integer primary key, at text not null, hello text not null)");
  const insert = db.$client.prepare("insert into hellos (at, hello) values (?, ?)");
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, backlog: LISTEN_BACKLOG, path: SESSION_PATH, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    ws.on("message", (data) => {
      const f = JSON.parse(data.toString()) as { type: string };
      if (f.type !== "hello") return;
      const at = new Date().toISOString();
      tx(db, () => insert.run(at, data.toString()));
      ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "welcome", server_time: at }));
    });
  });
  await new Promise((r) => wss.once("listening", r));
  const { port } = wss.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
