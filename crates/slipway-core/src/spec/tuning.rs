//! A hyperparameter tuning job as the control plane keeps it
//! (CreateHyperParameterTuningJob, docs/tuning.md): the search (strategy,
//! objective, ranges, limits) and the training job every child is made
//! from.

use super::training::TrainingJobSpec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningJobSpec {
    pub tuning_job_name: String,
    /// `Bayesian`, `Random`, `Hyperband` or `Grid`.
    pub strategy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyperband: Option<HyperbandConfig>,
    pub objective: TuningObjective,
    /// `ResourceLimits.MaxNumberOfTrainingJobs` (absent for Grid: the grid's size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_training_jobs: Option<i64>,
    pub max_parallel_training_jobs: i64,
    /// `ResourceLimits.MaxRuntimeInSeconds` of the whole tuning job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runtime_seconds: Option<i64>,
    #[serde(default)]
    pub ranges: Vec<TunedRange>,
    /// `Off` or `Auto`.
    pub early_stopping: String,
    /// `TuningJobCompletionCriteria.TargetObjectiveMetricValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_objective: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random_seed: Option<i64>,
    /// Each child's training job, without a name; its hyperparameters
    /// are the static ones.
    pub template: TrainingJobSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_start: Option<WarmStart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HyperbandConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_resource: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_resource: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningObjective {
    /// `Minimize` or `Maximize`.
    pub kind: String,
    pub metric_name: String,
}

/// One searched hyperparameter, as the request gave it (values as text,
/// as SageMaker passes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunedRange {
    pub name: String,
    /// `Integer`, `Continuous` or `Categorical`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<String>,
    /// `Auto`, `Linear`, `Logarithmic`, `ReverseLogarithmic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmStart {
    /// Names of the parent tuning jobs.
    pub parents: Vec<String>,
    /// `IdenticalDataAndAlgorithm` or `TransferLearning`.
    pub kind: String,
}
