/**
 * The process edge: config, logger, database, app, listen; close on SIGTERM/SIGINT. Everything
 * else lives in app.ts and the feature modules.
 */
import { fileURLToPath } from "node:url";
import { DEFAULT_CONSOLE_DIR, DEFAULT_RELEASE_DIR } from "./paths.js";
import pino from "pino";
import type { FastifyInstance } from "fastify";
import type { ServerConfig } from "./config.js";
import { openDb, type Db } from "./db/client.js";
import { ensureInstallSecret } from "./lib/install.js";
import { createLogger } from "./lib/log.js";
import { EventBus } from "./modules/events/event-bus.js";
import { buildApp } from "./app.js";
import { bootstrapIfEmpty } from "./bootstrap.js";
import type { Deps } from "./deps.js";


export type RunningServer = { app: FastifyInstance; url: string; db: Db; deps: Deps; bootstrapToken: string | null; close: () => Promise<void> };

export function makeDeps(config: ServerConfig, db: Db, log = createLogger(config.logLevel, undefined, config.logFormat)): Deps {
  return { db, config, installSecret: ensureInstallSecret(db), events: new EventBus(), log, clock: Date.now };
}

/**
 * The accept queue's length (the kernel caps it at net.core.somaxconn): a fleet redialing at once
 * after a restart overflows Node's default of 511, and each overflowed dial costs the agent a
 * reset and a backoff (docs/performance.md, bench/fleet).
 */
export const LISTEN_BACKLOG = 4096;

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const db = openDb(config.db);
  const deps = makeDeps({ ...config, consoleDir: config.consoleDir ?? DEFAULT_CONSOLE_DIR, releaseDir: config.releaseDir ?? DEFAULT_RELEASE_DIR }, db);
  const app = await buildApp(deps);
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port, backlog: LISTEN_BACKLOG });
  } catch (err) {
    await app.close();
    db.$client.close();
    throw err;
  }
  // Only once listening: a start that fails (port taken) must not use up the one-time bootstrap
  // token, or the first successful start would have none to print.
  const bootstrapToken = bootstrapIfEmpty(db);
  const url = address.replace("[::1]", "127.0.0.1");
  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      db.$client.close();
    })());
  return { app, url, db, deps, bootstrapToken, close };
}
