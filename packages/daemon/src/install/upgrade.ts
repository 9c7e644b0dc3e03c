/**
 * `outpost-agent upgrade`: fetches the agent binary the control plane serves, verifies it against
 * the SHA-256 served beside it, checks the new file runs (`--version`), renames it over the
 * installed binary and restarts the service. Run as root (it replaces a root-owned file).
 *
 * `--if-requested` is what the unit's privileged ExecStartPre runs: it upgrades only when the agent
 * left an upgrade request in its data dir (the control plane asked it, see docs/protocol.md
 * `upgrade`), never restarts (systemd is starting the unit), and a failure leaves the old binary
 * in place and still exits 0, so the agent starts and the server sees the old version.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Out } from "../cli/main.js";
import { ConfigError, loadAgentConfig, splitFlags } from "../config.js";
import { writeFileAtomic } from "../host/fs.js";
import { BIN_PATH, CONFIG_PATH, DOWNLOAD_PATH, UNIT_NAME } from "./paths.js";
import { restartService } from "./install.js";
import { UPGRADE_REQUEST_FILE } from "./upgrade-request.js";


export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Downloads URL/downloads/outpost-agent-linux-x64 and its .sha256; throws unless they match. */
export async function downloadAgent(url: string): Promise<Uint8Array> {
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    if (!res.ok) throw new Error(`GET ${url}${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const expected = new TextDecoder().decode(await get(`${DOWNLOAD_PATH}.sha256`)).trim().split(/\s+/)[0] ?? "";
  const bin = await get(DOWNLOAD_PATH);
  const actual = sha256(bin);
  if (!/^[0-9a-f]{64}$/.test(expected) || actual !== expected) {
    throw new Error(`checksum mismatch for ${url}${DOWNLOAD_PATH}: expected ${expected || "(none)"}, got ${actual}`);
  }
  return bin;
}

/** The version a binary prints, or null when it does not run. */
export function versionOf(bin: string): string | null {
  if (!existsSync(bin)) return null;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export async function upgrade(argv: string[], io: Out): Promise<number> {
  const start = !argv.includes("--no-start");
  const ifRequested = argv.includes("--if-requested");
  const { values, problems } = splitFlags(
    argv.filter((a) => a !== "--no-start" && a !== "--if-requested"),
    ["--url", "--config", "--root"],
    "see outpost-agent upgrade --help",
    { emptyIsMissing: true },
  );
  const flag = (n: string) => values.findLast((v) => v.name === n)?.value;
  const root = resolve(flag("--root") ?? "/");
  let url = flag("--url");
  let dataDir: string | undefined;
  const configFile = flag("--config") ?? join(root, CONFIG_PATH);
  if (!problems.length && (!url || ifRequested)) {
    try {
      const config = loadAgentConfig(["--config", configFile], {});
      url ??= config.url;
      dataDir = join(root, config.dataDir);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems, "give --url URL or --config FILE");
    }
  }
  if (problems.length || !url) {
    for (const p of problems) io.err(`outpost-agent: ${p}`);
    return 1;
  }
  const request = dataDir ? join(dataDir, UPGRADE_REQUEST_FILE) : "";
  if (ifRequested && !existsSync(request)) return 0;

  const target = join(root, BIN_PATH);
  const before = versionOf(target);
  try {
    const bin = await downloadAgent(url.replace(/\/+$/, ""));
    if (existsSync(target) && sha256(readFileSync(target)) === sha256(bin)) {
      io.out(`outpost-agent ${before ?? "(unknown version)"} at ${target} is already the control plane's binary`);
    } else {
      const staged = `${target}.new`;
      writeFileAtomic(staged, bin, { mode: 0o755, exactMode: true, dirMode: 0o755 });
      const after = versionOf(staged);
      if (!after) {
        rmSync(staged, { force: true });
        throw new Error(`the downloaded binary does not run (${staged} --version failed); ${target} is unchanged`);
      }
      writeFileAtomic(target, readFileSync(staged), { mode: 0o755, exactMode: true });
      rmSync(staged, { force: true });
      io.out(`upgraded ${target}: ${before ?? "(none)"} -> ${after}`);
    }
  } catch (err) {
    io.err(`outpost-agent: upgrade failed: ${(err as Error).message}`);
    if (ifRequested) rmSync(request, { force: true });
    return ifRequested ? 0 : 1;
  }
  if (ifRequested) {
    rmSync(request, { force: true });
    return 0;
  }
  if (!start || root !== "/") return 0;
  const r = restartService(io);
  if (r !== 0) return r;
  io.out(`restarted ${UNIT_NAME}; now running ${versionOf(target) ?? "(unknown)"}`);
  return 0;
}
