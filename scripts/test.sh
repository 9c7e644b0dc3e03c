#!/usr/bin/env bash
# Runs every test: build, typecheck, unit, API, Docker and browser suites.
# Installs what is missing first (pnpm, Docker Engine, busybox-static, chromium, docker-registry, faketime).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_busybox
ensure_chromium
ensure_registry
ensure_faketime
ensure_docker || { say "no Docker engine could be started: the Docker suites need one"; exit 1; }
ensure_workspace
say "test image"
bash scripts/test-image.sh
say "typecheck"
pnpm typecheck
say "test"
pnpm test
