//! `dial-out` against a DNS server and an HTTP server of the test's own on
//! 127.0.0.1 (no traffic leaves the machine), and argv[0] dispatch.

use crate::{sample, spawn_with_lines, wait_for_line};
use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::{rdata::A, RData, Record, RecordType};
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::proto::xfer::Protocol;
use slipway_sample::dialout::{download, BUDGET};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A DNS server on 127.0.0.1 answering every A query with 127.0.0.1 (or
/// staying silent); sends each queried name to the returned receiver.
fn dns_server(silent: bool) -> (SocketAddr, mpsc::Receiver<String>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, peer)) = sock.recv_from(&mut buf) {
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            for q in query.queries() {
                let _ = tx.send(format!("{} {}", q.name(), q.query_type()));
            }
            if silent {
                continue;
            }
            let mut resp = Message::new();
            resp.set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(query.op_code())
                .set_recursion_desired(true)
                .set_recursion_available(true)
                .add_queries(query.queries().to_vec());
            for q in query.queries() {
                if q.query_type() == RecordType::A {
                    resp.add_answer(Record::from_rdata(
                        q.name().clone(),
                        60,
                        RData::A(A::new(127, 0, 0, 1)),
                    ));
                }
            }
            let _ = sock.send_to(&resp.to_vec().unwrap(), peer);
        }
    });
    (addr, rx)
}

fn resolver_config(ns: SocketAddr) -> ResolverConfig {
    ResolverConfig::from_parts(None, vec![], vec![NameServerConfig::new(ns, Protocol::Udp)])
}

#[tokio::test]
async fn resolves_through_the_nameserver_and_sends_the_get() {
    let (ns, queries) = dns_server(false);
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = http.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut s, _) = http.accept().await.unwrap();
        let mut req = vec![0u8; 4096];
        let n = s.read(&mut req).await.unwrap();
        // A hostile answer: far more than the client will read.
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
            .await;
        let _ = s.write_all(&vec![7u8; 1024 * 1024]).await;
        String::from_utf8_lossy(&req[..n]).into_owned()
    });
    let url = format!("http://models.example.com:{port}/weights.bin");
    let answer = download(&url, resolver_config(ns), ResolverOpts::default())
        .await
        .unwrap();
    assert_eq!(answer.addr, SocketAddr::from(([127, 0, 0, 1], port)));
    assert_eq!(answer.status_line, "HTTP/1.1 200 OK");
    assert_eq!(answer.bytes, 64 * 1024);
    let request = server.await.unwrap();
    assert!(
        request.starts_with(&format!(
            "GET /weights.bin HTTP/1.1\r\nHost: models.example.com:{port}\r\n"
        )),
        "{request}"
    );
    assert_eq!(queries.recv().unwrap(), "models.example.com. A");
}

#[tokio::test]
async fn a_silent_nameserver_or_refused_connection_fails_within_the_budget() {
    let (ns, queries) = dns_server(true);
    let t = Instant::now();
    let err = download(
        "http://models.example.com/weights.bin",
        resolver_config(ns),
        ResolverOpts::default(),
    )
    .await
    .unwrap_err();
    assert!(t.elapsed() < BUDGET, "{:?}", t.elapsed());
    assert!(err.contains("cannot resolve models.example.com"), "{err}");
    assert!(queries.recv().unwrap().starts_with("models.example.com."));

    // Resolved (an IP literal needs no query), nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = download(
        &format!("http://127.0.0.1:{port}/w"),
        resolver_config(ns),
        ResolverOpts::default(),
    )
    .await
    .unwrap_err();
    assert!(err.contains("cannot connect to 127.0.0.1"), "{err}");
}

#[test]
fn train_with_dial_out_logs_the_failure_and_still_trains() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("input/data/train")).unwrap();
    let rows: String = (0..50)
        .map(|i| {
            let x = f64::from(i) * 0.1;
            format!("{},{x}\n", 2.0 * x + 1.0)
        })
        .collect();
    std::fs::write(root.join("input/data/train/d.csv"), rows).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = sample(root, "train")
        .env("SAMPLE_MODE", "dial-out")
        .env(
            "SAMPLE_DIAL_URL",
            format!("http://127.0.0.1:{port}/weights.bin"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("weights download failed: cannot connect to 127.0.0.1"),
        "{stderr}"
    );
    assert!(root.join("model/model.json").exists());
}

#[test]
fn invoked_as_serve_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("serve");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_slipway-sample"), &link).unwrap();
    let mut cmd = std::process::Command::new(&link);
    cmd.env("SLIPWAY_SAMPLE_ML_ROOT", dir.path())
        .env("SAGEMAKER_BIND_TO_PORT", "0")
        .env_remove("SAMPLE_MODE");
    let (mut child, lines) = spawn_with_lines(&mut cmd);
    wait_for_line(&lines, "listening on ");
    child.kill().unwrap();
    child.wait().unwrap();

    let out = std::process::Command::new(dir.path().join("serve"))
        .arg("bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
