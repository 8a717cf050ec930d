#!/usr/bin/env bash
# The whole test suite: set-up, format and lint gates, Rust tests, and the
# end-to-end tests that drive a real server with real AWS clients.
#
# CI has two cores and a time budget: the scikit-learn seller image (a
# debootstrap of Debian, mostly downloads and dpkg) builds in the
# background while cargo compiles, and the Rust tests build with the
# release profile, whose dependencies the release binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --no-build
VENV=${SLIPWAY_VENV:-$PWD/.venv}
eval "$(scripts/podman-service.sh)"   # DOCKER_HOST for the engine tests

mkdir -p target
scikit_log=$PWD/target/scikit-byo-build.log
echo "== scikit-learn bring-your-own seller image: building in the background (log: $scikit_log)"
samples/scikit-byo/build.sh >"$scikit_log" 2>&1 &
scikit_pid=$!
trap 'kill $scikit_pid 2>/dev/null || true' EXIT

echo "== cargo build --release -p slipway"
cargo build --release -p slipway
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== generated wire layer is up to date"
scripts/check-generated.sh
echo "== cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
echo "== cargo nextest (release profile)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --cargo-profile release --no-fail-fast
else
  cargo test --workspace --release --no-fail-fast
fi
echo "== sample seller image (podman)"
samples/build-sample-image.sh
samples/smoke-test-image.sh
echo "== scikit-learn bring-your-own seller image: waiting for the background build"
if ! wait "$scikit_pid"; then
  cat "$scikit_log" >&2
  echo "test.sh: the scikit-learn image build failed" >&2
  exit 1
fi
trap - EXIT
cat "$scikit_log"
echo "== end-to-end (pytest)"
SLIPWAY_BIN=$PWD/target/release/slipway "$VENV/bin/python" -m pytest -q tests/e2e "$@"
echo "== SageMaker Python SDK v3 (pytest, .venv-v3)"
SLIPWAY_BIN=$PWD/target/release/slipway "${SLIPWAY_VENV_V3:-$PWD/.venv-v3}/bin/python" -m pytest -q tests/sdk_v3
