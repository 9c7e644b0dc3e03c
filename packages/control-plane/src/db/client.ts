/**
 * Opens the SQLite database: pragmas for a single-writer server (WAL, foreign keys, a busy
 * timeout), then applies the committed drizzle-kit migrations.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.js";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** From src/db or dist/db alike: the package's drizzle/ folder. */
const MIGRATIONS = fileURLToPath(new URL("../../drizzle", import.meta.url));

export function openDb(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const db = drizzle(sqlite, { schema }) as Db;
  migrate(db, { migrationsFolder: MIGRATIONS });
  return db;
}

/**
 * Runs fn in one immediate transaction (takes the write lock first, so no upgrade deadlocks).
 * Inside a transaction already, fn simply joins it: the outermost caller owns commit and
 * rollback (the session hub batches many frames into one commit and gives each frame its own
 * savepoint).
 */
export function tx<T>(db: Db, fn: () => T): T {
  if (db.$client.inTransaction) return fn();
  return db.$client.transaction(fn).immediate();
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
