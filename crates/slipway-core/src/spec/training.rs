//! A training job as the control plane acts on it: what the runner needs
//! to lay out `/opt/ml`, start the container and store the outputs. The
//! wire layer converts CreateTrainingJob into this and keeps the request
//! itself as the job's `Echo` for DescribeTrainingJob.

use super::MetricDefinition;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// AWS's default and ceiling for `StoppingCondition.MaxRuntimeInSeconds`.
pub const DEFAULT_MAX_RUNTIME_SECONDS: i64 = 86_400;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingJobSpec {
    pub training_job_name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hyper_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub algorithm_specification: TrainingAlgorithm,
    pub role_arn: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_data_config: Vec<TrainingChannel>,
    pub output_data_config: OutputDataConfig,
    #[serde(default)]
    pub resource_config: ResourceConfig,
    #[serde(default)]
    pub stopping_condition: StoppingCondition,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_config: Option<CheckpointConfig>,
    /// `EnableManagedSpotTraining`: validated and echoed; nothing is ever
    /// interrupted here (docs/jobs.md "Managed spot training").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_managed_spot_training: Option<bool>,
}

impl TrainingJobSpec {
    pub fn network_isolated(&self) -> bool {
        self.enable_network_isolation == Some(true)
    }

    pub fn managed_spot(&self) -> bool {
        self.enable_managed_spot_training == Some(true)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingAlgorithm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_name: Option<String>,
    #[serde(default)]
    pub training_input_mode: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_definitions: Vec<MetricDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_arguments: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingChannel {
    pub channel_name: String,
    #[serde(default)]
    pub data_source: DataSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_wrapper_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// Pipe mode: the objects' order, shuffled per epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shuffle_config: Option<ShuffleConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ShuffleConfig {
    pub seed: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DataSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_data_source: Option<S3DataSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct S3DataSource {
    pub s3_data_type: String,
    pub s3_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3_data_distribution_type: Option<String>,
    /// Heterogeneous clusters: only the hosts of these instance groups
    /// get the channel (empty: every host).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_group_names: Vec<String>,
    /// An augmented manifest's attributes streamed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attribute_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct OutputDataConfig {
    pub s3_output_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResourceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<i64>,
    /// A heterogeneous cluster (instead of `instance_type` and
    /// `instance_count`): its hosts are numbered across the groups in
    /// this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_groups: Vec<InstanceGroup>,
}

/// One group of a heterogeneous cluster (`ResourceConfig.InstanceGroups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InstanceGroup {
    pub instance_group_name: String,
    pub instance_type: String,
    pub instance_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StoppingCondition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runtime_in_seconds: Option<i64>,
    /// Managed spot training only; at least `max_runtime_in_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_time_in_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CheckpointConfig {
    pub s3_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_path: Option<String>,
}
