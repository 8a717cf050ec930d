//! The serve modes that misbehave in one precise way each (`slow-ping`,
//! `body-cap`, `slow-invoke`): the misbehaviour, and that everything else
//! still works.

use crate::serve::{invoke, start};
use slipway_sample::serve::{BODY_CAP_BYTES, NGINX_413_PAGE};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn slow_ping_answers_200_after_the_delay_every_time() {
    let url = start(&[
        ("SAMPLE_MODE", "slow-ping"),
        ("SAMPLE_PING_DELAY_MS", "300"),
    ])
    .await;
    for _ in 0..2 {
        let t = Instant::now();
        let resp = reqwest::get(format!("{url}/ping")).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t.elapsed()
        );
    }
    // Invocations are not delayed.
    let t = Instant::now();
    assert_eq!(
        invoke(&url, "text/csv", "1,1\n").await,
        (200, "2\n".to_string())
    );
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

/// Sends a raw request with `Content-Length: len` (and no body) and returns
/// the whole answer: the status line matters here, which reqwest hides.
async fn raw_post_declaring(url: &str, len: usize) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /invocations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("the server closes the connection after a 413")
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn body_cap_refuses_over_5_mib_like_nginx() {
    let url = start(&[("SAMPLE_MODE", "body-cap")]).await;
    let answer = raw_post_declaring(&url, BODY_CAP_BYTES + 1).await;
    assert!(
        answer.starts_with("HTTP/1.1 413 Request Entity Too Large\r\n"),
        "{answer}"
    );
    let lower = answer.to_ascii_lowercase();
    assert!(
        lower.contains("\r\ncontent-type: text/html\r\n"),
        "{answer}"
    );
    assert!(lower.contains("\r\nserver: nginx/1.22.1\r\n"), "{answer}");
    assert!(answer.ends_with(NGINX_413_PAGE), "{answer}");

    // Exactly 5 MiB passes (and is predicted: 5 MiB of "1,1\n").
    let body = "1,1\n".repeat(BODY_CAP_BYTES / 4);
    assert_eq!(body.len(), BODY_CAP_BYTES);
    let (status, out) = invoke(&url, "text/csv", body).await;
    assert_eq!((status, out.len()), (200, 2 * BODY_CAP_BYTES / 4));
    assert_eq!(
        invoke(&url, "text/csv", "1,1\n").await,
        (200, "2\n".to_string())
    );

    // 5 MiB + 4 bytes, with a Content-Length: nginx's page.
    let (status, out) = invoke(&url, "text/csv", "1,1\n".repeat(BODY_CAP_BYTES / 4 + 1)).await;
    assert_eq!(status, 413);
    assert_eq!(out, NGINX_413_PAGE);

    // Chunked (no Content-Length): cut at the cap while reading. The
    // server may close (reset) before the client has sent everything; when
    // an answer gets through it must be nginx's.
    let answer = raw_post_chunked(&url, 6 * 1024 * 1024).await;
    if !answer.is_empty() {
        assert!(
            answer.starts_with("HTTP/1.1 413 Request Entity Too Large\r\n"),
            "{answer}"
        );
        assert!(answer.ends_with(NGINX_413_PAGE), "{answer}");
    }
}

/// Sends `total` bytes of CSV chunked while reading the answer; returns
/// what could be read (empty if the connection was reset first).
async fn raw_post_chunked(url: &str, total: usize) -> String {
    let addr = url.trim_start_matches("http://").to_owned();
    let s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let head = format!(
            "POST /invocations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        wr.write_all(head.as_bytes()).await?;
        let chunk = "1,1\n".repeat(64 * 1024 / 4);
        for _ in 0..total / chunk.len() {
            wr.write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
                .await?;
        }
        wr.write_all(b"0\r\n\r\n").await
    });
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), rd.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "no answer within 10 s");
    writer.abort();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn body_cap_leaves_a_tighter_payload_limit_alone() {
    let url = start(&[
        ("SAMPLE_MODE", "body-cap"),
        ("SAGEMAKER_MAX_PAYLOAD_IN_MB", "1"),
    ])
    .await;
    let (status, out) = invoke(&url, "text/csv", "1,1\n".repeat(300_000)).await; // 1.2 MB
    assert_eq!(status, 413);
    assert!(out.contains("SAGEMAKER_MAX_PAYLOAD_IN_MB=1"), "{out}");
}

#[tokio::test]
async fn slow_invoke_answers_correctly_after_the_delay() {
    let url = start(&[
        ("SAMPLE_MODE", "slow-invoke"),
        ("SAMPLE_INVOKE_DELAY_MS", "400"),
    ])
    .await;
    let t = Instant::now();
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        200
    );
    assert!(t.elapsed() < Duration::from_millis(400));
    let t = Instant::now();
    assert_eq!(
        invoke(&url, "text/csv", "1,1\n2,-1\n").await,
        (200, "2\n9\n".to_string())
    );
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
}
