//! `MetricStore` on SQLite (schema in `migrations/0010_metrics.sql`, the
//! host column from `0011_metric_hosts.sql`). An
//! append is one transaction however many samples it carries (the runner
//! appends once per log flush).

use crate::SqliteStore;
use async_trait::async_trait;
use slipway_core::ports::metrics::{
    HostNumber, LatestPoint, MetricPoint, MetricSample, MetricStore, MetricStoreError, SeriesInfo,
};
use slipway_core::AccountId;
use sqlx::{QueryBuilder, Sqlite};

/// Rows per INSERT: 7 parameters each stays well under SQLite's limit of
/// bound parameters per statement.
const INSERT_CHUNK: usize = 500;

fn backend(e: sqlx::Error) -> MetricStoreError {
    MetricStoreError::Backend(e.to_string())
}

#[async_trait]
impl MetricStore for SqliteStore {
    async fn append_samples(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        samples: &[MetricSample],
    ) -> Result<(), MetricStoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        for chunk in samples.chunks(INSERT_CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT OR IGNORE INTO metric_points (account, job, host, metric, line, timestamp, value) ",
            );
            q.push_values(chunk, |mut b, s| {
                b.push_bind(account.as_str())
                    .push_bind(job)
                    .push_bind(i64::from(host))
                    .push_bind(&s.metric)
                    .push_bind(i64::try_from(s.line).unwrap_or(i64::MAX))
                    .push_bind(s.timestamp_ms)
                    .push_bind(s.value);
            });
            q.build().execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn series(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        metric: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<Vec<MetricPoint>, MetricStoreError> {
        let rows: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT timestamp, value FROM metric_points \
             WHERE account = ? AND job = ? AND host = ? AND metric = ? \
             AND timestamp >= ? AND timestamp < ? ORDER BY timestamp, line",
        )
        .bind(account.as_str())
        .bind(job)
        .bind(i64::from(host))
        .bind(metric)
        .bind(start_ms.unwrap_or(i64::MIN))
        .bind(end_ms.unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(timestamp_ms, value)| MetricPoint {
                timestamp_ms,
                value,
            })
            .collect())
    }

    async fn latest(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
    ) -> Result<Vec<LatestPoint>, MetricStoreError> {
        // SQLite takes the bare columns from the row holding MAX(line).
        let rows: Vec<(String, i64, f64, i64)> = sqlx::query_as(
            "SELECT metric, timestamp, value, MAX(line) FROM metric_points \
             WHERE account = ? AND job = ? AND host = ? GROUP BY metric ORDER BY metric",
        )
        .bind(account.as_str())
        .bind(job)
        .bind(i64::from(host))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(metric, timestamp_ms, value, _)| LatestPoint {
                metric,
                point: MetricPoint {
                    timestamp_ms,
                    value,
                },
            })
            .collect())
    }

    async fn list_series(
        &self,
        account: &AccountId,
        job: Option<&str>,
    ) -> Result<Vec<SeriesInfo>, MetricStoreError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT job, host, metric, COUNT(*), MAX(timestamp) FROM metric_points WHERE account = ",
        );
        q.push_bind(account.as_str());
        if let Some(job) = job {
            q.push(" AND job = ").push_bind(job);
        }
        q.push(" GROUP BY job, metric, host ORDER BY job, metric, host");
        let rows: Vec<(String, i64, String, i64, i64)> = q
            .build_query_as()
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(job, host, metric, points, last_ms)| SeriesInfo {
                job,
                // Only the runner writes hosts (1 … instance count).
                host: HostNumber::try_from(host).unwrap_or_default(),
                metric,
                points: u64::try_from(points).unwrap_or_default(),
                last_ms,
            })
            .collect())
    }

    async fn delete_job(&self, account: &AccountId, job: &str) -> Result<(), MetricStoreError> {
        sqlx::query("DELETE FROM metric_points WHERE account = ? AND job = ?")
            .bind(account.as_str())
            .bind(job)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
