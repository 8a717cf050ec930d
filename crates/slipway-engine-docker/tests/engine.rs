//! `DockerEngine` against the real engine (Podman in CI): the port's
//! conformance suite plus adapter specifics. Start the engine with
//! `eval "$(scripts/podman-service.sh)"`. Without a reachable engine these
//! tests fail, unless `SLIPWAY_SKIP_ENGINE_TESTS=1` says to skip them.
#![allow(clippy::unwrap_used)] // helpers too: a panic is how a test fails

use slipway_core::ports::engine::{ContainerEngine, EngineError};
use slipway_core::ports::testsuite::engine::{run, EngineSuiteConfig};
use slipway_engine_docker::DockerEngine;
use std::path::Path;
use std::process::Command;

#[path = "engine/netrec.rs"]
mod netrec;

const TEST_IMAGE: &str = "localhost/slipway-test-busybox:latest";

fn skipped() -> bool {
    if std::env::var("SLIPWAY_SKIP_ENGINE_TESTS").as_deref() == Ok("1") {
        eprintln!("SLIPWAY_SKIP_ENGINE_TESTS=1: skipping container-engine test");
        return true;
    }
    false
}

/// The engine from `DOCKER_HOST` or the default sockets, or a panic that
/// says how to get one.
async fn engine() -> DockerEngine {
    match DockerEngine::connect(None).await {
        Ok(e) => e,
        Err(e) => panic!(
            "no container engine reachable: {e}\n\
             start one with `eval \"$(scripts/podman-service.sh)\"` (as root), \
             or set SLIPWAY_SKIP_ENGINE_TESTS=1 to skip the engine tests"
        ),
    }
}

/// Builds the test image through `scripts/test-images.sh` if the engine
/// lacks it.
async fn ensure_test_image(engine: &DockerEngine) {
    match engine.ensure_image(TEST_IMAGE, None).await {
        Ok(_) => return,
        Err(EngineError::ImageNotFound { .. }) => {}
        Err(e) => panic!("inspecting {TEST_IMAGE}: {e}"),
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-images.sh");
    let status = Command::new(&script).status().unwrap();
    assert!(status.success(), "{} failed: {status}", script.display());
    engine.ensure_image(TEST_IMAGE, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn docker_engine_passes_the_engine_suite() {
    if skipped() {
        return;
    }
    let engine = engine().await;
    eprintln!("engine at {} (API {})", engine.host(), engine.api_version());
    ensure_test_image(&engine).await;
    let scratch = tempfile::tempdir().unwrap();
    let cfg = EngineSuiteConfig {
        image: TEST_IMAGE.into(),
        scratch: scratch.path().to_owned(),
        internal_network: "slipway-suite-internal".into(),
    };
    let t = std::time::Instant::now();
    run(&engine, &cfg).await;
    eprintln!("engine suite passed in {:?}", t.elapsed());
}

#[tokio::test]
async fn an_absent_socket_is_unavailable() {
    match DockerEngine::connect(Some("unix:///nonexistent/slipway.sock")).await {
        Err(EngineError::Unavailable { detail }) => {
            assert!(detail.contains("/nonexistent/slipway.sock"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}
