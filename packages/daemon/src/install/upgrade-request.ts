/**
 * The hand-off between the running agent (unprivileged) and `outpost-agent upgrade --if-requested`
 * (the unit's privileged ExecStartPre): a file in the data dir saying which version the server
 * asked for. The privileged side downloads and verifies the binary itself; it never runs bytes the
 * agent wrote.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../host/fs.js";

export const UPGRADE_REQUEST_FILE = "upgrade-requested";
/** agent.done's reason when it stopped to be upgraded; `run` exits with UPGRADE_EXIT_CODE. */
export const UPGRADE_REQUESTED = "upgrade requested by the server";
/** EX_TEMPFAIL: not in RestartPreventExitStatus, so systemd restarts the unit (and runs ExecStartPre). */
export const UPGRADE_EXIT_CODE = 75;

export function writeUpgradeRequest(dataDir: string, version: string): void {
  writeFileAtomic(join(dataDir, UPGRADE_REQUEST_FILE), `${JSON.stringify({ version, requested_at: new Date().toISOString() })}\n`, { mode: 0o600 });
}
