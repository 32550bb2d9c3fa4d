#!/usr/bin/env bash
# A Debian trixie root (Python 3.13) with the official OpenHands Python packages, for the parity tests
# (the official client against our server, and the official agent server itself). Cached outside the
# repository; safe to run any number of times: a finished root (its stamp names the package versions) is
# left as it is.
#
#   scripts/python-root.sh setup        build the root if missing (needs root: debootstrap, chroot)
#   scripts/python-root.sh path         print the root's directory if it is complete, else exit 1
#   scripts/python-root.sh run CMD…     run CMD inside the root (as root, host network; /proc, /dev, /dev/pts
#                                       and the host's /tmp mounted in a private mount namespace that ends with
#                                       CMD); CMD may start with NAME=value words (env(1)), the only variables set
#                                       besides HOME, PATH, LANG, TERM and the CA bundle
#
# OPENHANDS_VERSION (1.58.2) picks the packages; AGENTWORKSPACE_CACHE (~/.cache/agentworkspace) the cache.
# The venv's python is /opt/openhands/bin/python inside the root; the official server is
# /opt/openhands/bin/python -m openhands.agent_server.
set -euo pipefail

OPENHANDS_VERSION=${OPENHANDS_VERSION:-1.58.2}
CACHE=${AGENTWORKSPACE_CACHE:-$HOME/.cache/agentworkspace}
ROOTFS="$CACHE/python-root-trixie"
STAMP="$ROOTFS/.agentworkspace-stamp"
WANT="trixie openhands-sdk openhands-tools openhands-workspace openhands-agent-server ==$OPENHANDS_VERSION"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOST_CA=${PYTHON_ROOT_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

complete() { [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; }

# in_root CMD…: CMD inside the root, with its mounts private to this call (nothing left mounted after).
# unshare (without --fork), sh, chroot and env each exec the next, so CMD keeps the caller's process.
in_root() {
  ${IN_ROOT_EXEC:-} unshare --mount --propagation private -- /bin/sh -ec '
    r=$1; shift
    mount --rbind /dev "$r/dev"
    mkdir -p "$r/dev/pts"; mountpoint -q "$r/dev/pts" || mount --bind /dev/pts "$r/dev/pts"
    mount -t proc proc "$r/proc"
    mount --bind /tmp "$r/tmp"   # the same paths on both sides: a client in the root, a server outside
    mkdir -p "$r/var/tmp/tmux"
    cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$r" /usr/bin/env -i HOME=/root PATH=/opt/openhands/bin:/usr/local/bin:/usr/bin:/bin \
      LANG=C.UTF-8 TERM=xterm TMUX_TMPDIR=/var/tmp/tmux LITELLM_LOCAL_MODEL_COST_MAP=True SSL_CERT_FILE=/etc/ssl/certs/host-ca.crt "$@"' sh "$ROOTFS" "$@"
}

setup() {
  if complete; then echo "python root ready: $ROOTFS ($WANT)"; return; fi
  [ "$(id -u)" = 0 ] || { echo "python-root.sh setup needs root (debootstrap, chroot)" >&2; exit 1; }
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  mkdir -p "$CACHE"
  if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
    rm -rf "$ROOTFS.partial"
    debootstrap --variant=minbase --include=python3,python3-venv,tmux,git,ca-certificates,procps,bash \
      trixie "$ROOTFS.partial" "$MIRROR"
    rm -rf "$ROOTFS"; mv "$ROOTFS.partial" "$ROOTFS"
  fi
  # The host's CA bundle: pip (and the client's HTTPS) inside the root trusts what the host trusts.
  cp "$HOST_CA" "$ROOTFS/etc/ssl/certs/host-ca.crt"
  [ -x "$ROOTFS/opt/openhands/bin/python" ] || in_root python3 -m venv /opt/openhands
  in_root /opt/openhands/bin/pip install --quiet --disable-pip-version-check --cert /etc/ssl/certs/host-ca.crt \
    "openhands-sdk==$OPENHANDS_VERSION" "openhands-tools==$OPENHANDS_VERSION" \
    "openhands-workspace==$OPENHANDS_VERSION" "openhands-agent-server==$OPENHANDS_VERSION"
  in_root /opt/openhands/bin/python -c 'import openhands.sdk, openhands.workspace, openhands.agent_server'
  echo "$WANT" > "$STAMP"
  echo "python root ready: $ROOTFS ($WANT)"
}

case ${1:-setup} in
  setup) setup ;;
  path) complete && echo "$ROOTFS" ;;
  # exec: CMD replaces this shell (a signal to this process reaches CMD itself, e.g. a server stopped by its pid).
  run) shift; complete || { echo "python root missing: run scripts/python-root.sh setup" >&2; exit 1; }; IN_ROOT_EXEC=exec in_root "$@" ;;
  *) echo "usage: $0 setup|path|run CMD…" >&2; exit 2 ;;
esac
