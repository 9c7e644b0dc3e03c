/**
 * Issue 15 §1: `outpost jobs run --follow` and `outpost logs -f` with a real outpost-agent running
 * the jobs on the real dockerd: the log arrives live on the CLI's stdout/stderr and the CLI exits
 * with the job's exit code. Also the agent commands (ls, show, pause, resume, retire, reinstate,
 * pools add) on a real registered agent.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, removeTestDir, removeTestRunContainers, TEST_IMAGE } from "../../daemon/test/support/docker.js";
import { AGENT_BIN, freePort, startProc, startServer, until, type Proc, type ServerProc } from "../../daemon/test/support/processes.js";
import { CLI_BIN, cli } from "./support.js";

const MODULE = {
  name: "clifollow",
  version: "1.0.0",
  image: TEST_IMAGE,
  functions: [
    { name: "ok", display_name: "OK", command: ["sh", "-c", 'echo "hello $(cat "$OUTPOST_INPUTS")"; echo warn >&2'] },
    { name: "fail", display_name: "Fail", command: ["sh", "-c", "echo failing; exit 7"] },
    // Prints one line, then waits for a file the test creates only after the CLI has shown that line.
    { name: "gate", display_name: "Gate", command: ["sh", "-c", "echo before-gate; while [ ! -e /tmp/never ]; do sleep 0.2; done"] },
  ],
};

let dir: string;
let server: ServerProc;
let agent: Proc;
let env: Record<string, string>;
let port: number;

describeDocker("outpost jobs run --follow with a real agent", () => {
  beforeAll(async () => {
    await ensureTestImage();
    dir = mkdtempSync(join(tmpdir(), "outpost-cli-follow-"));
    port = await freePort();
    server = await startServer(join(dir, "outpost.db"), ["--port", String(port)]);
    env = { XDG_CONFIG_HOME: join(dir, "config") };
    expect((await cli(["login", "--url", server.url], env, server.token)).code).toBe(0);
    expect((await server.api("POST", "/api/v1/modules", MODULE)).status).toBe(201);
    agent = startProc(AGENT_BIN, ["run", "--url", server.url, "--token", server.token, "--name", "cli-agent", "--data-dir", join(dir, "agent"), "--module", "clifollow@1.0.0", "--cancel-grace", "1"]);
    await agent.waitFor(/session open/, 60_000);
  });

  afterAll(async () => {
    await agent?.kill("SIGKILL");
    await server?.proc.kill("SIGTERM");
    await removeTestRunContainers();
    removeTestDir(dir);
  });

  it("prints the log as it comes and exits 0 for a job that completes", async () => {
    const r = await cli(["jobs", "run", "clifollow.ok", "--input", "who=you", "--follow"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello {"who":"you"}');
    expect(r.stderr).toContain("warn");
    expect(r.stderr).toMatch(/job \S+ completed \(exit 0\)/);
  });

  it("exits with the job's own exit code when it fails", async () => {
    const r = await cli(["jobs", "run", "clifollow.fail", "--max-attempts", "1", "-f"], env);
    expect(r.stdout).toContain("failing");
    expect(r.code).toBe(7);
  });

  it("follows live: a line shows before the job ends, and `logs -f` of another follower ends with the job", async () => {
    const run = startCommandCli(["jobs", "run", "clifollow.gate", "--max-attempts", "1", "--follow", "--json"]);
    const [line] = await run.waitFor(/"data":"before-gate\\n"/, 60_000);
    expect(line).toBe('"data":"before-gate\\n"');
    const id = (await run.waitFor(/job (\S+) /))[1]!;
    // The job is still running: a second follower (logs -f) sees the same line, then both end when it is cancelled.
    const logs = startCommandCli(["logs", "-f", id]);
    await logs.waitFor(/before-gate/);
    expect((await cli(["jobs", "cancel", id], env)).code).toBe(0);
    const runCode = await run.exited;
    const job = JSON.parse((await cli(["jobs", "show", id, "--json"], env)).stdout);
    expect(job.status).toBe("cancelled");
    // The container was stopped: the CLI exits with the code it ended with (137 after SIGKILL), else 1.
    expect(runCode).toBe(job.exit_code ?? 1);
    expect(runCode).not.toBe(0);
    expect(await logs.exited).toBe(runCode);
  });

  it("resumes a follow after the server restarts, without printing a line twice", async () => {
    const run = startCommandCli(["jobs", "run", "clifollow.gate", "--max-attempts", "1", "--follow"]);
    await run.waitFor(/before-gate/, 60_000);
    const id = (await run.waitFor(/job (\S+) /))[1]!;
    await server.proc.kill("SIGTERM");
    server = await startServer(join(dir, "outpost.db"), ["--port", String(port)], server.token);
    await until("the job to run again on the reconnected agent", async () => JSON.parse((await cli(["jobs", "show", id, "--json"], env)).stdout).status === "running");
    expect((await cli(["jobs", "cancel", id], env)).code).toBe(0);
    expect(await run.exited).not.toBe(0);
    expect(run.output().match(/before-gate/g)).toHaveLength(1);
    expect(run.output()).toMatch(/job \S+ cancelled/);
  });

  it("lists, shows, pauses, resumes, retires and reinstates the agent, and adds it to a pool", async () => {
    const byAgent = JSON.parse((await cli(["jobs", "ls", "--agent", "cli-agent", "--status", "completed,failed,cancelled", "--json"], env)).stdout);
    expect(byAgent.length).toBeGreaterThanOrEqual(3);
    const ls = await cli(["agents", "ls"], env);
    expect(ls.stdout).toMatch(/cli-agent/);
    expect((await cli(["agents", "show", "cli-agent"], env)).stdout).toMatch(/connected\s+true/);
    expect(JSON.parse((await cli(["agents", "pause", "cli-agent", "--json"], env)).stdout).paused).toBe(true);
    expect(JSON.parse((await cli(["agents", "resume", "cli-agent", "--json"], env)).stdout).paused).toBe(false);
    expect((await cli(["pools", "create", "fleet"], env)).code).toBe(0);
    expect((await cli(["pools", "add", "fleet", "cli-agent"], env)).code).toBe(0);
    const shown = JSON.parse((await cli(["agents", "show", "cli-agent", "--json"], env)).stdout);
    expect(shown.pools.map((p: { name: string }) => p.name)).toEqual(["fleet"]);
    await until("the agent to be idle", async () => JSON.parse((await cli(["agents", "show", "cli-agent", "--json"], env)).stdout).instance_counts.active === 0);
    expect(JSON.parse((await cli(["agents", "retire", "cli-agent", "--json"], env)).stdout).archived).toBe(true);
    expect(JSON.parse((await cli(["agents", "reinstate", "cli-agent", "--json"], env)).stdout).archived).toBe(false);
  });
});

function startCommandCli(args: string[]): Proc {
  return startProc(CLI_BIN, args, env);
}
