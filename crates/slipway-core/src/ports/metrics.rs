//! The training-metrics port: every value a training job's
//! `MetricDefinitions` matched in its log, with the log line's time, kept
//! for the job's life. The job runner appends while the job runs; the
//! CloudWatch metrics API (`monitoring`) and the control plane (tuning
//! jobs reading a running child's objective) read. Every method takes the
//! account: one account never sees another's points.
//!
//! A sample is keyed by (job, metric, line): `line` is the line's position
//! in the container's output, so a runner that re-reads lines after a
//! restart appends the same keys again and nothing is counted twice.

use crate::AccountId;
use async_trait::async_trait;

/// One matched value, as the runner appends it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    pub metric: String,
    /// The line's position in the container's output (1-based).
    pub line: u64,
    /// The log line's time (epoch milliseconds).
    pub timestamp_ms: i64,
    pub value: f64,
}

/// One point of a series, as readers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPoint {
    /// Epoch milliseconds.
    pub timestamp_ms: i64,
    pub value: f64,
}

/// A metric of a job that has at least one point.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    pub job: String,
    pub metric: String,
    pub points: u64,
    /// The latest point's time (epoch milliseconds).
    pub last_ms: i64,
}

/// The last point of one metric (in log order).
#[derive(Debug, Clone, PartialEq)]
pub struct LatestPoint {
    pub metric: String,
    pub point: MetricPoint,
}

/// What a metric store reports: only internal faults.
#[derive(Debug, thiserror::Error)]
pub enum MetricStoreError {
    #[error("metric store failure: {0}")]
    Backend(String),
}

/// Durable training metrics. Every mutating call is durable when it
/// returns Ok.
#[async_trait]
pub trait MetricStore: Send + Sync + 'static {
    /// Adds samples to `job`'s series in one write; a sample whose
    /// (metric, line) is already stored is skipped.
    async fn append_samples(
        &self,
        account: &AccountId,
        job: &str,
        samples: &[MetricSample],
    ) -> Result<(), MetricStoreError>;

    /// The points of one series with `start_ms <= timestamp < end_ms`
    /// (open ends when `None`), by time, then log order.
    async fn series(
        &self,
        account: &AccountId,
        job: &str,
        metric: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<Vec<MetricPoint>, MetricStoreError>;

    /// The last point of each metric of `job`, by metric name.
    async fn latest(
        &self,
        account: &AccountId,
        job: &str,
    ) -> Result<Vec<LatestPoint>, MetricStoreError>;

    /// Every series of the account (of one job when `job` is given), by
    /// (job, metric).
    async fn list_series(
        &self,
        account: &AccountId,
        job: Option<&str>,
    ) -> Result<Vec<SeriesInfo>, MetricStoreError>;

    /// Removes every point of `job` (the job was deleted).
    async fn delete_job(&self, account: &AccountId, job: &str) -> Result<(), MetricStoreError>;
}
