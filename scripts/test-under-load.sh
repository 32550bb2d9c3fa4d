#!/usr/bin/env bash
# Runs test tiers while the CPUs are contended, the way CI and developers' machines are whenever anything else
# runs: N busy processes (default: one per core) spin beside the suite, each ended when the suite ends and in
# any case after LOAD_MAX_SECONDS. Repeats the run RUNS times and stops at the first failing run.
# Usage: scripts/test-under-load.sh [tier…]   (default tiers: integration cluster e2e)
# Environment: RUNS (default 3), LOAD_PROCS (default: nproc), LOAD_MAX_SECONDS (default 5400).
set -uo pipefail
cd "$(dirname "$0")/.."
tiers=("$@"); [ ${#tiers[@]} -eq 0 ] && tiers=(integration cluster e2e)
runs=${RUNS:-3} procs=${LOAD_PROCS:-$(nproc)} max=${LOAD_MAX_SECONDS:-5400}

busy=()
stop_load() { [ ${#busy[@]} -gt 0 ] && kill "${busy[@]}" 2>/dev/null; wait "${busy[@]}" 2>/dev/null; busy=(); }
trap stop_load EXIT

for run in $(seq 1 "$runs"); do
  echo "==> run $run of $runs: ${tiers[*]} beside $procs busy processes"
  for _ in $(seq 1 "$procs"); do timeout "$max" bash -c 'while :; do :; done' & busy+=($!); done
  bash scripts/test.sh "${tiers[@]}"; rc=$?
  stop_load
  echo "<== run $run of $runs: $([ $rc -eq 0 ] && echo passed || echo FAILED)"
  [ $rc -eq 0 ] || exit $rc
done
