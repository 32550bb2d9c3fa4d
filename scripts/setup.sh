#!/usr/bin/env bash
# Installs the project's npm dependencies (Node 24 among them) and builds the TypeScript packages.
# Safe to run any number of times.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
phase_start "install npm dependencies"; ensure_node_modules; phase_end
phase_start "build TypeScript"; build_ts; phase_end
# npm links a bin only when its file exists: the SDK's (agentws, scripted-llm-server) are in dist/, which the build
# just made, so on a fresh clone they are linked now (ensure_node_modules reinstalls when a bin is missing).
phase_start "link the packages' bins"; ensure_node_modules; phase_end
