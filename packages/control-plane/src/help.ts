/** outpost-server's help texts: the overview and one per command, each with its exit codes. */
/** Every command's help (printed to stdout by `--help`/`-h`), each with its exit codes; the tests enumerate it. */
export const HELP = {
  serve: `usage: outpost-server serve [--host 127.0.0.1] [--port 7070] [--db ./data/outpost.db] [--lease-ttl SECONDS]
         [--lease-grace SECONDS] [--heartbeat SECONDS] [--default-job-timeout SECONDS] [--console-dir DIR]
         [--release-dir DIR] [--log-level LEVEL] [--log-format json|pretty] [--bootstrap-token-file PATH]
         [--auth-fail-max N] [--auth-fail-window SECONDS] [--rate-limit-max N] [--rate-limit-window SECONDS]

Serves the REST API, agent sessions, the console at / and the agent install script at /install/agent.sh
(the agent binary from --release-dir, default dist/release). Prints "Outpost is up at URL". The first
start of an empty database writes a bootstrap admin token to a 0600 file (default bootstrap-token
beside the database) and prints its path.
env: OUTPOST_HOST OUTPOST_PORT OUTPOST_DB OUTPOST_LEASE_TTL_S OUTPOST_LEASE_GRACE_S OUTPOST_HEARTBEAT_S
     OUTPOST_DEFAULT_JOB_TIMEOUT_S OUTPOST_CONSOLE_DIR OUTPOST_RELEASE_DIR OUTPOST_LOG_LEVEL OUTPOST_BODY_LIMIT
     OUTPOST_BOOTSTRAP_TOKEN_FILE OUTPOST_STREAM_KEEPALIVE_S OUTPOST_STREAM_HIGH_WATER_BYTES OUTPOST_STREAMS_PER_TOKEN
     OUTPOST_AUTH_FAIL_MAX OUTPOST_AUTH_FAIL_WINDOW_S OUTPOST_RATE_LIMIT_MAX OUTPOST_RATE_LIMIT_WINDOW_S
     OUTPOST_TRIGGER_CHAIN_LIMIT; flags beat env.
exit codes: 0 stopped by SIGTERM/SIGINT, 1 bad flags or settings, port in use, database unusable`,
  "token create": `usage: outpost-server token create --admin --name NAME [--db PATH]
       outpost-server token create --user NAME [--org SLUG] [--scopes a,b] --name NAME [--db PATH]

Mints a personal access token from the database file and prints it (whoever holds the file is the root of trust).
exit codes: 0 printed the token, 1 bad flags, unknown user or org, database unusable`,
  migrate: `usage: outpost-server migrate [--db PATH]

Applies the committed schema migrations the database lacks (serve applies them at start too) and prints
how many are applied and the latest. --db takes a path or a sqlite:PATH URL (env OUTPOST_DB).
exit codes: 0 the database is at the latest migration, 1 bad flags or database unusable`,
  backup: `usage: outpost-server backup [--db PATH] --to FILE

Copies the database with SQLite's online backup while the server may keep running (no stop needed),
into a new file created mode 0600 (never over an existing one), and checks the copy (quick_check).
Restore by stopping the server and putting the copy in place of the database file.
exit codes: 0 the copy is written and checked, 1 bad flags, no database, FILE exists, copy failed`,
} as const;

export const OVERVIEW = `usage: outpost-server COMMAND [flags]

commands:
  serve          run the control plane
  token create   mint a personal access token from the database file
  migrate        apply the schema migrations the database lacks
  backup         copy the live database to a file (SQLite online backup)

outpost-server COMMAND --help shows a command's flags and exit codes; outpost-server --version its version.
exit codes: 0 ok, 1 unknown command or bad flags; each command documents its own.`;

