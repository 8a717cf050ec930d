//! A transform job as the control plane acts on it: the model to run, the
//! input, the output and how to batch. The wire layer converts
//! CreateTransformJob into this and keeps the request itself as the job's
//! `Echo` for DescribeTransformJob.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformJobSpec {
    pub transform_job_name: String,
    pub model_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_transforms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_client_config: Option<ModelClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload_in_mb: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_strategy: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    pub transform_input: TransformInput,
    pub transform_output: TransformOutput,
    #[serde(default)]
    pub transform_resources: TransformResources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_processing: Option<DataProcessingSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelClientConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations_timeout_in_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocations_max_retries: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformInput {
    pub data_source: TransformDataSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformDataSource {
    #[serde(default)]
    pub s3_data_source: TransformS3DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformS3DataSource {
    pub s3_data_type: String,
    pub s3_uri: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformOutput {
    pub s3_output_path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assemble_with: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TransformResources {
    #[serde(default)]
    pub instance_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DataProcessingSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_source: Option<String>,
}
