/** outpost-server's settings: flags override env, env overrides defaults. Nothing parsed at import. */
import { dirname, join } from "node:path";
import { z } from "zod";

export const ServerConfig = z.object({
  /** OUTPOST_HOST: interface to listen on. */
  host: z.string().min(1).default("127.0.0.1"),
  /** OUTPOST_PORT: 0 picks a free port; the chosen URL is logged. */
  port: z.coerce.number().int().min(0).max(65535).default(7070),
  /** OUTPOST_DB: the SQLite file (a path or a `sqlite:PATH` URL); its folder is created. */
  db: z
    .string()
    .min(1)
    .refine((v) => !/^postgres(ql)?:/i.test(v), "this release stores in SQLite only: give a file path or a sqlite:PATH URL")
    .transform((v) => v.replace(/^sqlite:(\/\/)?/i, ""))
    .pipe(z.string().min(1, "sqlite: needs a path after it"))
    .default("./data/outpost.db"),
  /** OUTPOST_LEASE_TTL_S: how long a job attempt's lease lasts without renewal. */
  leaseTtlS: z.coerce.number().int().min(1).max(86_400).default(120),
  /** OUTPOST_LEASE_GRACE_S: after the TTL, how long before an attempt is declared lost (and after a restart, before anything is). */
  leaseGraceS: z.coerce.number().int().min(0).max(86_400).default(30),
  /** OUTPOST_HEARTBEAT_S: the server pings each agent session this often; silent past ~3 pings -> Unknown. */
  heartbeatS: z.coerce.number().int().min(1).max(300).default(10),
  /** OUTPOST_LOG_LEVEL: pino level. */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** OUTPOST_LOG_FORMAT (--log-format): json, one record a line (default), or pretty (pino-pretty: one readable line each). */
  logFormat: z.enum(["json", "pretty"]).default("json"),
  /** OUTPOST_CONSOLE_DIR: the built console to serve at /; empty disables it. */
  consoleDir: z.string().optional(),
  /**
   * OUTPOST_DEFAULT_JOB_TIMEOUT_S (--default-job-timeout): a job whose request and function give no
   * timeout_s gets this one, so a forgotten job does not run for ever; 0 leaves such jobs unbounded.
   */
  defaultJobTimeoutS: z.coerce.number().int().min(0).max(7 * 24 * 3600).default(3600),
  /** OUTPOST_BOOTSTRAP_TOKEN_FILE: where the first start writes the bootstrap admin token (mode 0600); default bootstrap-token beside the database. */
  bootstrapTokenFile: z.string().min(1).optional(),
  /** OUTPOST_RELEASE_DIR: the release (`pnpm release`) whose agent binary /downloads serves; default dist/release. */
  releaseDir: z.string().optional(),
  /** OUTPOST_BODY_LIMIT: largest request body in bytes. */
  bodyLimit: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** OUTPOST_STREAM_KEEPALIVE_S: every open SSE stream sends a keepalive this often, and at each one re-checks its token (expiry, revocation) and drops a consumer that took nothing since the last. */
  streamKeepaliveS: z.coerce.number().int().min(1).max(300).default(15),
  /** OUTPOST_STREAM_HIGH_WATER_BYTES: an SSE stream with more than this many bytes waiting for its consumer is dropped (it resumes from its last event id). */
  streamHighWaterBytes: z.coerce.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(256 * 1024),
  /** OUTPOST_STREAMS_PER_TOKEN: open SSE streams one token may hold; one more is a 429. */
  streamsPerToken: z.coerce.number().int().min(1).max(10_000).default(20),
  /** OUTPOST_AUTH_FAIL_MAX: failed authentications allowed per client address, and per token prefix, in each window; then 429. */
  authFailMax: z.coerce.number().int().min(1).default(20),
  /** OUTPOST_AUTH_FAIL_WINDOW_S: the failed-authentication window, in seconds. */
  authFailWindowS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** OUTPOST_RATE_LIMIT_MAX: requests per credential (or address) to each expensive route in each window; high by default. */
  rateLimitMax: z.coerce.number().int().min(1).default(50_000),
  /** OUTPOST_TRIGGER_CHAIN_LIMIT: how many event triggers may follow one another from one job before the chain stops. */
  triggerChainLimit: z.coerce.number().int().min(0).max(100).default(5),
  /** OUTPOST_RATE_LIMIT_WINDOW_S: the expensive-route window, in seconds. */
  rateLimitWindowS: z.coerce.number().int().min(1).max(86_400).default(60),
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
  logFormat: "OUTPOST_LOG_FORMAT",
  consoleDir: "OUTPOST_CONSOLE_DIR",
  releaseDir: "OUTPOST_RELEASE_DIR",
  bodyLimit: "OUTPOST_BODY_LIMIT",
  defaultJobTimeoutS: "OUTPOST_DEFAULT_JOB_TIMEOUT_S",
  bootstrapTokenFile: "OUTPOST_BOOTSTRAP_TOKEN_FILE",
  streamKeepaliveS: "OUTPOST_STREAM_KEEPALIVE_S",
  streamHighWaterBytes: "OUTPOST_STREAM_HIGH_WATER_BYTES",
  streamsPerToken: "OUTPOST_STREAMS_PER_TOKEN",
  authFailMax: "OUTPOST_AUTH_FAIL_MAX",
  authFailWindowS: "OUTPOST_AUTH_FAIL_WINDOW_S",
  rateLimitMax: "OUTPOST_RATE_LIMIT_MAX",
  rateLimitWindowS: "OUTPOST_RATE_LIMIT_WINDOW_S",
  triggerChainLimit: "OUTPOST_TRIGGER_CHAIN_LIMIT",
};
/** Flags whose name is not the key's kebab case. */
const FLAG_NAMES: Partial<Record<keyof ServerConfig, string>> = { leaseTtlS: "--lease-ttl", leaseGraceS: "--lease-grace", heartbeatS: "--heartbeat", defaultJobTimeoutS: "--default-job-timeout", authFailWindowS: "--auth-fail-window", rateLimitWindowS: "--rate-limit-window" };

/** The bootstrap token's file: as configured, else `bootstrap-token` in the database's folder. */
export function bootstrapTokenPath(config: ServerConfig): string {
  return config.bootstrapTokenFile ?? join(config.db === ":memory:" || config.db.startsWith("file:") ? "." : dirname(config.db), "bootstrap-token");
}

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
      source[key] = FLAG_NAMES[key as keyof ServerConfig] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
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
