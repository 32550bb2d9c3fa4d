#!/usr/bin/env bash
# Builds the local cluster's binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy,
# kubectl, etcd, helm, CoreDNS) from the official Go modules into a cache outside the repository, keyed by version.
# Idempotent: a binary already in the cache is not rebuilt. Prints progress and each binary's build time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=v1.36.3
HELM_VERSION=v3.22.0
GO_MINOR=$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')
CACHE_ROOT=${AGENTWORKSPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentworkspace}
BIN_DIR=${CLUSTER_BIN_DIR:-$CACHE_ROOT/k8s-$K8S_VERSION-go$GO_MINOR}
mkdir -p "$BIN_DIR"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

build() { # name, package
  local name=$1 package=$2 start
  if [ -x "$BIN_DIR/$name" ]; then echo "cluster-build: $name cached"; return; fi
  start=$(date +%s)
  echo "cluster-build: building $name ($package)…"
  (cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$name.tmp" "$package")
  mv "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
  echo "cluster-build: $name built in $(( $(date +%s) - start ))s"
}

total=$(date +%s)
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kube-proxy k8s.io/kubernetes/cmd/kube-proxy
build kubectl k8s.io/kubernetes/cmd/kubectl
# helm reports its version from ldflags (its source only says "v3.22"); stamp it as helm's release build does.
helm_ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
if [ ! -x "$BIN_DIR/helm" ] || ! "$BIN_DIR/helm" version --short 2>/dev/null | grep -q "^$HELM_VERSION"; then
  start=$(date +%s); echo "cluster-build: installing helm $HELM_VERSION…"
  GOBIN="$BIN_DIR" go install -trimpath -ldflags "$helm_ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "cluster-build: helm built in $(( $(date +%s) - start ))s"
else echo "cluster-build: helm cached"; fi
# CoreDNS from its own small module (coredns/: its go.mod wants client-go v0.37, never in our go.mod), with only
# the plugins the Corefile uses; rebuilt when that module's files change (a stamp of their hash).
coredns_inputs=$(cat "$here"/coredns/{go.mod,go.sum,main.go} | sha256sum | cut -c1-16)
if [ ! -x "$BIN_DIR/coredns" ] || [ "$(cat "$BIN_DIR/coredns.inputs" 2>/dev/null)" != "$coredns_inputs" ]; then
  start=$(date +%s); echo "cluster-build: building coredns (test/cluster/coredns: $(grep -m1 'coredns/coredns v' "$here/coredns/go.mod" | awk '{print $NF}'), three plugins)…"
  (cd "$here/coredns" && go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/coredns.tmp" .)
  mv "$BIN_DIR/coredns.tmp" "$BIN_DIR/coredns"; echo "$coredns_inputs" > "$BIN_DIR/coredns.inputs"
  echo "cluster-build: coredns built in $(( $(date +%s) - start ))s"
else echo "cluster-build: coredns cached"; fi
echo "cluster-build: all binaries in $BIN_DIR ($(( $(date +%s) - total ))s)"
