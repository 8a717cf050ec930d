//! The logs operations on a real (SQLite) store: token semantics, page
//! limits and PutLogEvents rules, without HTTP.

use super::*;
use slipway_core::ports::clock::SystemClock;
use slipway_meta_sqlite::SqliteStore;
use std::sync::Arc;

/// The logs operations on a store, as the control plane builds them.
struct Svc {
    store: Arc<SqliteStore>,
}

impl Svc {
    fn logs(&self) -> Logs<'_> {
        Logs::new(&*self.store, "us-east-1", &SystemClock)
    }

    /// The store itself, as a job runner appends to it.
    fn log_store(&self) -> Arc<dyn LogStore> {
        self.store.clone()
    }
}

async fn service() -> (Svc, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    (Svc { store }, dir)
}

fn now_ms(svc: &Svc) -> i64 {
    svc.logs().now_ms()
}

fn ev(t: i64, m: &str) -> LogEvent {
    LogEvent {
        timestamp_ms: t,
        message: m.into(),
    }
}

fn msgs(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.message.as_str()).collect()
}

fn code(e: LogsError) -> String {
    match e {
        LogsError::Internal { .. } => panic!("not a logs condition: {e:?}"),
        l => format!("{l:?}"),
    }
}

#[tokio::test]
async fn forward_token_repeats_at_the_end_and_backward_pages_walk_back() {
    let (svc, _dir) = service().await;
    let a = AccountId::random();
    let t = now_ms(&svc);
    let runner = svc.log_store();
    runner
        .append(
            &a,
            "g",
            "s",
            &(0..5)
                .map(|i| ev(t + i, &format!("m{i}")))
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    let get = |token: Option<String>, head: bool, limit: usize| GetEvents {
        next_token: token,
        start_from_head: head,
        limit: Some(limit),
        ..Default::default()
    };
    let logs = svc.logs();
    let p1 = logs
        .get_log_events(&a, "g", "s", get(None, true, 3))
        .await
        .unwrap();
    assert_eq!(msgs(&p1.events), ["m0", "m1", "m2"]);
    let p2 = logs
        .get_log_events(
            &a,
            "g",
            "s",
            get(Some(p1.next_forward_token.clone()), true, 3),
        )
        .await
        .unwrap();
    assert_eq!(msgs(&p2.events), ["m3", "m4"]);
    let end = p2.next_forward_token.clone();
    let p3 = logs
        .get_log_events(&a, "g", "s", get(Some(end.clone()), true, 3))
        .await
        .unwrap();
    assert!(p3.events.is_empty());
    assert_eq!(p3.next_forward_token, end);
    let back = logs
        .get_log_events(&a, "g", "s", get(Some(p2.next_backward_token), false, 2))
        .await
        .unwrap();
    assert_eq!(msgs(&back.events), ["m1", "m2"]);
    let tail = logs
        .get_log_events(&a, "g", "s", get(None, false, 2))
        .await
        .unwrap();
    assert_eq!(msgs(&tail.events), ["m3", "m4"]);
}

#[tokio::test]
async fn filter_scans_past_non_matching_chunks_and_ends_without_a_token() {
    let (svc, _dir) = service().await;
    let a = AccountId::random();
    let t = now_ms(&svc);
    let mut batch: Vec<LogEvent> = (0..5_000).map(|i| ev(t + i, "noise")).collect();
    batch[10].message = "needle 1".into();
    batch[4_990].message = "needle 2".into();
    svc.log_store().append(&a, "g", "s", &batch).await.unwrap();
    let req = FilterEvents {
        pattern: Some("needle".into()),
        ..Default::default()
    };
    let page = svc.logs().filter_log_events(&a, "g", req).await.unwrap();
    assert_eq!(msgs(&page.items), ["needle 1", "needle 2"]);
    assert!(page.next_token.is_none());
    let first = FilterEvents {
        pattern: Some("needle".into()),
        limit: Some(1),
        ..Default::default()
    };
    let page = svc.logs().filter_log_events(&a, "g", first).await.unwrap();
    assert_eq!(msgs(&page.items), ["needle 1"]);
    let rest = FilterEvents {
        pattern: Some("needle".into()),
        next_token: page.next_token,
        ..Default::default()
    };
    let page = svc.logs().filter_log_events(&a, "g", rest).await.unwrap();
    assert_eq!(msgs(&page.items), ["needle 2"]);
}

#[tokio::test]
async fn put_log_events_rules() {
    let (svc, _dir) = service().await;
    let a = AccountId::random();
    let logs = svc.logs();
    logs.create_log_group(&a, "g").await.unwrap();
    logs.create_log_stream(&a, "g", "s").await.unwrap();
    let t = now_ms(&svc);
    let unordered = logs
        .put_log_events(&a, "g", "s", vec![ev(t, "b"), ev(t - 1, "a")])
        .await
        .unwrap_err();
    assert!(code(unordered).contains("chronological"));
    let long = logs
        .put_log_events(&a, "g", "s", vec![ev(t - 25 * 3_600_000, "a"), ev(t, "b")])
        .await
        .unwrap_err();
    assert!(code(long).contains("24 hours"));
    let big = "x".repeat(MAX_BATCH_BYTES - EVENT_OVERHEAD + 1);
    let too_big = logs
        .put_log_events(&a, "g", "s", vec![ev(t, &big)])
        .await
        .unwrap_err();
    assert!(code(too_big).contains("Upload too large"));
    let outcome = logs
        .put_log_events(
            &a,
            "g",
            "s",
            vec![ev(t - TOO_OLD_MS - 1, "old"), ev(t, "ok")],
        )
        .await
        .unwrap();
    assert_eq!(outcome.too_old_last, Some(0));
    assert_eq!(outcome.too_new_start, None);
    let missing = logs
        .put_log_events(&a, "g", "nope", vec![ev(t, "x")])
        .await
        .unwrap_err();
    assert_eq!(code(missing), "StreamNotFound");
}

#[tokio::test]
async fn describe_streams_rejects_time_order_with_prefix_and_pages_exactly() {
    let (svc, _dir) = service().await;
    let a = AccountId::random();
    let logs = svc.logs();
    logs.create_log_group(&a, "g").await.unwrap();
    for s in ["a", "b", "c"] {
        logs.create_log_stream(&a, "g", s).await.unwrap();
    }
    let bad = DescribeStreams {
        prefix: Some("a".into()),
        order_by_last_event: true,
        ..Default::default()
    };
    assert!(logs.describe_log_streams(&a, "g", bad).await.is_err());
    let page = |token, limit| DescribeStreams {
        limit: Some(limit),
        next_token: token,
        ..Default::default()
    };
    let p1 = logs
        .describe_log_streams(&a, "g", page(None, 2))
        .await
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = logs
        .describe_log_streams(&a, "g", page(p1.next_token, 2))
        .await
        .unwrap();
    assert_eq!(p2.items[0].name, "c");
    assert!(p2.next_token.is_none());
    let all = logs
        .describe_log_streams(&a, "g", page(None, 3))
        .await
        .unwrap();
    assert!(all.next_token.is_none());
}
