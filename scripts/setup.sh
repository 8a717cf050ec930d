#!/usr/bin/env bash
# One-time set-up on a fresh Debian 12 machine (as root), idempotent:
# Debian packages, the Python clients tests use (pinned), the web console's
# assets (npm), and a release build.
#   scripts/setup.sh             everything
#   scripts/setup.sh --no-build  everything but the release build (test.sh
#                                starts slow image builds before compiling)
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
[ "${1:-}" = --no-build ] && build=0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  need=()
  for p in curl jq skopeo; do command -v "$p" >/dev/null || need+=("$p"); done
  # The registry tests and benchmark compare against Debian's registry
  # (`docker-registry`, the CNCF distribution server) and build images
  # FROM scratch around busybox-static.
  [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  [ -x /bin/busybox ] || need+=(busybox-static)
  # The web console's browser tests drive Debian's Chromium (playwright-core
  # with executablePath; no browser download).
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # The console is built with Node.js (>= 20.19, as this machine image has);
  # Debian's own nodejs is older, so it is only a last resort.
  command -v npm >/dev/null || need+=(nodejs npm)
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

VENV=${SLIPWAY_VENV:-$PWD/.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import boto3, sagemaker, pytest, moto' 2>/dev/null \
   || ! cmp -s requirements-test.txt "$VENV/.installed-requirements"; then
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-test.txt
  cp requirements-test.txt "$VENV/.installed-requirements"
fi

# The container engine (rootful Podman's Docker-API service) for the job
# runtime and its tests; prints an export line we don't need here.
if [ "$(id -u)" = 0 ]; then
  scripts/podman-service.sh >/dev/null
fi

# The SageMaker Python SDK v3 (tests/sdk_v3) in a venv of its own: v2 and
# v3 are both the `sagemaker` distribution. Same marker-file rule as .venv;
# the venv ignores itself in git (a `*` .gitignore inside it).
VENV_V3=${SLIPWAY_VENV_V3:-$PWD/.venv-v3}
if [ ! -x "$VENV_V3/bin/python" ]; then
  python3 -m venv "$VENV_V3"
fi
[ -e "$VENV_V3/.gitignore" ] || echo '*' > "$VENV_V3/.gitignore"
if ! "$VENV_V3/bin/python" -c 'import importlib.util as u, boto3, pytest, yaml; assert all(u.find_spec(m) for m in ("sagemaker.train", "sagemaker.serve", "sagemaker.core"))' 2>/dev/null \
   || ! cmp -s requirements-test-v3.txt "$VENV_V3/.installed-requirements"; then
  "$VENV_V3/bin/pip" install -q --disable-pip-version-check -r requirements-test-v3.txt
  cp requirements-test-v3.txt "$VENV_V3/.installed-requirements"
fi

# The web console's assets, which the Rust build embeds (seconds).
scripts/build-console.sh

# Not quiet: cargo's line per crate is the progress of a cold release build
# (about 12 minutes on two cores), which would otherwise look hung.
if [ "$build" = 1 ]; then
  echo "== cargo build --release -p slipway"
  cargo build --release -p slipway
fi
