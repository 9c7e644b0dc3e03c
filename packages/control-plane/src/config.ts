/** outpost-server's settings: flags override env, env overrides defaults. Nothing parsed at import. */
import { z } from "zod";

export const ServerConfig = z.object({
  /** OUTPOST_HOST: interface to listen on. */
  host: z.string().min(1).default("127.0.0.1"),
  /** OUTPOST_PORT: 0 picks a free port; the chosen URL is logged. */
  port: z.coerce.number().int().min(0).max(65535).default(7070),
  /** OUTPOST_DB: the SQLite file; its folder is created. */
  db: z.string().min(1).default("./data/outpost.db"),
  /** OUTPOST_LEASE_TTL_S: how long a job attempt's lease lasts without renewal. */
  leaseTtlS: z.coerce.number().int().min(1).max(86_400).default(120),
  /** OUTPOST_LEASE_GRACE_S: after the TTL, how long before an attempt is declared lost (and after a restart, before anything is). */
  leaseGraceS: z.coerce.number().int().min(0).max(86_400).default(30),
  /** OUTPOST_HEARTBEAT_S: the server pings each agent session this often; silent past ~3 pings -> Unknown. */
  heartbeatS: z.coerce.number().int().min(1).max(300).default(10),
  /** OUTPOST_LOG_LEVEL: pino level. */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** OUTPOST_CONSOLE_DIR: the built console to serve at /; empty disables it. */
  consoleDir: z.string().optional(),
  /** OUTPOST_RELEASE_DIR: the release (`pnpm release`) whose agent binary /downloads serves; default dist/release. */
  releaseDir: z.string().optional(),
  /** OUTPOST_BODY_LIMIT: largest request body in bytes. */
  bodyLimit: z.coerce.number().int().min(1024).default(1024 * 1024),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

const ENV_KEYS: Record<keyof ServerConfig, string> = {
  host: "OUTPOST_HOST",
  port: "OUTPOST_PORT",
  db: "OUTPOST_DB",
  leaseTtlS: "OUTPOST_LEASE_TTL_S",
  leaseGraceS: "OUTPOST_LEASE_GRACE_S",
  heartbeatS: "OUTPOST_HEARTBEAT_S",
  logLevel: "OUTPOST_LOG_LEVEL",
  consoleDir: "OUTPOST_CONSOLE_DIR",
  releaseDir: "OUTPOST_RELEASE_DIR",
  bodyLimit: "OUTPOST_BODY_LIMIT",
};

export class ConfigError extends Error {}

/** Merges env and flags (flags win) and validates, naming the key and the bad value. */
export function loadConfig(flags: Partial<Record<keyof ServerConfig, string>> = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const raw: Record<string, string> = {};
  const source: Record<string, string> = {};
  for (const [key, envKey] of Object.entries(ENV_KEYS)) {
    const fromEnv = env[envKey];
    if (fromEnv !== undefined && fromEnv !== "") {
      raw[key] = fromEnv;
      source[key] = envKey;
    }
    const fromFlag = flags[key as keyof ServerConfig];
    if (fromFlag !== undefined) {
      raw[key] = fromFlag;
      source[key] = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }
  const parsed = ServerConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    throw new ConfigError(`${source[key] ?? key}=${JSON.stringify(raw[key])}: ${issue.message}`);
  }
  return parsed.data;
}
