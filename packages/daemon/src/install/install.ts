/**
 * `outpost-agent install` and `uninstall`: outpost-agent as a systemd service. install writes the
 * run settings to /etc/outpost/agent.json (mode 0600 in a 0700 folder: it holds the registration
 * token) in the format `run --config` reads, and a unit that runs `run --config` on that file
 * after Docker; then, where systemd is running, enables and (re)starts it. The token never goes
 * on a command line (install reads it from OUTPOST_TOKEN or --token-file, the unit passes only
 * --config), and it is on disk only until the service's first start: once registered, run
 * rewrites the config without it (agent.ts, forgetToken), and from then on the agent uses its own
 * credential in the data dir. uninstall stops and removes both and keeps the
 * data dir (the agent's credential, so a later install is the same agent) unless --purge.
 *
 * `--root DIR` puts every file under DIR (packaging, tests) and never touches systemd. All
 * systemctl calls go through systemctl() below; nothing else here talks to the running system.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, rmdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { isSea } from "node:sea";
import { ConfigError, loadAgentConfig, type AgentConfig } from "../config.js";
import { writeFileAtomic } from "../host/fs.js";
import { CREDENTIAL_FILE } from "../host/identity.js";

import { BIN_PATH, CONFIG_PATH, SERVICE_DATA_DIR, SERVICE_USER, UNIT_NAME, UNIT_PATH } from "./paths.js";
import { ensureServiceUser, giveToServiceUser } from "./system-user.js";
export { CONFIG_PATH, SERVICE_DATA_DIR, UNIT_NAME, UNIT_PATH };
/** Seconds systemd waits after SIGTERM beyond the drain and cancel grace before it kills. */
const STOP_MARGIN_S = 30;


type Out = { out: (line: string) => void; err: (line: string) => void };

/** A path on the target system, placed under root. */
const under = (root: string, path: string) => join(root, path);

/** systemd is the init here: the check systemd's own sd_booted() makes, plus systemctl on PATH. */
export function systemdRunning(): boolean {
  if (!existsSync("/run/systemd/system")) return false;
  return (process.env.PATH ?? "").split(":").some((dir) => dir && existsSync(join(dir, "systemctl")));
}

/** The only call into systemd. */
function systemctl(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync("systemctl", args, { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`.trim() };
}

type ServiceFlags = { root: string; start: boolean; purge: boolean; binary?: string; rest: string[]; problems: string[] };

/** Takes --root DIR, --binary FILE, --no-start and (when allowed) --purge out of argv; the rest are run flags. */
function serviceFlags(argv: string[], allowPurge: boolean): ServiceFlags {
  const f: ServiceFlags = { root: "/", start: true, purge: false, rest: [], problems: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--no-start") f.start = false;
    else if (arg === "--purge" && allowPurge) f.purge = true;
    else if (["--root", "--binary"].some((n) => arg === n || arg.startsWith(`${n}=`))) {
      const name = arg.split("=")[0]!;
      const value = arg === name ? argv[++i] : arg.slice(name.length + 1);
      if (!value || value.startsWith("--")) f.problems.push(`${name}: needs a value`);
      else if (name === "--root") f.root = resolve(value);
      else f.binary = resolve(value);
    } else f.rest.push(arg);
  }
  return f;
}

/** The config file's JSON: loadAgentConfig's keys, modules back in NAME@VERSION form. */
function configJson(config: AgentConfig): string {
  const file: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined || k === "profileFields") continue; // profileFields is read from the profile file
    file[k] = k === "modules" ? config.modules.map((m) => `${m.name}@${m.version}`) : v;
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** systemd splits ExecStart on spaces; quote what needs it. */
const quoteArg = (s: string) => (/[\s"'\\]/.test(s) ? `"${s.replace(/(["\\])/g, "\\$1")}"` : s);

export function unitFile(config: AgentConfig, paths: { bin: string; config: string; user: string }): string {
  const stopS = config.drainDeadlineS + config.cancelGraceS + STOP_MARGIN_S;
  const cmd = (...args: string[]) => [paths.bin, ...args].map(quoteArg).join(" ");
  return `# Written by \`outpost-agent install\`; \`outpost-agent uninstall\` removes it.
[Unit]
Description=Outpost agent (runs Outpost jobs in Docker containers)
After=network-online.target docker.service
Wants=network-online.target docker.service

[Service]
Type=simple
User=${paths.user}
Group=${paths.user}
SupplementaryGroups=docker
# "+": as root, outside the sandbox: applies an upgrade the control plane asked for (exit 75 below).
ExecStartPre=+${cmd("upgrade", "--if-requested", "--config", paths.config)}
ExecStart=${cmd("run", "--config", paths.config)}
Restart=on-failure
RestartSec=5
# 1: bad settings, 2: refused by the server (revoked credential, unknown module); a restart cannot fix either.
RestartPreventExitStatus=1 2
# SIGTERM drains: running jobs may finish for the drain deadline, then are stopped with the cancel grace.
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=${stopS}
NoNewPrivileges=yes
ProtectSystem=strict
# The data dir, and the config's folder: the first start removes the registration token from the config.
ReadWritePaths=${quoteArg(config.dataDir)} ${quoteArg(dirname(paths.config))}
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}

/** Writes atomically with exactly the given mode, creating parent directories with dirMode. */
function writeFile(path: string, text: string, mode: number, dirMode = 0o755): void {
  writeFileAtomic(path, text, { mode, exactMode: true, dirMode });
}

/** `outpost-agent install`: 0 done, 1 bad flags or files not writable, 2 systemd refused to start it. */
export function install(argv: string[], io: Out): number {
  const f = serviceFlags(argv, false);
  const problems = [...f.problems];
  for (const a of f.rest) if (a === "--config" || a.startsWith("--config=")) problems.push(`${a}: install writes the config; pass run flags instead`);
  const runFlags = f.rest.filter((a) => !(a === "--config" || a.startsWith("--config=")));
  const hasDataDir = runFlags.some((a) => a === "--data-dir" || a.startsWith("--data-dir="));
  let config: AgentConfig | null = null;
  try {
    // Flags only (the installer's own OUTPOST_* settings are not the service's), except the token,
    // which may come from OUTPOST_TOKEN or OUTPOST_TOKEN_FILE to keep it out of the process list.
    config = loadAgentConfig([...runFlags, ...(hasDataDir ? [] : ["--data-dir", SERVICE_DATA_DIR])], {
      OUTPOST_TOKEN: process.env.OUTPOST_TOKEN,
      OUTPOST_TOKEN_FILE: process.env.OUTPOST_TOKEN_FILE,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (config && !isAbsolute(config.dataDir)) problems.push(`--data-dir=${JSON.stringify(config.dataDir)}: must be an absolute path for a service`);
  if (config?.profile && !isAbsolute(config.profile)) problems.push(`--profile=${JSON.stringify(config.profile)}: must be an absolute path for a service`);
  if (config && !config.token && !existsSync(join(under(f.root, config.dataDir), CREDENTIAL_FILE))) {
    problems.push(`--token-file: a token is required (OUTPOST_TOKEN or --token-file PATH|-: a registration token with the agents:register scope) until ${join(config.dataDir, CREDENTIAL_FILE)} exists`);
  }
  // The release binary installs itself; from a source checkout, --binary names a release binary.
  const source = f.binary ?? (isSea() ? process.execPath : undefined);
  if (!source) problems.push("--binary: is required when not running the release binary (build it with pnpm release)");
  else if (!existsSync(source)) problems.push(`--binary=${JSON.stringify(source)}: no such file`);
  if (problems.length || !config || !source) {
    for (const p of problems) io.err(`outpost-agent: ${p}`);
    return 1;
  }

  const configFile = under(f.root, CONFIG_PATH);
  const unitPath = under(f.root, UNIT_PATH);
  const dataDir = under(f.root, config.dataDir);
  const binPath = under(f.root, BIN_PATH);
  try {
    if (realpathSync(source) !== (existsSync(binPath) ? realpathSync(binPath) : "")) {
      mkdirSync(dirname(binPath), { recursive: true, mode: 0o755 });
      copyFileSync(source, `${binPath}.new`);
      writeFileAtomic(binPath, readFileSync(`${binPath}.new`), { mode: 0o755, exactMode: true });
      rmSync(`${binPath}.new`, { force: true });
    }
    // /etc/outpost is ours alone: 0700 even when an earlier version made it 0755.
    writeFile(configFile, configJson(config), 0o600, 0o700);
    chmodSync(dirname(configFile), 0o700);
    writeFile(unitPath, unitFile(config, { bin: BIN_PATH, config: CONFIG_PATH, user: SERVICE_USER }), 0o644);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    if (f.root === "/") {
      ensureServiceUser(io);
      // The agent removes the token from its config after registering: the folder is its own too.
      giveToServiceUser([dirname(configFile), configFile, dataDir]);
    } else io.out(`not creating the system user ${SERVICE_USER} (--root): the files are not on this system`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.err(`outpost-agent: ${e.message}${e.code === "EACCES" || e.code === "EPERM" ? " (run install as root, or use --root DIR)" : ""}`);
    return 1;
  }
  io.out(`installed ${binPath}`);
  io.out(
    config.token
      ? `wrote ${configFile} (mode 0600: it holds the token until the agent's first start registers and removes it)`
      : `wrote ${configFile} (mode 0600)`,
  );
  io.out(`wrote ${unitPath}`);
  io.out(`data dir ${dataDir} (the agent's credential and job scratch space)`);
  const byHand = `${quoteArg(binPath)} run --config ${configFile}`;
  return startService(f, io, byHand);
}

function startService(f: ServiceFlags, io: Out, byHand: string): number {
  if (!f.start) {
    io.out(`not started (--no-start); to start it: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}`);
    return 0;
  }
  if (f.root !== "/") {
    io.out(`not started: the files are under --root ${f.root}, not on this system`);
    return 0;
  }
  if (!systemdRunning()) {
    io.out("systemd is not running here (no /run/systemd/system or no systemctl): nothing was enabled or started");
    io.out(`start the agent by hand: ${byHand}`);
    return 0;
  }
  const r = restartService(io, true);
  if (r !== 0) return r;
  io.out(`enabled and started ${UNIT_NAME}`);
  io.out(`logs: journalctl -u outpost-agent -f    state: outpost-agent status --config ${CONFIG_PATH}`);
  return 0;
}

/** daemon-reload, (enable,) restart the unit: 0 done, 2 systemctl refused (said on stderr). */
export function restartService(io: Out, enable = false): number {
  for (const args of [["daemon-reload"], ...(enable ? [["enable", UNIT_NAME]] : []), ["restart", UNIT_NAME]]) {
    const r = systemctl(args);
    if (!r.ok) {
      io.err(`outpost-agent: systemctl ${args.join(" ")} failed${r.output ? `: ${r.output}` : ""}`);
      return 2;
    }
  }
  return 0;
}

/** `outpost-agent uninstall`: 0 done (also when nothing was installed), 1 bad flags or a file that cannot be removed, 2 systemd refused. */
export function uninstall(argv: string[], io: Out): number {
  const f = serviceFlags(argv, true);
  const problems = [...f.problems, ...f.rest.map((a) => `${a}: unknown option (see outpost-agent uninstall --help)`)];
  if (problems.length) {
    for (const p of problems) io.err(`outpost-agent: ${p}`);
    return 1;
  }
  const configFile = under(f.root, CONFIG_PATH);
  const unitPath = under(f.root, UNIT_PATH);
  let dataDir = SERVICE_DATA_DIR;
  try {
    const file = JSON.parse(readFileSync(configFile, "utf8")) as { dataDir?: unknown };
    if (typeof file.dataDir === "string" && isAbsolute(file.dataDir)) dataDir = file.dataDir;
  } catch {
    // No config (or not ours to parse): the default data dir is the one install uses.
  }

  if (f.start && f.root === "/" && systemdRunning() && existsSync(unitPath)) {
    const r = systemctl(["disable", "--now", UNIT_NAME]);
    if (!r.ok) {
      io.err(`outpost-agent: systemctl disable --now ${UNIT_NAME} failed${r.output ? `: ${r.output}` : ""}`);
      return 2;
    }
    io.out(`stopped and disabled ${UNIT_NAME}`);
  }
  let removed = 0;
  try {
    for (const path of [unitPath, configFile, under(f.root, BIN_PATH)]) {
      if (!existsSync(path)) continue;
      rmSync(path);
      removed++;
      io.out(`removed ${path}`);
    }
    const etcOutpost = dirname(configFile);
    if (existsSync(etcOutpost)) {
      try {
        rmdirSync(etcOutpost);
      } catch {
        // Not empty: someone else's files; leave them.
      }
    }
  } catch (err) {
    io.err(`outpost-agent: ${(err as Error).message}`);
    return 1;
  }
  if (removed && f.start && f.root === "/" && systemdRunning()) systemctl(["daemon-reload"]);
  if (!removed) io.out(`nothing to remove: no ${unitPath} or ${configFile}`);

  const dataOnDisk = under(f.root, dataDir);
  if (existsSync(dataOnDisk)) {
    if (f.purge) {
      rmSync(dataOnDisk, { recursive: true, force: true });
      io.out(`removed ${dataOnDisk} (--purge)`);
    } else {
      io.out(`kept ${dataOnDisk}: it holds the agent's credential, so installing again is the same agent; --purge removes it`);
    }
  }
  return 0;
}
