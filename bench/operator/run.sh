#!/usr/bin/env bash
# The operator benchmark on its own local cluster (bench/operator/cluster-env.sh: ports, network index, a Service
# range for 1,000 workspaces, image tags): prepares and starts it (test/cluster/prepare.sh), builds the operator,
# runs bench/operator/main.ts (or the script named by $1, e.g. pool.ts), and brings the cluster down afterwards unless BENCH_KEEP_CLUSTER=1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/bench/operator/cluster-env.sh"
export PATH="$ROOT/node_modules/.bin:$PATH"
bash "$ROOT/test/cluster/prepare.sh"
down() { [ "${BENCH_KEEP_CLUSTER:-0}" = 1 ] || bash "$ROOT/test/cluster/cluster.sh" down; }
trap down EXIT
cd "$ROOT" && tsx "bench/operator/${1:-main.ts}"
