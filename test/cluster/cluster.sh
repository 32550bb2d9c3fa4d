#!/usr/bin/env bash
# The local test cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy (built from
# the official Go modules by build.sh), CoreDNS (from its own Go module, also by build.sh), the pod network
# (network.sh: a node network namespace with the pod bridge; CLUSTER_NET_INDEX picks its names and ranges) and
# the podman-backed node agent (agent/, TypeScript).
#
#   cluster.sh up      start everything (or reuse a healthy running cluster); idempotent
#   cluster.sh down    stop what `up` started, by process id, remove its containers and state; idempotent
#   cluster.sh status  exit 0 when the cluster is up and healthy
#
# State lives in $CLUSTER_DIR (default <repo>/.local/cluster, git-ignored): pki/, kubeconfig, *.pid,
# logs/<component>.log, logs/pods/ (container logs), pv/ (PersistentVolume directories), etcd/.
# A failed start prints the tail of the failing component's log. Concurrent callers are serialised
# by a lock file beside the state directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"
export CONTAINERS_CONF="$here/containers.conf"
CLUSTER_DIR=${CLUSTER_DIR:-$ROOT/.local/cluster}
K8S_VERSION=v1.36.3
GO_MINOR=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
CACHE_ROOT=${AGENTWORKSPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentworkspace}
BIN_DIR=${CLUSTER_BIN_DIR:-$CACHE_ROOT/k8s-$K8S_VERSION-go$GO_MINOR}
ETCD_PORT=${CLUSTER_ETCD_PORT:-12379}
ETCD_PEER_PORT=${CLUSTER_ETCD_PEER_PORT:-12380}
APISERVER_PORT=${CLUSTER_APISERVER_PORT:-16443}
NODE_NAME=${CLUSTER_NODE_NAME:-agentworkspace-node}
KUBELET_PORT=${CLUSTER_KUBELET_PORT:-10250}
CLUSTER_DOMAIN=cluster.local
# The pod network's names and addresses (NET_POD_CIDR, NET_KUBERNETES_SVC_IP, NET_DNS_SVC_IP, …), derived from
# CLUSTER_NET_INDEX by network.sh. Pods and the node netns reach the host's loopback at NET_HOST_LOOPBACK_FROM_POD
# (10.0.2.2).
export CLUSTER_DIR
eval "$(bash "$here/network.sh" env)"
HOST_LOOPBACK_FROM_POD=$NET_HOST_LOOPBACK_FROM_POD
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy coredns node-agent)
PKI=$CLUSTER_DIR/pki
LOGS=$CLUSTER_DIR/logs

log() { echo "cluster: $*"; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }

# alive <component>: its pid file names a live process started from the expected program.
alive() {
  local pidfile=$CLUSTER_DIR/$1.pid pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # No `tr | grep -q`: under pipefail, grep quitting at the first match can SIGPIPE tr and fail the check
  # (seen under load with kube-apiserver's long command line: "exited while waiting" for a live process).
  local cmdline
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$(program_marker "$1")"* ]]
}
program_marker() { case $1 in node-agent) echo "agent-dist/main.js" ;; *) echo "$BIN_DIR/$1" ;; esac; }

show_log() { # component
  local f=$LOGS/$1.log
  echo "----- last lines of $f -----" >&2
  [ -f "$f" ] && tail -n 40 "$f" >&2
  echo "-----" >&2
}

kubectl_admin() { "$BIN_DIR/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" "$@"; }

readyz() {
  curl -fsS --max-time 3 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1
}

healthy() {
  [ -f "$CLUSTER_DIR/kubeconfig" ] || return 1
  bash "$here/network.sh" status || return 1
  local c; for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done
  readyz || return 1
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# wait_for <seconds> <component> <description> <command…>: retries the command; on timeout or when the
# component dies, prints its log and fails.
wait_for() {
  local limit=$1 comp=$2 what=$3; shift 3
  local t0; t0=$(date +%s)
  until "$@"; do
    if ! alive "$comp"; then show_log "$comp"; die "$comp exited while waiting for $what"; fi
    if [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then show_log "$comp"; die "timed out after ${limit}s waiting for $what"; fi
    sleep 0.5
  done
}

start() { # component, command…
  local comp=$1; shift
  if alive "$comp"; then log "$comp already running (pid $(cat "$CLUSTER_DIR/$comp.pid"))"; return; fi
  # 9>&-: the daemon must not inherit the lock, or every later `up` would wait for it forever.
  setsid "$@" >>"$LOGS/$comp.log" 2>&1 < /dev/null 9>&- &
  local pid=$!
  echo "$pid" > "$CLUSTER_DIR/$comp.pid"
  # Until the forked child execs the program, its command line is this script's and alive() says no: under load
  # that gap outlasted the first readyz attempt ("kube-apiserver exited while waiting", an empty log, a live process).
  local t0=$SECONDS
  until alive "$comp"; do
    if ! [ -e "/proc/$pid" ] || [ $(( SECONDS - t0 )) -ge 60 ]; then show_log "$comp"; die "$comp did not start (pid $pid)"; fi
    sleep 0.1
  done
  log "started $comp (pid $pid, log $LOGS/$comp.log)"
}

make_pki() {
  [ -f "$PKI/admin.crt" ] && return
  mkdir -p "$PKI"
  local sans="DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  sans+=",DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$HOST_LOOPBACK_FROM_POD,IP:$NET_KUBERNETES_SVC_IP"
  sans+=",IP:$NET_POD_GATEWAY"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt \
      -subj "/CN=agentworkspace-test-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$sans" > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    # The admin credential: a client certificate in system:masters (RBAC's superuser group).
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' > admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    # Service-account token signing key.
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext ./*.srl
  )
  log "certificates written to $PKI"
}

# The node agent's serving certificate (for /containerLogs, called by the API server).
make_kubelet_cert() {
  [ -f "$PKI/kubelet.crt" ] && return
  (
    cd "$PKI"
    openssl req -newkey rsa:2048 -nodes -keyout kubelet.key -out kubelet.csr -subj "/CN=$NODE_NAME" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$NODE_NAME" > kubelet.ext
    openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile kubelet.ext -out kubelet.crt 2>/dev/null
    rm -f kubelet.csr kubelet.ext ca.srl
  )
}

# write_kubeconfig [file server]: the admin kubeconfig (default: kubeconfig, https://127.0.0.1:<port>).
# kubeconfig-node is the same credential for the components in the node netns (kube-proxy, CoreDNS), which
# reach the API server at 10.0.2.2.
write_kubeconfig() {
  local file=${1:-$CLUSTER_DIR/kubeconfig} server=${2:-https://127.0.0.1:$APISERVER_PORT}
  local b64ca b64crt b64key
  b64ca=$(base64 -w0 < "$PKI/ca.crt"); b64crt=$(base64 -w0 < "$PKI/admin.crt"); b64key=$(base64 -w0 < "$PKI/admin.key")
  cat > "$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: agentworkspace-local
  cluster:
    server: $server
    certificate-authority-data: $b64ca
users:
- name: admin
  user:
    client-certificate-data: $b64crt
    client-key-data: $b64key
contexts:
- name: agentworkspace-local
  context:
    cluster: agentworkspace-local
    user: admin
current-context: agentworkspace-local
EOF
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

# The node agent is TypeScript compiled to .local/agent-dist (inside the repository, so that Node resolves
# its dependencies from the root node_modules); recompiled when its sources change.
AGENT_DIST=$ROOT/.local/agent-dist
build_agent() {
  local stamp=$AGENT_DIST/.sources-hash want
  want=$(agent_hash)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "compiling the node agent…"
  rm -rf "$AGENT_DIST"
  tsc -p "$here/agent/tsconfig.json" --outDir "$AGENT_DIST" || die "node agent failed to compile"
  echo "$want" > "$stamp"
}

down() {
  local c i
  for (( i=${#COMPONENTS[@]}-1; i>=0; i-- )); do
    c=${COMPONENTS[$i]}
    if alive "$c"; then stop_component "$c"; log "stopped $c"; fi
    rm -f "$CLUSTER_DIR/$c.pid"
  done
  if command -v podman >/dev/null; then
    local ids; ids=$(podman pod ps -q --filter "label=agentworkspace.node=$NODE_NAME" 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      podman pod rm -f $ids >/dev/null 2>&1 || true
      log "removed $(echo "$ids" | wc -l) podman pod(s)"
    fi
  fi
  bash "$here/network.sh" down
  rm -rf "$CLUSTER_DIR"
  log "down; state removed"
}

agent_hash() { cat "$here"/agent/*.ts "$here/agent/tsconfig.json" | sha256sum | cut -d' ' -f1; }
agent_current() { [ "$(cat "$CLUSTER_DIR/node-agent.hash" 2>/dev/null)" = "$(agent_hash)" ]; }

up() {
  local t0; t0=$(date +%s)
  if healthy && agent_current; then log "already up (reusing it)"; usage; return; fi
  # (kubeconfig-node: a control plane started before the pod network existed is restarted afresh.)
  if [ -d "$CLUSTER_DIR" ] && [ -f "$CLUSTER_DIR/kubeconfig-node" ] && alive etcd && alive kube-apiserver && readyz; then
    # The control plane and its data are intact: restart only what is missing or out of date.
    log "control plane running; (re)starting the missing or outdated components"
    if alive node-agent && ! agent_current; then stop_component node-agent; log "node agent sources changed"; fi
    bash "$here/network.sh" up
    start_rest "$t0"
    return
  fi
  # A half-started or crashed cluster is torn down first: its etcd data and certificates go with it.
  if [ -d "$CLUSTER_DIR" ]; then log "found a stopped or unhealthy cluster; cleaning it up"; down; fi
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubectl helm coredns; do
    [ -x "$BIN_DIR/$b" ] || { log "binaries missing; building (a cold build takes 15–35 min on 2 cores, depending on load)"; bash "$here/build.sh"; break; }
  done
  command -v podman >/dev/null || die "podman is not installed (run test/cluster/prepare.sh)"
  mkdir -p "$LOGS/pods" "$CLUSTER_DIR/pv" "$CLUSTER_DIR/pods"
  make_pki
  make_kubelet_cert
  write_kubeconfig
  write_kubeconfig "$CLUSTER_DIR/kubeconfig-node" "https://$HOST_LOOPBACK_FROM_POD:$APISERVER_PORT"
  bash "$here/network.sh" up

  start etcd "$BIN_DIR/etcd" --name default --data-dir "$CLUSTER_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  wait_for 30 etcd "etcd health" etcd_healthy

  start kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address "$HOST_LOOPBACK_FROM_POD" --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --api-audiences https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$NET_SERVICE_CIDR" --allow-privileged=true \
    --disable-admission-plugins TaintNodesByCondition \
    --kubelet-client-certificate "$PKI/admin.crt" --kubelet-client-key "$PKI/admin.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --profiling=false
  wait_for 120 kube-apiserver "kube-apiserver /readyz" readyz
  log "kube-apiserver ready at https://127.0.0.1:$APISERVER_PORT ($(( $(date +%s) - t0 ))s)"
  start_rest "$t0"
}

stop_component() {
  local pid; pid=$(cat "$CLUSTER_DIR/$1.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
  [ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$CLUSTER_DIR/$1.pid"
}

# The components after the API server: controller-manager, scheduler, node agent (each only if not running).
start_rest() {
  local t0=$1
  local controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller
  controllers+=,serviceaccount-token-controller,root-ca-certificate-publisher-controller
  controllers+=,deployment-controller,replicaset-controller,statefulset-controller,job-controller
  controllers+=,clusterrole-aggregation-controller,ttl-after-finished-controller
  controllers+=,persistentvolume-binder-controller,persistentvolume-protection-controller
  controllers+=,persistentvolumeclaim-protection-controller
  controllers+=,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller
  start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig "$CLUSTER_DIR/kubeconfig" --secure-port 0 --leader-elect=false \
    --controllers "$controllers" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    --profiling=false
  start kube-scheduler "$BIN_DIR/kube-scheduler" \
    --kubeconfig "$CLUSTER_DIR/kubeconfig" --secure-port 0 --leader-elect=false --profiling=false

  start_network_components
  make_kubelet_cert
  alive node-agent || build_agent
  alive node-agent || agent_hash > "$CLUSTER_DIR/node-agent.hash"
  AGENT_KUBECONFIG="$CLUSTER_DIR/kubeconfig" AGENT_NODE_NAME="$NODE_NAME" AGENT_STATE_DIR="$CLUSTER_DIR" \
    AGENT_APISERVER_PORT="$APISERVER_PORT" AGENT_POD_APISERVER_HOST="$NET_KUBERNETES_SVC_IP" \
    AGENT_POD_APISERVER_SERVICE_PORT=443 AGENT_KUBELET_PORT="$KUBELET_PORT" \
    AGENT_NODE_NETNS="$NET_NODE_NS" AGENT_BRIDGE="$NET_BRIDGE" AGENT_POD_NETNS_PREFIX="$NET_POD_NETNS_PREFIX" \
    AGENT_POD_CIDR="$NET_POD_CIDR" AGENT_POD_GATEWAY="$NET_POD_GATEWAY" AGENT_DNS_SERVER="$NET_DNS_SVC_IP" \
    AGENT_CLUSTER_DOMAIN="$CLUSTER_DOMAIN" \
    start node-agent "$ROOT/node_modules/.bin/node" "$AGENT_DIST/main.js"

  wait_for 60 node-agent "node $NODE_NAME Ready" node_ready
  wait_for 60 kube-controller-manager "the default ServiceAccount" default_sa
  sleep 1
  wait_for 60 coredns "cluster DNS (kube-dns VIP → CoreDNS) to resolve the kubernetes Service" dns_ready
  for c in kube-controller-manager kube-scheduler kube-proxy coredns; do alive "$c" || { show_log "$c"; die "$c exited"; }; done
  log "up in $(( $(date +%s) - t0 ))s"
  usage
}

# kube-proxy and CoreDNS run in the node netns (network.sh): Service VIPs are its iptables rules, and CoreDNS
# serves the kube-dns Service (10.96.<N>.10) through a selector-less EndpointSlice at the pods' gateway.
start_network_components() {
  # The conntrack zeros: leave the kernel's conntrack limits and timeouts (machine-wide) as they are.
  start kube-proxy ip netns exec "$NET_NODE_NS" "$BIN_DIR/kube-proxy" \
    --kubeconfig "$CLUSTER_DIR/kubeconfig-node" --hostname-override "$NODE_NAME" \
    --proxy-mode iptables --cluster-cidr "$NET_POD_CIDR" --bind-address "$NET_POD_GATEWAY" --nodeport-addresses primary \
    --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0
  cat > "$CLUSTER_DIR/Corefile" <<EOF
.:53 {
    errors
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $CLUSTER_DIR/kubeconfig-node agentworkspace-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    loadbalance
}
EOF
  start coredns ip netns exec "$NET_NODE_NS" "$BIN_DIR/coredns" -conf "$CLUSTER_DIR/Corefile"
  kubectl_admin apply -f - >/dev/null <<EOF || die "could not create the kube-dns Service"
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $NET_DNS_SVC_IP
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-node
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: cluster.sh.agentworkspace.dev}
addressType: IPv4
endpoints: [{addresses: ["$NET_POD_GATEWAY"], conditions: {ready: true}, nodeName: $NODE_NAME}]
ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
EOF
}

# From the host, through the kube-dns VIP (host route → node netns → kube-proxy → CoreDNS → API server).
dns_ready() {
  "$ROOT/node_modules/.bin/node" -e 'const r = new (require("node:dns").promises.Resolver)({ timeout: 1000, tries: 1 });
    r.setServers([process.argv[1]]);
    r.resolve4(process.argv[2]).then((a) => process.exit(a.includes(process.argv[3]) ? 0 : 1), () => process.exit(1));' \
    "$NET_DNS_SVC_IP" "kubernetes.default.svc.$CLUSTER_DOMAIN" "$NET_KUBERNETES_SVC_IP" 2>/dev/null
}

etcd_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1; }
default_sa() { kubectl_admin get serviceaccount default -n default -o name >/dev/null 2>&1; }

node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

usage() {
  cat <<EOF
cluster: Kubernetes $K8S_VERSION is running. Use it with:
  export KUBECONFIG=$CLUSTER_DIR/kubeconfig PATH=$BIN_DIR:\$PATH
  kubectl get nodes; helm version
  pods run as podman containers (CONTAINERS_CONF=$CONTAINERS_CONF podman ps); their logs: $LOGS/pods/
  component logs: $LOGS/; stop with: make cluster-down
EOF
}

mkdir -p "$(dirname "$CLUSTER_DIR")"
exec 9>"$CLUSTER_DIR.up.lock"
flock 9
case ${1:-} in
  up) up ;;
  down) down ;;
  status) healthy ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
