#!/usr/bin/env bash
# Builds the sample-seller variants that each trip one readiness check
# (docs/sample-seller.md, "Image variants"), all FROM scratch around the
# static binary samples/build-sample-image.sh builds:
#
#   localhost/slipway-sample-arm64:latest                  config says linux/arm64 (binary is x86-64)
#   localhost/slipway-sample-ignores-argv:latest           ENTRYPOINT [bin, "serve"]: always serves
#   localhost/slipway-sample-no-entrypoint:latest          no ENTRYPOINT; `serve`/`train` on PATH (valid)
#   localhost/slipway-sample-serve-not-executable:latest   as no-entrypoint, /usr/local/bin/serve mode 0644
#   localhost/slipway-sample-nonroot:latest                the normal image with USER 1000:1000
#
#   samples/build-readiness-images.sh
#
# Idempotent: each image carries a `slipway.content` label (a hash of the
# binary and its Containerfile) and is left alone when it matches. The
# binary is rebuilt (by build-sample-image.sh) only when it is missing or
# older than the sample's sources. Honours CARGO_TARGET_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
bin="$target_dir/x86_64-unknown-linux-gnu/release/slipway-sample"

stale=""
if [ ! -x "$bin" ]; then
    stale="missing"
elif [ -n "$(find "$repo/crates/slipway-sample" "$repo/Cargo.lock" -newer "$bin" -type f -print -quit)" ]; then
    stale="older than the sources"
fi
if [ -n "$stale" ]; then
    echo "static binary $stale: running samples/build-sample-image.sh"
    "$here/build-sample-image.sh"
fi
if [ ! -x "$bin" ]; then
    echo "error: $bin was not built" >&2
    exit 1
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/slipway-sample"
if command -v strip >/dev/null; then
    strip --strip-all "$ctx/slipway-sample"
fi
cp "$here/sample-seller/default-model.json" "$ctx/"
bin_hash="$(sha256sum "$ctx/slipway-sample" | cut -c1-16)"

normal="$(cat "$here/sample-seller/Containerfile")"
path_env='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# No ENTRYPOINT (and no CMD): the platform's `serve` / `train` is the
# command, found on PATH; the binary dispatches on the name it was run by.
on_path() { # on_path SERVE_MODE
    cat <<EOF
FROM scratch
COPY --chmod=$1 slipway-sample /usr/local/bin/serve
COPY --chmod=0755 slipway-sample /usr/local/bin/train
COPY default-model.json /opt/ml/model/model.json
$path_env
EOF
}

# build NAME PLATFORM CONTAINERFILE_TEXT
build() {
    local image="localhost/slipway-sample-$1:latest" platform="$2" file="$3"
    local key
    key="$(printf '%s\n%s\n%s\n' "$bin_hash" "$platform" "$file" | sha256sum | cut -c1-16)"
    if [ "$(podman image inspect --format '{{index .Labels "slipway.content"}}' "$image" 2>/dev/null)" = "$key" ]; then
        echo "$image: up to date"
    else
        echo "$image: building"
        printf '%s\nLABEL slipway.content=%s\n' "$file" "$key" > "$ctx/Containerfile.$1"
        podman build --quiet --platform "$platform" -t "$image" \
            -f "$ctx/Containerfile.$1" "$ctx" >/dev/null
    fi
}

build arm64 linux/arm64 "$normal"
build ignores-argv linux/amd64 "$(printf '%s\nENTRYPOINT ["/usr/local/bin/slipway-sample", "serve"]\n' "$normal")"
build no-entrypoint linux/amd64 "$(on_path 0755)"
build serve-not-executable linux/amd64 "$(on_path 0644)"
build nonroot linux/amd64 "$(printf '%s\nUSER 1000:1000\n' "$normal")"

# One line per image: what a readiness check would look at.
for name in arm64 ignores-argv no-entrypoint serve-not-executable nonroot; do
    image="localhost/slipway-sample-$name:latest"
    podman image inspect --format \
        "$image: {{.Os}}/{{.Architecture}} entrypoint={{json .Config.Entrypoint}} cmd={{json .Config.Cmd}} user={{json .Config.User}} {{.Size}} bytes" \
        "$image"
done
