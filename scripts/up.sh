#!/usr/bin/env bash
# Brings Outpost up on this machine: outpost-server on SQLite in ./data serving the console, and a
# local outpost-agent running jobs in Docker. Prints the URL and, on the first start, an admin
# token. Installs what is missing first (pnpm, the native build, Docker Engine, busybox-static).
# Extra arguments go to `outpost-server serve` (e.g. --port 8080). Ctrl-C stops both.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_workspace
ensure_busybox
ensure_docker || say "no Docker engine: the local agent cannot run jobs"
cd "$ROOT"
mkdir -p data
DB="${OUTPOST_DB:-./data/outpost.db}"
SERVER=(node packages/control-plane/bin/outpost-server.js)
AGENT=(node packages/daemon/bin/outpost-agent.js)

"${SERVER[@]}" serve --db "$DB" "$@" > >(tee data/server.log) 2>&1 &
server_pid=$!
trap 'kill $server_pid ${agent_pid:-} 2>/dev/null; wait' EXIT INT TERM
url=""
for _ in $(seq 1 60); do
  url="$(grep -o 'Outpost is up at [^ ]*' data/server.log | awk '{print $5}' | head -1 || true)"
  [ -n "$url" ] && break
  kill -0 $server_pid 2>/dev/null || { say "outpost-server did not start; see above"; exit 1; }
  sleep 0.5
done
[ -n "$url" ] || { say "outpost-server did not print its URL"; exit 1; }

agent_args=(run --url "$url" --data-dir ./data/agent --name "$(hostname)-local")
if docker_up; then
  bash scripts/test-image.sh >/dev/null && agent_args+=(--module hello@1.0.0)
fi
if [ ! -f data/agent/credential.json ]; then
  # First start: a token for the local agent's registration, and a sample module to run.
  token="$("${SERVER[@]}" token create --admin --name local-agent --db "$DB")"
  agent_args+=(--token "$token")
  curl -fsS -o /dev/null -X POST "$url/api/v1/modules" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"hello","version":"1.0.0","image":"outpost-test/busybox:1","description":"Says hello: a sample module on the local busybox image","functions":[{"name":"greet","display_name":"Greet","command":["sh","-c","echo hello from $(hostname); cat \"$OUTPOST_INPUTS\""],"input_schema":{"type":"object"}}]}' || true
fi
"${AGENT[@]}" "${agent_args[@]}" &
agent_pid=$!
say "Outpost is up at $url (console at $url/, agent $(hostname)-local); Ctrl-C stops it"
wait $agent_pid
