#!/usr/bin/env bash
# Brings Outpost up on this machine: outpost-server on SQLite in ./data serving the console, and a
# local outpost-agent with a sample module, `hello@1.0.0`, whose function runs at once. Prints the
# URL, where the admin token is (a 0600 file, never the terminal or a log) and how to run a job.
# Installs what is missing first (pnpm, the native build, Docker Engine, busybox-static).
# Nothing here asks a public registry: the sample image is built locally from busybox-static.
# The agent registers with a registration token (agents:register only, one use, expiring in 10
# minutes), given in its environment, never on a command line.
# Extra arguments go to `outpost-server serve` (e.g. --port 8080). Ctrl-C stops both.
# Env: OUTPOST_DATA (default ./data), OUTPOST_SKIP_BUILD=1 (already built; for tests).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${OUTPOST_SKIP_BUILD:-}" != 1 ]; then ensure_workspace; fi
ensure_busybox
ensure_docker || say "no Docker engine: the local agent cannot run jobs (install docker.io, or Docker Engine, and start dockerd)"
cd "$ROOT"
# Everything written from here on (database, logs, token files, the agent's credential) is the
# owner's alone.
umask 077
DATA="${OUTPOST_DATA:-./data}"
mkdir -p "$DATA"
chmod 700 "$DATA"
DB="${OUTPOST_DB:-$DATA/outpost.db}"
SERVER=(node --max-semi-space-size=8 packages/control-plane/bin/outpost-server.js) # as its shebang runs it
AGENT=(node packages/daemon/bin/outpost-agent.js)

"${SERVER[@]}" serve --db "$DB" "$@" > >(tee "$DATA/server.log") 2>&1 &
server_pid=$!
trap 'kill $server_pid ${agent_pid:-} 2>/dev/null; wait' EXIT INT TERM
url=""
for _ in $(seq 1 120); do
  url="$(grep -o 'Outpost is up at [^ ]*' "$DATA/server.log" | awk '{print $5}' | head -1 || true)"
  [ -n "$url" ] && break
  kill -0 $server_pid 2>/dev/null || { say "outpost-server did not start; see above"; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { say "outpost-server did not print its URL"; exit 1; }

# The admin token and a curl header file holding it, both 0600: curl -H @FILE keeps the token out
# of curl's command line too.
TOKEN_FILE="$DATA/admin-token"
HEADER_FILE="$DATA/admin-header"
"${SERVER[@]}" token create --admin --name "up.sh $(date -u +%FT%TZ)" --db "$DB" >"$TOKEN_FILE"
printf 'authorization: Bearer %s\n' "$(cat "$TOKEN_FILE")" >"$HEADER_FILE"
chmod 600 "$TOKEN_FILE" "$HEADER_FILE"
api() { curl -fsS -H @"$HEADER_FILE" -H 'content-type: application/json' "$@"; }

reg_token=""
agent_args=(run --url "$url" --data-dir "$DATA/agent" --name "$(hostname)-local")
# The sample module's image, built locally every time it is missing (docker import of busybox-static).
if docker_up && bash scripts/test-image.sh >/dev/null; then
  image=outpost-test/busybox:1
  api -o /dev/null -X POST "$url/api/v1/modules" \
    -d '{"name":"hello","version":"1.0.0","image":"'"$image"'","description":"Says hello: a sample module","functions":[{"name":"greet","display_name":"Greet","command":["sh","-c","echo hello from outpost; echo inputs: $(cat \"$OUTPOST_INPUTS\")"],"input_schema":{"type":"object"}}]}' \
    2>/dev/null || true # already published on an earlier start
  agent_args+=(--module hello@1.0.0)
fi
if [ ! -f "$DATA/agent/credential.json" ]; then
  expires="$(date -u -d '+10 minutes' +%FT%TZ)"
  reg="$(api -X POST "$url/api/v1/tokens" -d '{"name":"up.sh local agent","scopes":["agents:register"],"max_uses":1,"expires_at":"'"$expires"'"}')"
  reg_token="$(printf '%s' "$reg" | grep -o '"token":"opat_[0-9A-Za-z]*"' | cut -d'"' -f4)"
  [ -n "$reg_token" ] || { say "could not create a registration token: $reg"; exit 1; }
fi
# The token goes through the environment of the agent alone (exported in its subshell, not on argv).
(
  if [ -n "$reg_token" ]; then export OUTPOST_TOKEN="$reg_token"; fi
  exec "${AGENT[@]}" "${agent_args[@]}"
) &
agent_pid=$!
unset reg reg_token
cat <<MSG

Outpost is up at $url   (console: $url/ ; sign in with the admin token)
Admin token file: $TOKEN_FILE (mode 0600; read it with: cat $TOKEN_FILE)
Run a job and read its logs ($HEADER_FILE holds the authorization header, so the token stays off command lines):
  curl -s -H @$HEADER_FILE -H 'content-type: application/json' -X POST $url/api/v1/jobs -d '{"module":"hello","function":"greet","inputs":{"who":"me"}}'
  curl -s -H @$HEADER_FILE $url/api/v1/jobs/JOB_ID/logs
Join another host (after \`pnpm release\`, with the server on an address that host reaches, e.g. --host 0.0.0.0),
with a registration token from the console (Agents > Generate Token):
  curl -fsSL $url/install/agent.sh | sudo OUTPOST_TOKEN=<registration token> sh
Ctrl-C stops outpost-server and the agent.
MSG
wait $agent_pid
