#!/usr/bin/env bash
# Builds localhost/slipway-scikit-byo:latest, a seller image made like AWS's
# `scikit_bring_your_own` sample (Python, scikit-learn decision tree, nginx
# in front of gunicorn + Flask, `train`/`serve` on PATH, no ENTRYPOINT),
# from Debian packages only:
#
#   1. debootstrap a minimal Debian 12 rootfs with the packages below, apt
#      lists and caches removed, cached as a tarball keyed by the package
#      list (SLIPWAY_CACHE_DIR, default /var/cache/slipway);
#   2. import it into podman as localhost/slipway-scikit-byo-base:KEY;
#   3. `podman build` the programs in program/ on top of it, labelled with
#      a hash of everything that went in (slipway.content).
#
# Re-runs are idempotent: an image whose label matches is left alone, and
# the rootfs is only built once per package list. Runs unattended (CI=true,
# no stdin); installs debootstrap with apt-get when it is missing.
#
#   samples/scikit-byo/build.sh
#   SLIPWAY_SCIKIT_IMAGE=name:tag samples/scikit-byo/build.sh
#   SLIPWAY_DEBIAN_MIRROR=http://... samples/scikit-byo/build.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
image="${SLIPWAY_SCIKIT_IMAGE:-localhost/slipway-scikit-byo:latest}"
cache="${SLIPWAY_CACHE_DIR:-/var/cache/slipway}"
suite=bookworm
variant=minbase
packages="python3-sklearn,python3-pandas,python3-flask,gunicorn,nginx"
start=$SECONDS

say() { echo "[scikit-byo $((SECONDS - start))s] $*"; }

# Filters debootstrap's output down to its stages plus a running count.
progress() {
    awk -v start="$start" -v now="$SECONDS" '
        BEGIN { t0 = systime() }
        function stamp() { return "[scikit-byo " (now - start + systime() - t0) "s]   " }
        /^I: (Retrieving|Validating) [^ ]+ [^ ]+$/ ||
        /^I: (Unpacking|Configuring|Extracting) [^ ]+\.\.\.$/ {
            n[$2]++
            if (n[$2] % 25 == 0) { print stamp() $2 " " n[$2] " packages"; fflush() }
            next
        }
        /^[IEW]: / { print stamp() substr($0, 4, 120); fflush() }
    '
}

if [ "$(id -u)" != 0 ]; then
    echo "build.sh: run as root (debootstrap and rootful podman)" >&2
    exit 1
fi

# What the image never uses: apt's lists and caches, documentation, and the
# C/C++ toolchain, headers and static libraries that python3-scipy's
# dependency on python3-pythran pulls in (about 400 MB), plus the packages'
# own test suites. dpkg's database still lists those files, as with
# dpkg's path-exclude in Debian's own slim images.
slim() {
    local r="$1"
    rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/* "$r"/var/cache/debconf/*-old \
        "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/debootstrap \
        "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
        "$r"/usr/share/lintian "$r"/usr/include "$r"/usr/lib/gcc "$r"/usr/libexec/gcc \
        "$r"/usr/bin/x86_64-linux-gnu-lto-dump-*
    rm -f "$r"/usr/lib/x86_64-linux-gnu/lib{asan,tsan,lsan,ubsan,hwasan}.so*
    find "$r/usr/lib" -name '*.a' -type f -delete
    find "$r/usr/lib/python3/dist-packages" -type d -name tests -prune -exec rm -rf {} +
}

# The Debian mirror apt already uses (first non-security URI), unless given.
mirror="${SLIPWAY_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v security | head -n1 || true)"
fi
if [ -z "$mirror" ]; then
    mirror="$(grep -hs '^deb ' /etc/apt/sources.list 2>/dev/null \
        | awk '{print $2}' | grep -v security | head -n1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

# The rootfs depends only on what is installed; the image also on the programs.
rootfs_key="$(printf '%s\n' "$suite" "$variant" "$packages" "slim-v2" | sha256sum | cut -c1-16)"
base="localhost/slipway-scikit-byo-base:$rootfs_key"
content="$( (echo "$rootfs_key"; cd "$here" && find Containerfile program -type f -print0 \
    | sort -z | xargs -0 sha256sum; stat -c '%n %a' program/*) | sha256sum | cut -c1-16)"

if [ "$(podman image inspect --format '{{ index .Labels "slipway.content" }}' "$image" 2>/dev/null || true)" = "$content" ]; then
    say "$image is up to date (content $content)"
    exit 0
fi

# Rootful podman in some sandboxes cannot raise the default nofile/nproc
# limits (as in samples/build-sample-image.sh). Only written when missing.
if [ ! -e /etc/containers/containers.conf ]; then
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]\n' \
        > /etc/containers/containers.conf
    say "wrote /etc/containers/containers.conf (default_ulimits)"
fi

tarball="$cache/scikit-byo-rootfs-$rootfs_key.tar"
if ! podman image exists "$base"; then
    if [ ! -s "$tarball" ]; then
        if ! command -v debootstrap >/dev/null; then
            say "installing debootstrap"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap </dev/null >/dev/null
        fi
        mkdir -p "$cache"
        work="$(mktemp -d "$cache/rootfs-XXXXXX")"
        trap 'umount -R "$work/root/proc" "$work/root/sys" 2>/dev/null || true; rm -rf "$work"' EXIT
        say "debootstrap $suite ($variant) with $packages from $mirror (a few minutes)"
        # debootstrap logs a line per package and stage: show the stages and
        # a count every 25 packages; the whole log is kept for failures.
        if ! debootstrap --variant="$variant" --include="$packages" \
                "$suite" "$work/root" "$mirror" </dev/null 2>&1 \
                | tee "$work/debootstrap.log" | progress; then
            tail -n 30 "$work/debootstrap.log" >&2
            tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
            echo "build.sh: debootstrap failed" >&2
            exit 1
        fi
        say "removing apt lists and caches, and what only builds software"
        slim "$work/root"
        say "packing the rootfs into $tarball"
        tar --numeric-owner --xattrs -C "$work/root" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$work"
        trap - EXIT
    else
        say "using cached rootfs $tarball"
    fi
    say "importing the rootfs as $base"
    podman import --quiet "$tarball" "$base" >/dev/null
fi

say "building $image on $base"
podman build --quiet --build-arg "BASE=$base" --label "slipway.content=$content" \
    -t "$image" -f "$here/Containerfile" "$here" >/dev/null
size="$(podman image inspect --format '{{.Size}}' "$image")"
say "built $image ($size bytes, content $content)"
