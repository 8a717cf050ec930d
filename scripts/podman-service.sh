#!/usr/bin/env bash
# Makes a Docker-Engine-API socket available for Slipway's container engine
# (docs/architecture.md "Container engine facts"): rootful Podman's API service on
# /run/podman/podman.sock. Idempotent; run as root. Prints the line to eval:
#   eval "$(scripts/podman-service.sh)"
# Progress goes to stderr so stdout is only the export line.
# SLIPWAY_PODMAN_SOCK overrides the socket path (default below).
set -euo pipefail

SOCK=${SLIPWAY_PODMAN_SOCK:-/run/podman/podman.sock}
LOG=${SLIPWAY_PODMAN_LOG:-/tmp/podman-service.log}

if [ "$(id -u)" != 0 ]; then
  echo "podman-service.sh: must run as root (rootful podman serves the engine socket)" >&2
  exit 1
fi

ping_engine() {
  curl -fsS --max-time 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1
}

# Packages: podman and its OCI runtime; nft closes isolated networks to
# this host (docs/jobs.md "Distributed training"); busybox-static is what
# the engine conformance tests put into their FROM-scratch test image.
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v curl >/dev/null || need+=(curl)
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || need+=(nftables)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Containers inherit the service's rlimits unless told otherwise; in CI those
# can be huge (nofile=1M) or tiny. Pin sane defaults once.
CONF=/etc/containers/containers.conf
if ! grep -qs '^[[:space:]]*default_ulimits' "$CONF"; then
  mkdir -p /etc/containers
  if grep -qs '^\[containers\]' "$CONF"; then
    sed -i '/^\[containers\]/a default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]' "$CONF"
  else
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]\n' >>"$CONF"
  fi
fi

# Slipway's registry serves plain HTTP on loopback. Mark 127.0.0.1 and
# localhost insecure so engines pulling through the Docker API (the job
# runtime) reach it without TLS. The prefix matches any port. Written once;
# podman reads registries.conf.d per pull, so no restart is needed.
DROPIN=/etc/containers/registries.conf.d/50-slipway-loopback.conf
if [ ! -e "$DROPIN" ]; then
  mkdir -p "$(dirname "$DROPIN")"
  cat >"$DROPIN" <<'CONF'
# Slipway's built-in registry: plain HTTP on loopback (scripts/podman-service.sh).
[[registry]]
location = "127.0.0.1"
insecure = true

[[registry]]
location = "localhost"
insecure = true
CONF
  echo "wrote $DROPIN (loopback registries are plain HTTP)" >&2
fi

if ! ping_engine; then
  mkdir -p "$(dirname "$SOCK")"
  # A stale socket from a dead service would make podman refuse to bind.
  rm -f "$SOCK"
  echo "starting podman system service on $SOCK (log: $LOG)" >&2
  nohup podman system service --time=0 "unix://$SOCK" >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 100); do
    ping_engine && break
    sleep 0.1
  done
  if ! ping_engine; then
    echo "podman-service.sh: the engine did not answer on $SOCK within 10 s; see $LOG" >&2
    exit 1
  fi
fi

echo "export DOCKER_HOST=unix://$SOCK"
