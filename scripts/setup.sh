#!/usr/bin/env bash
# Installs the project's npm dependencies (Node 24 among them) and builds the TypeScript packages.
# Safe to run any number of times.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
phase_start "install npm dependencies"; ensure_node_modules; phase_end
phase_start "build TypeScript"; build_ts; phase_end
