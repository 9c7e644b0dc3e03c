/**
 * Issue 14 §2 and §3: `pnpm release` (run here as scripts/release/build.mjs on the built
 * workspace) and what it ships, tested as an operator uses it: from a directory outside the
 * repository with a PATH that has no node. outpost-server serves the binary and the install
 * script; the script, piped to sh as the README says, verifies and installs the agent into a
 * throwaway --root; the installed binary registers and completes a Docker job.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeDocker, ensureTestImage, TEST_IMAGE } from "./support/docker.js";
import { jobHelpers, startCommand, startServer, until, type Proc, type ServerProc } from "./support/processes.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const RELEASE = join(ROOT, "dist/release");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "packages/daemon/package.json"), "utf8")) as { version: string }).version;
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let dir: string;
let bin: string;
let env: NodeJS.ProcessEnv;
const procs: Proc[] = [];
const servers: ServerProc[] = [];

/** A PATH of only the tools the install script and Docker need: no node anywhere on it. */
function toolPath(into: string): string {
  mkdirSync(into);
  for (const tool of ["sh", "curl", "sha256sum", "cut", "mktemp", "rm", "chmod", "uname", "id", "docker", "cat"]) {
    const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    if (found) symlinkSync(found, join(into, tool));
  }
  return into;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, "scripts/release/build.mjs")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  dir = mkdtempSync(join(tmpdir(), "outpost-release-"));
  bin = toolPath(join(dir, "bin"));
  env = { PATH: bin, HOME: dir, LANG: "C" };
}, 660_000);
afterAll(async () => {
  for (const p of procs) await p.kill("SIGKILL");
  for (const s of servers) await s.proc.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("pnpm release writes the single executable, both npm tarballs and a SHA-256 of each", () => {
  const files = [`outpost-agent-${VERSION}-linux-x64`, `outpost-agent-${VERSION}.tgz`, `outpost-server-${VERSION}.tgz`, "outpost-agent-linux-x64"];
  const sums = readFileSync(join(RELEASE, "SHA256SUMS"), "utf8");
  for (const f of files) {
    expect(existsSync(join(RELEASE, f))).toBe(true);
    expect(sums).toContain(`${sha256(join(RELEASE, f))}  ${f}\n`);
    expect(readFileSync(join(RELEASE, `${f}.sha256`), "utf8")).toBe(`${sha256(join(RELEASE, f))}  ${f}\n`);
  }
  expect(spawnSync("sh", ["-c", "command -v node"], { env }).status).not.toBe(0);
  const v = spawnSync(join(RELEASE, `outpost-agent-${VERSION}-linux-x64`), ["--version"], { env, cwd: dir, encoding: "utf8" });
  expect(v.stderr).toBe("");
  expect(v.stdout).toBe(`${VERSION}\n`);
});

it("each tarball installs with npm i -g and its bin works from anywhere", () => {
  const prefix = join(dir, "npm-global");
  const npmEnv = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? join(process.execPath, "../..") };
  execFileSync("npm", ["i", "-g", "--prefix", prefix, "--no-audit", "--no-fund", join(RELEASE, `outpost-agent-${VERSION}.tgz`), join(RELEASE, `outpost-server-${VERSION}.tgz`)], {
    env: npmEnv,
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 900_000,
  });
  const nodeEnv = { PATH: `${join(prefix, "bin")}:${join(process.execPath, "..")}:/usr/bin:/bin`, HOME: dir };
  for (const name of ["outpost-agent", "outpost-server"]) {
    const r = spawnSync(join(prefix, "bin", name), ["--version"], { env: nodeEnv, cwd: tmpdir(), encoding: "utf8" });
    expect(r.stdout).toBe(`${VERSION}\n`);
  }
  // The server's bundle finds its migrations (better-sqlite3 built at install): a token is minted from a new database.
  const t = spawnSync(join(prefix, "bin/outpost-server"), ["token", "create", "--admin", "--name", "x", "--db", join(dir, "npm.db")], { env: nodeEnv, cwd: tmpdir(), encoding: "utf8" });
  expect(t.stderr).toBe("");
  expect(t.stdout).toMatch(/^opat_\w+\n$/);
}, 960_000);

describeDocker("the install script served by outpost-server", () => {
  let server: ServerProc;
  beforeAll(async () => {
    await ensureTestImage();
    server = await startServer(join(dir, "outpost.db"), ["--release-dir", RELEASE]);
    servers.push(server);
    const m = await server.api("POST", "/api/v1/modules", {
      name: "rel",
      version: "1.0.0",
      image: TEST_IMAGE,
      functions: [{ name: "hi", display_name: "Hi", command: ["sh", "-c", "echo hello from the release"] }],
    });
    expect(m.status).toBe(201);
  });

  /** curl -fsSL URL/install/agent.sh | OUTPOST_TOKEN=... sh, into a throwaway root. */
  function installScript(url: string, root: string, extra: Record<string, string>) {
    return spawnSync("sh", ["-c", `curl -fsSL ${url}/install/agent.sh | sh`], { env: { ...env, OUTPOST_ROOT: root, ...extra }, cwd: dir, encoding: "utf8", timeout: 120_000 });
  }

  it("serves the binary with its checksum; the script verifies it, installs it with the token from the environment, and the installed binary completes a Docker job", async () => {
    const served = await fetch(`${server.url}/downloads/outpost-agent-linux-x64`);
    expect(served.status).toBe(200);
    expect(createHash("sha256").update(new Uint8Array(await served.arrayBuffer())).digest("hex")).toBe(sha256(join(RELEASE, "outpost-agent-linux-x64")));

    const root = join(dir, "root");
    const data = join(dir, "agent-data");
    const r = installScript(server.url, root, { OUTPOST_TOKEN: server.token, OUTPOST_ARGS: `--no-start --name released --module rel@1.0.0 --data-dir ${data}` });
    expect(r.stderr).toContain("checksum ok");
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("outpost-agent status");
    const installed = join(root, "usr/local/bin/outpost-agent");
    expect(sha256(installed)).toBe(sha256(join(RELEASE, "outpost-agent-linux-x64")));
    expect(readFileSync(join(root, "etc/systemd/system/outpost-agent.service"), "utf8")).toContain("ExecStart=/usr/local/bin/outpost-agent run --config /etc/outpost/agent.json");

    const agent = startCommand(installed, ["run", "--config", join(root, "etc/outpost/agent.json")], { env, cwd: dir });
    procs.push(agent);
    await agent.waitFor(/"registered"|registered/, 60_000);
    const { settled, agentNamed } = jobHelpers(() => server.api);
    const a = await until("the released agent online", async () => {
      const found = await agentNamed("released");
      return found?.connected ? found : null;
    });
    expect(a.version).toBe(VERSION);
    const job = await server.api("POST", "/api/v1/jobs", { module: "rel", function: "hi", inputs: {} });
    expect(job.status).toBe(201);
    expect((await settled(job.body.details.id, 120_000)).status).toBe("completed");
    const logs = await server.api("GET", `/api/v1/jobs/${job.body.details.id}/logs`);
    expect(JSON.stringify(logs.body)).toContain("hello from the release");
  });

  it("outpost-agent upgrade replaces the installed binary with the served one (checksum-verified) and reports the version; --if-requested only acts on the agent's request", () => {
    const root = join(dir, "up-root");
    const target = join(root, "usr/local/bin/outpost-agent");
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    writeFileSync(target, "#!/bin/sh\necho 0.0.1\n", { mode: 0o755 });
    const exe = join(RELEASE, `outpost-agent-${VERSION}-linux-x64`);
    const up = spawnSync(exe, ["upgrade", "--url", server.url, "--root", root], { env, cwd: dir, encoding: "utf8" });
    expect(up.stderr).toBe("");
    expect(up.status).toBe(0);
    expect(up.stdout).toBe(`upgraded ${target}: 0.0.1 -> ${VERSION}\n`);
    expect(sha256(target)).toBe(sha256(join(RELEASE, "outpost-agent-linux-x64")));
    const again = spawnSync(exe, ["upgrade", "--url", server.url, "--root", root], { env, cwd: dir, encoding: "utf8" });
    expect(again.stdout).toContain("is already the control plane's binary");

    // The unit's ExecStartPre: nothing without a request; with one, upgrade and remove it.
    const data = join(root, "var/lib/outpost-agent");
    mkdirSync(join(root, "etc/outpost"), { recursive: true });
    mkdirSync(data, { recursive: true });
    writeFileSync(join(root, "etc/outpost/agent.json"), JSON.stringify({ url: server.url, dataDir: "/var/lib/outpost-agent" }));
    writeFileSync(target, "#!/bin/sh\necho 0.0.1\n", { mode: 0o755 });
    const idle = spawnSync(exe, ["upgrade", "--if-requested", "--root", root], { env, cwd: dir, encoding: "utf8" });
    expect([idle.status, idle.stdout, idle.stderr]).toEqual([0, "", ""]);
    expect(readFileSync(target, "utf8")).toContain("0.0.1");
    writeFileSync(join(data, "upgrade-requested"), JSON.stringify({ version: VERSION }));
    const asked = spawnSync(exe, ["upgrade", "--if-requested", "--root", root], { env, cwd: dir, encoding: "utf8" });
    expect(asked.status).toBe(0);
    expect(asked.stdout).toBe(`upgraded ${target}: 0.0.1 -> ${VERSION}\n`);
    expect(existsSync(join(data, "upgrade-requested"))).toBe(false);
  });

  it("refuses a binary whose checksum does not match, and installs nothing", async () => {
    const bad = join(dir, "bad-release");
    mkdirSync(bad);
    symlinkSync(join(RELEASE, "outpost-agent-linux-x64"), join(bad, "outpost-agent-linux-x64"));
    writeFileSync(join(bad, "outpost-agent-linux-x64.sha256"), `${"0".repeat(64)}  outpost-agent-linux-x64\n`);
    const other = await startServer(join(dir, "other.db"), ["--release-dir", bad]);
    servers.push(other);
    const root = join(dir, "bad-root");
    const r = installScript(other.url, root, { OUTPOST_TOKEN: other.token, OUTPOST_ARGS: "--no-start" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("checksum mismatch");
    expect(existsSync(root)).toBe(false);

    // upgrade refuses it too, and leaves the installed binary alone.
    const upRoot = join(dir, "bad-up-root");
    mkdirSync(join(upRoot, "usr/local/bin"), { recursive: true });
    writeFileSync(join(upRoot, "usr/local/bin/outpost-agent"), "old", { mode: 0o755 });
    const up = spawnSync(join(RELEASE, `outpost-agent-${VERSION}-linux-x64`), ["upgrade", "--url", other.url, "--root", upRoot], { env, cwd: dir, encoding: "utf8" });
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/^outpost-agent: upgrade failed: checksum mismatch/);
    expect(readFileSync(join(upRoot, "usr/local/bin/outpost-agent"), "utf8")).toBe("old");
  });

  it("says how to get Docker when the host has none", () => {
    const noDocker = join(dir, "bin-no-docker");
    mkdirSync(noDocker);
    for (const tool of ["sh", "curl", "id", "uname"]) symlinkSync(join(bin, tool), join(noDocker, tool));
    const r = spawnSync("sh", ["-c", `curl -fsSL ${server.url}/install/agent.sh | sh`], { env: { ...env, PATH: noDocker, OUTPOST_ROOT: join(dir, "nd") }, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Docker is not installed\. Install Docker Engine/);
  });
});

