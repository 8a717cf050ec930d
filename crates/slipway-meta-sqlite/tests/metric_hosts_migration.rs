//! Migration 0011 (a host per metric point) on a data directory written
//! before it: every point is kept, as algo-1's, and the store works on.

use slipway_core::ports::metrics::{MetricSample, MetricStore};
use slipway_core::AccountId;
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

#[tokio::test]
async fn points_stored_before_hosts_become_algo_1s() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountId::random();
    {
        // The schema as of migration 0010, with a point in it.
        let path = dir.path().join("metadata.sqlite");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        let mut old = sqlx::migrate!("./migrations");
        old.migrations = old
            .migrations
            .iter()
            .filter(|m| m.version <= 10)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        old.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO metric_points (account, job, metric, line, timestamp, value) \
             VALUES (?, 'job', 'loss', 3, 1000, 0.5)",
        )
        .bind(account.as_str())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    let listed = store.list_series(&account, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].host, listed[0].points), (1, 1));
    let points = store.series(&account, "job", 1, "loss", None, None).await;
    assert_eq!(points.unwrap()[0].value, 0.5);
    // Line 3 of algo-1 is still known (a re-read is skipped); line 3 of
    // algo-2 is another point.
    let again = MetricSample {
        metric: "loss".into(),
        line: 3,
        timestamp_ms: 1000,
        value: 9.0,
    };
    store
        .append_samples(&account, "job", 1, std::slice::from_ref(&again))
        .await
        .unwrap();
    store
        .append_samples(&account, "job", 2, std::slice::from_ref(&again))
        .await
        .unwrap();
    let first = store.series(&account, "job", 1, "loss", None, None).await;
    assert_eq!(first.unwrap().len(), 1);
    let second = store.series(&account, "job", 2, "loss", None, None).await;
    assert_eq!(second.unwrap()[0].value, 9.0);
}
