//! Endpoint configs and endpoints: CreateEndpointConfig, DescribeEndpointConfig,
//! ListEndpointConfigs, DeleteEndpointConfig, CreateEndpoint, DescribeEndpoint,
//! ListEndpoints, UpdateEndpoint, UpdateEndpointWeightsAndCapacities,
//! DeleteEndpoint (the hosting crate does the work).

use super::common::{count, list_params, members, micros, seconds};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_hosting::endpoints::DesiredCapacity;
use slipway_hosting::state::{status, Deployment, EndpointConfigSpec, VariantSpec, VariantState};
use slipway_hosting::Hosting;
use slipway_service::Error as ServiceError;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

impl TryFrom<CreateEndpointConfigInput> for EndpointConfigSpec {
    type Error = AwsError;

    fn try_from(input: CreateEndpointConfigInput) -> Result<Self, AwsError> {
        let invalid = |field: String, reason: &str| {
            AwsError::from_service(ServiceError::invalid(field, reason))
        };
        if input
            .shadow_production_variants
            .is_some_and(|s| !s.is_empty())
        {
            return Err(invalid(
                "ShadowProductionVariants".into(),
                "Slipway does not run shadow variants.",
            ));
        }
        if input.async_inference_config.is_some() {
            return Err(invalid(
                "AsyncInferenceConfig".into(),
                "Slipway does not run asynchronous inference endpoints (InvokeEndpointAsync).",
            ));
        }
        let mut variants = Vec::new();
        for (i, v) in input.production_variants.into_iter().enumerate() {
            let field = format!("ProductionVariants.{}", i + 1);
            if v.serverless_config.is_some() {
                return Err(invalid(
                    format!("{field}.ServerlessConfig"),
                    "Slipway runs instance-backed variants only; give InstanceType and InitialInstanceCount.",
                ));
            }
            let model_name = v.model_name.ok_or_else(|| {
                invalid(
                    format!("{field}.ModelName"),
                    "A production variant needs a ModelName.",
                )
            })?;
            let instance_type = v.instance_type.ok_or_else(|| {
                invalid(
                    format!("{field}.InstanceType"),
                    "A production variant needs an InstanceType.",
                )
            })?;
            let initial_instance_count = v.initial_instance_count.ok_or_else(|| {
                invalid(
                    format!("{field}.InitialInstanceCount"),
                    "A production variant needs an InitialInstanceCount.",
                )
            })?;
            variants.push(VariantSpec {
                variant_name: v.variant_name,
                model_name,
                instance_type,
                initial_instance_count,
                initial_variant_weight: v.initial_variant_weight.unwrap_or(1.0),
                startup_timeout_seconds: v.container_startup_health_check_timeout_in_seconds,
                model_download_timeout_seconds: v.model_data_download_timeout_in_seconds,
            });
        }
        Ok(EndpointConfigSpec {
            endpoint_config_name: input.endpoint_config_name,
            variants,
            execution_role_arn: input.execution_role_arn,
            enable_network_isolation: input.enable_network_isolation,
        })
    }
}

pub async fn create_endpoint_config(
    cx: &Cx<'_>,
    h: &Hosting,
    input: CreateEndpointConfigInput,
) -> Result<CreateEndpointConfigOutput, AwsError> {
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let echo = specs::echo(&sent, &["Tags"]);
    let spec = EndpointConfigSpec::try_from(input)?;
    let config = h
        .endpoint_configs()
        .create(cx.account, spec, echo, tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateEndpointConfigOutput {
        endpoint_config_arn: config.record.arn,
    })
}

pub async fn describe_endpoint_config(
    cx: &Cx<'_>,
    h: &Hosting,
    input: DescribeEndpointConfigInput,
) -> Result<Value, AwsError> {
    let config = h
        .endpoint_configs()
        .describe(cx.account, &input.endpoint_config_name)
        .await
        .map_err(AwsError::from_service)?;
    let mut echo = config.doc.echo.as_value().clone();
    // AWS answers each variant's weight, defaulted.
    if let Some(list) = echo
        .get_mut("ProductionVariants")
        .and_then(Value::as_array_mut)
    {
        for (v, spec) in list.iter_mut().zip(&config.doc.spec.variants) {
            if let Value::Object(m) = v {
                m.entry("InitialVariantWeight")
                    .or_insert(json!(spec.initial_variant_weight));
            }
        }
    }
    let head = object([
        (
            "EndpointConfigName",
            json!(config.doc.spec.endpoint_config_name),
        ),
        ("EndpointConfigArn", json!(config.record.arn)),
        ("CreationTime", ts(config.record.created)),
    ]);
    Ok(merge(head, echo))
}

pub async fn list_endpoint_configs(
    cx: &Cx<'_>,
    h: &Hosting,
    input: ListEndpointConfigsInput,
) -> Result<ListEndpointConfigsOutput, AwsError> {
    let (items, next_token) = h
        .endpoint_configs()
        .list(cx.account, &list_params!(input))
        .await
        .map_err(AwsError::from_service)?;
    let endpoint_configs = items
        .into_iter()
        .map(|(r, _)| EndpointConfigSummary {
            endpoint_config_name: r.name,
            endpoint_config_arn: r.arn,
            creation_time: seconds(r.created),
        })
        .collect();
    Ok(ListEndpointConfigsOutput {
        endpoint_configs,
        next_token,
    })
}

pub async fn delete_endpoint_config(
    cx: &Cx<'_>,
    h: &Hosting,
    input: DeleteEndpointConfigInput,
) -> Result<(), AwsError> {
    h.endpoint_configs()
        .delete(cx.account, &input.endpoint_config_name)
        .await
        .map_err(AwsError::from_service)
}

pub async fn create_endpoint(
    cx: &Cx<'_>,
    h: &Hosting,
    input: CreateEndpointInput,
) -> Result<CreateEndpointOutput, AwsError> {
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let ep = h
        .endpoints()
        .create(
            cx.account,
            &input.endpoint_name,
            &input.endpoint_config_name,
            tags,
        )
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateEndpointOutput {
        endpoint_arn: ep.record.arn,
    })
}

pub async fn describe_endpoint(
    cx: &Cx<'_>,
    h: &Hosting,
    input: DescribeEndpointInput,
) -> Result<DescribeEndpointOutput, AwsError> {
    let ep = h
        .endpoints()
        .describe(cx.account, &input.endpoint_name)
        .await
        .map_err(AwsError::from_service)?;
    let live = h.endpoints().live(cx.account, &ep.record.key);
    let state = &ep.doc.state;
    let st = ep.record.status.as_str();
    let summaries =
        |d: &Deployment, variant_status: Option<&str>| -> Vec<ProductionVariantSummary> {
            d.variants
                .iter()
                .map(|v| {
                    let now = live.iter().find(|l| l.name == v.spec.variant_name);
                    ProductionVariantSummary {
                        variant_name: v.spec.variant_name.clone(),
                        deployed_images: Some(deployed_images(v)),
                        current_weight: Some(now.map_or(v.weight, |l| l.weight)),
                        desired_weight: Some(v.weight),
                        current_instance_count: Some(now.map_or(0, |l| l.healthy as i64)),
                        desired_instance_count: Some(v.instance_count),
                        variant_status: variant_status.map(|s| {
                            vec![ProductionVariantStatus {
                                status: s.to_owned(),
                                status_message: None,
                                start_time: Some(seconds(d.start)),
                            }]
                        }),
                        ..ProductionVariantSummary::default()
                    }
                })
                .collect()
        };
    let (shown, pending) = match (&state.serving, &state.pending) {
        (Some(s), Some(p)) => (Some(summaries(s, None)), Some(p)),
        (Some(s), None) => (
            Some(summaries(s, (st == status::UPDATING).then_some("Updating"))),
            None,
        ),
        (None, Some(p)) => (
            Some(summaries(p, (st == status::CREATING).then_some("Creating"))),
            None,
        ),
        (None, None) => (None, None),
    };
    let pending_deployment_summary = pending.map(|p| PendingDeploymentSummary {
        endpoint_config_name: p.config_name.clone(),
        production_variants: Some(
            p.variants
                .iter()
                .map(|v| PendingProductionVariantSummary {
                    variant_name: v.spec.variant_name.clone(),
                    deployed_images: Some(deployed_images(v)),
                    desired_weight: Some(v.weight),
                    desired_instance_count: Some(v.instance_count),
                    instance_type: Some(v.spec.instance_type.clone()),
                    variant_status: Some(vec![ProductionVariantStatus {
                        status: "Creating".into(),
                        status_message: None,
                        start_time: Some(seconds(p.start)),
                    }]),
                    ..PendingProductionVariantSummary::default()
                })
                .collect(),
        ),
        start_time: Some(seconds(p.start)),
        ..PendingDeploymentSummary::default()
    });
    Ok(DescribeEndpointOutput {
        endpoint_name: ep.doc.endpoint_name.clone(),
        endpoint_arn: ep.record.arn.clone(),
        endpoint_config_name: state
            .serving
            .as_ref()
            .or(state.pending.as_ref())
            .map(|d| d.config_name.clone()),
        production_variants: shown,
        endpoint_status: ep.record.status.clone(),
        failure_reason: state.failure_reason.clone(),
        creation_time: seconds(ep.record.created),
        last_modified_time: seconds(ep.record.modified),
        pending_deployment_summary,
        ..DescribeEndpointOutput::default()
    })
}

fn deployed_images(v: &VariantState) -> Vec<DeployedImage> {
    v.deployed_images
        .iter()
        .map(|d| DeployedImage {
            specified_image: Some(d.specified.clone()),
            resolved_image: d.resolved.clone(),
            resolution_time: d.resolution_time.map(seconds),
        })
        .collect()
}

pub async fn list_endpoints(
    cx: &Cx<'_>,
    h: &Hosting,
    input: ListEndpointsInput,
) -> Result<ListEndpointsOutput, AwsError> {
    let params = slipway_service::listing::ListParams {
        name_contains: input.name_contains,
        created_after: micros(input.creation_time_after),
        created_before: micros(input.creation_time_before),
        modified_after: micros(input.last_modified_time_after),
        modified_before: micros(input.last_modified_time_before),
        status: input.status_equals,
        sort_by: input.sort_by,
        sort_order: input.sort_order,
        max_results: count(input.max_results),
        next_token: input.next_token,
    };
    let (items, next_token) = h
        .endpoints()
        .list(cx.account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let endpoints = items
        .into_iter()
        .map(|(r, _)| EndpointSummary {
            endpoint_name: r.name,
            endpoint_arn: r.arn,
            creation_time: seconds(r.created),
            last_modified_time: seconds(r.modified),
            endpoint_status: r.status,
        })
        .collect();
    Ok(ListEndpointsOutput {
        endpoints,
        next_token,
    })
}

pub async fn update_endpoint(
    cx: &Cx<'_>,
    h: &Hosting,
    input: UpdateEndpointInput,
) -> Result<UpdateEndpointOutput, AwsError> {
    let ep = h
        .endpoints()
        .update(
            cx.account,
            &input.endpoint_name,
            &input.endpoint_config_name,
        )
        .await
        .map_err(AwsError::from_service)?;
    Ok(UpdateEndpointOutput {
        endpoint_arn: ep.record.arn,
    })
}

pub async fn update_endpoint_weights_and_capacities(
    cx: &Cx<'_>,
    h: &Hosting,
    input: UpdateEndpointWeightsAndCapacitiesInput,
) -> Result<UpdateEndpointWeightsAndCapacitiesOutput, AwsError> {
    let desired = input
        .desired_weights_and_capacities
        .into_iter()
        .map(|d| DesiredCapacity {
            variant_name: d.variant_name,
            weight: d.desired_weight,
            instance_count: d.desired_instance_count,
        })
        .collect();
    let ep = h
        .endpoints()
        .update_weights(cx.account, &input.endpoint_name, desired)
        .await
        .map_err(AwsError::from_service)?;
    Ok(UpdateEndpointWeightsAndCapacitiesOutput {
        endpoint_arn: ep.record.arn,
    })
}

pub async fn delete_endpoint(
    cx: &Cx<'_>,
    h: &Hosting,
    input: DeleteEndpointInput,
) -> Result<(), AwsError> {
    h.endpoints()
        .delete(cx.account, &input.endpoint_name)
        .await
        .map_err(AwsError::from_service)
}
