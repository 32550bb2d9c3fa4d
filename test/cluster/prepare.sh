#!/usr/bin/env bash
# Everything the cluster and e2e tiers need, idempotently, with each phase's duration: Debian packages
# (podman, runc, debootstrap, iproute2, iptables, conntrack…), the control-plane binaries (built from the Go modules and
# cached), the local images (base, test app, agent server), and a running local cluster (reused when up).
# scripts/test.sh runs it before those tiers. Under CI=true a missing prerequisite is a failure with a
# clear message, never a skip; elsewhere too, since the tiers cannot run without them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"
T0=$(date +%s)

phase() { PHASE=$1; PT0=$(date +%s); echo "==> cluster prepare: $PHASE"; }
phase_done() { echo "<== cluster prepare: $PHASE took $(( $(date +%s) - PT0 ))s"; }
fail() { echo "cluster prepare: ERROR: $*" >&2; exit 1; }

phase "system packages"
# command → Debian package providing it
declare -A need=([podman]=podman [runc]=runc [slirp4netns]=slirp4netns [debootstrap]=debootstrap
  [newuidmap]=uidmap [fuse-overlayfs]=fuse-overlayfs [catatonit]=catatonit [openssl]=openssl [curl]=curl [flock]=util-linux
  [ip]=iproute2 [iptables]=iptables [conntrack]=conntrack [nsenter]=util-linux)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/libexec/podman/$cmd" ] || [ -x "/usr/bin/$cmd" ] || missing+=("${need[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${missing[*]} and no apt-get to install them"
  [ "$(id -u)" = 0 ] || fail "missing ${missing[*]}; installing them needs root (apt-get install ${missing[*]})"
  echo "installing ${missing[*]} with apt-get…"
  # Another apt-get (a second checkout's prepare, an unattended upgrade) may hold dpkg's lock: wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
else
  echo "podman, runc, debootstrap, iproute2, iptables, conntrack and friends are installed"
fi
command -v go >/dev/null || fail "Go is not installed (the control plane is built from the Kubernetes Go modules; Go >= 1.26 needed)"
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "$go_minor" -ge 26 ] || fail "Go $(go env GOVERSION) is too old: k8s.io/kubernetes v1.36 needs Go >= 1.26"
[ -x "$ROOT/node_modules/.bin/node" ] || fail "node_modules/.bin/node is missing: run scripts/setup.sh first"
CONTAINERS_CONF="$here/containers.conf" podman info >/dev/null 2>&1 \
  || fail "podman does not work with test/cluster/containers.conf: $(CONTAINERS_CONF="$here/containers.conf" podman info 2>&1 | tail -3)"
phase_done

phase "control-plane binaries, kube-proxy, CoreDNS (cold build 15–35 min on 2 cores, depending on load; cached afterwards)"
bash "$here/build.sh" || fail "building the control-plane binaries failed"
phase_done

phase "images (base, test app, agent server)"
bash "$here/image.sh" base || fail "building the base image failed"
bash "$here/image.sh" testapp || fail "building the test app image failed"
bash "$here/image.sh" server || fail "building the agent-server image failed"
phase_done

phase "cluster up"
bash "$here/cluster.sh" up || fail "the local cluster did not start (component logs: .local/cluster/logs/)"
phase_done

echo "cluster prepare: ready in $(( $(date +%s) - T0 ))s (the cluster keeps running for later tiers; make cluster-down stops it)"
