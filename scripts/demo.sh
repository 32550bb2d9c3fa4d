#!/usr/bin/env bash
# The README's first command (`make demo`): the product on Kubernetes, start to finish.
#   1. set up: the project's own Node 24 and packages (npm), built;
#   2. a cluster: the embedded local one (test/cluster; its first start builds its binaries from their Go modules
#      and says how long that takes), or DEMO_KUBECONFIG's, named with what will be installed there before anything is;
#   3. the images (built here with podman for the local cluster) and the operator's Helm chart, which reconciles
#      only the demo's namespace;
#   4. a workspace (`agentws create --kubernetes`) and a conversation streamed to this terminal (`agentws run`):
#      with the scripted model (examples/demo/scripted-model.yaml, served on this machine, reached from the pod),
#      or a real provider when LLM_MODEL (and LLM_API_KEY / LLM_BASE_URL) are set;
#   5. what to try next; then everything the demo made is removed (the local cluster too if it started it).
#
#   DEMO_KUBECONFIG=FILE   use that cluster; DEMO_OPERATOR_IMAGE / DEMO_SERVER_IMAGE must be pullable there
#   DEMO_NAMESPACE=NS      the namespace of the release and the workspace (default agentworkspace-demo)
#   DEMO_KEEP=1            keep the workspace, the release, the namespace and the local cluster
#   DEMO_VALUES=FILE       an extra Helm values file for the operator's chart
#   DEMO_SKIP_SETUP=1      skip scripts/setup.sh (the tests, which have set up already)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

NS=${DEMO_NAMESPACE:-agentworkspace-demo}
RELEASE=agentworkspace-demo
WORKSPACE=demo
TASK='Write fizzbuzz.sh (FizzBuzz up to 15), run it, and commit it with git.'
KEEP=${DEMO_KEEP:-}
STARTED_CLUSTER=""
INSTALLED=""
MODEL_PID=""
TMP=$(mktemp -d "${TMPDIR:-/tmp}/agentworkspace-demo.XXXXXX")

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n%s\n' "$*"; }

cleanup() {
  local code=$?
  set +e
  [ -n "$MODEL_PID" ] && kill "$MODEL_PID" 2>/dev/null && wait "$MODEL_PID" 2>/dev/null
  if [ -n "$KEEP" ]; then
    [ -n "$INSTALLED" ] && say "Kept (DEMO_KEEP=1): workspace $NS/$WORKSPACE, Helm release $RELEASE, namespace $NS${STARTED_CLUSTER:+, the local cluster (make cluster-down stops it)}."
  else
    if [ -n "$INSTALLED" ]; then
      say "Cleaning up: the workspace, the Helm release, the namespace"
      agentws delete "$WORKSPACE" --namespace "$NS" >/dev/null 2>&1
      "$HELM" uninstall "$RELEASE" -n "$NS" --wait --timeout 2m >/dev/null 2>&1
      "$KUBECTL" delete namespace "$NS" --wait=true --timeout=2m >/dev/null 2>&1
    fi
    if [ -n "$STARTED_CLUSTER" ]; then say "Stopping the local cluster the demo started"; bash test/cluster/cluster.sh down >/dev/null 2>&1; fi
  fi
  rm -rf "$TMP"
  if [ "$code" = 0 ]; then echo "demo: done"; else echo "demo: FAILED (exit $code)"; fi
}
trap cleanup EXIT

# Prints a line every minute while a long step runs, so a first build never looks hung.
with_heartbeat() { # what, estimate, command…
  local what=$1 estimate=$2 t0 pid
  shift 2
  t0=$(date +%s)
  ( while sleep 60; do echo "demo: … $what: $(( ($(date +%s) - t0) / 60 )) min so far ($estimate)"; done ) &
  pid=$!
  local rc=0
  "$@" || rc=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  return "$rc"
}

if [ "${DEMO_SKIP_SETUP:-}" != 1 ]; then
  phase_start "set up (npm install, build)"
  bash scripts/setup.sh
  phase_end
fi

if [ -n "${DEMO_KUBECONFIG:-}" ]; then
  export KUBECONFIG=$DEMO_KUBECONFIG
  KUBECTL=$(command -v kubectl) || { echo "demo: DEMO_KUBECONFIG needs kubectl on PATH"; exit 1; }
  HELM=$(command -v helm) || { echo "demo: DEMO_KUBECONFIG needs helm on PATH"; exit 1; }
  OPERATOR_IMAGE=${DEMO_OPERATOR_IMAGE:?DEMO_KUBECONFIG needs DEMO_OPERATOR_IMAGE (an operator image that cluster can pull; make images builds one)}
  SERVER_IMAGE=${DEMO_SERVER_IMAGE:?DEMO_KUBECONFIG needs DEMO_SERVER_IMAGE (an agent-server image that cluster can pull)}
  server=$("$KUBECTL" config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  say "The demo will install, on the cluster at $server (context $("$KUBECTL" config current-context)):"
  echo "  - the AgentWorkspace CRD (cluster-wide) and the Helm release $RELEASE in namespace $NS (created), image $OPERATOR_IMAGE"
  echo "  - the AgentWorkspace $NS/$WORKSPACE (agent server $SERVER_IMAGE, a 1Gi PersistentVolumeClaim)"
  echo "  and remove all of it but the CRD at the end${KEEP:+ (not: DEMO_KEEP is set)}."
  if [ -z "${LLM_MODEL:-}" ]; then
    echo "demo: on another cluster the pod cannot reach a model on this machine; set LLM_MODEL, LLM_API_KEY and LLM_BASE_URL" >&2
    exit 1
  fi
else
  # The local cluster's binaries live in a cache outside the repository; their first build is the long part.
  GO_MINOR=$(go env GOVERSION 2>/dev/null | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
  CACHE_ROOT=${AGENTWORKSPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentworkspace}
  BIN_DIR=${CLUSTER_BIN_DIR:-$CACHE_ROOT/k8s-v1.36.3-go$GO_MINOR}
  KUBECTL=$BIN_DIR/kubectl
  HELM=$BIN_DIR/helm
  export KUBECONFIG=${CLUSTER_DIR:-$ROOT/.local/cluster}/kubeconfig
  OPERATOR_IMAGE=${OPERATOR_IMAGE:-localhost/agentworkspace/operator:dev}
  SERVER_IMAGE=${SERVER_IMAGE:-localhost/agentworkspace/agent-server:dev}
  bash test/cluster/cluster.sh status >/dev/null 2>&1 || STARTED_CLUSTER=1
  if [ -x "$BIN_DIR/kube-apiserver" ] && [ -x "$BIN_DIR/coredns" ] && [ -x "$HELM" ]; then estimate="about 2 min, the images included"
  else estimate="the first run installs podman, builds Kubernetes, etcd, helm and CoreDNS from their Go modules and a Debian base image: 20-60 min on 2 cores, cached afterwards"; fi
  say "Preparing the local cluster and the agent-server image (${STARTED_CLUSTER:+starting it; }$estimate)"
  phase_start "local cluster"
  # Its phase lines and each binary's build time as they happen; the whole log when it fails.
  prepare() { bash test/cluster/prepare.sh 2>&1 | tee "$TMP/prepare.log" | grep --line-buffered -E '^(==>|<==)|built in|cached$|installing'; }
  with_heartbeat "preparing the local cluster" "$estimate" prepare || { cat "$TMP/prepare.log"; exit 1; }
  phase_end
  say "Building the operator image with podman"
  phase_start "operator image"
  bash operator/scripts/image.sh "$OPERATOR_IMAGE" >"$TMP/images.log" 2>&1 || { cat "$TMP/images.log"; exit 1; }
  phase_end
fi

say "Installing the operator's chart (release $RELEASE, namespace $NS)"
phase_start "helm install"
"$KUBECTL" create namespace "$NS" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
INSTALLED=1
tag=${OPERATOR_IMAGE##*:}; repo=${OPERATOR_IMAGE%:*}
[ "$repo" = "$OPERATOR_IMAGE" ] && tag=latest
"$HELM" upgrade --install "$RELEASE" charts/agentworkspace-operator -n "$NS" --wait --timeout 5m \
  --set image.repository="$repo" --set image.tag="$tag" --set serverImage="$SERVER_IMAGE" \
  --set "watchNamespaces={$NS}" --set replicaCount=1 ${DEMO_VALUES:+-f "$DEMO_VALUES"}
phase_end

if [ -z "${LLM_MODEL:-}" ]; then
  # The scripted model on this machine's loopback; the local cluster's pods reach it at 10.0.2.2.
  node sdk/dist/testing/scripted-llm-server.js --script examples/demo/scripted-model.yaml --api-key sk-demo >"$TMP/model.json" 2>"$TMP/model.err" &
  MODEL_PID=$!
  for _ in $(seq 1 100); do [ -s "$TMP/model.json" ] && break; sleep 0.1; done
  port=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).port))' "$TMP/model.json")
  export LLM_MODEL=openai/scripted LLM_API_KEY=sk-demo LLM_BASE_URL="http://10.0.2.2:$port/v1"
  echo "demo: the scripted model (examples/demo/scripted-model.yaml) listens on 127.0.0.1:$port"
fi

say "Creating the workspace: agentws create --kubernetes --namespace $NS --name $WORKSPACE"
agentws create --kubernetes --namespace "$NS" --name "$WORKSPACE"
"$KUBECTL" get aw -n "$NS"

say "Running a conversation: agentws run $WORKSPACE \"$TASK\""
agentws run "$WORKSPACE" --namespace "$NS" "$TASK"

say "The file the agent wrote, read through the SDK: agentws cp $WORKSPACE:fizzbuzz.sh"
agentws cp "$WORKSPACE:fizzbuzz.sh" "$TMP/fizzbuzz.sh" --namespace "$NS"
cat "$TMP/fizzbuzz.sh"

say "Try next"
bin_path=""; [ -z "${DEMO_KUBECONFIG:-}" ] && bin_path=" PATH=$BIN_DIR:\$PATH"
cat <<EOF
  DEMO_KEEP=1 make demo                    the same, and the workspace stays for what follows
  export KUBECONFIG=$KUBECONFIG$bin_path
  kubectl get aw -n $NS                    Ready, URL and age of every workspace
  npx agentws run $WORKSPACE -n $NS "add a test for fizzbuzz.sh"     (a real model: LLM_MODEL, LLM_API_KEY, LLM_BASE_URL)
  npx agentws exec $WORKSPACE -n $NS -- git log --oneline
  npx agentws delete $WORKSPACE -n $NS
  AGENTWORKSPACE_NAMESPACE=$NS node --import tsx examples/sdk-conversation.ts    the same from TypeScript
EOF
