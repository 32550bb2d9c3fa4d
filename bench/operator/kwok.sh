#!/usr/bin/env bash
# Builds kwok (sigs.k8s.io/kwok, which simulates nodes and pod lifecycles against a real API server) from its Go
# module into the cache beside the control plane's binaries, once. Prints the binary's path, then the module's own
# "fast" stage files (node initialize and heartbeat; pod ready, complete, delete), which kwok needs as -c configs.
set -euo pipefail
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
CACHE_ROOT=${AGENTWORKSPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentworkspace}
BIN_DIR=$CACHE_ROOT/kwok-$KWOK_VERSION
if [ ! -x "$BIN_DIR/kwok" ]; then
  mkdir -p "$BIN_DIR"
  start=$(date +%s)
  echo "kwok: building $KWOK_VERSION (a few minutes on 2 cores; cached afterwards)…" >&2
  GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$BIN_DIR" \
    go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
  echo "kwok: built in $(( $(date +%s) - start ))s" >&2
fi
echo "$BIN_DIR/kwok"
stages=$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')/kustomize/stage
ls "$stages"/node/fast/node-initialize.yaml "$stages"/node/heartbeat/node-heartbeat.yaml "$stages"/pod/fast/pod-*.yaml
