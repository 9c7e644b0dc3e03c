/**
 * install / uninstall / status through the built bin as a real process, with files under a
 * temporary --root. This machine runs no systemd, so the systemctl path (enable, restart,
 * disable) is not exercised here; --no-start keeps the tests from depending on that anyway. The
 * last suite runs the agent from the installed config against a real outpost-server (needs dockerd).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadAgentConfig } from "../src/config.js";
import { readStateFile, StateFile } from "../src/host/state-file.js";
import { describeDocker } from "./support/docker.js";
import { AGENT_BIN, startProc, startServer, until } from "./support/processes.js";

const TOKEN = "opat_0123456789abcdef0123456789abcdef";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "outpost-service-"));
  dirs.push(d);
  return d;
}

/** Runs the built bin to completion; the environment carries no OUTPOST_* settings. */
function agent(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OUTPOST_")));
  const r = spawnSync(process.execPath, [AGENT_BIN, ...args], { encoding: "utf8", env, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Stands in for the release binary install copies (the real one is tested in release.test.ts). */
function fakeBinary(): string {
  const file = join(tempDir(), "outpost-agent-test");
  writeFileSync(file, "#!/bin/sh\necho 0.0.0-test\n", { mode: 0o755 });
  return file;
}
const FAKE_BIN = fakeBinary();
/** A token in a file of its own, as an operator hands it to install (never on the command line). */
function tokenFile(token: string): string {
  const file = join(tempDir(), "token");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}
const INSTALL = ["--no-start", "--binary", FAKE_BIN, "--url", "http://127.0.0.1:1", "--token-file", tokenFile(TOKEN), "--name", "n", "--slots", "2", "--module", "a@1.0.0"];

describe("outpost-agent install", () => {
  it("copies the binary to /usr/local/bin, writes a mode 0600 config that run --config reads, and a hardened unit that runs it as outpost-agent after docker", () => {
    const root = tempDir();
    const r = agent(["install", "--root", root, ...INSTALL]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const configFile = join(root, "etc/outpost/agent.json");
    const unitFile = join(root, "etc/systemd/system/outpost-agent.service");
    expect(r.stdout).toContain(`wrote ${configFile}`);
    expect(r.stdout).toContain(`wrote ${unitFile}`);
    expect(r.stdout).toContain("not started (--no-start)");

    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    expect(file).toMatchObject({ url: "http://127.0.0.1:1", token: TOKEN, name: "n", slots: 2, modules: ["a@1.0.0"], dataDir: "/var/lib/outpost-agent" });
    expect(loadAgentConfig(["--config", configFile], {})).toMatchObject({
      url: "http://127.0.0.1:1",
      token: TOKEN,
      name: "n",
      slots: 2,
      modules: [{ name: "a", version: "1.0.0" }],
      dataDir: "/var/lib/outpost-agent",
    });
    expect(statSync(join(root, "var/lib/outpost-agent")).isDirectory()).toBe(true);

    const unit = readFileSync(unitFile, "utf8");
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^After=.*\bdocker\.service\b/m);
    expect(unit).toMatch(/^Wants=.*\bdocker\.service\b/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
    expect(unit).toContain("\nExecStart=/usr/local/bin/outpost-agent run --config /etc/outpost/agent.json\n");
    expect(unit).toContain("\nExecStartPre=+/usr/local/bin/outpost-agent upgrade --if-requested --config /etc/outpost/agent.json\n");
    expect(unit).not.toContain(realpathSync(AGENT_BIN));
    for (const line of ["User=outpost-agent", "SupplementaryGroups=docker", "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/outpost-agent /etc/outpost", "ProtectHome=yes", "PrivateTmp=yes"]) {
      expect(unit).toMatch(new RegExp(`^${line}$`, "m"));
    }
    const installed = join(root, "usr/local/bin/outpost-agent");
    expect(statSync(installed).mode & 0o777).toBe(0o755);
    expect(readFileSync(installed, "utf8")).toBe(readFileSync(FAKE_BIN, "utf8"));
    expect(r.stdout).toContain(`installed ${installed}`);
    expect(r.stdout).toContain("not creating the system user outpost-agent (--root)");
    // The drain (60 s default) and the cancel grace (10 s) fit before systemd kills.
    expect(Number(unit.match(/^TimeoutStopSec=(\d+)$/m)![1])).toBeGreaterThan(70);
    // Only the owner (root, for the service) can enter /etc/outpost or the data dir; the token is not on ExecStart.
    expect(statSync(join(root, "etc/outpost")).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, "var/lib/outpost-agent")).mode & 0o777).toBe(0o700);
    expect(unit).not.toContain(TOKEN);
  });

  it("takes the token from --token-file -, OUTPOST_TOKEN or --token (with a warning that ps shows it)", () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OUTPOST_")));
    const rest = ["--no-start", "--binary", FAKE_BIN, "--url", "http://127.0.0.1:1", "--name", "n"];
    const tokenIn = (root: string) => JSON.parse(readFileSync(join(root, "etc/outpost/agent.json"), "utf8")).token;

    const stdinRoot = tempDir();
    const piped = spawnSync(process.execPath, [AGENT_BIN, "install", "--root", stdinRoot, "--token-file", "-", ...rest], { encoding: "utf8", env, input: `${TOKEN}\n` });
    expect(piped.stderr).toBe("");
    expect(tokenIn(stdinRoot)).toBe(TOKEN);

    const envRoot = tempDir();
    const fromEnv = spawnSync(process.execPath, [AGENT_BIN, "install", "--root", envRoot, ...rest], { encoding: "utf8", env: { ...env, OUTPOST_TOKEN: TOKEN } });
    expect(fromEnv.stderr).toBe("");
    expect(tokenIn(envRoot)).toBe(TOKEN);

    const argvRoot = tempDir();
    const onArgv = agent(["install", "--root", argvRoot, "--token", TOKEN, ...rest]);
    expect(onArgv.code).toBe(0);
    expect(onArgv.stderr).toMatch(/^outpost-agent: warning: --token puts the token in the process list/);
    expect(tokenIn(argvRoot)).toBe(TOKEN);

    const both = agent(["install", "--root", tempDir(), "--token", TOKEN, "--token-file", tokenFile(TOKEN), ...rest]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--token-file and --token: give the token one way");
    const empty = agent(["install", "--root", tempDir(), "--token-file", tokenFile(""), ...rest]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/--token-file \S+: the file is empty/);
  });

  it("refuses bad flags with one line each and exit 1, writing nothing", () => {
    const root = tempDir();
    const r = agent(["install", "--root", root, "--no-start", "--binary", FAKE_BIN, "--url", "ftp://x", "--slots", "0", "--module", "Bad", "--data-dir", "rel/dir", "--bogus"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toEqual([
      "outpost-agent: --bogus: unknown option (see outpost-agent --help)",
      expect.stringMatching(/^outpost-agent: --url="ftp:\/\/x": must be an http\(s\) URL/),
      expect.stringMatching(/^outpost-agent: --slots="0": /),
      expect.stringMatching(/^outpost-agent: --module="Bad": must be NAME@VERSION/),
    ]);
    expect(existsSync(join(root, "etc"))).toBe(false);

    const noToken = agent(["install", "--root", root, "--no-start", "--binary", FAKE_BIN, "--url", "http://127.0.0.1:1", "--data-dir", "rel/dir"]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr.trim().split("\n")).toEqual([
      'outpost-agent: --data-dir="rel/dir": must be an absolute path for a service',
      "outpost-agent: --token-file: a token is required (OUTPOST_TOKEN or --token-file PATH|-: a registration token with the agents:register scope) until rel/dir/credential.json exists",
    ]);
    expect(agent(["install", "--root"]).stderr).toBe(
      "outpost-agent: --root: needs a value\noutpost-agent: url=null: is required\noutpost-agent: --binary: is required when not running the release binary (build it with pnpm release)\n",
    );
  });

  it("uninstall removes the unit and config and keeps the data dir; install works again after it", () => {
    const root = tempDir();
    expect(agent(["install", "--root", root, ...INSTALL]).code).toBe(0);
    const data = join(root, "var/lib/outpost-agent");
    writeFileSync(join(data, "credential.json"), "{}");

    const u = agent(["uninstall", "--root", root, "--no-start"]);
    expect(u.stderr).toBe("");
    expect(u.code).toBe(0);
    expect(existsSync(join(root, "etc/systemd/system/outpost-agent.service"))).toBe(false);
    expect(existsSync(join(root, "etc/outpost/agent.json"))).toBe(false);
    expect(existsSync(join(root, "etc/outpost"))).toBe(false);
    expect(existsSync(join(root, "usr/local/bin/outpost-agent"))).toBe(false);
    expect(readFileSync(join(data, "credential.json"), "utf8")).toBe("{}");
    expect(u.stdout).toContain(`kept ${data}`);

    // With the credential kept, a reinstall needs no token.
    const again = agent(["install", "--root", root, "--no-start", "--binary", FAKE_BIN, "--url", "http://127.0.0.1:1"]);
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "etc/outpost/agent.json"), "utf8"))).not.toHaveProperty("token");
    expect(existsSync(join(root, "etc/systemd/system/outpost-agent.service"))).toBe(true);

    const purge = agent(["uninstall", "--root", root, "--no-start", "--purge"]);
    expect(purge.code).toBe(0);
    expect(existsSync(data)).toBe(false);
    expect(agent(["uninstall", "--root", root, "--no-start"]).stdout).toContain("nothing to remove");
    expect(agent(["uninstall", "--root", root, "--what"]).code).toBe(1);
  });
});

describe("outpost-agent status", () => {
  const state = (pid: number, over: Record<string, unknown> = {}) => ({
    connected: true,
    agent_id: "agt_123",
    url: "http://127.0.0.1:7070",
    version: "0.1.0",
    pid,
    since: new Date(Date.now() - 90_000).toISOString(),
    running: [{ job_id: "job_a", attempt: 2, container_id: "c0ffee0123456789abcdef", started_at: new Date().toISOString() }],
    updated_at: new Date().toISOString(),
    ...over,
  });

  it("shows a live, connected agent with its jobs and exits 0", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "state.json"), JSON.stringify(state(process.pid)));
    const r = agent(["status", "--data-dir", dir]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("outpost-agent: running, connected");
    expect(r.stdout).toMatch(/agent id\s+agt_123/);
    expect(r.stdout).toMatch(/version\s+0\.1\.0/);
    expect(r.stdout).toMatch(/jobs\s+1 running/);
    expect(r.stdout).toMatch(/job_a {2}attempt 2 {2}container c0ffee012345/);
  });

  it("says not connected (exit 2) while the live agent reconnects", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "state.json"), JSON.stringify(state(process.pid, { connected: false, running: [] })));
    const r = agent(["status", "--data-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("running, not connected");
  });

  it("reads a dead pid's file as not running and exits 3", async () => {
    const child = spawn(process.execPath, ["-e", ""]);
    const pid = child.pid!;
    await new Promise((r) => child.on("exit", r));
    const dir = tempDir();
    writeFileSync(join(dir, "state.json"), JSON.stringify(state(pid)));
    const r = agent(["status", "--data-dir", dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`not running (pid ${pid} has exited`);
    expect(r.stdout).toMatch(/agent id\s+agt_123/);
  });

  it("finds the data dir through --config and says not running when there is no state file", () => {
    const dir = tempDir();
    const data = join(dir, "data");
    mkdirSync(data);
    writeFileSync(join(dir, "agent.json"), JSON.stringify({ url: "http://127.0.0.1:1", dataDir: data }));
    const r = agent(["status", "--config", join(dir, "agent.json")]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`not running (no state.json in ${data})`);
    expect(agent(["status", "--data-dir"]).stderr).toBe("outpost-agent: --data-dir: needs a value\n");
  });
});

describe("StateFile", () => {
  it("writes the first update at once, coalesces a burst into one later write, and never leaves a tmp file", async () => {
    const dir = tempDir();
    const file = new StateFile(join(dir, "data"));
    file.update({ agent_id: "agt_1", url: "http://x", version: "0.1.0", connected: false });
    expect(readStateFile(join(dir, "data"))).toMatchObject({ agent_id: "agt_1", connected: false, pid: process.pid, running: [] });
    for (let i = 0; i < 50; i++) file.update({ connected: i % 2 === 0, running: [{ job_id: "job_a", attempt: 1 }] });
    // Still the first write: the burst is within the throttle interval.
    expect(readStateFile(join(dir, "data"))!.connected).toBe(false);
    // The burst's last state lands in one later write (the throttle's timer): wait for that fact.
    const after = await until("the coalesced write", async () => (readStateFile(join(dir, "data"))!.running.length === 1 ? readStateFile(join(dir, "data")) : null));
    expect(after).toMatchObject({ connected: false, running: [{ job_id: "job_a", attempt: 1, container_id: null }] });
    const startedAt = after.running[0]!.started_at;
    // An attempt keeps the time it was first reported.
    file.update({ connected: true, running: [{ job_id: "job_a", attempt: 1 }] });
    file.flush();
    expect(readStateFile(join(dir, "data"))!.running[0]!.started_at).toBe(startedAt);
    expect(readStateFile(join(dir, "data"))!.connected).toBe(true);
    expect(readStateFile(join(dir, "nothing"))).toBeNull();
    expect(spawnSync("ls", [join(dir, "data")], { encoding: "utf8" }).stdout.trim()).toBe("state.json");
  });
});

describeDocker("an installed agent, run by hand", () => {
  it("runs from the config install wrote and status follows it: connected while it runs, not running after SIGTERM", async () => {
    const root = tempDir();
    const server = await startServer(join(root, "outpost.db"));
    try {
      const data = join(root, "data");
      // A registration token for one agent, handed over in a file.
      const reg = await server.api("POST", "/api/v1/tokens", { name: "svc", scopes: ["agents:register"], max_uses: 1, expires_at: new Date(Date.now() + 600_000).toISOString() });
      const regToken = (reg.body as any).details.token as string;
      const i = agent(["install", "--root", root, "--no-start", "--binary", FAKE_BIN, "--url", server.url, "--token-file", tokenFile(regToken), "--name", "svc", "--data-dir", data]);
      expect(i.stderr).toBe("");
      const configFile = join(root, "etc/outpost/agent.json");
      expect(JSON.parse(readFileSync(configFile, "utf8")).token).toBe(regToken);
      const run = startProc(AGENT_BIN, ["run", "--config", configFile], { OUTPOST_LOG_LEVEL: "info" });
      try {
        await run.waitFor(/session open/);
        // Registered: the token is gone from the config (the rest kept, still 0600) and from the process list.
        const after = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
        expect(after).not.toHaveProperty("token");
        expect(after).toMatchObject({ url: server.url, name: "svc", dataDir: data });
        expect(readFileSync(configFile, "utf8")).not.toContain(regToken);
        expect(statSync(configFile).mode & 0o777).toBe(0o600);
        expect(readFileSync(`/proc/${run.child.pid}/cmdline`, "utf8")).not.toContain(regToken);
        const up = await until("status to say connected", async () => {
          const r = agent(["status", "--config", configFile]);
          return r.code === 0 ? r : null;
        }, 10_000);
        const agentId = JSON.parse(readFileSync(join(data, "credential.json"), "utf8")).agent_id as string;
        expect(up.stdout).toContain("running, connected");
        expect(up.stdout).toContain(agentId);
        expect(up.stdout).toMatch(/jobs\s+0 running/);
        expect(readStateFile(data)).toMatchObject({ connected: true, agent_id: agentId, url: server.url, pid: run.child.pid });
      } finally {
        expect(await run.kill("SIGTERM")).toBe(0);
      }
      const down = agent(["status", "--config", configFile]);
      expect(down.code).toBe(3);
      expect(down.stdout).toContain("not running");
      expect(readStateFile(data)).toMatchObject({ connected: false, running: [] });
    } finally {
      await server.proc.kill("SIGTERM");
    }
  });
});
