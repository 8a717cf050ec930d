//! What every `MetricStore` must do.

use crate::ports::metrics::*;
use crate::AccountId;

fn sample(metric: &str, line: u64, timestamp_ms: i64, value: f64) -> MetricSample {
    MetricSample {
        metric: metric.into(),
        line,
        timestamp_ms,
        value,
    }
}

fn values(points: &[MetricPoint]) -> Vec<f64> {
    points.iter().map(|p| p.value).collect()
}

/// Runs every check against a fresh, empty store.
pub async fn run(store: &dyn MetricStore) {
    let a = AccountId::random();
    let b = AccountId::random();
    store
        .append_samples(
            &a,
            "job-1",
            1,
            &[
                sample("loss", 1, 1_000, 3.0),
                sample("acc", 1, 1_000, 0.5),
                sample("loss", 2, 3_000, 2.0),
                // Same time, later line: after line 2 in time order.
                sample("loss", 3, 3_000, 1.5),
            ],
        )
        .await
        .unwrap();
    // A re-read line (restart) is skipped; a new one is added.
    store
        .append_samples(
            &a,
            "job-1",
            1,
            &[
                sample("loss", 3, 3_000, 99.0),
                sample("loss", 4, 2_000, 1.0),
            ],
        )
        .await
        .unwrap();
    store.append_samples(&a, "job-1", 1, &[]).await.unwrap();
    let all = store
        .series(&a, "job-1", 1, "loss", None, None)
        .await
        .unwrap();
    assert_eq!(values(&all), [3.0, 1.0, 2.0, 1.5]);
    let some = store
        .series(&a, "job-1", 1, "loss", Some(2_000), Some(3_000))
        .await
        .unwrap();
    assert_eq!(values(&some), [1.0]);
    // Latest is in log order, not time order.
    let latest = store.latest(&a, "job-1", 1).await.unwrap();
    assert_eq!(latest.len(), 2);
    assert_eq!(
        (latest[0].metric.as_str(), latest[0].point.value),
        ("acc", 0.5)
    );
    assert_eq!(
        (latest[1].metric.as_str(), latest[1].point.value),
        ("loss", 1.0)
    );

    store
        .append_samples(&a, "job-0", 1, &[sample("loss", 1, 500, 7.0)])
        .await
        .unwrap();
    let listed = store.list_series(&a, None).await.unwrap();
    let keys: Vec<_> = listed
        .iter()
        .map(|s| {
            (
                s.job.as_str(),
                s.metric.as_str(),
                s.host,
                s.points,
                s.last_ms,
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("job-0", "loss", 1, 1, 500),
            ("job-1", "acc", 1, 1, 1_000),
            ("job-1", "loss", 1, 4, 3_000)
        ]
    );
    assert_eq!(store.list_series(&a, Some("job-0")).await.unwrap().len(), 1);

    // Another host of the job has series of its own: the same lines of its
    // own output are other points, and each host reads only its own.
    store
        .append_samples(
            &a,
            "job-1",
            2,
            &[sample("loss", 1, 1_500, 8.0), sample("loss", 2, 2_500, 9.0)],
        )
        .await
        .unwrap();
    let second = store
        .series(&a, "job-1", 2, "loss", None, None)
        .await
        .unwrap();
    assert_eq!(values(&second), [8.0, 9.0]);
    let first = store
        .series(&a, "job-1", 1, "loss", None, None)
        .await
        .unwrap();
    assert_eq!(values(&first), [3.0, 1.0, 2.0, 1.5]);
    let latest2 = store.latest(&a, "job-1", 2).await.unwrap();
    assert_eq!(latest2.len(), 1);
    assert_eq!(latest2[0].point.value, 9.0);
    let listed = store.list_series(&a, Some("job-1")).await.unwrap();
    let keys: Vec<_> = listed
        .iter()
        .map(|s| (s.metric.as_str(), s.host, s.points))
        .collect();
    assert_eq!(keys, [("acc", 1, 1), ("loss", 1, 4), ("loss", 2, 2)]);
    // Hosts are numbers: algo-10 comes after algo-2.
    store
        .append_samples(&a, "job-1", 10, &[sample("loss", 1, 1_000, 0.0)])
        .await
        .unwrap();
    let hosts: Vec<_> = store
        .list_series(&a, Some("job-1"))
        .await
        .unwrap()
        .iter()
        .map(|s| s.host)
        .collect();
    assert_eq!(hosts, [1, 1, 2, 10]);

    // Another account sees nothing.
    assert!(store.list_series(&b, None).await.unwrap().is_empty());
    assert!(store
        .series(&b, "job-1", 1, "loss", None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(store.latest(&b, "job-1", 1).await.unwrap().is_empty());
    store.delete_job(&b, "job-1").await.unwrap();
    assert_eq!(store.list_series(&a, None).await.unwrap().len(), 5);

    store.delete_job(&a, "job-1").await.unwrap();
    assert_eq!(store.list_series(&a, None).await.unwrap().len(), 1);

    // One write of many samples.
    let many: Vec<_> = (1..=5_000)
        .map(|i| sample("m", i, i as i64, i as f64))
        .collect();
    store.append_samples(&a, "big", 1, &many).await.unwrap();
    let read = store.series(&a, "big", 1, "m", None, None).await.unwrap();
    assert_eq!(read.len(), 5_000);
    assert_eq!(read[4_999].value, 5_000.0);
}
