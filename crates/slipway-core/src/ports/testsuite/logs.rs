//! What every `LogStore` must do.

use crate::ports::logs::*;
use crate::AccountId;

fn ev(timestamp_ms: i64, message: &str) -> LogEvent {
    LogEvent {
        timestamp_ms,
        message: message.into(),
    }
}

fn messages(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.message.as_str()).collect()
}

fn names(streams: &[LogStreamInfo]) -> Vec<&str> {
    streams.iter().map(|s| s.name.as_str()).collect()
}

/// Runs every check against a fresh, empty store.
pub async fn run(store: &dyn LogStore) {
    groups_and_streams(store).await;
    append_order_and_metadata(store).await;
    reading_one_stream(store).await;
    filtering_a_group(store).await;
    stream_listing(store).await;
    accounts_are_isolated(store).await;
    big_batches(store).await;
}

async fn groups_and_streams(store: &dyn LogStore) {
    let a = AccountId::random();
    store.create_group(&a, "/g/one", 5).await.unwrap();
    assert!(matches!(
        store.create_group(&a, "/g/one", 6).await,
        Err(LogError::GroupExists(_))
    ));
    assert!(matches!(
        store.create_stream(&a, "/g/missing", "s", 1).await,
        Err(LogError::GroupNotFound(_))
    ));
    store.create_stream(&a, "/g/one", "s1", 7).await.unwrap();
    assert!(matches!(
        store.create_stream(&a, "/g/one", "s1", 7).await,
        Err(LogError::StreamExists(_))
    ));
    // PutLogEvents never creates parents; the runner's append does.
    assert!(matches!(
        store.put_events(&a, "/g/one", "nope", &[ev(1, "x")]).await,
        Err(LogError::StreamNotFound(_))
    ));
    assert!(matches!(
        store.put_events(&a, "/g/none", "s1", &[ev(1, "x")]).await,
        Err(LogError::GroupNotFound(_))
    ));
    store
        .put_events(&a, "/g/one", "s1", &[ev(1, "x")])
        .await
        .unwrap();
    store
        .append(&a, "/g/two", "auto", &[ev(2, "made")])
        .await
        .unwrap();
    for g in ["/g/three", "/h/x"] {
        store.create_group(&a, g, 1).await.unwrap();
    }
    let all: Vec<String> = store
        .list_groups(&a, None, None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(all, ["/g/one", "/g/three", "/g/two", "/h/x"]);
    let page = store.list_groups(&a, Some("/g/"), Some("/g/one"), 1).await;
    assert_eq!(page.unwrap()[0].name, "/g/three");
    let one = &store
        .list_groups(&a, Some("/g/one"), None, 5)
        .await
        .unwrap()[0];
    assert_eq!((one.created_ms, one.stored_bytes), (5, 1));

    store.delete_group(&a, "/g/one").await.unwrap();
    assert!(matches!(
        store.delete_group(&a, "/g/one").await,
        Err(LogError::GroupNotFound(_))
    ));
    assert!(matches!(
        store
            .read_stream(
                &a,
                "/g/one",
                "s1",
                TimeRange::default(),
                Direction::Forward { after: None },
                10
            )
            .await,
        Err(LogError::GroupNotFound(_))
    ));
    // A group made again after deletion starts empty.
    store.create_group(&a, "/g/one", 9).await.unwrap();
    let streams = store
        .list_streams(&a, "/g/one", &query(None, StreamOrder::Name, false, None))
        .await
        .unwrap();
    assert!(streams.is_empty());
}

fn query(
    prefix: Option<&str>,
    order: StreamOrder,
    descending: bool,
    after: Option<StreamCursor>,
) -> StreamQuery {
    StreamQuery {
        prefix: prefix.map(Into::into),
        order,
        descending,
        after,
        limit: 50,
    }
}

async fn append_order_and_metadata(store: &dyn LogStore) {
    let a = AccountId::random();
    store
        .append(&a, "g", "s", &[ev(20, "b1"), ev(20, "b2"), ev(30, "c")])
        .await
        .unwrap();
    // An older event in a later call sorts by time; equal timestamps keep
    // append order.
    store
        .append(&a, "g", "s", &[ev(10, "a"), ev(20, "b3")])
        .await
        .unwrap();
    store.append(&a, "g", "s", &[]).await.unwrap();
    let all = store
        .read_stream(
            &a,
            "g",
            "s",
            TimeRange::default(),
            Direction::Forward { after: None },
            100,
        )
        .await
        .unwrap();
    assert_eq!(messages(&all), ["a", "b1", "b2", "b3", "c"]);
    assert!(all.windows(2).all(|w| w[0].key < w[1].key));
    assert!(all.iter().all(|e| e.stream == "s" && e.ingestion_ms > 0));
    let info = &store
        .list_streams(&a, "g", &query(None, StreamOrder::Name, false, None))
        .await
        .unwrap()[0];
    assert_eq!(info.first_event_ms, Some(10));
    assert_eq!(info.last_event_ms, Some(30));
    assert_eq!(info.stored_bytes, 8);
    assert!(info.last_ingestion_ms.is_some());
}

async fn reading_one_stream(store: &dyn LogStore) {
    let a = AccountId::random();
    let batch: Vec<LogEvent> = (0..10).map(|i| ev(100 + i, &format!("m{i}"))).collect();
    store.append(&a, "g", "s", &batch).await.unwrap();
    let read = |range: TimeRange, direction: Direction, limit: usize| {
        store.read_stream(&a, "g", "s", range, direction, limit)
    };
    let head = read(TimeRange::default(), Direction::Forward { after: None }, 3)
        .await
        .unwrap();
    assert_eq!(messages(&head), ["m0", "m1", "m2"]);
    let next = read(
        TimeRange::default(),
        Direction::Forward {
            after: Some(head[2].key),
        },
        3,
    )
    .await
    .unwrap();
    assert_eq!(messages(&next), ["m3", "m4", "m5"]);
    let tail = read(
        TimeRange::default(),
        Direction::Backward { before: None },
        2,
    )
    .await
    .unwrap();
    assert_eq!(messages(&tail), ["m9", "m8"]);
    let back = read(
        TimeRange::default(),
        Direction::Backward {
            before: Some(next[0].key),
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(messages(&back), ["m2", "m1", "m0"]);
    // start inclusive, end exclusive.
    let range = TimeRange {
        start_ms: Some(103),
        end_ms: Some(106),
    };
    let mid = read(range, Direction::Forward { after: None }, 100)
        .await
        .unwrap();
    assert_eq!(messages(&mid), ["m3", "m4", "m5"]);
    let end = read(
        TimeRange::default(),
        Direction::Forward {
            after: Some(tail[0].key),
        },
        10,
    )
    .await
    .unwrap();
    assert!(end.is_empty());
    // Appended later, found after the old end position.
    store
        .append(&a, "g", "s", &[ev(200, "late")])
        .await
        .unwrap();
    let more = read(
        TimeRange::default(),
        Direction::Forward {
            after: Some(tail[0].key),
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(messages(&more), ["late"]);
    assert!(matches!(
        store
            .read_stream(
                &a,
                "g",
                "other",
                TimeRange::default(),
                Direction::Forward { after: None },
                1
            )
            .await,
        Err(LogError::StreamNotFound(_))
    ));
}

async fn filtering_a_group(store: &dyn LogStore) {
    let a = AccountId::random();
    store
        .append(
            &a,
            "g",
            "job/algo-1",
            &[ev(1, "a1"), ev(3, "a3"), ev(5, "a5")],
        )
        .await
        .unwrap();
    store
        .append(&a, "g", "job/algo-2", &[ev(2, "b2"), ev(3, "b3")])
        .await
        .unwrap();
    store
        .append(&a, "g", "other", &[ev(4, "o4")])
        .await
        .unwrap();
    let a = &a;
    let filter = |streams: StreamSelect, range: TimeRange, after: Option<EventKey>, limit| {
        let q = FilterQuery {
            streams,
            range,
            after,
            descending: false,
            limit,
        };
        async move { store.filter_events(a, "g", &q).await.unwrap() }
    };
    let all = filter(StreamSelect::All, TimeRange::default(), None, 100).await;
    assert_eq!(messages(&all), ["a1", "b2", "a3", "b3", "o4", "a5"]);
    assert_eq!(all[1].stream, "job/algo-2");
    let pre = filter(
        StreamSelect::Prefix("job/".into()),
        TimeRange::default(),
        None,
        100,
    )
    .await;
    assert_eq!(messages(&pre), ["a1", "b2", "a3", "b3", "a5"]);
    let named = filter(
        StreamSelect::Names(vec!["other".into(), "job/algo-2".into(), "gone".into()]),
        TimeRange::default(),
        None,
        100,
    )
    .await;
    assert_eq!(messages(&named), ["b2", "b3", "o4"]);
    let range = TimeRange {
        start_ms: Some(3),
        end_ms: Some(5),
    };
    let page1 = filter(StreamSelect::All, range, None, 2).await;
    assert_eq!(messages(&page1), ["a3", "b3"]);
    let page2 = filter(StreamSelect::All, range, Some(page1[1].key), 2).await;
    assert_eq!(messages(&page2), ["o4"]);
    let newest = FilterQuery {
        streams: StreamSelect::Prefix("job/".into()),
        range: TimeRange::default(),
        after: Some(all[5].key),
        descending: true,
        limit: 2,
    };
    let newest = store.filter_events(a, "g", &newest).await.unwrap();
    assert_eq!(messages(&newest), ["b3", "a3"]);
    let keys: std::collections::HashSet<EventKey> = all.iter().map(|e| e.key).collect();
    assert_eq!(keys.len(), all.len(), "event keys are unique in a group");
    assert!(matches!(
        store
            .filter_events(
                a,
                "missing",
                &FilterQuery {
                    streams: StreamSelect::All,
                    range: TimeRange::default(),
                    after: None,
                    descending: false,
                    limit: 1
                }
            )
            .await,
        Err(LogError::GroupNotFound(_))
    ));
}

async fn stream_listing(store: &dyn LogStore) {
    let a = AccountId::random();
    store.create_group(&a, "g", 1).await.unwrap();
    store.create_stream(&a, "g", "empty", 1).await.unwrap();
    store.append(&a, "g", "c/1", &[ev(30, "x")]).await.unwrap();
    store.append(&a, "g", "a/1", &[ev(50, "x")]).await.unwrap();
    store.append(&a, "g", "b/1", &[ev(10, "x")]).await.unwrap();
    let a = &a;
    let list = |q: StreamQuery| async move { store.list_streams(a, "g", &q).await.unwrap() };
    let by_name = list(query(None, StreamOrder::Name, false, None)).await;
    assert_eq!(names(&by_name), ["a/1", "b/1", "c/1", "empty"]);
    let desc = list(query(None, StreamOrder::Name, true, None)).await;
    assert_eq!(names(&desc), ["empty", "c/1", "b/1", "a/1"]);
    let by_time = list(query(None, StreamOrder::LastEventTime, false, None)).await;
    assert_eq!(names(&by_time), ["empty", "b/1", "c/1", "a/1"]);
    let newest = list(query(None, StreamOrder::LastEventTime, true, None)).await;
    assert_eq!(names(&newest), ["a/1", "c/1", "b/1", "empty"]);
    let after = StreamCursor {
        last_event_ms: 10,
        name: "b/1".into(),
    };
    let rest = list(query(None, StreamOrder::LastEventTime, false, Some(after))).await;
    assert_eq!(names(&rest), ["c/1", "a/1"]);
    let pre = list(query(Some("b/"), StreamOrder::Name, false, None)).await;
    assert_eq!(names(&pre), ["b/1"]);
    let mut q = query(None, StreamOrder::Name, false, None);
    q.limit = 2;
    q.after = Some(StreamCursor {
        last_event_ms: 0,
        name: "a/1".into(),
    });
    assert_eq!(names(&list(q).await), ["b/1", "c/1"]);
    assert!(matches!(
        store
            .list_streams(a, "nope", &query(None, StreamOrder::Name, false, None))
            .await,
        Err(LogError::GroupNotFound(_))
    ));
}

async fn accounts_are_isolated(store: &dyn LogStore) {
    let a = AccountId::random();
    let b = AccountId::random();
    store
        .append(&a, "shared", "s", &[ev(1, "a's")])
        .await
        .unwrap();
    assert!(store
        .list_groups(&b, None, None, 50)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store
            .read_stream(
                &b,
                "shared",
                "s",
                TimeRange::default(),
                Direction::Forward { after: None },
                10
            )
            .await,
        Err(LogError::GroupNotFound(_))
    ));
    // The same names in another account are another group.
    store.create_group(&b, "shared", 1).await.unwrap();
    store
        .append(&b, "shared", "s", &[ev(2, "b's")])
        .await
        .unwrap();
    let q = FilterQuery {
        streams: StreamSelect::All,
        range: TimeRange::default(),
        after: None,
        descending: false,
        limit: 10,
    };
    let seen = store.filter_events(&b, "shared", &q).await.unwrap();
    assert_eq!(messages(&seen), ["b's"]);
    store.delete_group(&b, "shared").await.unwrap();
    let still = store.filter_events(&a, "shared", &q).await.unwrap();
    assert_eq!(messages(&still), ["a's"]);
}

async fn big_batches(store: &dyn LogStore) {
    let a = AccountId::random();
    let batch: Vec<LogEvent> = (0..10_000)
        .map(|i| ev(i / 7, &format!("line {i}")))
        .collect();
    let started = std::time::Instant::now();
    store.append(&a, "g", "big", &batch).await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "10,000 events in one call took {:?}",
        started.elapsed()
    );
    let all = store
        .read_stream(
            &a,
            "g",
            "big",
            TimeRange::default(),
            Direction::Forward { after: None },
            20_000,
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 10_000);
    assert!(all
        .iter()
        .enumerate()
        .all(|(i, e)| e.message == format!("line {i}")));
}
