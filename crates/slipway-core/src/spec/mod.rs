//! Specifications as the control plane acts on them: the members of an
//! algorithm, a model package, a model or a job that some rule, check or
//! runner reads, and nothing else. Their serde form is the control plane's
//! own storage format (snake_case), never an AWS shape: the wire layer
//! converts requests into these (`slipway-wire/src/sagemaker/specs/`) and
//! keeps the request itself as an [`Echo`](crate::Echo) for Describe*.

pub mod training;
pub mod transform;
pub mod tuning;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use training::{
    CheckpointConfig, DataSource, InstanceGroup, OutputDataConfig, ResourceConfig, S3DataSource,
    ShuffleConfig, StoppingCondition, TrainingAlgorithm, TrainingChannel, TrainingJobSpec,
};
pub use transform::{
    DataProcessingSpec, ModelClientConfig, TransformDataSource, TransformInput, TransformJobSpec,
    TransformOutput, TransformResources, TransformS3DataSource,
};

/// An algorithm's training image, with what it accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingSpec {
    pub training_image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_hyper_parameters: Vec<HyperParameterSpec>,
    #[serde(default)]
    pub supported_training_instance_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_distributed_training: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_definitions: Vec<MetricDefinition>,
    #[serde(default)]
    pub training_channels: Vec<ChannelSpec>,
}

/// A hyperparameter an algorithm accepts: its type, range and default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HyperParameterSpec {
    pub name: String,
    /// `Integer`, `Continuous`, `Categorical` or `FreeText`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<ParameterRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
}

/// At most one of the three should be set, of the hyperparameter's kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ParameterRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer_parameter_range_specification: Option<MinMax>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous_parameter_range_specification: Option<MinMax>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_parameter_range_specification: Option<Categorical>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MinMax {
    pub min_value: String,
    pub max_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Categorical {
    pub values: Vec<String>,
}

/// A metric read from log lines by a regex (docs/contracts.md §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MetricDefinition {
    pub name: String,
    pub regex: String,
}

/// A channel an algorithm accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ChannelSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    #[serde(default)]
    pub supported_content_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_compression_types: Option<Vec<String>>,
    #[serde(default)]
    pub supported_input_modes: Vec<String>,
}

/// The inference containers of an algorithm or model package, with the
/// instance types and content types they serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct InferenceSpec {
    #[serde(default)]
    pub containers: Vec<InferenceContainer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_transform_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_realtime_inference_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_content_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_response_mime_types: Option<Vec<String>>,
}

/// One inference container of an [`InferenceSpec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct InferenceContainer {
    #[serde(default)]
    pub image: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_hostname: Option<String>,
}

/// A validation: the role its jobs run as and the profiles to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ValidationSpec {
    pub validation_role: String,
    #[serde(default)]
    pub validation_profiles: Vec<ValidationProfile>,
}

/// One profile: a training job (algorithms) and/or a transform job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ValidationProfile {
    pub profile_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_job_definition: Option<TrainingJobDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform_job_definition: Option<TransformJobDefinition>,
}

/// The training job a validation profile runs (with the algorithm under
/// validation as its image).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainingJobDefinition {
    pub training_input_mode: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hyper_parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub input_data_config: Vec<TrainingChannel>,
    #[serde(default)]
    pub output_data_config: OutputDataConfig,
    #[serde(default)]
    pub resource_config: ResourceConfig,
    #[serde(default)]
    pub stopping_condition: StoppingCondition,
}

/// The transform job a validation profile runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformJobDefinition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_transforms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload_in_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub transform_input: TransformInput,
    #[serde(default)]
    pub transform_output: TransformOutput,
    #[serde(default)]
    pub transform_resources: TransformResources,
}

/// Status of one validation profile or image scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusItem {
    pub name: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// The per-profile statuses of a validated resource. Both lists are
/// always shown, even empty (the model marks them required).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusDetails {
    pub validation_statuses: Vec<StatusItem>,
    #[serde(default)]
    pub image_scan_statuses: Vec<StatusItem>,
}

impl StatusDetails {
    /// Every profile NotStarted: what a freshly accepted validation shows.
    pub fn not_started(spec: Option<&ValidationSpec>) -> Self {
        let validation_statuses = spec
            .map(|s| {
                s.validation_profiles
                    .iter()
                    .map(|p| StatusItem {
                        name: p.profile_name.clone(),
                        status: "NotStarted".into(),
                        failure_reason: None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            validation_statuses,
            image_scan_statuses: Vec::new(),
        }
    }
}
