/**
 * Named contexts (server URL + token), stored 0600 in $XDG_CONFIG_HOME/outpost/config.json
 * (default ~/.config/outpost). OUTPOST_URL with OUTPOST_TOKEN act without any stored context.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CliError, EXIT } from "./exit-codes.js";

export const Context = z.object({ url: z.string().url(), token: z.string().min(1) });
export type Context = z.infer<typeof Context>;
export const ConfigFile = z.object({ current: z.string().nullable().default(null), contexts: z.record(z.string(), Context).default({}) });
export type ConfigFile = z.infer<typeof ConfigFile>;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/") ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "outpost", "config.json");
}

export function readConfig(path = configPath()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { current: null, contexts: {} };
  }
  const parsed = ConfigFile.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CliError(`${path} is not an outpost config file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Writes through a temp file renamed into place, both 0600, in a 0700 directory. */
export function writeConfig(config: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The context to act with: --context, else OUTPOST_CONTEXT, else OUTPOST_URL+OUTPOST_TOKEN, else the current one. */
export function resolveContext(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Context & { name: string } {
  const wanted = name ?? env.OUTPOST_CONTEXT;
  if (!wanted && env.OUTPOST_URL && env.OUTPOST_TOKEN) return { name: "(environment)", url: env.OUTPOST_URL, token: env.OUTPOST_TOKEN };
  const config = readConfig();
  const pick = wanted ?? config.current;
  if (!pick) throw new CliError("not logged in: run `outpost login --url URL` first (or set OUTPOST_URL and OUTPOST_TOKEN)", EXIT.auth);
  const ctx = config.contexts[pick];
  if (!ctx) throw new CliError(`no context named ${JSON.stringify(pick)} (see \`outpost context ls\`)`, EXIT.auth);
  return { name: pick, url: ctx.url, token: env.OUTPOST_TOKEN && !wanted ? env.OUTPOST_TOKEN : ctx.token };
}
