/** outpost-agent's help texts: the overview and one per command, each with its exit codes. */
import { BIN_PATH, CONFIG_PATH, SERVICE_DATA_DIR, SERVICE_USER, UNIT_PATH } from "../install/paths.js";

const RUN_FLAGS = `--url URL [--token-file PATH|-] [--name NAME] [--data-dir DIR] [--slots N] [--module NAME@VERSION ...]
    [--profile FILE.json] [--config FILE] [--log-level LEVEL] [--log-format json|pretty] [--cancel-grace S] [--drain-deadline S]
    [--container-label KEY=VALUE ...] [--label KEY=VALUE ...] [--metrics-addr HOST:PORT]
    [--pull-timeout S] [--registry-auth DOCKER-CONFIG.json]`;

export const HELP = {
  run: `usage: outpost-agent run ${RUN_FLAGS}

Runs the agent: registers with a token of scope agents:register on the first start (then keeps its
own credential in the data dir, default ./data/agent, and removes the token from the --config file),
opens the session and runs jobs in Docker containers. The token: OUTPOST_TOKEN, --token-file PATH,
or --token-file - (stdin); --token PAT works but shows it to every local user (ps).
env: OUTPOST_URL OUTPOST_TOKEN OUTPOST_TOKEN_FILE OUTPOST_NAME OUTPOST_DATA_DIR OUTPOST_SLOTS OUTPOST_MODULES (a,b)
     OUTPOST_CONFIG OUTPOST_LOG_LEVEL OUTPOST_CANCEL_GRACE_S OUTPOST_DRAIN_DEADLINE_S OUTPOST_PROFILE
     OUTPOST_CONTAINER_LABELS (k=v,k=v) OUTPOST_LABELS (k=v,k=v) OUTPOST_METRICS_ADDR OUTPOST_LOG_FORMAT
     OUTPOST_PULL_TIMEOUT_S OUTPOST_REGISTRY_AUTH; flags beat env, env beats the --config JSON file.
--label KEY=VALUE labels the agent (gpu=true): jobs and pools that require labels go only to agents carrying them.
A job's missing image is pulled first (its log shows the progress), within --pull-timeout (900 s);
--registry-auth FILE holds private registry credentials in Docker's config.json format.
--metrics-addr HOST:PORT serves Prometheus metrics at /metrics (off by default, no credential: keep it on loopback).
SIGTERM/SIGINT drain: running jobs may finish until the drain deadline, then are stopped.
exit codes: 0 stopped by SIGTERM/SIGINT, 1 bad settings (one line each), 2 refused by the server
            (revoked credential, retired agent, unknown module), 75 asked by the server to upgrade (the service restarts it)`,
  install: `usage: outpost-agent install --url URL [run flags but --config] [--root DIR] [--no-start]

Installs the agent as a hardened systemd service: copies this binary to ${BIN_PATH}, creates the
system user ${SERVICE_USER} (in the docker group), writes ${CONFIG_PATH} (mode 0600) and ${UNIT_PATH},
then enables and starts it. --data-dir defaults to ${SERVICE_DATA_DIR}. The token comes from
OUTPOST_TOKEN or --token-file PATH|- (keep it out of argv; --token works with a warning), and is
removed from the config once the agent has registered.
--root DIR writes everything under DIR and starts nothing; --no-start only writes the files.
exit codes: 0 installed, 1 bad flags or files not writable, 2 systemd refused to start it`,
  uninstall: `usage: outpost-agent uninstall [--root DIR] [--no-start] [--purge]

Stops, disables and removes the unit, the config and the installed binary; keeps the data dir
(the agent's credential) unless --purge.
exit codes: 0 done (also when nothing was installed), 1 bad flags or a file that cannot be removed, 2 systemd refused`,
  upgrade: `usage: outpost-agent upgrade [--url URL | --config FILE] [--root DIR] [--no-start]

Downloads the agent binary from the control plane (URL/downloads/outpost-agent-linux-x64, default
the URL in ${CONFIG_PATH}), verifies its SHA-256, replaces ${BIN_PATH}, restarts the service and
prints the new version. --root DIR replaces DIR${BIN_PATH} and restarts nothing.
exit codes: 0 upgraded (or already current), 1 bad flags, download or checksum failure, 2 systemd refused to restart`,
  status: `usage: outpost-agent status [--config FILE | --data-dir DIR]

Reads the running agent's state file in its data dir.
exit codes: 0 running and connected, 1 bad flags or an unreadable file, 2 running but not connected, 3 not running`,
} as const;

export const OVERVIEW = `usage: outpost-agent COMMAND [flags]

commands:
  run        run the agent in the foreground
  install    install it as a hardened systemd service
  uninstall  remove the service
  upgrade    replace the installed binary from the control plane and restart
  status     is the agent running and connected?

outpost-agent COMMAND --help shows a command's flags and exit codes; outpost-agent --version its version.
exit codes: 0 ok, 1 unknown command or bad flags; each command documents its own.`;
