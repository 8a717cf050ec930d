//! `start_recorded` on the real engine: what a container without a network
//! tries to reach is recorded, and nothing of it leaves its namespace.

use super::{engine, ensure_test_image, skipped, TEST_IMAGE};
use slipway_core::ports::engine::{
    ContainerEngine, ContainerId, ContainerSpec, NetworkAttempt, NetworkAttemptKind, NetworkMode,
    NetworkRecorder, LABEL_ACCOUNT, LABEL_JOB_ARN,
};
use slipway_engine_docker::DockerEngine;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An isolated container running `script`, with `dir` at `/in`.
fn spec(name: &str, script: &str, dir: Option<PathBuf>) -> ContainerSpec {
    let mut spec = ContainerSpec::new(
        format!("slipway-netrec-{name}-{}", std::process::id()),
        TEST_IMAGE,
    );
    spec.entrypoint = Some(vec!["/bin/sh".into(), "-c".into(), script.into()]);
    spec.labels.insert(
        LABEL_JOB_ARN.into(),
        format!("arn:aws:sagemaker:us-east-1:000000000000:training-job/netrec-{name}"),
    );
    spec.labels
        .insert(LABEL_ACCOUNT.into(), "000000000000".into());
    spec.network = NetworkMode::None;
    if let Some(dir) = dir {
        spec.mounts.push(slipway_core::ports::engine::BindMount {
            host_path: dir,
            container_path: "/in".into(),
            read_only: true,
        });
    }
    spec
}

async fn create(engine: &DockerEngine, spec: &ContainerSpec) -> ContainerId {
    let _ = engine.remove(&ContainerId(spec.name.clone()), true).await;
    engine.create(spec).await.unwrap()
}

/// Every attempt until the recording ends (the container has ended).
async fn all(recorder: &mut NetworkRecorder) -> Vec<NetworkAttempt> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(a) = recorder.next().await {
            seen.push(a);
        }
    })
    .await
    .expect("the recording ends with the container");
    seen
}

/// A TLS 1.2 ClientHello naming `host` (what `openssl s_client` sends,
/// without the parts the recorder skips anyway).
fn client_hello(host: &str) -> Vec<u8> {
    let name = host.as_bytes();
    let n = name.len() as u16;
    let mut ext = vec![0, 0];
    ext.extend_from_slice(&(n + 5).to_be_bytes());
    ext.extend_from_slice(&(n + 3).to_be_bytes());
    ext.push(0);
    ext.extend_from_slice(&n.to_be_bytes());
    ext.extend_from_slice(name);
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[9u8; 32]);
    hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
    hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    hello.extend_from_slice(&ext);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(hello.len() as u16).to_be_bytes());
    hs.extend_from_slice(&hello);
    let mut rec = vec![22, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_isolated_container_s_attempts_are_recorded_and_go_nowhere() {
    if skipped() {
        return;
    }
    let engine = engine().await;
    ensure_test_image(&engine).await;
    // A listener on the host's loopback that the container tries to reach.
    let host = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let host_port = host.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello"), client_hello("tls.example.org")).unwrap();
    // The image's static busybox `wget` crashes in getaddrinfo (glibc
    // without its NSS modules); `nc` resolves through the same resolver
    // and sends what wget would.
    let script = format!(
        "nslookup models.example.com 127.0.0.1; \
         printf 'GET /weights.bin HTTP/1.1\\r\\nHost: models.example.com\\r\\n\\r\\n' \
           | nc -w 3 models.example.com 80; \
         nc -w 3 203.0.113.9 443 < /in/hello; \
         echo probe | nc -w 2 127.0.0.1 {host_port}; \
         echo done"
    );
    let spec = spec("attempts", &script, Some(dir.path().to_owned()));
    let id = create(&engine, &spec).await;
    let mut recorder = engine.start_recorded(&id).await.unwrap();
    assert_eq!(recorder.reason(), None, "{recorder:?}");
    let seen = all(&mut recorder).await;
    let lines: Vec<String> = seen.iter().map(NetworkAttempt::describe).collect();
    eprintln!("{lines:#?}");
    assert!(
        seen.iter().any(|a| a.kind == NetworkAttemptKind::Resolve
            && a.host.as_deref() == Some("models.example.com")
            && a.detail.as_deref() == Some("A")),
        "{lines:#?}"
    );
    let http = seen
        .iter()
        .find(|a| a.kind == NetworkAttemptKind::Connect && a.port == Some(80))
        .unwrap_or_else(|| panic!("no connection to port 80: {lines:#?}"));
    assert_eq!(http.host.as_deref(), Some("models.example.com"));
    assert_eq!(
        http.detail.as_deref(),
        Some("GET http://models.example.com/weights.bin")
    );
    assert!(
        matches!(http.address, Some(IpAddr::V4(a)) if a.octets()[..2] == [198, 18]),
        "{http:?}"
    );
    assert!(
        lines.contains(&"connect 203.0.113.9:443: TLS server name tls.example.org".to_owned()),
        "{lines:#?}"
    );
    // The host's listener was not reached: the container's 127.0.0.1 is
    // its own, and a port without a sink is refused unrecorded.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), host.accept())
            .await
            .is_err(),
        "the host's loopback listener was reached"
    );
    assert!(
        !lines.iter().any(|l| l.contains(&host_port.to_string())),
        "{lines:#?}"
    );
    let status = engine.wait(&id).await.unwrap();
    assert_eq!(status.code, 0);
    engine.remove(&id, true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_server_is_still_reached_and_records_nothing() {
    if skipped() {
        return;
    }
    let engine = engine().await;
    ensure_test_image(&engine).await;
    let script = "mkdir -p /tmp/www && echo served > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";
    let id = create(&engine, &spec("quiet", script, None)).await;
    let mut recorder = engine.start_recorded(&id).await.unwrap();
    assert_eq!(recorder.reason(), None, "{recorder:?}");
    let forward = engine.reach_port(&id, 8080).await.unwrap();
    let body = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(mut s) = tokio::net::TcpStream::connect(forward.addr).await {
                let _ = s.write_all(b"GET /index.html HTTP/1.0\r\n\r\n").await;
                let mut body = String::new();
                if s.read_to_string(&mut body).await.is_ok() && !body.is_empty() {
                    return body;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap();
    assert!(body.contains("served"), "{body}");
    engine.kill(&id).await.unwrap();
    let seen = all(&mut recorder).await;
    assert!(seen.is_empty(), "{seen:?}");
    engine.remove(&id, true).await.unwrap();
}
