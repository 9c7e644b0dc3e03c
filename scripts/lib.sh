# Shared by up.sh and test.sh: install what is missing, idempotently. Debian/Ubuntu as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_UPDATED=0

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    say "missing: $* — install these packages (Debian: apt-get install -y $*) and run again"
    return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Node 24 LTS: the official build, which the npm registry carries as node-linux-<arch>, linked
# into NODE_LINK_DIR (/usr/local/bin: ahead of /usr/bin on PATH) when the node on PATH is older.
NODE_MAJOR=24
NODE_LINK_DIR="${NODE_LINK_DIR:-/usr/local/bin}"
# Where that build is installed: a prefix of its own, so npm does not try to link over the system's
# /usr/bin/node (a plain `npm i -g` there fails with EEXIST).
NODE_PREFIX="${NODE_PREFIX:-/opt/outpost/node$NODE_MAJOR}"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node_toolchain() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ "$(node_major)" -lt "$NODE_MAJOR" ]; then
    local arch
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
    say "installing Node $NODE_MAJOR (node-linux-$arch from the npm registry)"
    local log
    log="$(mktemp)"
    npm i -g --prefix "$NODE_PREFIX" "node-linux-$arch@$NODE_MAJOR" >"$log" 2>&1 || { cat "$log"; say "could not install Node $NODE_MAJOR"; return 1; }
    rm -f "$log"
    mkdir -p "$NODE_LINK_DIR"
    ln -sf "$NODE_PREFIX/lib/node_modules/node-linux-$arch/bin/node" "$NODE_LINK_DIR/node"
    hash -r
    [ "$(node_major)" -ge "$NODE_MAJOR" ] || { say "node on PATH is still $(node -v): put $NODE_LINK_DIR before $(dirname "$(command -v node)")"; return 1; }
  fi
  # Native addons (better-sqlite3) build against this node's own headers: no header download.
  npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
  export npm_config_nodedir
  command -v make >/dev/null && command -v g++ >/dev/null && command -v python3 >/dev/null || apt_install build-essential python3
  if ! command -v pnpm >/dev/null || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
    say "installing pnpm 10"
    # An explicit prefix: with Node 24 linked from $NODE_PREFIX, npm's default global prefix is that
    # package's own folder, whose bin/ is on no PATH (pnpm would install and still not be found).
    npm i -g --prefix "$(dirname "$NODE_LINK_DIR")" pnpm@10 >/dev/null 2>&1
    hash -r
    command -v pnpm >/dev/null || { say "pnpm 10 installed but not on PATH: put $NODE_LINK_DIR on PATH"; return 1; }
  fi
}

# better-sqlite3 built for another Node (the machine's Node changed): build it for this one.
ensure_native_build() {
  (cd "$ROOT/packages/control-plane" && node -e 'new (require("better-sqlite3"))(":memory:")' >/dev/null 2>&1) && return 0
  say "building better-sqlite3 for Node $(node -v)"
  (cd "$(readlink -f "$ROOT/packages/control-plane/node_modules/better-sqlite3")" && rm -rf build && npm run install >/dev/null)
}

ensure_workspace() {
  ensure_node_toolchain
  cd "$ROOT"
  say "installing workspace dependencies"
  pnpm install --frozen-lockfile --reporter=silent
  ensure_native_build
  say "building"
  local log
  log="$(mktemp)"
  pnpm build >"$log" 2>&1 || { cat "$log"; say "build failed"; return 1; }
  rm -f "$log"
}

docker_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# A Docker engine for job containers. No bridge networks: jobs run with network none.
ensure_docker() {
  if docker_up; then return 0; fi
  if ! command -v dockerd >/dev/null; then
    apt_install docker.io || return 1
  fi
  if docker_up; then return 0; fi
  say "starting dockerd (no bridge, no iptables)"
  mkdir -p /var/log
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/outpost-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker_up && return 0
    sleep 1
  done
  say "dockerd did not come up; see /var/log/outpost-dockerd.log"
  return 1
}

ensure_busybox() { [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 || apt_install busybox-static; }

ensure_chromium() { [ -x /usr/bin/chromium ] || apt_install chromium; }

# libfaketime, for the chaos soak's clock skew and clock steps (agents and the server run under it).
ensure_faketime() { compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null || apt_install faketime; }

# Debian's registry, for the module-pull tests (they start their own on a free 127.0.0.1 port).
ensure_registry() { [ -x /usr/bin/docker-registry ] || apt_install docker-registry; }

# htpasswd (apache2-utils) for the private-registry pull test; libfaketime for the chaos soak's clock faults.
ensure_test_tools() {
  command -v htpasswd >/dev/null || apt_install apache2-utils
  ensure_faketime
}
