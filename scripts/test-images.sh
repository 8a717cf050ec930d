#!/usr/bin/env bash
# Builds the images the container-engine tests run (idempotent, safe to run
# concurrently): localhost/slipway-test-busybox:latest, FROM scratch with a
# static busybox and its applets in /bin. Uses podman (or CONTAINER_CLI).
set -euo pipefail
CLI=${CONTAINER_CLI:-podman}
IMAGE=localhost/slipway-test-busybox:latest
BUSYBOX=${BUSYBOX:-/bin/busybox}

exec 9>/tmp/slipway-test-images.lock
flock 9
if [ "${1:-}" != "--rebuild" ] && "$CLI" image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi
# A FROM-scratch image has no libc: the busybox must be static
# (Debian: busybox-static; scripts/podman-service.sh installs it).
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "test-images.sh: $BUSYBOX is dynamically linked; install busybox-static" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$BUSYBOX" "$ctx/busybox"
cat >"$ctx/Containerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN ["/bin/busybox", "mkdir", "-p", "/tmp", "/www"]
ENTRYPOINT ["/bin/busybox"]
CMD ["true"]
DOCKERFILE
"$CLI" build -q -t "$IMAGE" "$ctx" >/dev/null
echo "built $IMAGE" >&2
