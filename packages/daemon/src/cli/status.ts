/**
 * `outpost-agent status`: reads `<dataDir>/state.json` (written by the running daemon, see
 * host/state-file.ts) and checks that its pid is alive, so a file left by a killed process reads as
 * "not running". Exit codes follow `systemctl status`: 0 running and connected, 3 not running;
 * also 2 running but not connected to the server, 1 bad flags or an unreadable file.
 */
import { existsSync } from "node:fs";
import { ConfigError, DEFAULT_DATA_DIR, loadAgentConfig, splitFlags } from "../config.js";
import { readCredential } from "../host/identity.js";
import { CONFIG_PATH } from "../install/install.js";
import { readStateFile, STATE_FILE, type AgentState } from "../host/state-file.js";

/** A live daemon rewrites its state at least every 10 s; three times that means it is hung or the pid was reused. */
const STALE_AFTER_MS = 30_000;

type Out = { out: (line: string) => void; err: (line: string) => void };

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ago(iso: string, now: number): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return "at an unknown time";
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** --data-dir DIR, else --config FILE (or OUTPOST_CONFIG, or the installed service's config) for its dataDir, else run's default. */
function dataDirOf(argv: string[], env: NodeJS.ProcessEnv): { dataDir?: string; problems: string[] } {
  let dataDir: string | undefined;
  let config: string | undefined;
  const { values, problems } = splitFlags(argv, ["--data-dir", "--config"], "see outpost-agent status --help", { emptyIsMissing: true });
  for (const { name, value } of values) {
    if (name === "--data-dir") dataDir = value;
    else config = value;
  }
  if (problems.length || dataDir) return { dataDir, problems };
  config ??= env.OUTPOST_CONFIG ?? (existsSync(CONFIG_PATH) ? CONFIG_PATH : undefined);
  if (!config) return { dataDir: env.OUTPOST_DATA_DIR || DEFAULT_DATA_DIR, problems };
  try {
    return { dataDir: loadAgentConfig(["--config", config], {}).dataDir, problems };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.problems };
  }
}

export function status(argv: string[], io: Out, env: NodeJS.ProcessEnv = process.env): number {
  const { dataDir, problems } = dataDirOf(argv, env);
  if (problems.length || !dataDir) {
    for (const p of problems) io.err(`outpost-agent: ${p}`);
    return 1;
  }
  let state: AgentState | null;
  try {
    state = readStateFile(dataDir);
  } catch (err) {
    io.err(`outpost-agent: ${(err as Error).message}`);
    return 1;
  }
  const now = Date.now();
  if (!state) {
    let agentId: string | undefined;
    try {
      agentId = readCredential(dataDir)?.agent_id;
    } catch {
      // An unreadable credential is run's to report.
    }
    io.out(`outpost-agent: not running (no ${STATE_FILE} in ${dataDir})`);
    if (agentId) io.out(`  agent id   ${agentId} (registered; the credential is in ${dataDir})`);
    return 3;
  }
  const alive = pidAlive(state.pid);
  const stale = alive && now - Date.parse(state.updated_at) > STALE_AFTER_MS;
  if (!alive || stale) {
    io.out(
      `outpost-agent: not running (${!alive ? `pid ${state.pid} has exited` : `pid ${state.pid} exists but has not updated ${STATE_FILE} since ${state.updated_at}`}; last update ${ago(state.updated_at, now)})`,
    );
    io.out(`  agent id   ${state.agent_id || "(not registered)"}`);
    io.out(`  server     ${state.url}`);
    return 3;
  }
  io.out(`outpost-agent: running, ${state.connected ? "connected" : "not connected (reconnecting)"}`);
  io.out(`  agent id   ${state.agent_id || "(not registered yet)"}`);
  io.out(`  server     ${state.url}`);
  io.out(`  version    ${state.version}`);
  io.out(`  pid        ${state.pid}, since ${state.since} (${ago(state.since, now)})`);
  io.out(`  jobs       ${state.running.length} running`);
  for (const r of state.running) {
    const container = r.container_id ? `container ${r.container_id.slice(0, 12)}` : "container unknown";
    io.out(`    ${r.job_id}  attempt ${r.attempt}  ${container}  started ${r.started_at} (${ago(r.started_at, now)})`);
  }
  io.out(`  state      ${dataDir}/${STATE_FILE}, updated ${ago(state.updated_at, now)}`);
  return state.connected ? 0 : 2;
}
