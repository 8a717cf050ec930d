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
# CI builds a clean clone once: the incremental-compilation caches of the
# workspace crates (clippy's dev-profile check writes them; the ci profile
# has none) cost time to write and are never read again. Local runs keep
# them for the next edit.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
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
# Every image the end-to-end tests run, built once before they start: the
# test modules run in parallel below, and although the helpers that build
# an image on demand take turns (a file lock in tests/e2e/jobs_helpers.py),
# a build in the middle of the run would hold up every module waiting on it.
step "test images (busybox, readiness variants of the sample seller)"
scripts/test-images.sh
samples/build-readiness-images.sh
# The SDK v3 suite starts a server of its own on an ephemeral port and only
# waits on it and on containers, so it runs alongside the end-to-end tests
# rather than after them; its output is printed when both are done.
sdk_v3_log=$PWD/target/sdk-v3-tests.log
step "SageMaker Python SDK v3 (pytest, .venv-v3): in the background (log: $sdk_v3_log)"
SLIPWAY_BIN=$BIN "${SLIPWAY_VENV_V3:-$PWD/.venv-v3}/bin/python" -m pytest -q tests/sdk_v3 \
  >"$sdk_v3_log" 2>&1 &
sdk_v3_pid=$!
trap 'kill $sdk_v3_pid 2>/dev/null || true' EXIT
# The end-to-end tests spend most of their time waiting on containers,
# servers and polls, not on the CPU, so the test modules run in parallel
# (pytest-xdist) even on CI's two cores. `--dist loadfile` keeps a module
# on one worker: each module's module-scoped servers and fixtures are then
# set up once, as when run serially; modules are handed out in the order
# tests/e2e/conftest.py gives them (longest first). Each worker has its
# own session servers; nothing else is shared between modules (ephemeral
# ports, tmp_path directories, unique resource names, containers found by
# their job's label). SLIPWAY_E2E_WORKERS=0 runs them serially (so does `-n 0`
# given to this script, which is passed on to pytest last).
E2E_WORKERS=${SLIPWAY_E2E_WORKERS:-3}
step "end-to-end (pytest, $E2E_WORKERS workers)"
e2e_rc=0
SLIPWAY_BIN=$BIN "$VENV/bin/python" -m pytest -q --durations=15 \
  -n "$E2E_WORKERS" --dist loadfile --no-loadscope-reorder tests/e2e "$@" || e2e_rc=$?
step "SageMaker Python SDK v3: waiting for the background run"
sdk_v3_rc=0
wait "$sdk_v3_pid" || sdk_v3_rc=$?
trap - EXIT
cat "$sdk_v3_log"
if [ "$e2e_rc" != 0 ] || [ "$sdk_v3_rc" != 0 ]; then
  echo "test.sh: end-to-end tests exit $e2e_rc, SDK v3 tests exit $sdk_v3_rc" >&2
  exit 1
fi
step "done"
