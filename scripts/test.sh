#!/usr/bin/env bash
# The whole test suite: set-up, format and lint gates, Rust tests, and the
# end-to-end tests that drive a real server with real AWS clients.
#
# CI has two cores and a time budget: the scikit-learn seller image (a
# debootstrap of Debian, mostly downloads and dpkg) builds in the
# background while cargo compiles, and the binary and the Rust tests are
# one `ci`-profile build.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every step prints how long the suite has run, so a slow step shows in
# CI's log. The suite builds with the `ci` profile (Cargo.toml says why).
suite_start=$SECONDS
step() { echo "== [$((SECONDS - suite_start)) s] $*"; }
PROFILE=${SLIPWAY_TEST_PROFILE:-ci}   # `release` reuses a release build's artifacts
BIN=$PWD/target/$PROFILE/slipway
scripts/setup.sh --no-build
VENV=${SLIPWAY_VENV:-$PWD/.venv}
eval "$(scripts/podman-service.sh)"   # DOCKER_HOST for the engine tests

mkdir -p target
scikit_log=$PWD/target/scikit-byo-build.log
step "scikit-learn bring-your-own seller image: building in the background (log: $scikit_log)"
samples/scikit-byo/build.sh >"$scikit_log" 2>&1 &
scikit_pid=$!
trap 'kill $scikit_pid 2>/dev/null || true' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check
step "generated wire layer is up to date"
scripts/check-generated.sh
step "cargo clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
# The Rust tests' build also builds the server binary the end-to-end tests
# run (crates/slipway's integration tests need it), so there is no separate
# `cargo build`: it would be rebuilt here anyway, with the test kit's
# feature unified in (unused code outside tests).
step "cargo nextest ($PROFILE profile; also builds $BIN)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --cargo-profile "$PROFILE" --no-fail-fast
else
  cargo test --workspace --profile "$PROFILE" --no-fail-fast
fi
[ -x "$BIN" ] || cargo build --profile "$PROFILE" -p slipway
step "sample seller image (podman)"
samples/build-sample-image.sh
samples/smoke-test-image.sh
step "scikit-learn bring-your-own seller image: waiting for the background build"
if ! wait "$scikit_pid"; then
  cat "$scikit_log" >&2
  echo "test.sh: the scikit-learn image build failed" >&2
  exit 1
fi
trap - EXIT
cat "$scikit_log"
step "end-to-end (pytest)"
SLIPWAY_BIN=$BIN "$VENV/bin/python" -m pytest -q --durations=15 tests/e2e "$@"
step "SageMaker Python SDK v3 (pytest, .venv-v3)"
SLIPWAY_BIN=$BIN "${SLIPWAY_VENV_V3:-$PWD/.venv-v3}/bin/python" -m pytest -q tests/sdk_v3
step "done"
