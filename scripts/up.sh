#!/usr/bin/env bash
# Brings Outpost up on this machine: outpost-server on SQLite in ./data serving the console, and a
# local outpost-agent (registered with a fresh token) with a sample module, `hello@1.0.0`, whose
# function runs at once. Prints the URL, an admin token and how to run a job. Installs what is
# missing first (pnpm, the native build, Docker Engine, busybox-static).
# Extra arguments go to `outpost-server serve` (e.g. --port 8080). Ctrl-C stops both.
# Env: OUTPOST_DATA (default ./data), OUTPOST_SKIP_BUILD=1 (already built; for tests).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${OUTPOST_SKIP_BUILD:-}" != 1 ]; then ensure_workspace; fi
ensure_busybox
ensure_docker || say "no Docker engine: the local agent cannot run jobs (install docker.io, or Docker Engine, and start dockerd)"
cd "$ROOT"
DATA="${OUTPOST_DATA:-./data}"
mkdir -p "$DATA"
DB="${OUTPOST_DB:-$DATA/outpost.db}"
SERVER=(node packages/control-plane/bin/outpost-server.js)
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

# The sample module's image: pulled where a registry answers, else built locally from busybox-static.
sample_image() {
  if timeout 20 docker pull -q busybox:1.36 >/dev/null 2>&1; then echo busybox:1.36; return; fi
  bash scripts/test-image.sh >/dev/null && echo outpost-test/busybox:1
}

token="$("${SERVER[@]}" token create --admin --name "up.sh $(date -u +%FT%TZ)" --db "$DB")"
agent_args=(run --url "$url" --data-dir "$DATA/agent" --name "$(hostname)-local")
if docker_up && image="$(sample_image)"; then
  curl -fsS -o /dev/null -X POST "$url/api/v1/modules" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name":"hello","version":"1.0.0","image":"'"$image"'","description":"Says hello: a sample module","functions":[{"name":"greet","display_name":"Greet","command":["sh","-c","echo hello from outpost; echo inputs: $(cat \"$OUTPOST_INPUTS\")"],"input_schema":{"type":"object"}}]}' \
    2>/dev/null || true # already published on an earlier start
  agent_args+=(--module hello@1.0.0)
fi
[ -f "$DATA/agent/credential.json" ] || agent_args+=(--token "$token")
"${AGENT[@]}" "${agent_args[@]}" &
agent_pid=$!
cat <<MSG

Outpost is up at $url   (console: $url/ ; sign in with the token below)
Admin token: $token
Run a job and read its logs:
  curl -s -H "authorization: Bearer $token" -H 'content-type: application/json' -X POST $url/api/v1/jobs -d '{"module":"hello","function":"greet","inputs":{"who":"me"}}'
  curl -s -H "authorization: Bearer $token" $url/api/v1/jobs/JOB_ID/logs
Join another host (after \`pnpm release\`, with the server on an address that host reaches, e.g. --host 0.0.0.0):
  curl -fsSL $url/install/agent.sh | sudo OUTPOST_TOKEN=$token sh
Ctrl-C stops outpost-server and the agent.
MSG
wait $agent_pid
