//! CreateModel, CreateAlgorithm, CreateModelPackage and UpdateModelPackage
//! into the control plane's specs.

use super::Unreadable;
use crate::generated::sagemaker as wire;
use serde_json::{Map, Value};
use slipway_core::spec::{
    self, ChannelSpec, HyperParameterSpec, InferenceContainer, InferenceSpec, TrainingSpec,
    ValidationProfile, ValidationSpec,
};
use slipway_core::{Echo, EchoEdit, EchoPatch};
use slipway_service::resources::algorithms::AlgorithmSpec;
use slipway_service::resources::model_packages::{
    ModelPackageUpdate, NewModelPackage, SourceAlgorithm,
};
use slipway_service::resources::models::{ContainerSpec, ModelSpec};
use slipway_wire_core::json::Input;

impl From<wire::ContainerDefinition> for ContainerSpec {
    fn from(c: wire::ContainerDefinition) -> Self {
        Self {
            container_hostname: c.container_hostname,
            image: c.image,
            model_data_url: c.model_data_url,
            environment: c.environment.unwrap_or_default(),
            model_package_name: c.model_package_name,
        }
    }
}

impl TryFrom<wire::CreateModelInput> for ModelSpec {
    type Error = Unreadable;

    fn try_from(r: wire::CreateModelInput) -> Result<Self, Unreadable> {
        Ok(Self {
            model_name: r.model_name,
            primary_container: r.primary_container.map(Into::into),
            containers: r
                .containers
                .map(|list| list.into_iter().map(Into::into).collect()),
            execution_role_arn: r.execution_role_arn,
            enable_network_isolation: r.enable_network_isolation,
        })
    }
}

/// DescribeModel's request members for a model made without a request (a
/// validation's).
pub fn render_model(s: &ModelSpec) -> Value {
    let container = |c: &ContainerSpec| wire::ContainerDefinition {
        container_hostname: c.container_hostname.clone(),
        image: c.image.clone(),
        model_data_url: c.model_data_url.clone(),
        environment: Some(c.environment.clone()).filter(|e| !e.is_empty()),
        model_package_name: c.model_package_name.clone(),
        ..Default::default()
    };
    let request = wire::CreateModelInput {
        model_name: s.model_name.clone(),
        primary_container: s.primary_container.as_ref().map(container),
        containers: s
            .containers
            .as_ref()
            .map(|list| list.iter().map(container).collect()),
        execution_role_arn: s.execution_role_arn.clone(),
        enable_network_isolation: s.enable_network_isolation,
        ..Default::default()
    };
    serde_json::to_value(request).unwrap_or(Value::Null)
}

impl From<wire::ModelPackageContainerDefinition> for InferenceContainer {
    fn from(c: wire::ModelPackageContainerDefinition) -> Self {
        Self {
            image: c.image.unwrap_or_default(),
            model_data_url: c.model_data_url,
            environment: c.environment.unwrap_or_default(),
            container_hostname: c.container_hostname,
        }
    }
}

impl From<wire::InferenceSpecification> for InferenceSpec {
    fn from(i: wire::InferenceSpecification) -> Self {
        Self {
            containers: i.containers.into_iter().map(Into::into).collect(),
            supported_transform_instance_types: i.supported_transform_instance_types,
            supported_realtime_inference_instance_types: i
                .supported_realtime_inference_instance_types,
            supported_content_types: i.supported_content_types,
            supported_response_mime_types: i.supported_response_mime_types,
        }
    }
}

/// An InferenceSpecification from the typed spec (only what it holds).
pub fn render_inference(i: &InferenceSpec) -> Value {
    let shape = wire::InferenceSpecification {
        containers: i
            .containers
            .iter()
            .map(|c| wire::ModelPackageContainerDefinition {
                container_hostname: c.container_hostname.clone(),
                image: Some(c.image.clone()),
                model_data_url: c.model_data_url.clone(),
                environment: Some(c.environment.clone()).filter(|e| !e.is_empty()),
                ..Default::default()
            })
            .collect(),
        supported_transform_instance_types: i.supported_transform_instance_types.clone(),
        supported_realtime_inference_instance_types: i
            .supported_realtime_inference_instance_types
            .clone(),
        supported_content_types: i.supported_content_types.clone(),
        supported_response_mime_types: i.supported_response_mime_types.clone(),
    };
    serde_json::to_value(shape).unwrap_or(Value::Null)
}

impl From<wire::HyperParameterSpecification> for HyperParameterSpec {
    fn from(h: wire::HyperParameterSpecification) -> Self {
        Self {
            name: h.name,
            kind: h.r#type,
            range: h.range.map(|r| spec::ParameterRange {
                integer_parameter_range_specification: r.integer_parameter_range_specification.map(
                    |m| spec::MinMax {
                        min_value: m.min_value,
                        max_value: m.max_value,
                    },
                ),
                continuous_parameter_range_specification: r
                    .continuous_parameter_range_specification
                    .map(|m| spec::MinMax {
                        min_value: m.min_value,
                        max_value: m.max_value,
                    }),
                categorical_parameter_range_specification: r
                    .categorical_parameter_range_specification
                    .map(|c| spec::Categorical { values: c.values }),
            }),
            is_required: h.is_required,
            default_value: h.default_value,
        }
    }
}

impl From<wire::TrainingSpecification> for TrainingSpec {
    fn from(t: wire::TrainingSpecification) -> Self {
        Self {
            training_image: t.training_image,
            supported_hyper_parameters: t
                .supported_hyper_parameters
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            supported_training_instance_types: t.supported_training_instance_types,
            supports_distributed_training: t.supports_distributed_training,
            metric_definitions: t
                .metric_definitions
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            training_channels: t
                .training_channels
                .into_iter()
                .map(|c| ChannelSpec {
                    name: c.name,
                    is_required: c.is_required,
                    supported_content_types: c.supported_content_types,
                    supported_compression_types: c.supported_compression_types,
                    supported_input_modes: c.supported_input_modes,
                })
                .collect(),
        }
    }
}

impl From<wire::TrainingJobDefinition> for spec::TrainingJobDefinition {
    fn from(d: wire::TrainingJobDefinition) -> Self {
        Self {
            training_input_mode: d.training_input_mode,
            hyper_parameters: d.hyper_parameters.unwrap_or_default(),
            input_data_config: d.input_data_config.into_iter().map(Into::into).collect(),
            output_data_config: d.output_data_config.into(),
            resource_config: d.resource_config.into(),
            stopping_condition: d.stopping_condition.into(),
        }
    }
}

impl From<wire::TransformJobDefinition> for spec::TransformJobDefinition {
    fn from(d: wire::TransformJobDefinition) -> Self {
        Self {
            max_concurrent_transforms: d.max_concurrent_transforms,
            max_payload_in_mb: d.max_payload_in_mb,
            batch_strategy: d.batch_strategy,
            environment: d.environment.unwrap_or_default(),
            transform_input: d.transform_input.into(),
            transform_output: d.transform_output.into(),
            transform_resources: d.transform_resources.into(),
        }
    }
}

impl From<wire::AlgorithmValidationSpecification> for ValidationSpec {
    fn from(v: wire::AlgorithmValidationSpecification) -> Self {
        Self {
            validation_role: v.validation_role,
            validation_profiles: v
                .validation_profiles
                .into_iter()
                .map(|p| ValidationProfile {
                    profile_name: p.profile_name,
                    training_job_definition: Some(p.training_job_definition.into()),
                    transform_job_definition: p.transform_job_definition.map(Into::into),
                })
                .collect(),
        }
    }
}

impl From<wire::ModelPackageValidationSpecification> for ValidationSpec {
    fn from(v: wire::ModelPackageValidationSpecification) -> Self {
        Self {
            validation_role: v.validation_role,
            validation_profiles: v
                .validation_profiles
                .into_iter()
                .map(|p| ValidationProfile {
                    profile_name: p.profile_name,
                    training_job_definition: None,
                    transform_job_definition: Some(p.transform_job_definition.into()),
                })
                .collect(),
        }
    }
}

impl TryFrom<wire::CreateAlgorithmInput> for AlgorithmSpec {
    type Error = Unreadable;

    fn try_from(r: wire::CreateAlgorithmInput) -> Result<Self, Unreadable> {
        Ok(Self {
            name: r.algorithm_name,
            description: r.algorithm_description,
            training: r.training_specification.into(),
            inference: r.inference_specification.map(Into::into),
            validation: r.validation_specification.map(Into::into),
            certify_for_marketplace: r.certify_for_marketplace,
        })
    }
}

fn opaque<T: serde::Serialize>(v: &T) -> Option<Echo> {
    serde_json::to_value(v).ok().map(Echo::new)
}

impl TryFrom<wire::CreateModelPackageInput> for NewModelPackage {
    type Error = Unreadable;

    /// Everything but the echo and the tags, which the handler adds.
    fn try_from(r: wire::CreateModelPackageInput) -> Result<Self, Unreadable> {
        Ok(Self {
            name: r.model_package_name,
            group: r.model_package_group_name,
            description: r.model_package_description,
            inference: r.inference_specification.map(Into::into),
            validation: r.validation_specification.map(Into::into),
            source_algorithms: r.source_algorithm_specification.map(|s| {
                s.source_algorithms
                    .into_iter()
                    .map(|a| SourceAlgorithm {
                        algorithm_name: a.algorithm_name,
                        model_data_url: a.model_data_url,
                    })
                    .collect()
            }),
            certify_for_marketplace: r.certify_for_marketplace,
            approval: r.model_approval_status,
            additional_inference_count: 0,
            model_life_cycle: r.model_life_cycle.as_ref().and_then(opaque),
            registration_type: r.model_package_registration_type,
            tags: Vec::new(),
            client_token: r.client_token,
            echo: Echo::default(),
        })
    }
}

/// Members UpdateModelPackage replaces wholesale in the echo.
const REPLACED_ON_UPDATE: [&str; 5] = [
    "InferenceSpecification",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
    "ModelPackageRegistrationType",
];

/// UpdateModelPackage: the typed changes, and the edits to the echo.
pub fn update_of(input: &Input) -> Result<ModelPackageUpdate, Unreadable> {
    let r: wire::UpdateModelPackageInput = super::request(input)?;
    let whole = input.as_value();
    let member = |name: &str| whole.get(name).filter(|v| !v.is_null()).cloned();
    let mut edits = Vec::new();
    if let Some(add) = &r.customer_metadata_properties {
        let entries: Map<String, Value> = add
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        edits.push(EchoEdit::Extend(
            "CustomerMetadataProperties".into(),
            entries,
        ));
    }
    if let Some(remove) = &r.customer_metadata_properties_to_remove {
        edits.push(EchoEdit::RemoveKeys(
            "CustomerMetadataProperties".into(),
            remove.clone(),
        ));
    }
    let additional = match member("AdditionalInferenceSpecificationsToAdd") {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    let added = additional.len();
    if added > 0 {
        edits.push(EchoEdit::Append(
            "AdditionalInferenceSpecifications".into(),
            additional,
        ));
    }
    for name in REPLACED_ON_UPDATE {
        if let Some(v) = member(name) {
            edits.push(EchoEdit::Set(name.into(), v));
        }
    }
    Ok(ModelPackageUpdate {
        arn: r.model_package_arn,
        approval: r.model_approval_status,
        approval_description: r.approval_description,
        inference: r.inference_specification.map(Into::into),
        additional_inference_added: added,
        model_life_cycle: r.model_life_cycle.as_ref().and_then(opaque),
        registration_type: r.model_package_registration_type,
        echo_patch: EchoPatch(edits),
    })
}
