/**
 * A real app over a real SQLite file with the real migrations, for app.inject() tests.
 * `api` sends JSON with a bearer token and returns status + parsed body.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../app.js";
import { loadConfig, type ServerConfig } from "../config.js";
import { openDb } from "../db/client.js";
import { ADMIN_USER, bootstrapIfEmpty, mintToken, type MintOptions } from "../bootstrap.js";
import { makeDeps } from "../server.js";
import type { Deps } from "../deps.js";

export type TestApp = {
  app: FastifyInstance;
  deps: Deps;
  adminToken: string;
  dir: string;
  api: <T = any>(method: string, url: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }) => Promise<{ status: number; body: T }>;
  mint: (opts: MintOptions) => string;
  close: () => Promise<void>;
};

/** opts.log: the app's logger (default silent), e.g. one writing into a test's buffer. */
export async function makeTestApp(overrides: Partial<ServerConfig> = {}, opts: { log?: Logger } = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "outpost-test-"));
  const config = { ...loadConfig({}, {}), db: join(dir, "outpost.db"), logLevel: "silent" as const, ...overrides };
  const db = openDb(config.db);
  // A kept database (config.db given, already bootstrapped) gets a fresh admin token.
  const adminToken = bootstrapIfEmpty(db) ?? mintToken(db, { user: ADMIN_USER, admin: true, name: "test" });
  const deps = makeDeps(config, db, opts.log ?? pino({ level: "silent" }));
  const app = await buildApp(deps);
  await app.ready();
  const api: TestApp["api"] = async (method, url, opts = {}) => {
    const token = opts.token === undefined ? adminToken : opts.token;
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers };
    const res = await app.inject({ method: method as never, url, headers, ...(opts.body !== undefined ? { payload: opts.body as never } : {}) });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {
      // not JSON: leave the text
    }
    return { status: res.statusCode, body: body as never };
  };
  return {
    app,
    deps,
    adminToken,
    dir,
    api,
    mint: (opts) => mintToken(db, opts),
    close: async () => {
      await app.close();
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sampleRegistration = (over: Record<string, unknown> = {}) => ({
  name: "Build Box",
  hostname: "build-box.local",
  os: { platform: "linux", distro: "Debian GNU/Linux", release: "12", kernel: "6.1.0", arch: "x64" },
  version: "0.1.0",
  modules: [],
  ...over,
});

export const sampleModule = (over: Record<string, unknown> = {}) => ({
  name: "hello",
  version: "1.0.0",
  image: "outpost-test/busybox:1",
  functions: [
    {
      name: "greet",
      display_name: "Greet",
      command: ["sh", "-c", "echo hello"],
      input_schema: { type: "object", properties: { who: { type: "string" } }, required: ["who"], additionalProperties: false },
      defaults: { timeout_s: 60 },
    },
  ],
  ...over,
});
