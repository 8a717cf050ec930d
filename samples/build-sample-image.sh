#!/usr/bin/env bash
# Builds the sample seller image (localhost/slipway-sample:latest by default):
# a static glibc binary of crates/slipway-sample in an image FROM scratch.
#
#   samples/build-sample-image.sh            # build and tag
#   SLIPWAY_SAMPLE_IMAGE=name:tag samples/build-sample-image.sh
#
# Honours CARGO_TARGET_DIR. Needs cargo, podman and (for a smaller image)
# strip. Static glibc is fine here: the binary never calls glibc's resolver
# (SAMPLE_MODE=dial-out resolves with hickory from /etc/resolv.conf).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
image="${SLIPWAY_SAMPLE_IMAGE:-localhost/slipway-sample:latest}"
triple="x86_64-unknown-linux-gnu"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

# Rootful podman in some sandboxes cannot raise the default nofile/nproc
# limits; pin them low enough once. Only written when there is no config.
if [ "$(id -u)" = 0 ] && [ ! -e /etc/containers/containers.conf ]; then
    mkdir -p /etc/containers
    cat > /etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
CONF
    echo "wrote /etc/containers/containers.conf (default_ulimits)"
fi

# --target keeps the static build's artifacts apart from ordinary host
# builds, so the RUSTFLAGS change does not invalidate them.
(cd "$repo" && RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release -p slipway-sample --target "$triple")
bin="$target_dir/$triple/release/slipway-sample"

if command -v readelf >/dev/null && readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
    echo "error: $bin is dynamically linked; it cannot run FROM scratch" >&2
    exit 1
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/slipway-sample"
if command -v strip >/dev/null; then
    strip --strip-all "$ctx/slipway-sample"
fi
cp "$here/sample-seller/Containerfile" "$here/sample-seller/default-model.json" "$ctx/"

podman build --quiet -t "$image" -f "$ctx/Containerfile" "$ctx" >/dev/null
size="$(podman image inspect --format '{{.Size}}' "$image")"
echo "built $image ($size bytes)"
