/**
 * The start-up calls to the server (registration, the catalog check of each --module): a server
 * that is restarting, overloaded or out of disk (5xx, 429) is retried, not taken as a refusal that
 * ends the agent (issue 17: an agent restarted during the soak's full disk exited and stayed away).
 * Each call is walked over every such status against a real HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { catalogImage, register } from "../src/host/identity.js";
import { FatalError } from "../src/errors.js";

let server: Server;
let url: string;
let answer = 503;
const dataDir = mkdtempSync(join(tmpdir(), "outpost-identity-"));
const stored = { url: "", agent_id: "a1", credential: "cred", registered_at: new Date().toISOString() };

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(answer, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "error", code: "x", message: `answered ${answer}` }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  stored.url = url;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const calls = {
  register: () => register({ url, dataDir, stored, body: {} as never }),
  catalogImage: () => catalogImage({ url, dataDir, stored }, { name: "m", version: "1.0.0" }),
};

for (const [name, call] of Object.entries(calls)) {
  for (const status of [500, 502, 503, 507, 429]) {
    it(`${name}: a ${status} is retried (a plain error), not fatal`, async () => {
      answer = status;
      const err = await call().then(() => null, (e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(FatalError);
    });
  }
  it(`${name}: a 403 is a refusal (fatal)`, async () => {
    answer = 403;
    await expect(call()).rejects.toBeInstanceOf(FatalError);
  });
}
