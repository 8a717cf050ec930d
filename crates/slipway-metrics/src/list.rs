//! ListMetrics: the metrics of the account's training jobs, filtered by
//! namespace, name and dimensions, 500 per page.

use crate::{tokens, MetricId, Metrics, MetricsError, Result};
use slipway_core::AccountId;

/// Metrics per ListMetrics page (CloudWatch's).
pub const PAGE: usize = 500;
/// `RecentlyActive=PT3H`: metrics with a point in the last three hours.
const RECENT_MS: i64 = 3 * 3_600_000;
const TOKEN_KIND: &str = "lm";

/// A dimension filter: the name, and the value when given.
#[derive(Debug, Clone)]
pub struct DimensionFilter {
    pub name: String,
    pub value: Option<String>,
}

/// A ListMetrics request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    pub dimensions: Vec<DimensionFilter>,
    /// `RecentlyActive=PT3H`.
    pub recently_active: bool,
    pub next_token: Option<String>,
}

/// One page of ListMetrics.
#[derive(Debug, Clone)]
pub struct MetricList {
    pub metrics: Vec<MetricId>,
    pub next_token: Option<String>,
}

impl ListQuery {
    fn matches(&self, m: &MetricId) -> bool {
        self.namespace.as_ref().is_none_or(|n| *n == m.namespace)
            && self
                .metric_name
                .as_ref()
                .is_none_or(|n| *n == m.metric_name)
            && self.dimensions.iter().all(|f| {
                m.dimensions
                    .iter()
                    .any(|(n, v)| *n == f.name && f.value.as_ref().is_none_or(|fv| fv == v))
            })
    }

    /// The job a filter pins down, so only its series are read.
    fn job(&self) -> Option<String> {
        self.dimensions.iter().find_map(|f| {
            let v = f.value.as_deref()?;
            match f.name.as_str() {
                crate::JOB_DIMENSION => Some(v.to_owned()),
                crate::HOST_DIMENSION => crate::parse_host(v).map(|(job, _)| job.to_owned()),
                _ => None,
            }
        })
    }
}

impl Metrics<'_> {
    /// ListMetrics.
    pub async fn list(&self, account: &AccountId, q: &ListQuery) -> Result<MetricList> {
        let offset = match &q.next_token {
            None => 0,
            Some(t) => tokens::decode(TOKEN_KIND, t).ok_or_else(|| {
                MetricsError::InvalidParameterValue(
                    "The value for parameter NextToken is not valid.".into(),
                )
            })?,
        };
        if q.namespace
            .as_deref()
            .is_some_and(|n| n != crate::NAMESPACE)
        {
            return Ok(MetricList {
                metrics: Vec::new(),
                next_token: None,
            });
        }
        let since = self.now_ms() - RECENT_MS;
        let series = self.store.list_series(account, q.job().as_deref()).await?;
        let matching: Vec<MetricId> = series
            .iter()
            .filter(|s| !q.recently_active || s.last_ms >= since)
            .flat_map(|s| MetricId::of_series(&s.job, s.host, &s.metric))
            .filter(|m| q.matches(m))
            .collect();
        let metrics: Vec<MetricId> = matching.iter().skip(offset).take(PAGE).cloned().collect();
        let next = offset + metrics.len();
        Ok(MetricList {
            next_token: (next < matching.len()).then(|| tokens::encode(TOKEN_KIND, next)),
            metrics,
        })
    }
}
