/**
 * Issue 15 §1: the built `outpost` binary against a real outpost-server (real SQLite file, real
 * HTTP). Every command's --help is walked from the command tree itself.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type ServerProc } from "../../daemon/test/support/processes.js";
import { buildProgram, forEachCommand } from "../src/program.js";
import { CLI_BIN, cli } from "./support.js";

let dir: string;
let server: ServerProc;
let env: Record<string, string>;

const MODULE = {
  name: "clitest",
  version: "1.0.0",
  image: "outpost-test/busybox:1",
  functions: [{ name: "hello", display_name: "Hello", command: ["sh", "-c", "echo hi"], input_schema: { type: "object", properties: { who: { type: "string" }, n: { type: "number" } } } }],
};

/** Every command path of the tree, e.g. ["jobs", "run"]. */
function commandPaths(): string[][] {
  const paths: string[][] = [];
  const walk = (c: ReturnType<typeof buildProgram>, at: string[]) => {
    paths.push(at);
    for (const s of c.commands) walk(s, [...at, s.name()]);
  };
  walk(buildProgram(), []);
  return paths;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "outpost-cli-test-"));
  server = await startServer(join(dir, "outpost.db"));
  env = { XDG_CONFIG_HOME: join(dir, "config") };
  const login = await cli(["login", "--url", server.url], env, server.token + "\n");
  expect(login.code, login.stderr).toBe(0);
});
afterAll(async () => {
  await server?.proc.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

describe("help and usage", () => {
  it("answers --help and -h on every command and subcommand on stdout, exit 0, listing the exit codes", async () => {
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(30);
    for (const p of paths) {
      for (const flag of ["--help", "-h"]) {
        const r = await cli([...p, flag], env);
        expect(r.code, `${p.join(" ")} ${flag}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/^Usage: outpost/);
        expect(r.stdout).toContain("Exit codes:");
      }
    }
  });

  it("prints its version, and exits 2 on bad usage", async () => {
    const v = await cli(["--version"], env);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
    expect((await cli(["nope"], env)).code).toBe(2);
    expect((await cli(["jobs", "ls", "--no-such-option"], env)).code).toBe(2);
    expect((await cli(["jobs", "run"], env)).code).toBe(2);
    expect((await cli(["jobs", "run", "nodot"], env)).code).toBe(2);
  });

  it("completes every command path in bash, and names every path in the zsh script", async () => {
    const bash = (await cli(["completion", "bash"], env)).stdout;
    const zsh = (await cli(["completion", "zsh"], env)).stdout;
    const file = join(dir, "outpost.bash");
    writeFileSync(file, bash);
    for (const p of commandPaths()) {
      const expected = buildProgram();
      let cmd = expected;
      for (const name of p) cmd = cmd.commands.find((c) => c.name() === name)!;
      const words = ["outpost", ...p, ""];
      const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _outpost; echo "\${COMPREPLY[@]}"`;
      const got = execFileSync("bash", ["-c", script], { encoding: "utf8" }).trim().split(/\s+/);
      for (const sub of cmd.commands) expect(got, p.join(" ")).toContain(sub.name());
      expect(got).toContain("--help");
      expect(zsh).toContain(`"${["outpost", ...p].join(" ")}"`);
    }
  });
});

describe("login and contexts", () => {
  it("stores the token 0600 in the XDG config dir, keeps several named contexts, and refuses a bad token with exit 3", async () => {
    const file = join(dir, "config", "outpost", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "config", "outpost")).mode & 0o777).toBe(0o700);
    const second = await cli(["login", "--url", server.url, "--name", "second"], { ...env, OUTPOST_TOKEN: server.token });
    expect(second.code, second.stderr).toBe(0);
    const ls = JSON.parse((await cli(["context", "ls", "--json"], env)).stdout);
    expect(ls).toEqual([
      { name: "default", url: server.url, current: false },
      { name: "second", url: server.url, current: true },
    ]);
    const bad = await cli(["login", "--url", server.url, "--name", "bad"], env, "opat_not_a_real_token\n");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("unauthorized");
    expect(JSON.parse(readFileSync(file, "utf8")).contexts.bad).toBeUndefined();
    expect((await cli(["context", "use", "default"], env)).code).toBe(0);
    expect((await cli(["agents", "ls", "--context", "second"], env)).code).toBe(0);
    expect((await cli(["agents", "ls", "--context", "missing"], env)).code).toBe(3);
  });
});

describe("commands against a real server", () => {
  it("publishes a module, manages pools and tokens, and runs, lists, shows, cancels and reruns jobs", async () => {
    const manifest = join(dir, "manifest.json");
    writeFileSync(manifest, JSON.stringify(MODULE));
    const pub = await cli(["modules", "publish", "-f", manifest], env);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toContain("clitest");
    const mods = JSON.parse((await cli(["modules", "ls", "--json"], env)).stdout);
    expect(mods.map((m: { name: string }) => m.name)).toContain("clitest");
    expect((await cli(["modules", "show", "clitest@1.0.0"], env)).stdout).toContain("hello");
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ name: "x" }));
    const bad = await cli(["modules", "publish", "-f", join(dir, "bad.json")], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("functions");

    expect((await cli(["pools", "create", "builders", "--description", "the build hosts"], env)).code).toBe(0);
    const pools = await cli(["pools", "ls"], env);
    expect(pools.stdout).toMatch(/^ID\s+NAME\s+AGENTS/);
    expect(pools.stdout).toContain("builders");
    const pool = JSON.parse((await cli(["pools", "show", "builders", "--json"], env)).stdout);
    expect(pool.name).toBe("builders");

    const inputs = join(dir, "inputs.json");
    writeFileSync(inputs, JSON.stringify({ who: "file", n: 1 }));
    const run = await cli(["jobs", "run", "clitest.hello", "--inputs-file", inputs, "--input", "who=cli", "--input", "n:=2", "--pool", "builders", "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout);
    expect(job).toMatchObject({ module: "clitest", function: "hello", inputs: { who: "cli", n: 2 }, pool_id: pool.id, status: "pending" });

    const listed = JSON.parse((await cli(["jobs", "ls", "--status", "pending", "--pool", "builders", "--json"], env)).stdout);
    expect(listed.map((j: { id: string }) => j.id)).toEqual([job.id]);
    expect(JSON.parse((await cli(["jobs", "ls", "--status", "completed", "--json"], env)).stdout)).toEqual([]);
    // The runs page's other filters: trigger source and the time window.
    const ids = async (...args: string[]) => JSON.parse((await cli(["jobs", "ls", "--json", ...args], env)).stdout).map((j: { id: string }) => j.id);
    expect(await ids("--trigger-source", "api", "--from", "2000-01-01T00:00:00Z")).toEqual([job.id]);
    expect(await ids("--trigger-source", "manual")).toEqual([]);
    expect(await ids("--to", "2000-01-01T00:00:00Z")).toEqual([]);
    expect((await cli(["jobs", "ls", "--trigger-source", "nope"], env)).code).toBe(2);
    expect((await cli(["jobs", "show", job.id], env)).stdout).toMatch(/status\s+pending/);

    const rerun = JSON.parse((await cli(["jobs", "rerun", job.id, "--json"], env)).stdout);
    expect(rerun.id).not.toBe(job.id);
    expect(rerun).toMatchObject({ module: "clitest", version: "1.0.0", function: "hello", inputs: { who: "cli", n: 2 }, pool_id: pool.id });

    const cancelled = JSON.parse((await cli(["jobs", "cancel", job.id, "--json"], env)).stdout);
    expect(cancelled.status).toBe("cancelled");

    // A server-side validation error: exit 1, the field and value named on stderr.
    const invalid = await cli(["jobs", "run", "clitest.hello", "--input", "n=notanumber"], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("validation_errors");
    expect((await cli(["jobs", "show", "no-such-job"], env)).code).toBe(1);

    const created = await cli(["tokens", "create", "ci", "--scope", "read", "--expires-in-days", "1", "--json"], env);
    expect(created.code, created.stderr).toBe(0);
    const tok = JSON.parse(created.stdout);
    expect(tok.token).toMatch(/^opat_/);
    expect((await cli(["tokens", "ls"], env)).stdout).toContain("ci");
    expect((await cli(["tokens", "revoke", tok.id], env)).code).toBe(0);
    const after = JSON.parse((await cli(["tokens", "ls", "--include-revoked", "--json"], env)).stdout);
    const revokedAt = after.find((t: { id: string }) => t.id === tok.id).revoked_at;
    expect(revokedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.now() - Date.parse(revokedAt)).toBeLessThan(600_000);
    const refused = await cli(["agents", "ls"], { ...env, OUTPOST_URL: server.url, OUTPOST_TOKEN: tok.token });
    expect(refused.code).toBe(3);
  });

  it("lists triggers, with the next firing of a schedule and the URL of a webhook", async () => {
    const target = { module: "clitest", function: "hello", inputs: { n: 1 } };
    const schedule = await server.api("POST", "/api/v1/triggers", { name: "nightly", kind: "schedule", target, schedule: { cron: "0 3 * * *", timezone: "UTC" } });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const hook = await server.api("POST", "/api/v1/triggers", { name: "on-push", kind: "webhook", target });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const ls = await cli(["triggers", "ls", "--json"], env);
    expect(ls.code, ls.stderr).toBe(0);
    const rows = JSON.parse(ls.stdout) as { name: string; kind: string; next_fire_times: string[]; hook_path: string | null }[];
    expect(rows.map((r) => [r.name, r.kind])).toEqual(expect.arrayContaining([["nightly", "schedule"], ["on-push", "webhook"]]));
    const table = (await cli(["triggers", "ls", "--kind", "webhook"], env)).stdout;
    expect(table).toContain("on-push");
    expect(table).toContain((hook.body as { details: { hook_path: string } }).details.hook_path);
    expect(table).not.toContain("nightly");
  });
});
