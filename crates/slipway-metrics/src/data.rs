//! GetMetricData: MetricStat queries over training metrics, one result per
//! query that returns data, paged by datapoints. Metric math (`Expression`)
//! is refused.

use crate::stats::{self, Statistic};
use crate::{check_range, tokens, MetricId, Metrics, MetricsError, Result};
use slipway_core::AccountId;
use std::collections::HashSet;

/// Datapoints per page when MaxDatapoints is not given (CloudWatch's).
pub const DEFAULT_MAX_DATAPOINTS: usize = 100_800;
const TOKEN_KIND: &str = "gmd";

/// A MetricStat: which metric, its period, statistic and unit.
#[derive(Debug, Clone)]
pub struct StatQuery {
    pub metric: MetricId,
    pub period_s: i64,
    pub stat: String,
    pub unit: Option<String>,
}

/// One of GetMetricData's queries.
#[derive(Debug, Clone)]
pub struct MetricQuery {
    pub id: String,
    pub label: Option<String>,
    pub return_data: bool,
    pub stat: Option<StatQuery>,
    pub expression: Option<String>,
}

/// A GetMetricData request.
#[derive(Debug, Clone)]
pub struct DataQuery {
    pub queries: Vec<MetricQuery>,
    pub start_ms: i64,
    pub end_ms: i64,
    /// `ScanBy=TimestampAscending` (CloudWatch's default is descending).
    pub ascending: bool,
    pub max_datapoints: Option<usize>,
    pub next_token: Option<String>,
}

/// One query's answer on this page.
#[derive(Debug, Clone, PartialEq)]
pub struct DataResult {
    pub id: String,
    pub label: String,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
    /// False (`PartialData`) when later pages hold more of its datapoints.
    pub complete: bool,
}

/// One page of GetMetricData.
#[derive(Debug, Clone)]
pub struct DataPage {
    pub results: Vec<DataResult>,
    pub next_token: Option<String>,
}

/// Checks the queries before anything is read.
fn check_queries(queries: &[MetricQuery]) -> Result<Vec<(Statistic, &StatQuery)>> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for (i, q) in queries.iter().enumerate() {
        let member = format!("MetricDataQueries.member.{}", i + 1);
        if !ids.insert(q.id.as_str()) {
            return Err(MetricsError::InvalidParameterValue(format!(
                "The value {} for parameter {member}.Id is a duplicate of another query's Id.",
                q.id
            )));
        }
        let s = match (&q.stat, &q.expression) {
            (Some(s), None) => s,
            (None, Some(_)) => {
                return Err(MetricsError::InvalidParameterValue(format!(
                    "The value for parameter {member}.Expression is not supported: this Slipway server does not evaluate metric math; use MetricStat."
                )))
            }
            _ => {
                return Err(MetricsError::InvalidParameterCombination(format!(
                    "Exactly one of the parameters {member}.MetricStat and {member}.Expression must be specified."
                )))
            }
        };
        let stat = Statistic::parse(&s.stat).ok_or_else(|| {
            MetricsError::InvalidParameterValue(format!(
                "The value {} for parameter {member}.MetricStat.Stat is not supported.",
                s.stat
            ))
        })?;
        if !stats::valid_period(s.period_s) {
            return Err(MetricsError::InvalidParameterValue(format!(
                "The parameter {member}.MetricStat.Period must be 1, 5, 10, 20, 30, 60, or any multiple of 60."
            )));
        }
        out.push((stat, s));
    }
    Ok(out)
}

impl Metrics<'_> {
    /// GetMetricData.
    pub async fn data(&self, account: &AccountId, q: &DataQuery) -> Result<DataPage> {
        check_range(q.start_ms, q.end_ms)?;
        let checked = check_queries(&q.queries)?;
        let mut offset = match &q.next_token {
            None => 0,
            Some(t) => tokens::decode(TOKEN_KIND, t).ok_or_else(|| {
                MetricsError::InvalidNextToken("The service couldn't process the NextToken.".into())
            })?,
        };
        let max = q.max_datapoints.unwrap_or(DEFAULT_MAX_DATAPOINTS).max(1);
        let mut budget = max;
        let mut returned = offset;
        let mut more = false;
        let mut results = Vec::new();
        for (query, (stat, s)) in q.queries.iter().zip(checked) {
            if !query.return_data {
                continue;
            }
            let start = stats::aligned_start(q.start_ms, s.period_s, self.now_ms());
            let points = self
                .points(account, &s.metric, s.unit.as_deref(), start, q.end_ms)
                .await?;
            let mut series: Vec<(i64, f64)> = stats::buckets(&points, start, q.end_ms, s.period_s)
                .into_iter()
                .map(|b| (b.start_ms, stat.of(&b.values)))
                .collect();
            if !q.ascending {
                series.reverse();
            }
            let skip = offset.min(series.len());
            offset -= skip;
            let take = budget.min(series.len() - skip);
            budget -= take;
            returned += take;
            let page = &series[skip..skip + take];
            let complete = skip + take == series.len();
            more |= !complete;
            results.push(DataResult {
                id: query.id.clone(),
                label: query
                    .label
                    .clone()
                    .unwrap_or_else(|| s.metric.metric_name.clone()),
                timestamps_ms: page.iter().map(|p| p.0).collect(),
                values: page.iter().map(|p| p.1).collect(),
                complete,
            });
        }
        Ok(DataPage {
            results,
            next_token: more.then(|| tokens::encode(TOKEN_KIND, returned)),
        })
    }
}
