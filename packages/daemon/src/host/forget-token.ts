/**
 * Once the agent has its own credential, the registration token is dead weight that someone could
 * still steal: run removes it from the --config file (install's /etc/outpost/agent.json). The file
 * is rewritten atomically (write beside, rename) with its mode kept, so a crash leaves either the
 * old file or the new one, never a half-written config.
 */
import { readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "./fs.js";

/** Removes the "token" key from the JSON config file; true when there was one to remove. */
export function forgetToken(configFile: string): boolean {
  const file = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
  if (!("token" in file)) return false;
  delete file.token;
  writeFileAtomic(configFile, `${JSON.stringify(file, null, 2)}\n`, { mode: statSync(configFile).mode & 0o777, exactMode: true });
  return true;
}
