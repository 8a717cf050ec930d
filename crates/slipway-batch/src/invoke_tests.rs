//! Against a real HTTP server on 127.0.0.1:0 that plays a seller's
//! container: echoes, delays, fails on demand and counts concurrency.

use super::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Default)]
struct Container {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    pings: AtomicUsize,
    /// `/ping` answers 503 this many times first.
    ping_failures: usize,
    calls: Mutex<HashMap<String, usize>>,
    exec_params: Option<&'static str>,
}

/// The body is a command: `sleep:<ms>:…` delays then echoes, `status:<n>`
/// answers n, `flaky:<key>` fails twice per key, `big:<n>` answers n bytes,
/// `headers` echoes Content-Type/Accept/Transfer-Encoding; else echo.
async fn invocations(
    State(c): State<Arc<Container>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Bytes) {
    let now = c.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    c.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&body).into_owned();
    let answer = if let Some(rest) = text.strip_prefix("sleep:") {
        let ms: u64 = rest.split(':').next().unwrap().parse().unwrap();
        tokio::time::sleep(Duration::from_millis(ms)).await;
        (StatusCode::OK, body)
    } else if let Some(code) = text.strip_prefix("status:") {
        let code = StatusCode::from_u16(code.parse().unwrap()).unwrap();
        (
            code,
            Bytes::from(format!("container says {}", "x".repeat(700))),
        )
    } else if let Some(key) = text.strip_prefix("flaky:") {
        let mut calls = c.calls.lock().unwrap();
        let n = calls.entry(key.to_owned()).or_default();
        *n += 1;
        if *n <= 2 {
            (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from("not yet"))
        } else {
            (StatusCode::OK, Bytes::from(format!("ok after {n}")))
        }
    } else if let Some(n) = text.strip_prefix("big:") {
        (StatusCode::OK, Bytes::from(vec![b'z'; n.parse().unwrap()]))
    } else if text == "headers" || text.starts_with("stream") {
        let h = |k: &str| {
            headers
                .get(k)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let out = format!(
            "ct={};accept={};te={};len={}",
            h("content-type"),
            h("accept"),
            h("transfer-encoding"),
            body.len()
        );
        (StatusCode::OK, Bytes::from(out))
    } else {
        (StatusCode::OK, body)
    };
    c.in_flight.fetch_sub(1, Ordering::SeqCst);
    answer
}

async fn ping(State(c): State<Arc<Container>>) -> StatusCode {
    if c.pings.fetch_add(1, Ordering::SeqCst) < c.ping_failures {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    }
}

async fn exec_params(State(c): State<Arc<Container>>) -> (StatusCode, &'static str) {
    match c.exec_params {
        Some(body) => (StatusCode::OK, body),
        None => (StatusCode::NOT_FOUND, "no"),
    }
}

async fn start(c: Container) -> (String, Arc<Container>) {
    let c = Arc::new(c);
    let app = Router::new()
        .route("/ping", get(ping))
        .route("/execution-parameters", get(exec_params))
        .route("/invocations", post(invocations))
        .with_state(c.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, c)
}

fn invoker(url: &str, tweak: impl FnOnce(&mut InvokerConfig)) -> Invoker {
    let mut cfg = InvokerConfig::new(url);
    cfg.retry_base_delay = Duration::from_millis(5);
    tweak(&mut cfg);
    Invoker::new(cfg).unwrap()
}

fn batch(i: u64, body: impl Into<Bytes>) -> MiniBatch {
    MiniBatch {
        payload: body.into(),
        first: i * 10,
        last: i * 10 + 9,
        count: 10,
    }
}

fn batches(
    items: Vec<MiniBatch>,
) -> impl Stream<Item = Result<MiniBatch, String>> + Send + 'static {
    futures::stream::iter(items.into_iter().map(Ok))
}

#[tokio::test]
async fn results_come_back_in_order_with_bounded_parallelism() {
    let (url, c) = start(Container::default()).await;
    let inv = invoker(&url, |c| c.concurrency = 3);
    // Later batches finish first; order must still be the input's.
    let items: Vec<_> = (0..9)
        .map(|i| batch(i, format!("sleep:{}:{i}", 150 - i * 15)))
        .collect();
    let started = Instant::now();
    let out: Vec<_> = inv.invoke_all(batches(items)).collect().await;
    let bodies: Vec<String> = out
        .into_iter()
        .map(|r| String::from_utf8(r.unwrap().1.to_vec()).unwrap())
        .collect();
    let want: Vec<String> = (0..9)
        .map(|i| format!("sleep:{}:{i}", 150 - i * 15))
        .collect();
    assert_eq!(bodies, want);
    assert_eq!(
        c.max_in_flight.load(Ordering::SeqCst),
        3,
        "runs 3 at once, never more"
    );
    // 9 sleeps of ~30..150 ms, 3 at a time, take far less than run serially (~780 ms).
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrency_one_is_sequential() {
    let (url, c) = start(Container::default()).await;
    let inv = invoker(&url, |c| c.concurrency = 1);
    let items: Vec<_> = (0..4).map(|i| batch(i, "sleep:20:x")).collect();
    let out: Vec<_> = inv.invoke_all(batches(items)).collect().await;
    assert!(out.iter().all(Result::is_ok));
    assert_eq!(c.max_in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn headers_are_sent_when_set() {
    let (url, _) = start(Container::default()).await;
    let inv = invoker(&url, |c| {
        c.content_type = Some("text/csv".into());
        c.accept = Some("application/jsonlines".into());
    });
    let out = inv.invoke(&batch(0, "headers")).await.unwrap();
    assert_eq!(
        &out[..],
        b"ct=text/csv;accept=application/jsonlines;te=;len=7"
    );
}

#[tokio::test]
async fn non_2xx_is_retried_then_reported_with_range_status_and_excerpt() {
    let (url, c) = start(Container::default()).await;
    for code in [500u16, 413, 415] {
        let inv = invoker(&url, |c| c.max_retries = 2);
        let err = inv
            .invoke(&batch(1, format!("status:{code}")))
            .await
            .unwrap_err();
        assert_eq!(err.kind, FailureKind::Status);
        assert_eq!(err.status, Some(code));
        assert_eq!(err.records, Some((10, 19)));
        assert_eq!(err.attempts, 3);
        assert!(!err.is_transport());
        assert_eq!(err.excerpt.chars().count(), 501, "500 chars + ellipsis");
        assert!(
            err.to_string().starts_with(&format!("records 11–20: the container answered HTTP {code} (after 3 attempts): container says xxx")),
            "{err}"
        );
    }
    let inv = invoker(&url, |c| c.max_retries = 3);
    assert_eq!(
        &inv.invoke(&batch(0, "flaky:a")).await.unwrap()[..],
        b"ok after 3"
    );
    let inv = invoker(&url, |c| c.max_retries = 1);
    assert_eq!(
        inv.invoke(&batch(0, "flaky:b")).await.unwrap_err().attempts,
        2
    );
    assert_eq!(c.in_flight.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn timeouts_are_retried_and_reported_as_transport() {
    let (url, _) = start(Container::default()).await;
    let inv = invoker(&url, |c| {
        c.timeout = Duration::from_millis(100);
        c.max_retries = 1;
    });
    let err = inv.invoke(&batch(0, "sleep:1000:x")).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Timeout);
    assert!(err.is_transport());
    assert_eq!(err.attempts, 2);
    assert!(
        err.to_string()
            .starts_with("records 1–10: /invocations timed out (after 2 attempts)"),
        "{err}"
    );
}

#[tokio::test]
async fn oversized_response_fails_without_retry() {
    let (url, _) = start(Container::default()).await;
    let inv = invoker(&url, |c| c.max_response_bytes = 1000);
    let err = inv.invoke(&batch(0, "big:5000")).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::ResponseTooLarge);
    assert_eq!(err.attempts, 1);
    assert_eq!(
        &inv.invoke(&batch(0, "big:1000")).await.unwrap().len(),
        &1000
    );
}

/// A raw server that drops the first `drops` connections without answering,
/// then answers "ok" to each request.
async fn dropping_server(drops: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            seen += 1;
            let mut buf = vec![0u8; 4096];
            let _ = sock.read(&mut buf).await;
            if seen <= drops {
                drop(sock);
                continue;
            }
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    url
}

#[tokio::test]
async fn connection_drops_are_retried() {
    let url = dropping_server(2).await;
    let inv = invoker(&url, |c| c.max_retries = 3);
    assert_eq!(&inv.invoke(&batch(0, "x")).await.unwrap()[..], b"ok");
    let url = dropping_server(usize::MAX).await;
    let inv = invoker(&url, |c| c.max_retries = 1);
    let err = inv.invoke(&batch(2, "x")).await.unwrap_err();
    assert_eq!(err.kind, FailureKind::Connection);
    assert!(err.is_transport());
    assert_eq!(err.status, None);
    assert!(
        err.to_string().starts_with(
            "records 21–30: the connection to the container failed (after 2 attempts)"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn refused_connection_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let inv = invoker(&url, |c| c.max_retries = 0);
    let err = inv.invoke(&batch(0, "x")).await.unwrap_err();
    assert_eq!((err.kind, err.attempts), (FailureKind::Connection, 1));
    assert!(!inv.ping(Duration::from_millis(200)).await);
}

#[tokio::test]
async fn first_failure_ends_the_stream_in_order() {
    let (url, _) = start(Container::default()).await;
    let inv = invoker(&url, |c| {
        c.concurrency = 2;
        c.max_retries = 0;
    });
    let items = vec![batch(0, "a"), batch(1, "status:500"), batch(2, "c")];
    let out: Vec<_> = inv.invoke_all(batches(items)).collect().await;
    assert_eq!(&out[0].as_ref().unwrap().1[..], b"a");
    assert_eq!(out[1].as_ref().unwrap_err().records, Some((10, 19)));
    let input_err = futures::stream::iter(vec![Ok(batch(0, "a")), Err("disk gone".to_owned())]);
    let out: Vec<_> = inv.invoke_all(input_err).collect().await;
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.kind, FailureKind::Input);
    assert!(err.to_string().contains("disk gone"));
}

#[tokio::test]
async fn streamed_body_uses_chunked_transfer() {
    let (url, _) = start(Container::default()).await;
    let inv = invoker(&url, |_| {});
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from("stream-")),
        Ok(Bytes::from(vec![b'y'; 100_000])),
    ];
    let body: ByteStream = Box::pin(futures::stream::iter(chunks));
    let out = inv.invoke_stream(body).await.unwrap();
    assert_eq!(
        String::from_utf8(out.to_vec()).unwrap(),
        "ct=;accept=*/*;te=chunked;len=100007"
    );
}

#[tokio::test]
async fn wait_ready_polls_until_200() {
    let (url, c) = start(Container {
        ping_failures: 3,
        ..Default::default()
    })
    .await;
    let inv = invoker(&url, |_| {});
    inv.wait_ready(Duration::from_secs(10), || Box::pin(async { true }))
        .await
        .unwrap();
    assert_eq!(c.pings.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn wait_ready_stops_when_the_container_dies_or_the_deadline_passes() {
    let (url, _) = start(Container {
        ping_failures: usize::MAX,
        ..Default::default()
    })
    .await;
    let inv = invoker(&url, |_| {});
    let started = Instant::now();
    let err = inv
        .wait_ready(Duration::from_secs(30), || Box::pin(async { false }))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::ContainerExited);
    assert!(started.elapsed() < Duration::from_secs(2));
    let err = inv
        .wait_ready(Duration::from_millis(700), || Box::pin(async { true }))
        .await
        .unwrap_err();
    assert_eq!(err.kind, FailureKind::NotReady);
    assert_eq!(
        err.to_string(),
        "the container did not answer 200 to GET /ping within 700 ms"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn execution_parameters_are_optional_and_lenient() {
    let (url, _) = start(Container {
        exec_params: Some(r#"{"MaxConcurrentTransforms": 8, "BatchStrategy": "SINGLE_RECORD", "MaxPayloadInMB": "6"}"#),
        ..Default::default()
    })
    .await;
    let p = invoker(&url, |_| {}).execution_parameters().await.unwrap();
    assert_eq!(
        p,
        ExecutionParameters {
            max_concurrent_transforms: Some(8),
            batch_strategy: Some(BatchStrategy::SingleRecord),
            max_payload_in_mb: Some(6)
        }
    );
    let (url, _) = start(Container::default()).await;
    assert_eq!(
        invoker(&url, |_| {}).execution_parameters().await,
        None,
        "404 → None"
    );
    let (url, _) = start(Container {
        exec_params: Some("not json"),
        ..Default::default()
    })
    .await;
    assert_eq!(invoker(&url, |_| {}).execution_parameters().await, None);
    assert_eq!(
        ExecutionParameters::from_json(
            br#"{"BatchStrategy": "MultiRecord", "MaxPayloadInMB": -1}"#
        ),
        Some(ExecutionParameters {
            batch_strategy: Some(BatchStrategy::MultiRecord),
            ..Default::default()
        })
    );
}

#[test]
fn effective_parameters_prefer_request_then_container_then_defaults() {
    let none = RequestedParameters::default();
    assert_eq!(
        EffectiveParameters::resolve(&none, None),
        EffectiveParameters {
            max_concurrent_transforms: 1,
            batch_strategy: BatchStrategy::MultiRecord,
            max_payload_in_mb: 6
        }
    );
    let container = ExecutionParameters {
        max_concurrent_transforms: Some(8),
        batch_strategy: Some(BatchStrategy::SingleRecord),
        max_payload_in_mb: Some(0),
    };
    assert_eq!(
        EffectiveParameters::resolve(&none, Some(&container)),
        EffectiveParameters {
            max_concurrent_transforms: 8,
            batch_strategy: BatchStrategy::SingleRecord,
            max_payload_in_mb: 0
        }
    );
    let requested = RequestedParameters {
        max_concurrent_transforms: Some(0),
        batch_strategy: Some(BatchStrategy::MultiRecord),
        max_payload_in_mb: Some(2),
    };
    assert_eq!(
        EffectiveParameters::resolve(&requested, Some(&container)),
        EffectiveParameters {
            max_concurrent_transforms: 8,
            batch_strategy: BatchStrategy::MultiRecord,
            max_payload_in_mb: 2
        }
    );
}

#[test]
fn an_html_error_page_is_quoted_on_one_line() {
    let page = b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\n</body>\n</html>\n";
    assert_eq!(
        excerpt(page),
        "<html> <head><title>413 Request Entity Too Large</title></head> <body> </body> </html>"
    );
}
