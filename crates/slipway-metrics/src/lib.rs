//! CloudWatch metrics rules for training jobs (the `monitoring` API's
//! subset Slipway serves): which metric a namespace and dimensions name,
//! statistics over periods, GetMetricData's queries and paging, and
//! ListMetrics, on the `MetricStore` port. Knows no HTTP and no SQL; the
//! wire crate translates shapes and errors.
//!
//! What exists: each training job's metrics, in namespace
//! [`NAMESPACE`], as SageMaker publishes them: one series per host,
//! `Host=<job>/algo-N` (a distributed job has hosts `algo-1` … `algo-N`,
//! each parsed from its own log), and `TrainingJobName=<job>`, which is
//! the primary host's (`algo-1`) series: the values the job reports as its
//! own (FinalMetricDataList). Values have no unit (`None`).

mod data;
mod list;
pub mod stats;
mod tokens;

pub use data::{DataPage, DataQuery, DataResult, MetricQuery, StatQuery};
pub use list::{DimensionFilter, ListQuery, MetricList};
use slipway_core::ports::clock::Clock;
pub use slipway_core::ports::metrics::{
    HostNumber, LatestPoint, MetricPoint, MetricSample, SeriesInfo, PRIMARY_HOST,
};
use slipway_core::ports::metrics::{MetricStore, MetricStoreError};
use slipway_core::AccountId;
use stats::Statistic;

/// The namespace SageMaker publishes training metrics in.
pub const NAMESPACE: &str = "/aws/sagemaker/TrainingJobs";
/// The dimension naming the job.
pub const JOB_DIMENSION: &str = "TrainingJobName";
/// The dimension naming one host of the job (`<job>/algo-N`).
pub const HOST_DIMENSION: &str = "Host";
/// The unit of every training metric.
pub const UNIT: &str = "None";
/// Points kept per host of a training job. Past it the runner stores no
/// more points for that host (the final value of each metric is still kept on the job,
/// `FinalMetricDataList`): a job printing a metric per step for days must
/// not fill the disk (docs/jobs.md "Metrics").
pub const MAX_POINTS_PER_HOST: u64 = 100_000;
/// Most datapoints one GetMetricStatistics answer may hold (CloudWatch's).
pub const MAX_STATISTICS_DATAPOINTS: i64 = 1_440;

pub type Result<T> = std::result::Result<T, MetricsError>;

/// Why a metrics request failed, in CloudWatch's terms (the wire crate
/// maps each to its error code).
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// `InvalidParameterValue`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `MissingParameter`.
    #[error("{0}")]
    MissingParameter(String),
    /// `InvalidParameterCombination`.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `InvalidNextToken` (GetMetricData).
    #[error("{0}")]
    InvalidNextToken(String),
    #[error(transparent)]
    Store(#[from] MetricStoreError),
}

/// A metric as CloudWatch names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricId {
    pub namespace: String,
    pub metric_name: String,
    /// (name, value) pairs.
    pub dimensions: Vec<(String, String)>,
}

impl MetricId {
    /// The series this names, when it names one: the namespace and exactly
    /// one of the two dimension sets (`TrainingJobName` names the primary
    /// host's). Anything else names no metric Slipway has (CloudWatch
    /// answers such requests with no data).
    pub fn series(&self) -> Option<(&str, HostNumber)> {
        if self.namespace != NAMESPACE {
            return None;
        }
        match self.dimensions.as_slice() {
            [(name, value)] if name == JOB_DIMENSION => Some((value, PRIMARY_HOST)),
            [(name, value)] if name == HOST_DIMENSION => parse_host(value),
            _ => None,
        }
    }

    /// The names of one host's series of a job's metric, as ListMetrics
    /// shows them: `Host=<job>/algo-N`, and for the primary host also
    /// `TrainingJobName=<job>`.
    pub fn of_series(job: &str, host: HostNumber, metric: &str) -> Vec<Self> {
        let make = |name: &str, value: String| Self {
            namespace: NAMESPACE.to_owned(),
            metric_name: metric.to_owned(),
            dimensions: vec![(name.to_owned(), value)],
        };
        let mut names = vec![make(HOST_DIMENSION, host_value(job, host))];
        if host == PRIMARY_HOST {
            names.push(make(JOB_DIMENSION, job.to_owned()));
        }
        names
    }
}

/// The `Host` dimension's value of a job's host: `<job>/algo-<host>`.
pub fn host_value(job: &str, host: HostNumber) -> String {
    format!("{job}/algo-{host}")
}

/// `<job>/algo-<n>` → (job, n), for n written as the platform writes it
/// (1 or more, no sign, no leading zero). A job name has no `/`.
pub fn parse_host(value: &str) -> Option<(&str, HostNumber)> {
    let (job, host) = value.rsplit_once('/')?;
    let digits = host.strip_prefix("algo-")?;
    if job.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: HostNumber = digits.parse().ok()?;
    Some((job, n))
}

/// A GetMetricStatistics request, its shapes already checked.
#[derive(Debug, Clone)]
pub struct StatisticsQuery {
    pub metric: MetricId,
    pub start_ms: i64,
    pub end_ms: i64,
    pub period_s: i64,
    pub statistics: Vec<String>,
    pub extended_statistics: Vec<String>,
    pub unit: Option<String>,
}

/// One period of a GetMetricStatistics answer: the standard statistics
/// asked for (in request order) and the percentiles (by their names).
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    pub timestamp_ms: i64,
    pub statistics: Vec<(Statistic, f64)>,
    pub extended: Vec<(String, f64)>,
}

/// The metrics operations, on one store and clock.
pub struct Metrics<'a> {
    store: &'a dyn MetricStore,
    clock: &'a dyn Clock,
}

impl<'a> Metrics<'a> {
    pub fn new(store: &'a dyn MetricStore, clock: &'a dyn Clock) -> Self {
        Self { store, clock }
    }

    fn now_ms(&self) -> i64 {
        self.clock.wall_micros() / 1_000
    }

    /// Every point of one metric of a training job's host, in time order
    /// (empty when it has none). Cheap enough to call while the job runs:
    /// points are stored at each log flush.
    pub async fn series(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        metric: &str,
    ) -> Result<Vec<MetricPoint>> {
        Ok(self
            .store
            .series(account, job, host, metric, None, None)
            .await?)
    }

    /// The latest point (in log order) of each metric of a training job's
    /// host.
    pub async fn latest(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
    ) -> Result<Vec<LatestPoint>> {
        Ok(self.store.latest(account, job, host).await?)
    }

    /// Stores values matched in the log of a running job's host (the job
    /// runner).
    pub async fn append(
        &self,
        account: &AccountId,
        job: &str,
        host: HostNumber,
        samples: &[MetricSample],
    ) -> Result<()> {
        Ok(self
            .store
            .append_samples(account, job, host, samples)
            .await?)
    }

    /// Forgets a deleted job's points.
    pub async fn delete_job(&self, account: &AccountId, job: &str) -> Result<()> {
        Ok(self.store.delete_job(account, job).await?)
    }

    /// GetMetricStatistics.
    pub async fn statistics(
        &self,
        account: &AccountId,
        q: &StatisticsQuery,
    ) -> Result<Vec<Datapoint>> {
        let (standard, extended) = check_statistics(q)?;
        check_range(q.start_ms, q.end_ms)?;
        if !stats::valid_period(q.period_s) {
            return Err(MetricsError::InvalidParameterValue(
                "The parameter Period must be a multiple of 60.".into(),
            ));
        }
        let start = stats::aligned_start(q.start_ms, q.period_s, self.now_ms());
        let asked = stats::period_count(start, q.end_ms, q.period_s)
            * (standard.len() + extended.len()) as i64;
        if asked > MAX_STATISTICS_DATAPOINTS {
            return Err(MetricsError::InvalidParameterCombination(format!(
                "You have requested up to {} datapoints, which exceeds the limit of {}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
                thousands(asked),
                thousands(MAX_STATISTICS_DATAPOINTS)
            )));
        }
        let points = self
            .points(account, &q.metric, q.unit.as_deref(), start, q.end_ms)
            .await?;
        Ok(stats::buckets(&points, start, q.end_ms, q.period_s)
            .into_iter()
            .map(|b| Datapoint {
                timestamp_ms: b.start_ms,
                statistics: standard.iter().map(|s| (*s, s.of(&b.values))).collect(),
                extended: extended
                    .iter()
                    .map(|(name, s)| (name.clone(), s.of(&b.values)))
                    .collect(),
            })
            .collect())
    }

    /// The stored points of a metric in `[start, end)`; none for a metric
    /// Slipway does not have or a unit other than `None`.
    async fn points(
        &self,
        account: &AccountId,
        metric: &MetricId,
        unit: Option<&str>,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<MetricPoint>> {
        let Some((job, host)) = metric.series() else {
            return Ok(Vec::new());
        };
        if unit.is_some_and(|u| u != UNIT) {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .series(
                account,
                job,
                host,
                &metric.metric_name,
                Some(start_ms),
                Some(end_ms),
            )
            .await?)
    }
}

type Extended = Vec<(String, Statistic)>;

/// The statistics asked for: at least one, not both kinds, each known.
fn check_statistics(q: &StatisticsQuery) -> Result<(Vec<Statistic>, Extended)> {
    match (q.statistics.is_empty(), q.extended_statistics.is_empty()) {
        (true, true) => {
            return Err(MetricsError::MissingParameter(
                "Must specify either Statistics or ExtendedStatistics".into(),
            ))
        }
        (false, false) => {
            return Err(MetricsError::InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics, but not both".into(),
            ))
        }
        _ => {}
    }
    let standard = q
        .statistics
        .iter()
        .map(|s| {
            Statistic::standard(s).ok_or_else(|| {
                MetricsError::InvalidParameterValue(format!(
                    "The value {s} for parameter Statistics is not supported."
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let extended = q
        .extended_statistics
        .iter()
        .map(|s| {
            Statistic::percentile(s)
                .map(|p| (s.clone(), p))
                .ok_or_else(|| {
                    MetricsError::InvalidParameterValue(format!(
                        "The value {s} for parameter ExtendedStatistics is not supported."
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((standard, extended))
}

/// StartTime must come before EndTime.
fn check_range(start_ms: i64, end_ms: i64) -> Result<()> {
    if start_ms >= end_ms {
        return Err(MetricsError::InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime.".into(),
        ));
    }
    Ok(())
}

/// `1440` -> `1,440`, as CloudWatch writes counts in messages.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests;
