#!/usr/bin/env bash
# Brings Outpost up on this machine: outpost-server on SQLite in ./data serving the console,
# printing its URL and an admin token. Installs what is missing first.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_workspace
cd "$ROOT"
mkdir -p data
exec node packages/control-plane/bin/outpost-server.js serve --db "${OUTPOST_DB:-./data/outpost.db}" "$@"
