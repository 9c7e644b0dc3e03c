/**
 * Opens the SQLite database: pragmas for a single-writer server (WAL, foreign keys, a busy
 * timeout), then applies the committed drizzle-kit migrations.
 *
 * Checkpoints run off the event loop. With synchronous = NORMAL a commit writes the WAL without
 * fsync; the fsyncs happen at checkpoints. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1000 WAL pages, so on a disk every few hundred commits stalled the server for a
 * checkpoint's fsyncs (tens of ms under load; docs/performance.md). For a file database one worker
 * thread per process checkpoints every open database (PASSIVE: never blocks the writer) every
 * CHECKPOINT_EVERY_MS, and the server's own automatic checkpoint only remains as a bound on the
 * WAL's size (WAL_BOUND_PAGES) for sustained writing, where the worker never quite catches up and
 * the log could not restart. Durability is what synchronous = NORMAL gives, with the window
 * bounded in time as well as in pages.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.js";
import { MIGRATIONS_DIR } from "../paths.js";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };


export function openDb(path: string): Db {
  if (path !== ":memory:" && !path.startsWith("file:")) ownerOnly(path);
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // The default page cache is 2 MB; the job tables and their indexes outgrow it quickly, and every
  // miss is a read syscall on the dispatch path. Temp b-trees (sorts) stay in memory.
  sqlite.pragma("cache_size = -65536");
  sqlite.pragma("temp_store = MEMORY");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  if (path !== ":memory:" && !path.startsWith("file:")) checkpointInBackground(sqlite, resolve(path));
  return db;
}

/**
 * The database holds every digest and the install's HMAC secret: only its owner may read it. Any
 * folder created for it is 0700; the file is created 0600 (and an existing one narrowed to 0600)
 * before SQLite opens it, and SQLite creates the -wal and -shm files with the database file's
 * permissions, so they end 0600 too. Leftover -wal/-shm files of an older start are narrowed here.
 */
function ownerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** How often the checkpointer copies committed WAL pages into the database file (and fsyncs). */
const CHECKPOINT_EVERY_MS = 200;
/** The server's connection checkpoints itself past this many WAL pages (about 40 MB). */
const WAL_BOUND_PAGES = 10_000;

// CommonJS, evaluated in the worker: one connection per open database that only ever runs PASSIVE
// checkpoints; closed after the server's own connection, so that last close checkpoints the rest.
// Each close is acknowledged through a shared counter, so the server's close returns only once the
// worker's connection is closed too (no file of the database is touched after close returns).
const CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const closed = new Int32Array(workerData.closed);
const open = new Map();
parentPort.on("message", (m) => {
  if (m.open !== undefined) {
    try { const d = new Database(m.path); d.pragma("busy_timeout = 1000"); open.set(m.open, d); } catch {}
  } else if (m.close !== undefined) {
    const d = open.get(m.close);
    open.delete(m.close);
    try { d && d.close(); } catch {}
    Atomics.add(closed, 0, 1);
    Atomics.notify(closed, 0);
  }
});
setInterval(() => {
  for (const d of open.values()) try { d.pragma("wal_checkpoint(PASSIVE)"); } catch {}
}, workerData.every);
`;

let checkpointer: Worker | null = null;
/** Counts the closes the worker has finished (shared with it). */
let closedCount: Int32Array | null = null;
/** How long a close waits for the worker to close its connection to the same database. */
const CLOSE_WAIT_MS = 5_000;
let nextDbKey = 0;
const checkpointed = new Set<Database.Database>();

function checkpointInBackground(sqlite: Database.Database, path: string): void {
  if (!checkpointer) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const shared = new SharedArrayBuffer(4);
    closedCount = new Int32Array(shared);
    checkpointer = new Worker(CHECKPOINTER, { eval: true, workerData: { driver, every: CHECKPOINT_EVERY_MS, closed: shared } });
    checkpointer.unref();
    // Should the worker die, every database goes back to SQLite's own automatic checkpoints.
    checkpointer.on("error", () => {
      checkpointer = null;
      for (const c of checkpointed) if (c.open) c.pragma("wal_autocheckpoint = 1000");
      checkpointed.clear();
    });
  }
  const worker = checkpointer;
  const counter = closedCount!;
  const key = nextDbKey++;
  sqlite.pragma(`wal_autocheckpoint = ${WAL_BOUND_PAGES}`);
  sqlite.pragma("journal_size_limit = 67108864");
  worker.postMessage({ open: key, path });
  checkpointed.add(sqlite);
  const close = sqlite.close.bind(sqlite);
  sqlite.close = () => {
    const r = close();
    if (!checkpointed.delete(sqlite)) return r; // closed twice, or the worker died
    const before = Atomics.load(counter, 0);
    worker.postMessage({ close: key });
    // Blocks this thread until the worker has closed its connection (a few ms at most).
    Atomics.wait(counter, 0, before, CLOSE_WAIT_MS);
    return r;
  };
}

/**
 * Runs fn in one immediate transaction (takes the write lock first, so no upgrade deadlocks).
 * Inside a transaction already, fn simply joins it: the outermost caller owns commit and
 * rollback (the session hub batches many frames into one commit and gives each frame its own
 * savepoint).
 */
export function tx<T>(db: Db, fn: () => T): T {
  if (db.$client.inTransaction) return fn();
  const observer = observers.get(db.$client);
  if (!observer) return runner(db).immediate(fn) as T;
  const start = performance.now();
  try {
    return runner(db).immediate(fn) as T;
  } finally {
    observer((performance.now() - start) / 1000);
  }
}

const observers = new WeakMap<Database.Database, (seconds: number) => void>();

/** Calls `observe` with the duration (begin to commit) of every outermost tx() on this database; returns the undo. */
export function observeTransactions(db: Db, observe: (seconds: number) => void): () => void {
  observers.set(db.$client, observe);
  return () => {
    if (observers.get(db.$client) === observe) observers.delete(db.$client);
  };
}

/**
 * Runs fn in a savepoint of the open transaction: a throw undoes only fn's writes (and rethrows).
 * Precondition: inside tx.
 */
export function savepoint(db: Db, fn: () => void): void {
  runner(db)(fn);
}

/** One transaction function per connection, built once: better-sqlite3 builds a wrapper per transaction() call. */
const runners = new WeakMap<Database.Database, Database.Transaction<(f: () => unknown) => unknown>>();

function runner(db: Db): Database.Transaction<(f: () => unknown) => unknown> {
  let run = runners.get(db.$client);
  if (!run) runners.set(db.$client, (run = db.$client.transaction((f: () => unknown) => f())));
  return run;
}

/** String literals for an `in (...)` term, quoted. Literals, not parameters: a partial index needs them. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(", ");
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement for this SQL on this database, prepared once and reused: the hot paths of
 * dispatch (claim, started, finished, agent status) run thousands of times a second and skip the
 * query builder.
 */
export function prepared(db: Db, text: string): Database.Statement {
  let byText = statements.get(db.$client);
  if (!byText) statements.set(db.$client, (byText = new Map()));
  let stmt = byText.get(text);
  if (!stmt) byText.set(text, (stmt = db.$client.prepare(text)));
  return stmt;
}
