#!/usr/bin/env bash
# Builds the operator image with podman through the repository's reusable image build
# (test/cluster/image.sh package: compile, assemble the package with its production dependencies,
# build the Containerfile on the local base). Usage: operator/scripts/image.sh [tag]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TAG=${1:-${OPERATOR_IMAGE:-localhost/agentworkspace/operator:dev}}
bash "$ROOT/test/cluster/image.sh" package @agentworkspace/operator "$ROOT/operator/Containerfile" "$TAG" >&2
echo "$TAG"
