/** Where `outpost-agent install` puts things on the host (under --root DIR when given). */
export const UNIT_NAME = "outpost-agent.service";
export const CONFIG_PATH = "/etc/outpost/agent.json";
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
export const SERVICE_DATA_DIR = "/var/lib/outpost-agent";
/** The installed binary, what the unit runs. */
export const BIN_PATH = "/usr/local/bin/outpost-agent";
/** The system user the service runs as (member of the docker group). */
export const SERVICE_USER = "outpost-agent";
/** Where the control plane serves the agent binary (and `.sha256` beside it). */
export const DOWNLOAD_PATH = "/downloads/outpost-agent-linux-x64";
