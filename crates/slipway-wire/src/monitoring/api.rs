//! The CloudWatch metrics operations: typed requests from the generated
//! layer turned into `slipway-metrics` queries, and its answers and errors
//! into CloudWatch's shapes.

use super::{code, error};
use crate::generated::cloudwatch::*;
use slipway_metrics::stats::Statistic;
use slipway_metrics::{MetricId, MetricsError};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use std::collections::BTreeMap;

pub struct CloudWatch;

fn failure(e: MetricsError) -> AwsError {
    match e {
        MetricsError::InvalidParameterValue(m) => error(code::INVALID_VALUE, m),
        MetricsError::MissingParameter(m) => error(code::MISSING, m),
        MetricsError::InvalidParameterCombination(m) => error(code::COMBINATION, m),
        MetricsError::InvalidNextToken(m) => error(code::NEXT_TOKEN, m),
        MetricsError::Store(e) => {
            tracing::error!(error = %e, "reading metrics");
            error(code::INTERNAL, "Request Processing Failed")
        }
    }
}

/// Epoch seconds (the wire's timestamps) -> milliseconds.
fn ms(seconds: f64) -> i64 {
    (seconds * 1_000.0).round() as i64
}

fn seconds(ms: i64) -> f64 {
    ms as f64 / 1_000.0
}

fn metric_id(
    namespace: String,
    metric_name: String,
    dimensions: Option<Vec<Dimension>>,
) -> MetricId {
    MetricId {
        namespace,
        metric_name,
        dimensions: dimensions
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.name, d.value))
            .collect(),
    }
}

fn wire_metric(m: MetricId) -> Metric {
    Metric {
        namespace: Some(m.namespace),
        metric_name: Some(m.metric_name),
        dimensions: Some(
            m.dimensions
                .into_iter()
                .map(|(name, value)| Dimension { name, value })
                .collect(),
        ),
    }
}

fn datapoint(d: slipway_metrics::Datapoint) -> Datapoint {
    let mut out = Datapoint {
        timestamp: Some(seconds(d.timestamp_ms)),
        unit: Some(slipway_metrics::UNIT.to_owned()),
        ..Datapoint::default()
    };
    for (stat, value) in d.statistics {
        let slot = match stat {
            Statistic::SampleCount => &mut out.sample_count,
            Statistic::Average => &mut out.average,
            Statistic::Sum => &mut out.sum,
            Statistic::Minimum => &mut out.minimum,
            Statistic::Maximum => &mut out.maximum,
            Statistic::Percentile(_) => continue,
        };
        *slot = Some(value);
    }
    if !d.extended.is_empty() {
        out.extended_statistics = Some(d.extended.into_iter().collect::<BTreeMap<_, _>>());
    }
    out
}

fn data_query(q: MetricDataQuery) -> slipway_metrics::MetricQuery {
    slipway_metrics::MetricQuery {
        id: q.id,
        label: q.label,
        return_data: q.return_data.unwrap_or(true),
        stat: q.metric_stat.map(|s| slipway_metrics::StatQuery {
            metric: metric_id(
                s.metric.namespace.unwrap_or_default(),
                s.metric.metric_name.unwrap_or_default(),
                s.metric.dimensions,
            ),
            period_s: s.period,
            stat: s.stat,
            unit: s.unit,
        }),
        expression: q.expression,
    }
}

impl CloudWatchApi for CloudWatch {
    async fn get_metric_statistics(
        &self,
        cx: &Cx<'_>,
        input: GetMetricStatisticsInput,
    ) -> Result<GetMetricStatisticsOutput, AwsError> {
        let label = input.metric_name.clone();
        let q = slipway_metrics::StatisticsQuery {
            metric: metric_id(input.namespace, input.metric_name, input.dimensions),
            start_ms: ms(input.start_time),
            end_ms: ms(input.end_time),
            period_s: input.period,
            statistics: input.statistics.unwrap_or_default(),
            extended_statistics: input.extended_statistics.unwrap_or_default(),
            unit: input.unit,
        };
        let points = cx
            .svc
            .metrics()
            .statistics(cx.account, &q)
            .await
            .map_err(failure)?;
        Ok(GetMetricStatisticsOutput {
            label: Some(label),
            datapoints: Some(points.into_iter().map(datapoint).collect()),
        })
    }

    async fn get_metric_data(
        &self,
        cx: &Cx<'_>,
        input: GetMetricDataInput,
    ) -> Result<GetMetricDataOutput, AwsError> {
        let q = slipway_metrics::DataQuery {
            queries: input
                .metric_data_queries
                .into_iter()
                .map(data_query)
                .collect(),
            start_ms: ms(input.start_time),
            end_ms: ms(input.end_time),
            ascending: input.scan_by.as_deref() == Some("TimestampAscending"),
            max_datapoints: input.max_datapoints.and_then(|n| usize::try_from(n).ok()),
            next_token: input.next_token,
        };
        let page = cx
            .svc
            .metrics()
            .data(cx.account, &q)
            .await
            .map_err(failure)?;
        Ok(GetMetricDataOutput {
            metric_data_results: Some(
                page.results
                    .into_iter()
                    .map(|r| MetricDataResult {
                        id: Some(r.id),
                        label: Some(r.label),
                        timestamps: Some(r.timestamps_ms.into_iter().map(seconds).collect()),
                        values: Some(r.values),
                        status_code: Some(
                            if r.complete {
                                "Complete"
                            } else {
                                "PartialData"
                            }
                            .into(),
                        ),
                        messages: Some(Vec::new()),
                    })
                    .collect(),
            ),
            next_token: page.next_token,
            messages: Some(Vec::new()),
        })
    }

    async fn list_metrics(
        &self,
        cx: &Cx<'_>,
        input: ListMetricsInput,
    ) -> Result<ListMetricsOutput, AwsError> {
        let q = slipway_metrics::ListQuery {
            namespace: input.namespace,
            metric_name: input.metric_name,
            dimensions: input
                .dimensions
                .unwrap_or_default()
                .into_iter()
                .map(|d| slipway_metrics::DimensionFilter {
                    name: d.name,
                    value: d.value,
                })
                .collect(),
            recently_active: input.recently_active.is_some(),
            next_token: input.next_token,
        };
        let list = cx
            .svc
            .metrics()
            .list(cx.account, &q)
            .await
            .map_err(failure)?;
        Ok(ListMetricsOutput {
            metrics: Some(list.metrics.into_iter().map(wire_metric).collect()),
            next_token: list.next_token,
            owning_accounts: None,
        })
    }
}
