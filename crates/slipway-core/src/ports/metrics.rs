//! The training-metrics port: every value a training job's
//! `MetricDefinitions` matched in its log, with the log line's time, kept
//! for the job's life. The job runner appends while the job runs; the
//! CloudWatch metrics API (`monitoring`) and the control plane (tuning
//! jobs reading a running child's objective) read. Every method takes the
//! account: one account never sees another's points.
//!
//! A sample is keyed by (job, host, metric, line): `host` is the job's host
//! whose log it came from (`algo-<host>`, 1-based: a distributed job has
//! several, each with its own series), `line` the line's position in that
//! host's output, so a runner that re-reads lines after a restart appends
//! the same keys again and nothing is counted twice.

use crate::AccountId;
use async_trait::async_trait;

/// The 1-based number of a training job's host: `algo-<n>`.
pub type HostNumber = u32;

/// The first host (`algo-1`): the only one of a one-instance job, and the
/// one whose values a job reports as its own (FinalMetricDataList).
pub const PRIMARY_HOST: HostNumber = 1;

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

/// A metric of one host of a job that has at least one point.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesInfo {
    pub job: String,
    pub host: HostNumber,
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
    /// Adds samples of `job`'s host `host` to its series in one write; a
    /// sample whose (host, metric, line) is already stored is skipped.
    async fn append_samples(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        samples: &[MetricSample],
    ) -> Result<(), MetricStoreError>;

    /// The points of one host's series with `start_ms <= timestamp <
    /// end_ms` (open ends when `None`), by time, then log order.
    async fn series(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        metric: &str,
        start_ms: Option<i64>,
        end_ms: Option<i64>,
    ) -> Result<Vec<MetricPoint>, MetricStoreError>;

    /// The last point of each metric of `job`'s host `host`, by metric name.
    async fn latest(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
    ) -> Result<Vec<LatestPoint>, MetricStoreError>;

    /// Every series of the account (of one job when `job` is given), by
    /// (job, metric, host).
    async fn list_series(
        &self,
        account: &AccountId,
        job: Option<&str>,
    ) -> Result<Vec<SeriesInfo>, MetricStoreError>;

    /// Removes every point of `job` (the job was deleted).
    async fn delete_job(&self, account: &AccountId, job: &str) -> Result<(), MetricStoreError>;
}
