//! A tuning job's stored document: the spec, the request as sent, and
//! what the runner has done — each child training job it launched (with
//! the hyperparameters it drew and, once known, the objective), the
//! counters Describe reports, and how the job ended.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use slipway_core::spec::tuning::TuningJobSpec;
use slipway_core::time_util::Micros;
use slipway_core::{Echo, ResourceKind};
use std::collections::BTreeMap;

pub const KIND: ResourceKind = ResourceKind::HyperParameterTuningJob;

/// The tuning job's statuses are the training job's (InProgress,
/// Completed, Failed, Stopping, Stopped).
pub use crate::jobs::training::state::status;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuningJobDocument {
    pub spec: TuningJobSpec,
    pub echo: Option<Echo>,
    pub state: TuningState,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TuningState {
    /// Every child launched, in launch order (index + 1 is its number).
    #[serde(default)]
    pub children: Vec<Child>,
    /// Finished trials of the warm-start parents, which the search starts
    /// from (not children of this job).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parent_trials: Vec<ParentTrial>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Micros>,
    /// Why no more children are launched, once decided (the completion
    /// criteria, MaxRuntimeInSeconds, the early abort, a stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_more_launches: Option<String>,
    /// Children in a row, in order of ending, that did not improve the best.
    #[serde(default)]
    pub not_improving: i64,
    /// When the target objective was reached (TuningJobCompletionDetails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged_at: Option<Micros>,
}

/// One child training job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Child {
    pub name: String,
    pub arn: String,
    /// The searched hyperparameters' values (TunedHyperParameters).
    pub tuned: BTreeMap<String, String>,
    /// The training job's status as last seen.
    pub status: String,
    /// Whether the training job has been created (the child is recorded
    /// first, so a restart in between creates it, never twice).
    #[serde(default)]
    pub created: bool,
    pub creation_time: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_start: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_end: Option<Micros>,
    /// The final value of the objective metric, if the job reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Stopped by early stopping (Auto or Hyperband), not by a user.
    #[serde(default)]
    pub early_stopped: bool,
    /// The highest Hyperband rung this child has been judged at (each
    /// rung judges a child once, when it gets there).
    #[serde(default)]
    pub judged_rung: u32,
}

impl Child {
    pub fn is_finished(&self) -> bool {
        status::is_terminal(&self.status)
    }

    /// AWS's `ObjectiveStatus`: Succeeded once a final objective value is
    /// known, Failed when the job ended without one, else Pending.
    pub fn objective_status(&self) -> &'static str {
        match (self.objective, self.is_finished()) {
            (Some(_), _) => "Succeeded",
            (None, true) => "Failed",
            (None, false) => "Pending",
        }
    }
}

/// A finished child of a parent tuning job (warm start).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParentTrial {
    pub tuning_job_name: String,
    pub training_job_name: String,
    pub training_job_arn: String,
    pub tuned: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
    pub status: String,
    pub creation_time: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_start: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_end: Option<Micros>,
}

/// TrainingJobStatusCounters.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatusCounters {
    pub completed: i64,
    pub in_progress: i64,
    pub retryable_error: i64,
    pub non_retryable_error: i64,
    pub stopped: i64,
}

/// ObjectiveStatusCounters.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectiveCounters {
    pub succeeded: i64,
    pub pending: i64,
    pub failed: i64,
}

impl TuningJobDocument {
    pub fn minimize(&self) -> bool {
        self.spec.objective.kind == "Minimize"
    }

    /// Whether `a` is a better objective than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        if self.minimize() {
            a < b
        } else {
            a > b
        }
    }

    pub fn status_counters(&self) -> StatusCounters {
        let mut c = StatusCounters::default();
        for child in &self.state.children {
            match child.status.as_str() {
                status::COMPLETED => c.completed += 1,
                status::STOPPED => c.stopped += 1,
                // Slipway does not retry a child: a failure is final.
                status::FAILED => c.non_retryable_error += 1,
                _ => c.in_progress += 1,
            }
        }
        c
    }

    pub fn objective_counters(&self) -> ObjectiveCounters {
        let mut c = ObjectiveCounters::default();
        for child in &self.state.children {
            match child.objective_status() {
                "Succeeded" => c.succeeded += 1,
                "Failed" => c.failed += 1,
                _ => c.pending += 1,
            }
        }
        c
    }

    /// The child with the best final objective (the first, on a tie).
    pub fn best_child(&self) -> Option<&Child> {
        let mut best: Option<&Child> = None;
        for c in &self.state.children {
            let Some(v) = c.objective else { continue };
            match best.and_then(|b| b.objective) {
                Some(b) if !self.better(v, b) => {}
                _ => best = Some(c),
            }
        }
        best
    }

    /// The best trial of the warm-start parents, if better than this
    /// job's own best (OverallBestTrainingJob).
    pub fn best_parent_trial(&self) -> Option<&ParentTrial> {
        let mut best: Option<&ParentTrial> = None;
        for t in &self.state.parent_trials {
            let Some(v) = t.objective else { continue };
            match best.and_then(|b| b.objective) {
                Some(b) if !self.better(v, b) => {}
                _ => best = Some(t),
            }
        }
        best
    }

    pub fn running(&self) -> usize {
        self.state
            .children
            .iter()
            .filter(|c| !c.is_finished())
            .count()
    }
}

/// What ListHyperParameterTuningJobs shows beyond the record's columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TuningJobSummary {
    pub strategy: String,
    pub status_counters: StatusCounters,
    pub objective_counters: ObjectiveCounters,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_training_jobs: Option<i64>,
    pub max_parallel_training_jobs: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runtime_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Micros>,
}

pub fn summary_of(doc: &TuningJobDocument) -> Result<Option<String>> {
    let s = TuningJobSummary {
        strategy: doc.spec.strategy.clone(),
        status_counters: doc.status_counters(),
        objective_counters: doc.objective_counters(),
        max_training_jobs: doc.spec.max_training_jobs,
        max_parallel_training_jobs: doc.spec.max_parallel_training_jobs,
        max_runtime_seconds: doc.spec.max_runtime_seconds,
        end_time: doc.state.end_time,
    };
    Ok(Some(crate::resources::document(&s)?))
}
