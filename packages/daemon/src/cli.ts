/**
 * outpost-agent command line: `run` starts the daemon. Bad settings print one line each and exit
 * 1; a refusal the operator must fix (revoked credential, unknown module) prints what to do and
 * exits 2. SIGTERM and SIGINT drain: no new jobs, running ones may finish until the drain
 * deadline, then they are stopped and reported; exit 0.
 * `install`/`uninstall` (service.ts) set it up as a systemd service; `status` (status.ts) reads
 * what the running daemon last wrote to its data dir.
 */
import { ConfigError, configFileOf, loadAgentConfig, TOKEN_ON_ARGV_WARNING, tokenOnArgv } from "./config.js";
import { FatalError } from "./identity.js";
import { startAgent } from "./agent.js";
import { DAEMON_VERSION } from "./version.js";
import { CONFIG_PATH, install, SERVICE_DATA_DIR, uninstall, UNIT_PATH } from "./service.js";
import { DEFAULT_BACKOFF } from "./session.js";
import { status } from "./status.js";

const USAGE = `usage: outpost-agent run --url URL [--token-file PATH|-] [--name NAME] [--data-dir DIR] [--slots N]
                         [--module NAME@VERSION ...] [--profile FILE.json] [--config FILE] [--log-level LEVEL] [--cancel-grace S] [--drain-deadline S]
                         the registration token: OUTPOST_TOKEN, --token-file PATH, or --token-file - (stdin);
                         --token PAT works but shows it to every local user (ps); once registered, it is not needed
                         and is removed from the --config file
                         [--container-label KEY=VALUE ...]
       outpost-agent install --url URL --token-file PATH|- [run flags but --config] [--root DIR] [--no-start]
                         writes ${CONFIG_PATH} (mode 0600, folder 0700) and ${UNIT_PATH}, enables and starts it;
                         the service's first start registers and removes the token from ${CONFIG_PATH};
                         --data-dir defaults to ${SERVICE_DATA_DIR}; --root DIR writes under DIR and starts nothing
       outpost-agent uninstall [--root DIR] [--no-start] [--purge]   (keeps the data dir unless --purge)
       outpost-agent status [--config FILE | --data-dir DIR]   exit 0 running and connected, 2 not connected, 3 not running
env: OUTPOST_URL OUTPOST_TOKEN OUTPOST_TOKEN_FILE OUTPOST_NAME OUTPOST_DATA_DIR OUTPOST_SLOTS OUTPOST_MODULES (a,b) OUTPOST_CONFIG
     OUTPOST_LOG_LEVEL OUTPOST_CANCEL_GRACE_S OUTPOST_DRAIN_DEADLINE_S OUTPOST_PROFILE
     OUTPOST_CONTAINER_LABELS (k=v,k=v); flags override env, env overrides the --config JSON file.`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "version") {
    process.stdout.write(`${DAEMON_VERSION}\n`);
    return 0;
  }
  const io = { out: (l: string) => void process.stdout.write(`${l}\n`), err: (l: string) => void process.stderr.write(`${l}\n`) };
  if ((command === "install" || command === "run") && tokenOnArgv(rest)) io.err(`outpost-agent: ${TOKEN_ON_ARGV_WARNING}`);
  if (command === "install") return install(rest, io);
  if (command === "uninstall") return uninstall(rest, io);
  if (command === "status") return status(rest, io);
  if (command !== "run") {
    process.stderr.write(command && command !== "--help" && command !== "help" ? `outpost-agent: unknown command "${command}"\n${USAGE}\n` : `${USAGE}\n`);
    return command === "--help" || command === "help" ? 0 : 1;
  }
  let config;
  try {
    config = loadAgentConfig(rest);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`outpost-agent: ${p}\n`);
    return 1;
  }
  let agent;
  for (let attempt = 0; ; attempt++) {
    try {
      agent = await startAgent(config, { configFile: configFileOf(rest) });
      break;
    } catch (err) {
      if (err instanceof FatalError) {
        process.stderr.write(`outpost-agent: ${err.message}\n`);
        return 2;
      }
      // The server may not be up yet: retry the start, as the session would.
      const delay = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** Math.min(attempt, 6));
      process.stderr.write(`outpost-agent: ${(err as Error).message}; retrying in ${Math.round(delay / 1000)} s\n`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const onSignal = () => void agent.stop();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const reason = await agent.done;
  if (reason) {
    process.stderr.write(`outpost-agent: ${reason}\n`);
    return 2;
  }
  return 0;
}
