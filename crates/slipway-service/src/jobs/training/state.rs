//! A training job's stored document and its state machine: the status
//! pair (TrainingJobStatus, SecondaryStatus), the transitions AWS reports,
//! and `mutate`, the one way the runner and the API change a job.

use super::spec::TrainingJobSpec;
use crate::error::Result;
use crate::resources::document;
use crate::Service;
use serde::{Deserialize, Serialize};
use slipway_core::spec::MetricDefinition;
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, Echo, ResourceKind, ResourceRecord};

pub const KIND: ResourceKind = ResourceKind::TrainingJob;

/// Primary statuses (the record's `status` column).
pub mod status {
    pub const IN_PROGRESS: &str = "InProgress";
    pub const COMPLETED: &str = "Completed";
    pub const FAILED: &str = "Failed";
    pub const STOPPING: &str = "Stopping";
    pub const STOPPED: &str = "Stopped";

    pub fn is_terminal(s: &str) -> bool {
        matches!(s, COMPLETED | FAILED | STOPPED)
    }
}

/// Secondary statuses, with the message AWS shows for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secondary {
    Starting,
    Downloading,
    Training,
    Uploading,
    Completed,
    Failed,
    Stopping,
    Stopped,
    MaxRuntimeExceeded,
}

impl Secondary {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "Starting",
            Self::Downloading => "Downloading",
            Self::Training => "Training",
            Self::Uploading => "Uploading",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Stopping => "Stopping",
            Self::Stopped => "Stopped",
            Self::MaxRuntimeExceeded => "MaxRuntimeExceeded",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Starting => "Preparing the instances for training",
            Self::Downloading => "Downloading input data",
            Self::Training => "Training image download completed. Training in progress.",
            Self::Uploading => "Uploading generated training model",
            Self::Completed => "Training job completed",
            Self::Failed => "Training job failed",
            Self::Stopping => "Stopping the training job",
            Self::Stopped => "Training job stopped",
            Self::MaxRuntimeExceeded => {
                "Training job stopped because it reached its MaxRuntimeInSeconds"
            }
        }
    }

    fn terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Failed | Self::Stopped | Self::MaxRuntimeExceeded
        )
    }
}

/// One entry of `SecondaryStatusTransitions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub status: String,
    pub start: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Micros>,
    pub message: String,
}

pub use slipway_executor::metrics::MetricValue;

/// What was decided at create time and how the job runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The image to run (the algorithm's when `AlgorithmName` is used).
    pub image: String,
    pub metric_definitions: Vec<MetricDefinition>,
    /// `algo-1`'s instance type, and the limits it gives its container.
    pub instance_type: String,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    pub max_runtime_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_arn: Option<String>,
    /// A heterogeneous cluster's groups in request order (their hosts in
    /// this order); empty for a homogeneous one (`cluster.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_groups: Vec<PlannedGroup>,
}

/// One instance group as the job runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedGroup {
    pub name: String,
    pub instance_type: String,
    pub count: usize,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
}

/// How the job is doing; server-owned members of DescribeTrainingJob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunState {
    pub secondary: String,
    /// Set when the container's log was truncated (a flood): said in the
    /// terminal transition's message, and in the log stream itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_note: Option<String>,
    pub transitions: Vec<Transition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Set once `model.tar.gz` is uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_artifacts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_start: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_end: Option<Micros>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub final_metrics: Vec<MetricValue>,
    /// The engine-side container name, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The CloudWatch stream (`<job>/algo-1-<epoch>`), once training starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_stream: Option<String>,
    /// Log lines already shipped, so a re-attached runner skips them.
    #[serde(default)]
    pub log_lines_shipped: u64,
    /// Metric samples stored (the `MetricStore` holds them), counted
    /// against the per-job cap.
    #[serde(default)]
    pub metric_samples_stored: u64,
    /// The image id the job ran (pinned at start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

/// The stored document (docs/architecture.md, "Stored documents").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingJobDocument {
    pub spec: TrainingJobSpec,
    /// The request as the client sent it, for DescribeTrainingJob; `None`
    /// for the jobs a validation makes, which the wire renders from `spec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<Echo>,
    pub plan: Plan,
    pub state: RunState,
    /// The tuning job that launched this one (DescribeTrainingJob's
    /// `TuningJobArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuning_job_arn: Option<String>,
}

/// ListTrainingJobs' extra members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingJobSummary {
    pub secondary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_end: Option<Micros>,
}

impl RunState {
    /// Moves to `next`, closing the open transition. A terminal status is
    /// a closed transition of its own (AWS shows start = end).
    pub fn enter(&mut self, next: Secondary, message: Option<String>, now: Micros) {
        if let Some(last) = self.transitions.last_mut() {
            if last.end.is_none() {
                last.end = Some(now);
            }
        }
        self.secondary = next.as_str().to_owned();
        let mut message = message.unwrap_or_else(|| next.message().to_owned());
        if let (true, Some(note)) = (next.terminal(), &self.log_note) {
            message = format!("{message} Note: {note}.");
        }
        self.transitions.push(Transition {
            status: next.as_str().to_owned(),
            start: now,
            end: next.terminal().then_some(now),
            message,
        });
    }
}

/// A stored job, decoded.
#[derive(Debug, Clone)]
pub struct TrainingJob {
    pub record: ResourceRecord,
    pub doc: TrainingJobDocument,
}

pub(crate) fn summary_of(doc: &TrainingJobDocument) -> Result<String> {
    document(&TrainingJobSummary {
        secondary: doc.state.secondary.clone(),
        training_end: doc.state.training_end,
    })
}

/// Applies `change` to the stored job and writes it back, retrying on a
/// concurrent modification. `change` returns false to leave the job as is.
/// Returns the job as stored afterwards.
pub(crate) async fn mutate<F>(
    svc: &Service,
    account: &AccountId,
    key: &str,
    change: F,
) -> Result<TrainingJob>
where
    F: FnMut(&mut String, &mut TrainingJobDocument) -> Result<bool>,
{
    let (record, doc) = crate::jobs::record::mutate(
        svc,
        account,
        KIND,
        key,
        Some(|d| summary_of(d).map(Some)),
        change,
    )
    .await?;
    Ok(TrainingJob { record, doc })
}

pub use crate::jobs::record::clip_reason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_close_and_terminal_ones_are_closed() {
        let mut s = RunState::default();
        s.enter(Secondary::Starting, None, 1);
        s.enter(Secondary::Training, None, 5);
        s.enter(Secondary::Completed, None, 9);
        assert_eq!(s.secondary, "Completed");
        assert_eq!(s.transitions[0].end, Some(5));
        assert_eq!(s.transitions[1].end, Some(9));
        assert_eq!(s.transitions[2].end, Some(9));
        assert_eq!(
            s.transitions[1].message,
            "Training image download completed. Training in progress."
        );
    }
}
