/**
 * outpost-agent command line: one entry per command in COMMANDS, each with its own --help (stdout,
 * exit 0) that lists its exit codes. `run` starts the daemon; `install`/`uninstall` (install/install.ts)
 * set it up as a systemd service; `upgrade` (install/upgrade.ts) replaces the installed binary; `status`
 * (status.ts) reads what the running daemon last wrote to its data dir. An unknown command or flag
 * is named on stderr with a pointer to --help, exit 1.
 */
import { TOKEN_ON_ARGV_WARNING, tokenOnArgv } from "../config.js";
import { DAEMON_VERSION } from "../version.js";
import { install, uninstall } from "../install/install.js";
import { status } from "./status.js";
import { upgrade } from "../install/upgrade.js";
import { run } from "./run.js";
import { HELP, OVERVIEW } from "./help.js";

export type Out = { out: (line: string) => void; err: (line: string) => void };
type Command = (argv: string[], io: Out) => number | Promise<number>;

/** Every command the program takes; `--help` and the tests enumerate this table. */
export const COMMANDS: Record<keyof typeof HELP, Command> = { run, install, uninstall, upgrade, status };

const isHelp = (a: string) => a === "--help" || a === "-h";

export async function main(argv: string[], io: Out = defaultIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v" || command === "version") {
    io.out(DAEMON_VERSION);
    return 0;
  }
  if (command === undefined || isHelp(command) || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic && topic in HELP) io.out(HELP[topic as keyof typeof HELP]);
    else io.out(OVERVIEW);
    return command === undefined ? 1 : 0;
  }
  if (!(command in COMMANDS)) {
    io.err(`outpost-agent: unknown command "${command}" (see outpost-agent --help)`);
    return 1;
  }
  const name = command as keyof typeof COMMANDS;
  if (rest.some(isHelp)) {
    io.out(HELP[name]);
    return 0;
  }
  if ((name === "install" || name === "run") && tokenOnArgv(rest)) io.err(`outpost-agent: ${TOKEN_ON_ARGV_WARNING}`);
  return COMMANDS[name](rest, io);
}

function defaultIo(): Out {
  return { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };
}
