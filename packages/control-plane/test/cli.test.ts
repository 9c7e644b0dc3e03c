/**
 * Issue 2 §2: the built `outpost-server` as real processes. The test command builds first
 * (`pnpm build`), so dist/ is current. Nothing here waits on a clock: each step waits for a line
 * the process prints or for its exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../bin/outpost-server.js", import.meta.url));

let dir: string;
const running: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "outpost-cli-"));
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGKILL");
      await gone;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

type Proc = {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `re` in stdout (now or later); rejects if the process exits first. */
  waitFor: (re: RegExp) => Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

function run(args: string[], env: Record<string, string> = {}): Proc {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OUTPOST_")));
  const proc = spawn(process.execPath, [BIN, ...args], {
    env: { ...cleanEnv, OUTPOST_CONSOLE_DIR: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(proc);
  let out = "";
  let err = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    check();
  });
  proc.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`exited (${code}) before printing ${w.re}; stdout: ${out}; stderr: ${err}`));
      resolve({ code, signal });
    });
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        if (proc.exitCode !== null) return reject(new Error(`already exited; stdout: ${out}; stderr: ${err}`));
        waiters.push({ re, resolve, reject });
      }),
  };
}

const URL_LINE = /Outpost is up at (http:\/\/\S+) /;
const TOKEN_LINE = /opat_[0-9A-Za-z]+/;
const TOKEN_FILE_LINE = /Bootstrap admin token written to (\S+) \(mode 0600/;

/** The bootstrap token, read from the file whose path the first start prints (never the token itself). */
async function bootstrapToken(p: Proc): Promise<string> {
  const file = (await p.waitFor(TOKEN_FILE_LINE))[1]!;
  return readFileSync(file, "utf8").trim();
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

async function api(url: string, path: string, token?: string, init: RequestInit = {}) {
  const res = await fetch(`${url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body ? { "content-type": "application/json" } : {}) } });
  return { status: res.status, body: (await res.json()) as any };
}

/** Exactly one non-empty line on stderr. */
function oneLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  expect(lines, text).toHaveLength(1);
  return lines[0]!;
}

describe("outpost-server serve", () => {
  it("writes only log records: JSON by default (bootstrap lines too, even at --log-level warn), readable lines with --log-format pretty", async () => {
    const db = join(dir, "fmt", "outpost.db");
    const json = run(["serve", "--port", "0", "--db", db, "--log-level", "warn"]);
    await json.waitFor(URL_LINE);
    await json.waitFor(TOKEN_FILE_LINE);
    json.proc.kill("SIGTERM");
    await json.exit;
    const lines = json.stdout().split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining([expect.stringMatching(/^Outpost is up at http/), expect.stringMatching(/^Bootstrap admin token written to /)]));
    expect(json.stdout()).not.toMatch(/opat_/);

    const pretty = run(["serve", "--port", "0", "--db", db, "--log-format", "pretty"]);
    const url = (await pretty.waitFor(URL_LINE))[1]!;
    await api(url, "/healthz?token=opat_abcdefghijklmnopqrstuvwxyz0123456789");
    await pretty.waitFor(/INFO.*request/);
    pretty.proc.kill("SIGTERM");
    await pretty.exit;
    expect(pretty.stdout()).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] INFO: Outpost is up at http/m);
    expect(pretty.stdout()).toMatch(/reqId: "req-/);
    expect(pretty.stdout()).not.toMatch(/opat_abc/);
    expect(pretty.stdout()).not.toMatch(/^\{/m);
  });

  it("logs its URL and, on the first start only, a bootstrap admin token; the API answers; SIGTERM exits 0", async () => {
    const db = join(dir, "data", "outpost.db");
    const first = run(["serve", "--port", "0", "--db", db]);
    const url = (await first.waitFor(URL_LINE))[1]!;
    const token = await bootstrapToken(first);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    const me = await api(url, "/api/v1/me", token);
    expect(me.status).toBe(200);
    expect(me.body.details.user.name).toBe("admin");
    expect(me.body.details.orgs.map((m: any) => m.org.slug)).toEqual(["default"]);
    expect(me.body.details.token.scopes).toEqual(["admin"]);
    expect((await api(url, "/api/v1/agents")).status).toBe(401);
    expect((await api(url, "/healthz")).status).toBe(200);
    first.proc.kill("SIGTERM");
    expect(await first.exit).toEqual({ code: 0, signal: null });
    expect(first.stderr()).toBe("");
    expect(existsSync(db)).toBe(true);
    // Migrations were applied at start, and the file is in WAL mode.
    const sqlite = new Database(db, { readonly: true });
    try {
      expect(sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
      const applied = sqlite.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number };
      expect(applied.n).toBeGreaterThan(0);
    } finally {
      sqlite.close();
    }

    // Second start on the same database: no new token, and the old one still works.
    const second = run(["serve", "--port", "0", "--db", db]);
    const url2 = (await second.waitFor(URL_LINE))[1]!;
    expect((await api(url2, "/api/v1/me", token)).status).toBe(200);
    second.proc.kill("SIGINT");
    expect(await second.exit).toEqual({ code: 0, signal: null });
    expect(second.stdout()).not.toMatch(TOKEN_LINE);
    expect(second.stdout()).not.toMatch(/bootstrap/i);
  });

  it("keeps every file a token could be read from to its owner: data dir 0700; database, -wal, -shm and bootstrap token file 0600; no token on stdout", async () => {
    const data = join(dir, "fresh", "data");
    const db = join(data, "outpost.db");
    const p = run(["serve", "--port", "0", "--db", db]);
    const url = (await p.waitFor(URL_LINE))[1]!;
    const file = (await p.waitFor(TOKEN_FILE_LINE))[1]!;
    expect(file).toBe(join(data, "bootstrap-token"));
    const token = await bootstrapToken(p);
    // A write, so the WAL and its index exist while the server runs.
    expect((await api(url, "/api/v1/pools", token, { method: "POST", body: JSON.stringify({ name: "modes" }) })).status).toBe(201);
    expect(existsSync(`${db}-wal`) && existsSync(`${db}-shm`)).toBe(true);
    expect({ dir: modeOf(data), parent: modeOf(join(dir, "fresh")), db: modeOf(db), wal: modeOf(`${db}-wal`), shm: modeOf(`${db}-shm`), token: modeOf(file) }).toEqual({
      dir: "700",
      parent: "700",
      db: "600",
      wal: "600",
      shm: "600",
      token: "600",
    });
    expect(p.stdout()).not.toContain(token);
    expect(p.stdout()).not.toMatch(TOKEN_LINE);
    p.proc.kill("SIGTERM");
    expect((await p.exit).code).toBe(0);
    expect(p.stderr()).not.toMatch(TOKEN_LINE);
  });

  it("narrows an existing database and its -wal/-shm files to 0600 on start", async () => {
    const db = join(dir, "old.db");
    const first = run(["serve", "--port", "0", "--db", db]);
    await first.waitFor(URL_LINE);
    first.proc.kill("SIGKILL");
    await first.exit;
    // As an older version left them: world-readable.
    for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) chmodSync(f, 0o644);
    const again = run(["serve", "--port", "0", "--db", db]);
    await again.waitFor(URL_LINE);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) expect(modeOf(f), f).toBe("600");
    again.proc.kill("SIGTERM");
    expect((await again.exit).code).toBe(0);
  });

  it("exits 0 on SIGINT and keeps the database usable (WAL)", async () => {
    const db = join(dir, "o.db");
    const p = run(["serve", "--port", "0", "--db", db]);
    const url = (await p.waitFor(URL_LINE))[1]!;
    const token = await bootstrapToken(p);
    const pool = await api(url, "/api/v1/pools", token, { method: "POST", body: JSON.stringify({ name: "kept" }) });
    expect(pool.status).toBe(201);
    p.proc.kill("SIGINT");
    expect(await p.exit).toEqual({ code: 0, signal: null });
    const again = run(["serve", "--port", "0", "--db", db]);
    const url2 = (await again.waitFor(URL_LINE))[1]!;
    const pools = await api(url2, "/api/v1/pools", token);
    expect(pools.body.details.map((x: any) => x.name)).toEqual(["kept"]);
    again.proc.kill("SIGTERM");
    expect((await again.exit).code).toBe(0);
  });

  it("honours OUTPOST_PORT and OUTPOST_DB; flags win over env", async () => {
    // A port we hold open: no race with other processes picking "free" ports.
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const held = (blocker.address() as { port: number }).port;
    try {
      const db = join(dir, "env", "from-env.db");
      // The env port is used: it is taken, so the start fails naming it.
      const fromEnv = run(["serve"], { OUTPOST_PORT: String(held), OUTPOST_DB: db, OUTPOST_HOST: "127.0.0.1" });
      expect((await fromEnv.exit).code).toBe(1);
      expect(oneLine(fromEnv.stderr())).toContain(String(held));

      // OUTPOST_PORT=0 picks a free port (not the default 7070); OUTPOST_DB is where the data goes.
      const p = run(["serve"], { OUTPOST_PORT: "0", OUTPOST_DB: db, OUTPOST_HOST: "127.0.0.1" });
      const url = (await p.waitFor(URL_LINE))[1]!;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(url).not.toMatch(/:7070$/);
      expect(existsSync(db)).toBe(true);
      p.proc.kill("SIGTERM");
      expect((await p.exit).code).toBe(0);

      // Flags win: --port 0 over the taken env port, --db over OUTPOST_DB.
      const flagged = run(["serve", "--port", "0", "--db", join(dir, "flag.db")], { OUTPOST_PORT: String(held), OUTPOST_DB: join(dir, "unused.db") });
      await flagged.waitFor(URL_LINE);
      expect(existsSync(join(dir, "flag.db"))).toBe(true);
      expect(existsSync(join(dir, "unused.db"))).toBe(false);
      flagged.proc.kill("SIGTERM");
      expect((await flagged.exit).code).toBe(0);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("refuses a taken port with one clear line and exit 1, and the next good start still prints the bootstrap token", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const db = join(dir, "taken.db");
    try {
      const p = run(["serve", "--port", String(port), "--db", db]);
      expect((await p.exit).code).toBe(1);
      const line = oneLine(p.stderr());
      expect(line).toMatch(/^outpost-server: .*port/i);
      expect(line).toContain(String(port));
      expect(p.stdout()).not.toMatch(URL_LINE);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
    const good = run(["serve", "--port", "0", "--db", db]);
    const token = await bootstrapToken(good);
    const url = (await good.waitFor(URL_LINE))[1]!;
    expect((await api(url, "/api/v1/me", token)).status).toBe(200);
    good.proc.kill("SIGTERM");
    expect((await good.exit).code).toBe(0);
  });

  it("refuses a bad flag or a bad value with one line and exit 1", async () => {
    for (const args of [
      ["serve", "--bogus"],
      ["serve", "--port", "notaport", "--db", join(dir, "x.db")],
      ["serve", "--port", "70000", "--db", join(dir, "x.db")],
      ["serve", "extra-positional"],
      ["frobnicate"],
    ]) {
      const p = run(args);
      const { code } = await p.exit;
      expect(code, args.join(" ")).toBe(1);
      const line = oneLine(p.stderr());
      expect(line, args.join(" ")).toMatch(/^outpost-server: \S/);
    }
    const bad = run(["serve", "--port", "notaport", "--db", join(dir, "x.db")]);
    await bad.exit;
    expect(bad.stderr()).toContain("notaport");
  });

  it("refuses an unusable database path with one line and exit 1", async () => {
    const garbage = join(dir, "garbage.db");
    writeFileSync(garbage, "this is not a sqlite database, just text that is long enough to have a header".repeat(20));
    const aDir = join(dir, "a-directory");
    mkdirSync(aDir);
    const aFile = join(dir, "plain-file");
    writeFileSync(aFile, "x");
    for (const db of [garbage, aDir, join(aFile, "under-a-file.db")]) {
      const p = run(["serve", "--port", "0", "--db", db]);
      const { code } = await p.exit;
      expect(code, db).toBe(1);
      const line = oneLine(p.stderr());
      expect(line, db).toMatch(/^outpost-server: /);
      expect(p.stdout()).not.toMatch(URL_LINE);
    }
  });
});

describe("outpost-server token create", () => {
  it("--admin prints exactly one PAT on stdout, which acts as admin", async () => {
    const db = join(dir, "t.db");
    const p = run(["token", "create", "--admin", "--name", "x", "--db", db]);
    expect((await p.exit).code).toBe(0);
    expect(p.stdout()).toMatch(/^opat_[0-9A-Za-z]{36,}\n$/);
    expect(p.stderr()).toBe("");
    const token = p.stdout().trim();

    const server = run(["serve", "--port", "0", "--db", db]);
    const url = (await server.waitFor(URL_LINE))[1]!;
    const me = await api(url, "/api/v1/me", token);
    expect(me.body.details).toMatchObject({ user: { name: "admin" }, token: { name: "x", scopes: ["admin"] } });
    expect((await api(url, "/api/v1/orgs", token, { method: "POST", body: JSON.stringify({ slug: "made-by-cli" }) })).status).toBe(201);
    server.proc.kill("SIGTERM");
    expect((await server.exit).code).toBe(0);
  });

  it("--user creates the user and org, and the token holds only the scopes asked for", async () => {
    const db = join(dir, "u.db");
    const p = run(["token", "create", "--user", "bob", "--org", "acme", "--scopes", "read", "--name", "x", "--db", db]);
    expect((await p.exit).code).toBe(0);
    expect(p.stdout()).toMatch(/^opat_[0-9A-Za-z]{36,}\n$/);
    const token = p.stdout().trim();

    const server = run(["serve", "--port", "0", "--db", db]);
    const url = (await server.waitFor(URL_LINE))[1]!;
    const me = await api(url, "/api/v1/me", token);
    expect(me.status).toBe(200);
    expect(me.body.details.user.name).toBe("bob");
    expect(me.body.details.orgs.map((m: any) => m.org.slug)).toEqual(["acme"]);
    expect(me.body.details.token.scopes).toEqual(["read"]);
    expect((await api(url, "/api/v1/agents", token)).status).toBe(200);
    const write = await api(url, "/api/v1/pools", token, { method: "POST", body: JSON.stringify({ name: "p" }) });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe("forbidden");
    const register = await api(url, "/api/v1/agent", token, { method: "POST", body: JSON.stringify({ name: "a", hostname: "h", os: { platform: "linux" }, version: "1" }) });
    expect(register.status).toBe(403);
    server.proc.kill("SIGTERM");
    expect((await server.exit).code).toBe(0);
  });

  it("refuses bad usage with one line and exit 1, printing no token", async () => {
    for (const args of [
      ["token", "create", "--name", "x", "--db", join(dir, "b.db")],
      ["token", "create", "--admin", "--db", join(dir, "b.db")],
      ["token", "create", "--user", "bob", "--scopes", "root", "--name", "x", "--db", join(dir, "b.db")],
      ["token", "create", "--admin", "--name", "x", "--nope"],
    ]) {
      const p = run(args);
      expect((await p.exit).code, args.join(" ")).toBe(1);
      expect(p.stdout(), args.join(" ")).toBe("");
      oneLine(p.stderr());
    }
  });
});

describe("outpost-server migrate and backup", () => {
  it("migrate applies every committed migration once and says where the database stands; sqlite: URLs are paths; postgres:// is refused by name", async () => {
    const journal = JSON.parse(readFileSync(fileURLToPath(new URL("../drizzle/meta/_journal.json", import.meta.url)), "utf8")) as { entries: { tag: string }[] };
    const n = journal.entries.length;
    const latest = journal.entries[n - 1]!.tag;
    const db = join(dir, "m", "outpost.db");
    for (const arg of [db, `sqlite:${db}`]) {
      const p = run(["migrate", "--db", arg]);
      expect((await p.exit).code, arg).toBe(0);
      expect(p.stdout()).toBe(`${db}: ${n} of ${n} migrations applied, latest ${latest}\n`);
      expect(p.stderr()).toBe("");
    }
    const pg = run(["migrate", "--db", "postgres://u@127.0.0.1:5432/outpost"]);
    expect((await pg.exit).code).toBe(1);
    expect(oneLine(pg.stderr())).toMatch(/^outpost-server: --db="postgres:\/\/u@127\.0\.0\.1:5432\/outpost": .*SQLite/);
  });

  it("backup copies a live database the server keeps writing, 0600, checked; never over an existing file", async () => {
    const db = join(dir, "data", "outpost.db");
    const server = run(["serve", "--port", "0", "--db", db]);
    const url = (await server.waitFor(URL_LINE))[1]!;
    const token = await bootstrapToken(server);
    for (let i = 0; i < 20; i++) expect((await api(url, "/api/v1/orgs", token, { method: "POST", body: JSON.stringify({ slug: `org-${i}` }) })).status).toBe(201);
    // Writes go on while the copy is taken.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await api(url, "/api/v1/orgs", token, { method: "POST", body: JSON.stringify({ slug: `during-${i}` }) });
    })();
    const to = join(dir, "backups", "copy.db");
    mkdirSync(join(dir, "backups"));
    const backup = run(["backup", "--db", db, "--to", to]);
    expect((await backup.exit).code, backup.stderr()).toBe(0);
    writing = false;
    await writer;
    expect(backup.stdout()).toMatch(new RegExp(`^backed up ${db} to ${to} \\(\\d+ pages, \\d+ bytes, quick_check ok\\)\\n$`));
    expect(modeOf(to)).toBe("600");
    const copy = new Database(to, { readonly: true });
    try {
      const slugs = (copy.prepare("select slug from orgs").all() as { slug: string }[]).map((r) => r.slug);
      for (let i = 0; i < 20; i++) expect(slugs).toContain(`org-${i}`);
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      copy.close();
    }
    // The copy serves: a server started on it knows the token.
    server.proc.kill("SIGTERM");
    expect((await server.exit).code).toBe(0);
    const restored = run(["serve", "--port", "0", "--db", to]);
    const url2 = (await restored.waitFor(URL_LINE))[1]!;
    expect((await api(url2, "/api/v1/me", token)).status).toBe(200);
    restored.proc.kill("SIGTERM");
    expect((await restored.exit).code).toBe(0);

    for (const [args, message] of [
      [["backup", "--db", db, "--to", to], /the file exists/],
      [["backup", "--db", db], /--to FILE is required/],
      [["backup", "--db", join(dir, "none.db"), "--to", join(dir, "x.db")], /no database file there/],
    ] as const) {
      const p = run([...args]);
      expect((await p.exit).code, args.join(" ")).toBe(1);
      expect(oneLine(p.stderr()), args.join(" ")).toMatch(message);
      expect(p.stdout()).toBe("");
    }
    expect(existsSync(join(dir, "x.db"))).toBe(false);
  });
});
