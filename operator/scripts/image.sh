#!/usr/bin/env bash
# Builds the operator image with podman: compiles the package, assembles the build context (the package
# and its production dependencies, test/cluster/image-context.ts) and builds operator/Containerfile on the
# local base (test/cluster/image.sh build). Usage: operator/scripts/image.sh [tag]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"
TAG=${1:-${OPERATOR_IMAGE:-localhost/agentworkspace/operator:dev}}
CTX=$ROOT/.local/image-context/operator
echo "operator-image: compiling (tsc -b operator)…" >&2
(cd "$ROOT/operator" && tsc -b)
rm -rf "$CTX"; mkdir -p "$CTX/app"
node "$ROOT/test/cluster/image-context.ts" "$ROOT" "@agentworkspace/operator" "$CTX/app"
bash "$ROOT/test/cluster/image.sh" build "$ROOT/operator/Containerfile" "$TAG" "$CTX"
echo "$TAG"
