/**
 * `outpost-agent run`: the daemon. Bad settings print one line each and exit 1; a refusal the
 * operator must fix (revoked credential, unknown module) prints what to do and exits 2. SIGTERM
 * and SIGINT drain: no new jobs, running ones may finish until the drain deadline, then they are
 * stopped and reported; exit 0.
 */
import { ConfigError, configFileOf, loadAgentConfig } from "../config.js";
import { FatalError } from "../errors.js";
import { agentLogger, startAgent } from "../agent.js";
import { DEFAULT_BACKOFF } from "../session/backoff.js";
import type { Out } from "./main.js";
import { UPGRADE_EXIT_CODE, UPGRADE_REQUESTED } from "../install/upgrade-request.js";

export async function run(argv: string[], io: Out): Promise<number> {
  let config;
  try {
    config = loadAgentConfig(argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) io.err(`outpost-agent: ${p}`);
    return 1;
  }
  const log = agentLogger(config);
  let agent;
  for (let attempt = 0; ; attempt++) {
    try {
      agent = await startAgent(config, { configFile: configFileOf(argv), log });
      break;
    } catch (err) {
      if (err instanceof FatalError) {
        io.err(`outpost-agent: ${err.message}`);
        return 2;
      }
      // The server may not be up yet: retry the start, as the session would.
      const delay = Math.min(DEFAULT_BACKOFF.capMs, DEFAULT_BACKOFF.baseMs * 2 ** Math.min(attempt, 6));
      log.warn({ err: (err as Error).message, retry_in_ms: delay }, "cannot start yet; retrying");
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const onSignal = () => void agent.stop();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  const reason = await agent.done;
  if (reason) {
    io.err(`outpost-agent: ${reason}${reason === UPGRADE_REQUESTED ? `; exiting ${UPGRADE_EXIT_CODE} for the service to upgrade and restart it` : ""}`);
    return reason === UPGRADE_REQUESTED ? UPGRADE_EXIT_CODE : 2;
  }
  return 0;
}
