#!/usr/bin/env bash
# Runs every test: build, typecheck, unit, API, Docker and browser suites.
# Installs what is missing first (pnpm, Docker Engine, busybox-static, chromium, docker-registry).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node_toolchain
ensure_busybox
ensure_chromium
ensure_registry
ensure_docker || { say "no Docker engine could be started: the Docker suites need one"; exit 1; }
cd "$ROOT"
say "installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent
say "build"
pnpm build
if docker_up; then
  say "test image"
  bash scripts/test-image.sh
fi
say "typecheck"
pnpm typecheck
say "test"
pnpm test
