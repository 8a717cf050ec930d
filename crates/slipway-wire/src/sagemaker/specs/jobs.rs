//! CreateTrainingJob and CreateTransformJob into job specs, and back for
//! the jobs a validation makes.

use super::Unreadable;
use crate::generated::sagemaker as wire;
use serde_json::Value;
use slipway_core::spec::{self, TrainingJobSpec, TransformJobSpec};

impl From<wire::MetricDefinition> for spec::MetricDefinition {
    fn from(m: wire::MetricDefinition) -> Self {
        Self {
            name: m.name,
            regex: m.regex,
        }
    }
}

impl From<wire::Channel> for spec::TrainingChannel {
    fn from(c: wire::Channel) -> Self {
        Self {
            channel_name: c.channel_name,
            data_source: spec::DataSource {
                s3_data_source: c.data_source.s3_data_source.map(|s| spec::S3DataSource {
                    s3_data_type: s.s3_data_type,
                    s3_uri: s.s3_uri,
                    s3_data_distribution_type: s.s3_data_distribution_type,
                    instance_group_names: s.instance_group_names.unwrap_or_default(),
                    attribute_names: s.attribute_names.unwrap_or_default(),
                }),
            },
            content_type: c.content_type,
            compression_type: c.compression_type,
            record_wrapper_type: c.record_wrapper_type,
            input_mode: c.input_mode,
            shuffle_config: c
                .shuffle_config
                .map(|s| spec::ShuffleConfig { seed: s.seed }),
        }
    }
}

impl From<wire::OutputDataConfig> for spec::OutputDataConfig {
    fn from(o: wire::OutputDataConfig) -> Self {
        Self {
            s3_output_path: o.s3_output_path,
            compression_type: o.compression_type,
        }
    }
}

impl From<wire::ResourceConfig> for spec::ResourceConfig {
    fn from(r: wire::ResourceConfig) -> Self {
        Self {
            instance_type: r.instance_type,
            instance_count: r.instance_count,
            instance_groups: r
                .instance_groups
                .unwrap_or_default()
                .into_iter()
                .map(|g| spec::InstanceGroup {
                    instance_group_name: g.instance_group_name,
                    instance_type: g.instance_type,
                    instance_count: g.instance_count,
                })
                .collect(),
        }
    }
}

impl From<wire::StoppingCondition> for spec::StoppingCondition {
    fn from(s: wire::StoppingCondition) -> Self {
        Self {
            max_runtime_in_seconds: s.max_runtime_in_seconds,
            max_wait_time_in_seconds: s.max_wait_time_in_seconds,
        }
    }
}

impl TryFrom<wire::CreateTrainingJobRequest> for TrainingJobSpec {
    type Error = Unreadable;

    fn try_from(r: wire::CreateTrainingJobRequest) -> Result<Self, Unreadable> {
        let algo = r.algorithm_specification.unwrap_or_default();
        Ok(Self {
            training_job_name: r.training_job_name,
            hyper_parameters: r.hyper_parameters.unwrap_or_default(),
            algorithm_specification: spec::TrainingAlgorithm {
                training_image: algo.training_image,
                algorithm_name: algo.algorithm_name,
                training_input_mode: algo.training_input_mode,
                metric_definitions: algo
                    .metric_definitions
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                container_entrypoint: algo.container_entrypoint,
                container_arguments: algo.container_arguments,
            },
            role_arn: r.role_arn,
            input_data_config: r
                .input_data_config
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            output_data_config: r.output_data_config.into(),
            resource_config: r.resource_config.unwrap_or_default().into(),
            stopping_condition: r.stopping_condition.unwrap_or_default().into(),
            enable_network_isolation: r.enable_network_isolation,
            environment: r.environment.unwrap_or_default(),
            checkpoint_config: r.checkpoint_config.map(|c| spec::CheckpointConfig {
                s3_uri: c.s3_uri,
                local_path: c.local_path,
            }),
            enable_managed_spot_training: r.enable_managed_spot_training,
        })
    }
}

impl From<wire::TransformInput> for spec::TransformInput {
    fn from(i: wire::TransformInput) -> Self {
        Self {
            data_source: spec::TransformDataSource {
                s3_data_source: spec::TransformS3DataSource {
                    s3_data_type: i.data_source.s3_data_source.s3_data_type,
                    s3_uri: i.data_source.s3_data_source.s3_uri,
                },
            },
            content_type: i.content_type,
            compression_type: i.compression_type,
            split_type: i.split_type,
        }
    }
}

impl From<wire::TransformOutput> for spec::TransformOutput {
    fn from(o: wire::TransformOutput) -> Self {
        Self {
            s3_output_path: o.s3_output_path,
            accept: o.accept,
            assemble_with: o.assemble_with,
        }
    }
}

impl From<wire::TransformResources> for spec::TransformResources {
    fn from(r: wire::TransformResources) -> Self {
        Self {
            instance_type: r.instance_type,
            instance_count: Some(r.instance_count),
        }
    }
}

impl TryFrom<wire::CreateTransformJobRequest> for TransformJobSpec {
    type Error = Unreadable;

    fn try_from(r: wire::CreateTransformJobRequest) -> Result<Self, Unreadable> {
        Ok(Self {
            transform_job_name: r.transform_job_name,
            model_name: r.model_name,
            max_concurrent_transforms: r.max_concurrent_transforms,
            model_client_config: r.model_client_config.map(|c| spec::ModelClientConfig {
                invocations_timeout_in_seconds: c.invocations_timeout_in_seconds,
                invocations_max_retries: c.invocations_max_retries,
            }),
            max_payload_in_mb: r.max_payload_in_mb,
            batch_strategy: r.batch_strategy,
            environment: r.environment.unwrap_or_default(),
            transform_input: r.transform_input.into(),
            transform_output: r.transform_output.into(),
            transform_resources: r.transform_resources.into(),
            data_processing: r.data_processing.map(|d| spec::DataProcessingSpec {
                input_filter: d.input_filter,
                output_filter: d.output_filter,
                join_source: d.join_source,
            }),
        })
    }
}

/// DescribeTrainingJob's request members for a job made without a request
/// (a validation's): the spec in AWS's shape.
pub fn render_training_job(s: &TrainingJobSpec) -> Value {
    let a = &s.algorithm_specification;
    let request = wire::CreateTrainingJobRequest {
        training_job_name: s.training_job_name.clone(),
        hyper_parameters: Some(s.hyper_parameters.clone()).filter(|h| !h.is_empty()),
        algorithm_specification: Some(wire::AlgorithmSpecification {
            training_image: a.training_image.clone(),
            algorithm_name: a.algorithm_name.clone(),
            training_input_mode: a.training_input_mode.clone(),
            metric_definitions: Some(
                a.metric_definitions
                    .iter()
                    .map(|m| wire::MetricDefinition {
                        name: m.name.clone(),
                        regex: m.regex.clone(),
                    })
                    .collect::<Vec<_>>(),
            )
            .filter(|m| !m.is_empty()),
            container_entrypoint: a.container_entrypoint.clone(),
            container_arguments: a.container_arguments.clone(),
            ..Default::default()
        }),
        role_arn: s.role_arn.clone(),
        input_data_config: Some(
            s.input_data_config
                .iter()
                .map(|c| wire::Channel {
                    channel_name: c.channel_name.clone(),
                    data_source: wire::DataSource {
                        s3_data_source: c.data_source.s3_data_source.as_ref().map(|d| {
                            wire::S3DataSource {
                                s3_data_type: d.s3_data_type.clone(),
                                s3_uri: d.s3_uri.clone(),
                                s3_data_distribution_type: d.s3_data_distribution_type.clone(),
                                instance_group_names: Some(d.instance_group_names.clone())
                                    .filter(|n| !n.is_empty()),
                                ..Default::default()
                            }
                        }),
                        ..Default::default()
                    },
                    content_type: c.content_type.clone(),
                    compression_type: c.compression_type.clone(),
                    record_wrapper_type: c.record_wrapper_type.clone(),
                    input_mode: c.input_mode.clone(),
                    shuffle_config: c
                        .shuffle_config
                        .as_ref()
                        .map(|s| wire::ShuffleConfig { seed: s.seed }),
                })
                .collect::<Vec<_>>(),
        )
        .filter(|c| !c.is_empty()),
        output_data_config: wire::OutputDataConfig {
            s3_output_path: s.output_data_config.s3_output_path.clone(),
            compression_type: s.output_data_config.compression_type.clone(),
            ..Default::default()
        },
        resource_config: Some(wire::ResourceConfig {
            instance_type: s.resource_config.instance_type.clone(),
            instance_count: s.resource_config.instance_count,
            instance_groups: Some(
                s.resource_config
                    .instance_groups
                    .iter()
                    .map(|g| wire::InstanceGroup {
                        instance_group_name: g.instance_group_name.clone(),
                        instance_type: g.instance_type.clone(),
                        instance_count: g.instance_count,
                    })
                    .collect::<Vec<_>>(),
            )
            .filter(|g| !g.is_empty()),
            ..Default::default()
        }),
        stopping_condition: Some(wire::StoppingCondition {
            max_runtime_in_seconds: s.stopping_condition.max_runtime_in_seconds,
            max_wait_time_in_seconds: s.stopping_condition.max_wait_time_in_seconds,
            ..Default::default()
        }),
        enable_network_isolation: s.enable_network_isolation,
        environment: Some(s.environment.clone()).filter(|e| !e.is_empty()),
        checkpoint_config: s
            .checkpoint_config
            .as_ref()
            .map(|c| wire::CheckpointConfig {
                s3_uri: c.s3_uri.clone(),
                local_path: c.local_path.clone(),
            }),
        enable_managed_spot_training: s.enable_managed_spot_training,
        ..Default::default()
    };
    serde_json::to_value(request).unwrap_or(Value::Null)
}

/// DescribeTransformJob's request members for a validation's job.
pub fn render_transform_job(s: &TransformJobSpec) -> Value {
    let input = &s.transform_input;
    let request = wire::CreateTransformJobRequest {
        transform_job_name: s.transform_job_name.clone(),
        model_name: s.model_name.clone(),
        max_concurrent_transforms: s.max_concurrent_transforms,
        model_client_config: s
            .model_client_config
            .as_ref()
            .map(|c| wire::ModelClientConfig {
                invocations_timeout_in_seconds: c.invocations_timeout_in_seconds,
                invocations_max_retries: c.invocations_max_retries,
            }),
        max_payload_in_mb: s.max_payload_in_mb,
        batch_strategy: s.batch_strategy.clone(),
        environment: Some(s.environment.clone()).filter(|e| !e.is_empty()),
        transform_input: wire::TransformInput {
            data_source: wire::TransformDataSource {
                s3_data_source: wire::TransformS3DataSource {
                    s3_data_type: input.data_source.s3_data_source.s3_data_type.clone(),
                    s3_uri: input.data_source.s3_data_source.s3_uri.clone(),
                },
            },
            content_type: input.content_type.clone(),
            compression_type: input.compression_type.clone(),
            split_type: input.split_type.clone(),
        },
        transform_output: wire::TransformOutput {
            s3_output_path: s.transform_output.s3_output_path.clone(),
            accept: s.transform_output.accept.clone(),
            assemble_with: s.transform_output.assemble_with.clone(),
            ..Default::default()
        },
        transform_resources: wire::TransformResources {
            instance_type: s.transform_resources.instance_type.clone(),
            instance_count: s.transform_resources.instance_count.unwrap_or(1),
            ..Default::default()
        },
        data_processing: s.data_processing.as_ref().map(|d| wire::DataProcessing {
            input_filter: d.input_filter.clone(),
            output_filter: d.output_filter.clone(),
            join_source: d.join_source.clone(),
        }),
        ..Default::default()
    };
    serde_json::to_value(request).unwrap_or(Value::Null)
}
