/**
 * outpost-agent's settings: flags override env, env overrides the config file, which overrides
 * defaults. Every bad value is reported, one line each, naming where it came from.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { AgentProfilePatch, Labels, ModuleName, SemverString, type ModuleRef } from "@outpost/shared";
import { LABEL } from "./runtime/docker.js";

const MODULE_SPEC_MESSAGE = "must be NAME@VERSION, such as hello@1.0.0";

/** NAME@VERSION, split at the last "@"; both parts checked with the shared ModuleRef schemas. */
const ModuleSpec = z
  .string()
  .superRefine((s, ctx) => {
    const at = s.lastIndexOf("@");
    if (at < 0 || !ModuleName.safeParse(s.slice(0, at)).success || !SemverString.safeParse(s.slice(at + 1)).success) {
      ctx.addIssue({ code: "custom", message: MODULE_SPEC_MESSAGE });
    }
  })
  .transform((s): ModuleRef => {
    const at = s.lastIndexOf("@");
    return { name: s.slice(0, at), version: s.slice(at + 1) };
  });

/** Where run keeps its credential and job scratch dirs unless told otherwise. */
export const DEFAULT_DATA_DIR = "./data/agent";

/** KEY=VALUE, a Docker label set on every job container of this agent. */
const ContainerLabel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,127}=[^\s=][^\n]{0,255}$/, "must be KEY=VALUE, such as outpost.test-run=1234 (KEY lower case, VALUE not empty)")
  .refine((s) => !(Object.values(LABEL) as string[]).includes(s.slice(0, s.indexOf("="))), "sets a label the agent sets itself");

/**
 * KEY=VALUE, a label of the agent itself (`--label gpu=true`): reported at registration, shown in
 * the console, matched against the labels a job or pool requires. The server's rules (Labels).
 */
const AgentLabel = z
  .string()
  .regex(/^[^=\s]{1,63}=[^\n]{0,255}$/, "must be KEY=VALUE, such as gpu=true (KEY 1-63 characters, no '=' or spaces)")
  .refine((s) => Labels.safeParse({ [s.slice(0, s.indexOf("="))]: s.slice(s.indexOf("=") + 1) }).success, "holds a control character");

/** The agent's own labels as the server takes them; undefined when none are set (the stored ones stay). */
export function agentLabelsOf(config: Pick<AgentConfig, "labels">): Record<string, string> | undefined {
  if (!config.labels.length) return undefined;
  return Object.fromEntries(config.labels.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** The labels as the runtime takes them. */
export function labelsOf(config: Pick<AgentConfig, "containerLabels">): Record<string, string> {
  return Object.fromEntries(config.containerLabels.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

export const AgentConfig = z.object({
  /** OUTPOST_URL: the control plane, e.g. http://127.0.0.1:7070 */
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://127.0.0.1:7070" }).transform((u) => u.replace(/\/+$/, "")),
  /**
   * OUTPOST_TOKEN, --token-file PATH (`-`: stdin) or OUTPOST_TOKEN_FILE: a PAT with agents:register
   * (a registration token), needed only until the agent has its credential. --token works too but
   * puts the token in the process list.
   */
  token: z.string().min(1).optional(),
  /** OUTPOST_NAME: shown in the console; default the hostname. */
  name: z.string().trim().min(1).max(100).optional(),
  /** OUTPOST_DATA_DIR: credential, job scratch dirs. */
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  /** OUTPOST_SLOTS: jobs run at once. */
  slots: z.coerce.number().int().min(1).max(64).default(1),
  /** OUTPOST_MODULES (comma separated) or --module, repeatable: NAME@VERSION this host has. */
  modules: z.array(ModuleSpec).max(200).default([]),
  /** OUTPOST_LOG_LEVEL */
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** OUTPOST_PULL_TIMEOUT_S or --pull-timeout: longest pull of a job's missing image; the job fails with reason image past it. */
  pullTimeoutS: z.coerce.number().int().min(1).max(86_400).default(900),
  /**
   * OUTPOST_REGISTRY_AUTH or --registry-auth FILE: private registry credentials per registry, in
   * Docker's config.json format ({"auths": {"HOST:PORT": {"auth": base64("user:password")}}}).
   */
  registryAuth: z.string().min(1).optional(),
  /** OUTPOST_LOG_FORMAT or --log-format: json, one record a line (default), or pretty (pino-pretty). */
  logFormat: z.enum(["json", "pretty"]).default("json"),
  /** OUTPOST_CANCEL_GRACE_S: SIGTERM to SIGKILL on cancel when the server does not say. */
  cancelGraceS: z.coerce.number().int().min(0).max(3600).default(10),
  /** OUTPOST_DRAIN_DEADLINE_S: on SIGTERM, how long running jobs may go on before they are stopped. */
  drainDeadlineS: z.coerce.number().int().min(0).max(86_400).default(60),
  /**
   * OUTPOST_CONTAINER_LABELS (comma separated) or --container-label, repeatable: KEY=VALUE labels
   * on every job container; the agent then treats only containers carrying them all as its own.
   */
  containerLabels: z.array(ContainerLabel).max(20).default([]),
  /**
   * OUTPOST_LABELS (comma separated), --label KEY=VALUE (repeatable), or in the --config file as a
   * list of "KEY=VALUE" or an object: the agent's labels, reported at every registration.
   */
  labels: z
    .preprocess(
      (v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.entries(v).map(([k, x]) => `${k}=${String(x)}`) : v),
      z.array(AgentLabel).max(50),
    )
    .default([]),
  /**
   * OUTPOST_PROFILE or --profile FILE.json: the agent's profile (description, soul_md, rules_md,
   * autonomy_level, models, skills, tools_config, container_profile_id, model_policy_id), sent at
   * registration; only the fields in the file are set.
   */
  profile: z.string().min(1).optional(),
  /**
   * OUTPOST_METRICS_ADDR or --metrics-addr HOST:PORT: serve Prometheus metrics at /metrics there
   * (off by default; no credential, so keep it on loopback or a scrape-only network).
   */
  metricsAddr: z.string().regex(/^(\[[^\]]+\]|[^:]*):\d{1,5}$/, "must be HOST:PORT, e.g. 127.0.0.1:9464").optional(),
  /** The --profile file's fields, checked at load (not a key of its own). */
  profileFields: z.custom<AgentProfilePatch>().default({}),
});
export type AgentConfig = z.infer<typeof AgentConfig>;

type Key = Exclude<keyof AgentConfig, "profileFields">;
const ENV: Record<Key, string> = {
  url: "OUTPOST_URL",
  token: "OUTPOST_TOKEN",
  name: "OUTPOST_NAME",
  dataDir: "OUTPOST_DATA_DIR",
  slots: "OUTPOST_SLOTS",
  modules: "OUTPOST_MODULES",
  logLevel: "OUTPOST_LOG_LEVEL",
  cancelGraceS: "OUTPOST_CANCEL_GRACE_S",
  drainDeadlineS: "OUTPOST_DRAIN_DEADLINE_S",
  containerLabels: "OUTPOST_CONTAINER_LABELS",
  profile: "OUTPOST_PROFILE",
  metricsAddr: "OUTPOST_METRICS_ADDR",
  logFormat: "OUTPOST_LOG_FORMAT",
  pullTimeoutS: "OUTPOST_PULL_TIMEOUT_S",
  registryAuth: "OUTPOST_REGISTRY_AUTH",
  labels: "OUTPOST_LABELS",
};
const FLAG: Record<string, Key> = {
  "--url": "url",
  "--token": "token",
  "--name": "name",
  "--data-dir": "dataDir",
  "--slots": "slots",
  "--module": "modules",
  "--log-level": "logLevel",
  "--cancel-grace": "cancelGraceS",
  "--drain-deadline": "drainDeadlineS",
  "--container-label": "containerLabels",
  "--profile": "profile",
  "--metrics-addr": "metricsAddr",
  "--log-format": "logFormat",
  "--pull-timeout": "pullTimeoutS",
  "--registry-auth": "registryAuth",
  "--label": "labels",
};
/** Keys whose value is a list: comma separated in env, the flag repeatable. */
const LISTS: readonly Key[] = ["modules", "containerLabels", "labels"];
/** Flags that are read but are not keys of AgentConfig. */
const TOKEN_FILE_FLAG = "--token-file";

/** What run and install print when the token is on the command line. */
export const TOKEN_ON_ARGV_WARNING =
  "warning: --token puts the token in the process list, where every local user can read it (ps); give it with OUTPOST_TOKEN, --token-file PATH or --token-file - (stdin) instead";

/** True when argv carries the token itself (not a file naming it). */
export function tokenOnArgv(argv: string[]): boolean {
  return argv.some((a) => a === "--token" || a.startsWith("--token="));
}

/**
 * Reads a token from PATH, or from stdin for "-": the first line, trimmed. A missing or empty one
 * is a problem naming where it was looked for.
 */
function readTokenFile(path: string, label: string, problems: string[]): string | undefined {
  let text: string;
  try {
    text = readFileSync(path === "-" ? 0 : path, "utf8");
  } catch (err) {
    problems.push(`${label} ${path}: ${(err as Error).message}`);
    return undefined;
  }
  const token = text.split("\n")[0]!.trim();
  if (!token) problems.push(`${label} ${path}: ${path === "-" ? "nothing on stdin" : "the file is empty"}`);
  return token || undefined;
}

/** The config file run reads: --config, else OUTPOST_CONFIG; undefined when neither. */
export function configFileOf(argv: string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { values } = splitFlags(argv, ["--config", TOKEN_FILE_FLAG, ...Object.keys(FLAG)], "");
  return values.filter((v) => v.name === "--config").pop()?.value ?? (env.OUTPOST_CONFIG || undefined);
}

/** Each key's flag, for naming where a bad value came from. */
const FLAG_OF = Object.fromEntries(Object.entries(FLAG).map(([flag, key]) => [key, flag])) as Record<Key, string>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/**
 * Splits argv into `--flag value` / `--flag=value` pairs, in order. A name not in `known` is an
 * unknown option (`hint` says what is accepted); a flag without a value (none, or the next flag;
 * also "" when emptyIsMissing) needs one. Either is a problem, one line each.
 */
export function splitFlags(
  argv: string[],
  known: readonly string[],
  hint: string,
  opts: { emptyIsMissing?: boolean } = {},
): { values: { name: string; value: string }[]; problems: string[] } {
  const values: { name: string; value: string }[] = [];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (!known.includes(name)) {
      problems.push(`${arg}: unknown option (${hint})`);
      continue;
    }
    if (value === undefined || (opts.emptyIsMissing && value === "") || (eq < 0 && value.startsWith("--"))) {
      problems.push(`${name}: needs a value`);
      continue;
    }
    if (eq < 0) i++;
    values.push({ name, value });
  }
  return { values, problems };
}

/** Parses `run` flags (after the command word): --flag value or --flag=value; --config FILE. */
export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const { values, problems } = splitFlags(argv, ["--config", TOKEN_FILE_FLAG, ...Object.keys(FLAG)], "see outpost-agent --help");
  const raw: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  const flags: Partial<Record<Key, string[]>> = {};
  let configFile = env.OUTPOST_CONFIG;
  let tokenFile: string | undefined;
  for (const { name, value } of values) {
    if (name === "--config") configFile = value;
    else if (name === TOKEN_FILE_FLAG) tokenFile = value;
    else (flags[FLAG[name]!] ??= []).push(value);
  }
  // The token from a file (or stdin) stands for --token; from OUTPOST_TOKEN_FILE for OUTPOST_TOKEN.
  if (tokenFile !== undefined && flags.token) problems.push(`${TOKEN_FILE_FLAG} and --token: give the token one way`);
  else if (tokenFile !== undefined) {
    const token = readTokenFile(tokenFile, TOKEN_FILE_FLAG, problems);
    if (token) flags.token = [token];
  }
  if (!flags.token && !env.OUTPOST_TOKEN && env.OUTPOST_TOKEN_FILE) {
    const token = readTokenFile(env.OUTPOST_TOKEN_FILE, "OUTPOST_TOKEN_FILE", problems);
    if (token) env = { ...env, OUTPOST_TOKEN: token };
  }
  if (configFile) {
    try {
      const file = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
      for (const [k, v] of Object.entries(file)) {
        if (!(k in ENV)) problems.push(`${configFile}: unknown key "${k}"`);
        raw[k] = v;
        source[k] = `${configFile}: ${k}`;
      }
    } catch (err) {
      problems.push(`--config ${configFile}: ${(err as Error).message}`);
    }
  }
  for (const key of Object.keys(ENV) as Key[]) {
    const e = env[ENV[key]];
    if (e !== undefined && e !== "") {
      raw[key] = LISTS.includes(key) ? e.split(",").map((s) => s.trim()).filter(Boolean) : e;
      source[key] = ENV[key];
    }
    const f = flags[key];
    if (f) {
      raw[key] = LISTS.includes(key) ? f : f[f.length - 1];
      source[key] = FLAG_OF[key];
    }
  }
  if (typeof raw.profile === "string" && raw.profile) {
    const read = readProfileFile(raw.profile);
    if ("problems" in read) problems.push(...read.problems.map((p) => `${source.profile}=${raw.profile}: ${p}`));
    else raw.profileFields = read.fields;
  }
  const parsed = AgentConfig.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      const value = issue.path.length > 1 ? (raw[key] as unknown[])[Number(issue.path[1])] : raw[key];
      problems.push(`${source[key] ?? key}=${JSON.stringify(value ?? null)}: ${issue.code === "invalid_type" && value === undefined ? "is required" : issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return parsed.data!;
}

/** A --profile file: JSON with the profile fields only, each checked as the server checks it. */
export function readProfileFile(file: string): { fields: AgentProfilePatch } | { problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    return { problems: [(err as Error).message] };
  }
  const parsed = AgentProfilePatch.strict().safeParse(value);
  if (parsed.success) return { fields: parsed.data };
  return {
    problems: parsed.error.issues.map((i) => {
      const at = i.path.join(".") || "file";
      const v = i.path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), value);
      const shown = typeof v === "string" && v.length > 60 ? `${JSON.stringify(v.slice(0, 60))}…` : JSON.stringify(v ?? null);
      return i.code === "unrecognized_keys" ? `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")}` : `${at}=${shown}: ${i.message}`;
    }),
  };
}
