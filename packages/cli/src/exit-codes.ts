/**
 * The CLI's exit codes, one vocabulary: listed in every command's --help (help.ts) and used by
 * every command. `jobs run --follow` and `logs -f` exit with the job's own exit code instead.
 */
export const EXIT = {
  ok: 0,
  /** The server refused the request (4xx/5xx other than 401/403), or the network failed. */
  failed: 1,
  /** Bad usage: an unknown command or option, a missing argument, a bad value. */
  usage: 2,
  /** No credential (not logged in), or the server refused it (401/403). */
  auth: 3,
} as const;

export const EXIT_HELP = [
  "Exit codes:",
  `  ${EXIT.ok}  success`,
  `  ${EXIT.failed}  the server refused the request or could not be reached (its error is printed on stderr)`,
  `  ${EXIT.usage}  bad usage (unknown command or option, missing or bad argument)`,
  `  ${EXIT.auth}  not logged in, or the token was refused (401/403)`,
].join("\n");

/** An error that ends the command with `code` and prints `message` on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failed,
    /** The HTTP status when the server refused the request. */
    readonly status?: number,
  ) {
    super(message);
  }
}
