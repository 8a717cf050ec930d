//! Resource specifications as the control plane reasons about them.
//!
//! These mirror the SageMaker shapes closely on purpose: the service must
//! echo a seller's specification back exactly (Describe*), and the stored
//! document is that echo. Members the logic reads are typed; every other
//! member rides along in `other` untouched, so accept-and-store members and
//! members added by newer API versions survive a round trip.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

type Other = Map<String, Value>;

/// `TrainingSpecification` of an algorithm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrainingSpecification {
    pub training_image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supported_hyper_parameters: Vec<HyperParameterSpecification>,
    #[serde(default)]
    pub supported_training_instance_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_distributed_training: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_definitions: Vec<MetricDefinition>,
    #[serde(default)]
    pub training_channels: Vec<ChannelSpecification>,
    #[serde(flatten)]
    pub other: Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct HyperParameterSpecification {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<ParameterRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
    #[serde(flatten)]
    pub other: Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer_parameter_range_specification: Option<MinMax>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuous_parameter_range_specification: Option<MinMax>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_parameter_range_specification: Option<Categorical>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MinMax {
    pub min_value: String,
    pub max_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Categorical {
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDefinition {
    pub name: String,
    pub regex: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelSpecification {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_required: Option<bool>,
    #[serde(default)]
    pub supported_content_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_compression_types: Option<Vec<String>>,
    #[serde(default)]
    pub supported_input_modes: Vec<String>,
    #[serde(flatten)]
    pub other: Other,
}

/// `InferenceSpecification` of an algorithm or model package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct InferenceSpecification {
    #[serde(default)]
    pub containers: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_transform_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_realtime_inference_instance_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_content_types: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "SupportedResponseMIMETypes"
    )]
    pub supported_response_mime_types: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: Other,
}

/// A validation specification: a role and the profiles to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationSpecification {
    pub validation_role: String,
    #[serde(default)]
    pub validation_profiles: Vec<ValidationProfile>,
}

/// One profile: a training job (algorithms) and/or a transform job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationProfile {
    pub profile_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_job_definition: Option<TrainingJobDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform_job_definition: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TrainingJobDefinition {
    pub training_input_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hyper_parameters: Option<Map<String, Value>>,
    #[serde(default)]
    pub input_data_config: Vec<Channel>,
    #[serde(default)]
    pub resource_config: Map<String, Value>,
    #[serde(flatten)]
    pub other: Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Channel {
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    #[serde(flatten)]
    pub other: Other,
}

/// Status of one validation profile or image scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusItem {
    pub name: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// `ModelPackageStatusDetails` / `AlgorithmStatusDetails`. Both lists are
/// always present, even empty (the model marks them required).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct StatusDetails {
    pub validation_statuses: Vec<StatusItem>,
    #[serde(default)]
    pub image_scan_statuses: Vec<StatusItem>,
}

impl StatusDetails {
    /// Every profile NotStarted: what a freshly accepted validation shows.
    pub fn not_started(spec: Option<&ValidationSpecification>) -> Self {
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
