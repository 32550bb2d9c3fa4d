#!/usr/bin/env bash
# The local cluster's pod network, all of it on this machine and scoped by one index N (CLUSTER_NET_INDEX,
# 0–255, default 0) so that clusters with different indexes run side by side:
#
#   node netns  aw<N>-node   the node's own network namespace (like kind's node container): the pod bridge,
#                            kube-proxy's iptables rules, CoreDNS. Nothing of it is in the host's netns.
#   bridge      aw<N>        in the node netns, 10.244.<N>.1/24: the pods' gateway
#   uplink      aw<N>-host (host) <-> uplink (node netns), 10.245.<N>.1/30 <-> 10.245.<N>.2/30
#   pods        netns aw<N>-p-<pod uid> (made by the node agent), a veth into the bridge, 10.244.<N>.2–254
#   Services    10.96.<N>.0/24 or CLUSTER_SERVICE_CIDR (kubernetes = .1, kube-dns = .10), routed by the host into the node netns
#   host lo     10.0.2.2 from pods and the node netns: DNAT'ed to 127.0.0.1 by the host on aw<N>-host only
#               (route_localnet on that interface), the address slirp4netns pods used, so it stays valid
#
# The host netns gets only: the aw<N>-host interface, two routes through it (pod and Service ranges), the
# route_localnet sysctl of that interface, and the nat chain AW<N>-HOSTLO jumped to from PREROUTING for
# packets entering on aw<N>-host. The node netns has no default route: pods reach the pod range, the
# Service range, the host's loopback at 10.0.2.2 — and no other address.
#
#   network.sh up | down | status | env        (env prints the derived values as shell assignments)
# Ownership: /run/agentworkspace/net-<N>.owner names the CLUSTER_DIR that made index N; `up` refuses an index
# another cluster owns. Needs root (CAP_NET_ADMIN).
set -euo pipefail

N=${CLUSTER_NET_INDEX:-0}
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -le 255 ] || { echo "network: CLUSTER_NET_INDEX must be 0–255 (got $N)" >&2; exit 2; }
OWNER=${CLUSTER_DIR:?CLUSTER_DIR must be set}
NODE_NS=aw$N-node
BRIDGE=aw$N
HOST_IF=aw$N-host
POD_NETNS_PREFIX=aw$N-p-
POD_CIDR=10.244.$N.0/24
POD_GATEWAY=10.244.$N.1
# CLUSTER_SERVICE_CIDR (a.b.c.0/len) replaces the /24 when a cluster needs more than 253 Services (the operator
# benchmark's 1,000 workspaces each have one); kubernetes is still .1 and kube-dns .10 of it.
SERVICE_CIDR=${CLUSTER_SERVICE_CIDR:-10.96.$N.0/24}
[[ $SERVICE_CIDR =~ ^([0-9]+\.[0-9]+\.[0-9]+\.)0/([0-9]+)$ ]] && [ "${BASH_REMATCH[2]}" -ge 12 ] && [ "${BASH_REMATCH[2]}" -le 24 ] \
  || { echo "network: CLUSTER_SERVICE_CIDR must be a.b.c.0/12–24 (got $SERVICE_CIDR)" >&2; exit 2; }
KUBERNETES_SVC_IP=${BASH_REMATCH[1]}1
DNS_SVC_IP=${BASH_REMATCH[1]}10
HOST_LINK_IP=10.245.$N.1
NODE_LINK_IP=10.245.$N.2
HOST_LOOPBACK_FROM_POD=10.0.2.2
CHAIN=AW$N-HOSTLO
MARKER_DIR=/run/agentworkspace
MARKER=$MARKER_DIR/net-$N.owner

log() { echo "network: $*"; }
die() { echo "network: ERROR: $*" >&2; exit 1; }

print_env() {
  local v
  for v in NODE_NS BRIDGE HOST_IF POD_NETNS_PREFIX POD_CIDR POD_GATEWAY SERVICE_CIDR KUBERNETES_SVC_IP DNS_SVC_IP \
    HOST_LINK_IP NODE_LINK_IP HOST_LOOPBACK_FROM_POD; do
    echo "NET_$v=${!v}"
  done
}

netns_exists() { [ -e "/run/netns/$1" ]; }

status() {
  netns_exists "$NODE_NS" && ip link show "$HOST_IF" >/dev/null 2>&1 \
    && ip -n "$NODE_NS" link show "$BRIDGE" >/dev/null 2>&1 \
    && iptables -t nat -C PREROUTING -i "$HOST_IF" -j "$CHAIN" 2>/dev/null \
    && [ "$(cat "$MARKER" 2>/dev/null)" = "$OWNER" ]
}

up() {
  [ "$(id -u)" = 0 ] || die "the pod network needs root (network namespaces, veth, iptables)"
  for cmd in ip iptables; do command -v "$cmd" >/dev/null || die "$cmd is missing (test/cluster/prepare.sh installs it)"; done
  mkdir -p "$MARKER_DIR"
  # A marker whose cluster no longer runs (its run was killed before `down`) would block every later run:
  # that cluster's network is removed as its own `down` would, and the index taken over.
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" != "$OWNER" ]; then
    local old apiserver_pid; old=$(cat "$MARKER"); apiserver_pid=$(cat "$old/kube-apiserver.pid" 2>/dev/null || true)
    if ! { [ -n "$apiserver_pid" ] && [ -d "/proc/$apiserver_pid" ]; }; then
      log "index $N was left by $old, whose cluster is not running: removing its network and taking the index over"
      CLUSTER_DIR=$old bash "${BASH_SOURCE[0]}" down || die "could not remove the network left by $old"
    fi
  fi
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" != "$OWNER" ]; then
    die "network index $N (netns $NODE_NS, $POD_CIDR) belongs to the cluster in $(cat "$MARKER"); set CLUSTER_NET_INDEX to another value"
  fi
  if ! [ -f "$MARKER" ] && { netns_exists "$NODE_NS" || ip link show "$HOST_IF" >/dev/null 2>&1; }; then
    die "netns $NODE_NS or interface $HOST_IF exists but no cluster owns it ($MARKER missing); remove it or set CLUSTER_NET_INDEX"
  fi
  if ip route show | grep -v "dev $HOST_IF" | grep -qE "^(10\.244\.$N\.0/24|${SERVICE_CIDR//./\\.}|10\.245\.$N\.0/30) "; then
    die "the host already routes $POD_CIDR, $SERVICE_CIDR or 10.245.$N.0/30 elsewhere; set CLUSTER_NET_INDEX to another value"
  fi
  echo "$OWNER" > "$MARKER"

  netns_exists "$NODE_NS" || ip netns add "$NODE_NS"
  ip -n "$NODE_NS" link set lo up
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip -n "$NODE_NS" link del uplink 2>/dev/null || true
    ip link add "$HOST_IF" type veth peer name uplink netns "$NODE_NS"
  fi
  ip addr replace "$HOST_LINK_IP/30" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  ip -n "$NODE_NS" addr replace "$NODE_LINK_IP/30" dev uplink
  ip -n "$NODE_NS" link set uplink up
  ip -n "$NODE_NS" link show "$BRIDGE" >/dev/null 2>&1 || ip -n "$NODE_NS" link add "$BRIDGE" type bridge
  ip -n "$NODE_NS" addr replace "$POD_GATEWAY/24" dev "$BRIDGE"
  ip -n "$NODE_NS" link set "$BRIDGE" up
  # The node netns routes to the host only the host-loopback address; there is no default route.
  ip -n "$NODE_NS" route replace "$HOST_LOOPBACK_FROM_POD/32" via "$HOST_LINK_IP" dev uplink
  # Forwarding and bridge netfilter inside the node netns only (both sysctls are per network namespace):
  # pod → Service VIP → pod on the same bridge needs the bridged reply to pass conntrack.
  ip netns exec "$NODE_NS" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward;
    [ ! -w /proc/sys/net/bridge/bridge-nf-call-iptables ] || echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables'

  # The host: routes for the pod and Service ranges into the node netns; 10.0.2.2 → 127.0.0.1 for packets
  # entering on our interface only (route_localnet lets the kernel route a DNAT to loopback).
  ip route replace "$POD_CIDR" via "$NODE_LINK_IP" dev "$HOST_IF"
  ip route replace "$SERVICE_CIDR" via "$NODE_LINK_IP" dev "$HOST_IF"
  echo 1 > "/proc/sys/net/ipv4/conf/$HOST_IF/route_localnet"
  iptables -t nat -N "$CHAIN" 2>/dev/null || iptables -t nat -F "$CHAIN"
  iptables -t nat -A "$CHAIN" -d "$HOST_LOOPBACK_FROM_POD/32" -p tcp -j DNAT --to-destination 127.0.0.1
  iptables -t nat -A "$CHAIN" -d "$HOST_LOOPBACK_FROM_POD/32" -p udp -j DNAT --to-destination 127.0.0.1
  iptables -t nat -C PREROUTING -i "$HOST_IF" -j "$CHAIN" 2>/dev/null || iptables -t nat -A PREROUTING -i "$HOST_IF" -j "$CHAIN"
  log "up: node netns $NODE_NS, bridge $BRIDGE $POD_GATEWAY/24, Services $SERVICE_CIDR, host link $HOST_IF $HOST_LINK_IP"
}

down() {
  [ "$(id -u)" = 0 ] || die "removing the pod network needs root"
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" != "$OWNER" ]; then
    log "index $N belongs to $(cat "$MARKER"); leaving it alone"; return
  fi
  local ns removed=0
  for ns in /run/netns/"$POD_NETNS_PREFIX"*; do
    [ -e "$ns" ] || continue
    ip netns del "$(basename "$ns")" 2>/dev/null && removed=$((removed + 1)) || true
  done
  [ "$removed" = 0 ] || log "removed $removed pod network namespace(s)"
  # Deleting the node netns takes the bridge, the uplink veth pair (so aw<N>-host and its routes) and
  # kube-proxy's rules with it.
  if netns_exists "$NODE_NS"; then ip netns del "$NODE_NS"; log "removed netns $NODE_NS"; fi
  ip link del "$HOST_IF" 2>/dev/null || true
  while iptables -t nat -D PREROUTING -i "$HOST_IF" -j "$CHAIN" 2>/dev/null; do :; done
  iptables -t nat -F "$CHAIN" 2>/dev/null || true
  iptables -t nat -X "$CHAIN" 2>/dev/null || true
  rm -f "$MARKER"
  log "down: index $N removed"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
