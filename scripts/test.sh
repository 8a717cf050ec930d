#!/usr/bin/env bash
# The whole test suite: set-up, format and lint gates, Rust tests, and the
# end-to-end tests that drive a real server with real AWS clients.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${SLIPWAY_VENV:-$PWD/.venv}
eval "$(scripts/podman-service.sh)"   # DOCKER_HOST for the engine tests

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
echo "== cargo nextest"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
echo "== sample seller image (podman)"
samples/build-sample-image.sh
samples/smoke-test-image.sh
echo "== scikit-learn bring-your-own seller image (debootstrap + podman)"
samples/scikit-byo/build.sh
echo "== end-to-end (pytest)"
SLIPWAY_BIN=$PWD/target/release/slipway "$VENV/bin/python" -m pytest -q tests/e2e "$@"
echo "== SageMaker Python SDK v3 (pytest, .venv-v3)"
SLIPWAY_BIN=$PWD/target/release/slipway "${SLIPWAY_VENV_V3:-$PWD/.venv-v3}/bin/python" -m pytest -q tests/sdk_v3
