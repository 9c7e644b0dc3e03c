/**
 * `outpost-server serve | token create | migrate | backup`: flags parsed with node:util, one clear line per error;
 * `--help`/`-h` on each command prints its usage and exit codes to stdout.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { bootstrapTokenPath, ConfigError, loadConfig } from "./config.js";
import { openDb } from "./db/client.js";
import { mintToken, writeBootstrapToken } from "./bootstrap.js";
import { startServer } from "./server.js";
import { SERVER_VERSION } from "./version.js";
import { HELP, OVERVIEW } from "./help.js";
import { MIGRATIONS_DIR } from "./paths.js";
import type { TokenScope } from "@outpost/shared";

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      db: { type: "string" },
      "lease-ttl": { type: "string" },
      "lease-grace": { type: "string" },
      "heartbeat": { type: "string" },
      "default-job-timeout": { type: "string" },
      "console-dir": { type: "string" },
      "release-dir": { type: "string" },
      "log-level": { type: "string" },
      "log-format": { type: "string" },
      "bootstrap-token-file": { type: "string" },
      "auth-fail-max": { type: "string" },
      "auth-fail-window": { type: "string" },
      "rate-limit-max": { type: "string" },
      "rate-limit-window": { type: "string" },
    },
  });
  const config = loadConfig({
    bootstrapTokenFile: values["bootstrap-token-file"],
    host: values.host,
    port: values.port,
    db: values.db,
    leaseTtlS: values["lease-ttl"],
    leaseGraceS: values["lease-grace"],
    heartbeatS: values.heartbeat,
    defaultJobTimeoutS: values["default-job-timeout"],
    consoleDir: values["console-dir"],
    releaseDir: values["release-dir"],
    logLevel: values["log-level"],
    logFormat: values["log-format"],
    authFailMax: values["auth-fail-max"],
    authFailWindowS: values["auth-fail-window"],
    rateLimitMax: values["rate-limit-max"],
    rateLimitWindowS: values["rate-limit-window"],
  });
  // Signal handlers go in before anything is printed: whoever reads the URL line may send SIGTERM
  // at once, and a signal that arrives while starting still closes the server cleanly.
  const starting = startServer(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    starting
      .then((server) => {
        server.app.log.info({ signal }, "shutting down");
        return server.close();
      })
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const server = await starting;
  // The bootstrap lines are log records in the chosen format, at info whatever --log-level says
  // (scripts and people wait for them); the URL and the file are followed by a space in the message.
  const boot = server.app.log.child({}, { level: "info" });
  boot.info({ url: server.url, db: config.db }, `Outpost is up at ${server.url} (console and API)`);
  if (server.bootstrapToken) {
    // Never into the log: stdout is often a file others can read (server.log, a journal). The file
    // is the owner's alone; a terminal, when stdout is one, is the operator's own screen.
    try {
      const file = writeBootstrapToken(bootstrapTokenPath(config), server.bootstrapToken);
      boot.info({ file }, `Bootstrap admin token written to ${file} (mode 0600, shown once); read it with: cat ${file}`);
    } catch (err) {
      boot.error({ err: (err as Error).message }, `cannot write the bootstrap token file; mint an admin token with: outpost-server token create --admin --name NAME --db ${config.db}`);
    }
    if (process.stdout.isTTY) process.stdout.write(`Bootstrap admin token (shown once, keep it safe):\n${server.bootstrapToken}\n`);
  }
}

function tokenCreate(args: string[]): void {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      admin: { type: "boolean" },
      user: { type: "string" },
      org: { type: "string" },
      scopes: { type: "string" },
      name: { type: "string" },
      db: { type: "string" },
    },
  });
  if (!values.name) fail("--name is required");
  if (!values.admin && !values.user) fail("give --admin or --user NAME");
  if (values.admin && values.scopes) fail("--scopes does not go with --admin (admin tokens hold every scope)");
  const config = loadConfig({ db: values.db });
  const db = openDb(config.db);
  try {
    const secret = mintToken(db, {
      user: values.user ?? "admin",
      admin: values.admin ?? false,
      org: values.org,
      name: values.name,
      scopes: values.scopes ? (values.scopes.split(",").map((s) => s.trim()).filter(Boolean) as TokenScope[]) : undefined,
    });
    process.stdout.write(`${secret}\n`);
  } finally {
    db.$client.close();
  }
}

/** Applies the committed migrations the database lacks and says where it stands; `serve` does the same at start. */
function migrateCommand(args: string[]): void {
  const { values } = parseArgs({ args, strict: true, options: { db: { type: "string" } } });
  const config = loadConfig({ db: values.db });
  const db = openDb(config.db);
  try {
    const applied = (db.$client.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n;
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as { entries: { tag: string }[] };
    const latest = journal.entries[applied - 1]?.tag ?? "none";
    process.stdout.write(`${config.db}: ${applied} of ${journal.entries.length} migrations applied, latest ${latest}\n`);
  } finally {
    db.$client.close();
  }
}

/**
 * A consistent copy of a live database through SQLite's online backup API: the server may keep
 * writing meanwhile (the copy restarts the pages a write touched). The copy is created 0600 like the
 * database (it holds every digest and the install's secret), never over an existing file, and is
 * checked with `quick_check` before the command says it is done.
 */
async function backupCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, strict: true, options: { db: { type: "string" }, to: { type: "string" } } });
  if (!values.to) fail("--to FILE is required");
  const config = loadConfig({ db: values.db });
  if (config.db === ":memory:" || !existsSync(config.db)) fail(`--db ${config.db}: no database file there`);
  const to = resolve(values.to);
  try {
    closeSync(openSync(to, "wx", 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(code === "EEXIST" ? `--to ${values.to}: the file exists (a backup never overwrites one)` : `--to ${values.to}: cannot create it (${code})`);
  }
  const source = new Database(config.db, { fileMustExist: true });
  try {
    source.pragma("busy_timeout = 5000");
    const { totalPages } = await source.backup(to);
    const copy = new Database(to, { readonly: true });
    try {
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new Error(`the copy at ${to} failed quick_check: ${String(check)}`);
    } finally {
      copy.close();
    }
    process.stdout.write(`backed up ${config.db} to ${to} (${totalPages} pages, ${statSync(to).size} bytes, quick_check ok)\n`);
  } finally {
    source.close();
  }
}

const isHelp = (a: string | undefined) => a === "--help" || a === "-h";

export async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  let topic: keyof typeof HELP | undefined;
  try {
    if (command === "--version" || command === "-v" || command === "version") {
      process.stdout.write(`${SERVER_VERSION}\n`);
      return;
    }
    if (command === undefined || isHelp(command) || command === "help") {
      process.stdout.write(`${OVERVIEW}\n`);
      if (command === undefined) process.exit(1);
      return;
    }
    if (command === "serve") {
      topic = "serve";
      const args = [sub, ...rest].filter((x): x is string => x !== undefined);
      if (args.some(isHelp)) return void process.stdout.write(`${HELP.serve}\n`);
      return await serve(args);
    }
    for (const [name, run] of [["migrate", migrateCommand], ["backup", backupCommand]] as const) {
      if (command !== name) continue;
      topic = name;
      const args = [sub, ...rest].filter((x): x is string => x !== undefined);
      if (args.some(isHelp)) return void process.stdout.write(`${HELP[name]}\n`);
      return await run(args);
    }
    if (command === "token" && (isHelp(sub) || sub === undefined)) return void process.stdout.write(`${HELP["token create"]}\n`);
    if (command === "token" && sub === "create") {
      topic = "token create";
      if (rest.some(isHelp)) return void process.stdout.write(`${HELP["token create"]}\n`);
      return tokenCreate(rest);
    }
    fail(`unknown command "${[command, sub].filter(Boolean).join(" ")}"`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: string };
    let line: string;
    if (err instanceof UsageError || err instanceof ConfigError) line = err.message;
    else if (e.code === "EADDRINUSE") line = `port is already in use (${e.message})`;
    else if (e.code === "EACCES") line = `permission denied: ${e.message}`;
    else if (e.code?.startsWith("ERR_PARSE_ARGS")) line = e.message.split(". ")[0]!;
    else if (e.code?.startsWith("SQLITE")) line = `cannot use the database: ${e.message}`;
    else line = e.message;
    // One line, always (issue 2): usage mistakes point at --help rather than print the whole usage.
    const hint = err instanceof UsageError || e.code?.startsWith("ERR_PARSE_ARGS") ? ` (see outpost-server ${topic ? `${topic} ` : ""}--help)` : "";
    process.stderr.write(`outpost-server: ${line.split("\n")[0]}${hint}\n`);
    process.exit(1);
  }
}
