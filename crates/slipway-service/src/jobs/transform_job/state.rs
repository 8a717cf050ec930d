//! A transform job's stored document: its spec and echo, the plan
//! decided at create time, and how the run is going.

use super::spec::TransformJobSpec;
use crate::error::Result;
use crate::resources::document;
use crate::resources::models::ResolvedContainer;
use crate::Service;
use serde::{Deserialize, Serialize};
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, Echo, ResourceKind, ResourceRecord};
use std::collections::BTreeMap;

pub const KIND: ResourceKind = ResourceKind::TransformJob;

pub use crate::jobs::training::state::status;

/// The container a transform job runs, fixed at create time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
    pub environment: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    pub network_isolation: bool,
    pub instance_type: String,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// Model package / algorithm the container came from (messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The published copy whose use is metered, when the model runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metered: Option<String>,
}

impl Plan {
    pub fn from_container(
        c: ResolvedContainer,
        instance_type: String,
        nano_cpus: i64,
        memory_bytes: i64,
    ) -> Self {
        Self {
            image: c.image,
            model_data_url: c.model_data_url,
            environment: c.environment,
            hostname: c.hostname,
            network_isolation: c.network_isolation,
            instance_type,
            nano_cpus,
            memory_bytes,
            source: c.source,
            metered: c.metered,
        }
    }
}

/// Progress and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Micros>,
    /// The image id the job ran (pinned at start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(default)]
    pub objects_done: u64,
    #[serde(default)]
    pub objects_failed: u64,
    /// The first instance's log stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// Every instance's log stream, in instance order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_streams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformJobDocument {
    pub spec: TransformJobSpec,
    /// The request as the client sent it, for DescribeTransformJob; `None`
    /// for the jobs a validation makes, which the wire renders from `spec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<Echo>,
    pub plan: Plan,
    pub state: RunState,
}

/// ListTransformJobs' extra members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformJobSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TransformJob {
    pub record: ResourceRecord,
    pub doc: TransformJobDocument,
}

pub(crate) fn summary_of(doc: &TransformJobDocument) -> Result<Option<String>> {
    document(&TransformJobSummary {
        end: doc.state.end,
        failure_reason: doc.state.failure_reason.clone(),
    })
    .map(Some)
}

pub(crate) async fn mutate<F>(
    svc: &Service,
    account: &AccountId,
    key: &str,
    change: F,
) -> Result<TransformJob>
where
    F: FnMut(&mut String, &mut TransformJobDocument) -> Result<bool>,
{
    let (record, doc) =
        crate::jobs::record::mutate(svc, account, KIND, key, Some(summary_of), change).await?;
    Ok(TransformJob { record, doc })
}
