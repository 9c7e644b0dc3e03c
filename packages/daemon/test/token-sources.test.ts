/**
 * Issue 9 §3: the registration token never shows in the process list. Real outpost-agent
 * processes against a real outpost-server register with the token from --token-file, from
 * --token-file - (stdin) and from OUTPOST_TOKEN; what `ps` shows of each (its /proc cmdline)
 * holds no token. --token still works, with a warning.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker } from "./support/docker.js";
import { AGENT_BIN, startProc, startServer, type Proc, type ServerProc } from "./support/processes.js";

let dir: string;
let server: ServerProc;
let token: string;
const agents: Proc[] = [];

describeDocker("the registration token and the process list", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "outpost-token-src-"));
    server = await startServer(join(dir, "outpost.db"));
    const reg = await server.api("POST", "/api/v1/tokens", { name: "hosts", scopes: ["agents:register"], max_uses: 4, expires_at: new Date(Date.now() + 600_000).toISOString() });
    expect(reg.status).toBe(201);
    token = (reg.body as any).details.token;
  });

  afterAll(async () => {
    for (const a of agents) await a.kill("SIGKILL");
    await server?.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts an agent, waits for its session, and returns what ps shows of it and its output. */
  async function run(name: string, how: { args?: string[]; env?: Record<string, string>; stdin?: string }) {
    const a = startProc(AGENT_BIN, ["run", "--url", server.url, "--name", name, "--data-dir", join(dir, name), "--log-level", "info", ...(how.args ?? [])], { OUTPOST_TOKEN: "", ...how.env }, { stdin: how.stdin });
    agents.push(a);
    await a.waitFor(/session open/);
    const ps = spawnSync("ps", ["-ww", "-o", "args=", "-p", String(a.child.pid)], { encoding: "utf8" }).stdout;
    expect(ps).toContain(`--name ${name}`); // it is the agent's line
    // Its credential is the owner's alone: 0600 in a 0700 data dir.
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, name, "credential.json")).mode & 0o777).toBe(0o600);
    return { ps, cmdline: readFileSync(`/proc/${a.child.pid}/cmdline`, "utf8"), output: a.output() };
  }

  it("--token-file PATH: registered, and ps shows no token", async () => {
    const file = join(dir, "token");
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    const seen = await run("from-file", { args: ["--token-file", file] });
    for (const text of [seen.ps, seen.cmdline, seen.output]) expect(text).not.toContain(token);
    expect(seen.output).not.toMatch(/warning/);
  });

  it("--token-file - (stdin): registered, and ps shows no token", async () => {
    const seen = await run("from-stdin", { args: ["--token-file", "-"], stdin: `${token}\n` });
    for (const text of [seen.ps, seen.cmdline, seen.output]) expect(text).not.toContain(token);
  });

  it("OUTPOST_TOKEN: registered, and ps shows no token; a data dir an older version made 0755 is narrowed to 0700", async () => {
    mkdirSync(join(dir, "from-env"), { mode: 0o755 });
    const seen = await run("from-env", { env: { OUTPOST_TOKEN: token } });
    for (const text of [seen.ps, seen.cmdline, seen.output]) expect(text).not.toContain(token);
  });

  it("--token still registers, but warns that every local user can read it", async () => {
    const seen = await run("from-argv", { args: ["--token", token] });
    expect(seen.output).toMatch(/warning: --token puts the token in the process list/);
    // The registration token had 4 uses; all are spent now, and the next host is refused.
    const tokens = (await server.api("GET", "/api/v1/tokens")).body as any;
    expect(tokens.details.find((t: { name: string }) => t.name === "hosts")).toMatchObject({ uses: 4, uses_left: 0 });
    const fifth = startProc(AGENT_BIN, ["run", "--url", server.url, "--name", "fifth", "--data-dir", join(dir, "fifth")], { OUTPOST_TOKEN: token });
    agents.push(fifth);
    expect(await fifth.exited).toBe(2);
    expect(fifth.output()).toMatch(/refused .*used up/);
  });
});
