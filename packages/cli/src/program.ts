/**
 * The command tree (commander). Every leaf command takes --json and --context; every command
 * lists the exit codes in its --help (printed on stdout). Usage errors exit 2, never 1.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { Api } from "./client.js";
import { resolveContext } from "./config.js";
import { CliError, EXIT, EXIT_HELP } from "./exit-codes.js";
import { agentsCommand } from "./commands/agents.js";
import { completionCommand } from "./commands/completion.js";
import { contextCommand, loginCommand } from "./commands/login.js";
import { jobsCommand, logsCommand } from "./commands/jobs.js";
import { modulesCommand } from "./commands/modules.js";
import { poolsCommand } from "./commands/pools.js";
import { tokensCommand } from "./commands/tokens.js";
import { triggersCommand } from "./commands/triggers.js";

export const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** What a leaf command's action receives besides its arguments. */
export type Run = { json: boolean; api: () => Api };
type Opts = Record<string, unknown> & { json?: boolean; context?: string };

/**
 * A leaf command: --json and --context added, and its action wrapped so it gets a Run and may
 * return an exit code. The command's own options are the last argument before Run.
 */
export function leaf(cmd: Command, action: (run: Run, ...args: any[]) => Promise<number | void>): Command {
  cmd.option("--json", "print JSON for scripts instead of a table");
  cmd.addOption(new Option("--context <name>", "the login context to use (default: the current one; env OUTPOST_CONTEXT)"));
  cmd.action(async (...all: unknown[]) => {
    const command = all.pop() as Command;
    const opts = command.opts<Opts>();
    let api: Api | undefined;
    const run: Run = { json: Boolean(opts.json), api: () => (api ??= new Api(resolveContext(opts.context))) };
    const code = await action(run, ...all);
    if (typeof code === "number") process.exitCode = code;
  });
  return cmd;
}

/** A group of subcommands (`outpost agents ...`). */
export function group(name: string, description: string): Command {
  return new Command(name).description(description);
}

export function buildProgram(): Command {
  const program = new Command("outpost")
    .description("The Outpost command line: agents, pools, modules, jobs, logs, tokens and triggers of an outpost-server.")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(add --help for usage)");
  for (const cmd of [loginCommand(), contextCommand(), agentsCommand(), poolsCommand(), modulesCommand(), jobsCommand(), logsCommand(), tokensCommand(), triggersCommand(), completionCommand(() => program)]) program.addCommand(cmd);
  // Inherited settings are copied when a command is created, so these are applied to the whole tree here.
  forEachCommand(program, (c) => {
    c.exitOverride();
    c.helpOption("-h, --help", "show help");
    c.addHelpText("after", "\n" + EXIT_HELP);
  });
  return program;
}

export function forEachCommand(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const c of cmd.commands) forEachCommand(c, fn);
}

/** Runs the CLI on argv (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`outpost: ${err.message}\n`);
      return err.code;
    }
    throw err;
  }
}
