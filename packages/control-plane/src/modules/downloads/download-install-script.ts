/**
 * The script behind `curl -fsSL URL/install/agent.sh | sudo OUTPOST_TOKEN=... sh`: POSIX sh, the
 * server's URL filled in. It checks the host (Linux x86-64, Docker installed and running), downloads
 * the agent binary, verifies it against the SHA-256 served beside it, runs `outpost-agent install`
 * (which reads the token from OUTPOST_TOKEN: it never appears in argv) and says how to see the
 * agent's status.
 */
/** What a URL in the script may hold: scheme, host, port; nothing a shell would expand. */
export const SAFE_URL = /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/;

export function agentInstallScript(url: string): string {
  if (!SAFE_URL.test(url)) throw new Error(`not a plain http(s)://host[:port] URL: ${url}`);
  return `#!/bin/sh
# Joins this host to Outpost at ${url}: installs outpost-agent as a systemd service.
#   curl -fsSL ${url}/install/agent.sh | sudo OUTPOST_TOKEN=opat_... sh
# Env: OUTPOST_TOKEN   a PAT with the agents:register scope (needed on the first install)
#      OUTPOST_URL     the control plane (default ${url})
#      OUTPOST_ARGS    more install flags, e.g. "--name build-01 --slots 4 --module hello@1.0.0"
#      OUTPOST_ROOT    install under this directory and start nothing (packaging, tests)
set -eu
url="\${OUTPOST_URL:-${url}}"
root="\${OUTPOST_ROOT:-}"
say() { printf 'outpost: %s\\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
  fail "run as root: curl -fsSL $url/install/agent.sh | sudo OUTPOST_TOKEN=... sh"
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) fail "the agent binary is built for Linux x86-64; this host is $(uname -s) $(uname -m)" ;;
esac
if ! command -v docker >/dev/null 2>&1; then
  fail "Docker is not installed. Install Docker Engine (Debian/Ubuntu: apt-get install -y docker.io; other systems: https://docs.docker.com/engine/install/), start it, and run this again."
fi
if ! docker info >/dev/null 2>&1; then
  fail "Docker is installed but its engine does not answer. Start it (systemctl enable --now docker) and run this again."
fi
for tool in curl sha256sum mktemp; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is needed (Debian/Ubuntu: apt-get install -y curl coreutils)"
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "downloading the agent from $url"
curl -fsSL -o "$tmp/outpost-agent" "$url${"/downloads/outpost-agent-linux-x64"}" || fail "could not download $url/downloads/outpost-agent-linux-x64"
curl -fsSL -o "$tmp/outpost-agent.sha256" "$url${"/downloads/outpost-agent-linux-x64.sha256"}" || fail "could not download its checksum"
expected="$(cut -d ' ' -f 1 "$tmp/outpost-agent.sha256")"
actual="$(sha256sum "$tmp/outpost-agent" | cut -d ' ' -f 1)"
[ -n "$expected" ] && [ "$expected" = "$actual" ] || fail "checksum mismatch: expected $expected, got $actual; nothing was installed"
say "checksum ok ($actual)"
chmod 0755 "$tmp/outpost-agent"

set -- install --url "$url"
if [ -n "$root" ]; then set -- "$@" --root "$root"; fi
# shellcheck disable=SC2086 # OUTPOST_ARGS is a list of flags
"$tmp/outpost-agent" "$@" \${OUTPOST_ARGS:-}
say "installed $("$tmp/outpost-agent" --version). See the agent's status with: outpost-agent status   (logs: journalctl -u outpost-agent -f)"
`;
}
