//! CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob,
//! ListHyperParameterTuningJobs, StopHyperParameterTuningJob,
//! DeleteHyperParameterTuningJob and
//! ListTrainingJobsForHyperParameterTuningJob (docs/tuning.md).

use super::common::{list_params, members, micros, seconds};
use super::specs;
use crate::generated::sagemaker::*;
use base64::Engine;
use serde_json::{json, Value};
use slipway_core::spec::tuning::{
    HyperbandConfig, TunedRange, TuningJobSpec, TuningObjective, WarmStart,
};
use slipway_core::spec::{self, TrainingJobSpec};
use slipway_core::Echo;
use slipway_service::jobs::tuning::{state, Child, TuningJob, TuningJobDocument};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

pub async fn create_hyper_parameter_tuning_job(
    cx: &Cx<'_>,
    input: CreateHyperParameterTuningJobRequest,
) -> Result<CreateHyperParameterTuningJobResponse, AwsError> {
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let echo = specs::echo(&sent, &["Tags"]).into_value();
    let spec = tuning_spec(input)?;
    let job = cx
        .svc
        .tuning_jobs()
        .create(cx.account, spec, Echo::new(echo), tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateHyperParameterTuningJobResponse {
        hyper_parameter_tuning_job_arn: job.record.arn,
    })
}

/// Describe, List (children), Stop and Delete answer a missing tuning job
/// with `ResourceNotFound`, as their botocore model says (other SageMaker
/// operations use a ValidationException).
fn lookup_error(e: slipway_service::Error) -> AwsError {
    match e {
        slipway_service::Error::NotFound { message } => AwsError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "ResourceNotFound",
            message,
        ),
        other => AwsError::from_service(other),
    }
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::validation(message.into())
}

/// The request as the control plane's spec. Slipway runs one training job
/// definition per tuning job (`TrainingJobDefinitions` with one entry is
/// the same thing).
fn tuning_spec(input: CreateHyperParameterTuningJobRequest) -> Result<TuningJobSpec, AwsError> {
    let config = input.hyper_parameter_tuning_job_config;
    let definition = match (input.training_job_definition, input.training_job_definitions) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "Only one of TrainingJobDefinition or TrainingJobDefinitions may be specified.",
            ))
        }
        (None, None) => {
            return Err(invalid(
                "Either TrainingJobDefinition or TrainingJobDefinitions must be specified.",
            ))
        }
        (Some(d), None) => d,
        (None, Some(mut list)) if list.len() == 1 => list.remove(0),
        (None, Some(list)) => {
            return Err(invalid(format!(
                "Slipway runs one training job definition per tuning job; TrainingJobDefinitions has {}.",
                list.len()
            )))
        }
    };
    if input.autotune.is_some() {
        return Err(invalid(
            "Autotune is not supported by Slipway; give the strategy and ParameterRanges.",
        ));
    }
    let objective = config
        .hyper_parameter_tuning_job_objective
        .or(definition.tuning_objective.clone())
        .ok_or_else(|| {
            invalid("HyperParameterTuningJobConfig.HyperParameterTuningJobObjective is required.")
        })?;
    let ranges = config
        .parameter_ranges
        .or(definition.hyper_parameter_ranges.clone())
        .unwrap_or_default();
    if ranges
        .auto_parameters
        .as_ref()
        .is_some_and(|a| !a.is_empty())
    {
        return Err(invalid(
            "AutoParameters are not supported by Slipway; give explicit parameter ranges.",
        ));
    }
    let mut tuned = Vec::new();
    for r in ranges.integer_parameter_ranges.unwrap_or_default() {
        tuned.push(TunedRange {
            name: r.name,
            kind: "Integer".into(),
            min_value: Some(r.min_value),
            max_value: Some(r.max_value),
            scaling_type: r.scaling_type,
            values: Vec::new(),
        });
    }
    for r in ranges.continuous_parameter_ranges.unwrap_or_default() {
        tuned.push(TunedRange {
            name: r.name,
            kind: "Continuous".into(),
            min_value: Some(r.min_value),
            max_value: Some(r.max_value),
            scaling_type: r.scaling_type,
            values: Vec::new(),
        });
    }
    for r in ranges.categorical_parameter_ranges.unwrap_or_default() {
        tuned.push(TunedRange {
            name: r.name,
            kind: "Categorical".into(),
            min_value: None,
            max_value: None,
            scaling_type: None,
            values: r.values,
        });
    }
    let criteria = config.tuning_job_completion_criteria;
    if criteria.as_ref().is_some_and(|c| {
        c.best_objective_not_improving.is_some() || c.convergence_detected.is_some()
    }) {
        return Err(invalid(
            "TuningJobCompletionCriteria supports only TargetObjectiveMetricValue in Slipway.",
        ));
    }
    // The SageMaker Python SDK sends HyperParameterTuningResourceConfig
    // with one instance type; instance pools (InstanceConfigs) are tried
    // in order of priority as capacity allows (docs/tuning.md).
    let resource_config = match (
        definition.resource_config,
        definition.hyper_parameter_tuning_resource_config,
    ) {
        (Some(_), Some(_)) => return Err(invalid(
            "Only one of ResourceConfig or HyperParameterTuningResourceConfig may be specified.",
        )),
        (Some(r), None) => r.into(),
        (None, Some(h)) => tuning_resource_config(h)?,
        (None, None) => {
            return Err(invalid(
                "Either ResourceConfig or HyperParameterTuningResourceConfig must be specified.",
            ))
        }
    };
    let algo = definition.algorithm_specification;
    let template = TrainingJobSpec {
        training_job_name: String::new(),
        hyper_parameters: definition.static_hyper_parameters.unwrap_or_default(),
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
            container_entrypoint: None,
            container_arguments: None,
        },
        role_arn: definition.role_arn,
        input_data_config: definition
            .input_data_config
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        output_data_config: definition.output_data_config.into(),
        resource_config,
        stopping_condition: definition.stopping_condition.into(),
        enable_network_isolation: definition.enable_network_isolation,
        environment: definition.environment.unwrap_or_default(),
        checkpoint_config: definition
            .checkpoint_config
            .map(|c| spec::CheckpointConfig {
                s3_uri: c.s3_uri,
                local_path: c.local_path,
            }),
        enable_managed_spot_training: definition.enable_managed_spot_training,
    };
    Ok(TuningJobSpec {
        tuning_job_name: input.hyper_parameter_tuning_job_name,
        strategy: config.strategy,
        hyperband: config
            .strategy_config
            .and_then(|s| s.hyperband_strategy_config)
            .map(|h| HyperbandConfig {
                min_resource: h.min_resource,
                max_resource: h.max_resource,
            }),
        objective: TuningObjective {
            kind: objective.r#type,
            metric_name: objective.metric_name,
        },
        max_training_jobs: config.resource_limits.max_number_of_training_jobs,
        max_parallel_training_jobs: config.resource_limits.max_parallel_training_jobs,
        max_runtime_seconds: config.resource_limits.max_runtime_in_seconds,
        ranges: tuned,
        early_stopping: config
            .training_job_early_stopping_type
            .unwrap_or_else(|| "Off".into()),
        target_objective: criteria.and_then(|c| c.target_objective_metric_value),
        random_seed: config.random_seed,
        template,
        warm_start: input.warm_start_config.map(|w| WarmStart {
            parents: w
                .parent_hyper_parameter_tuning_jobs
                .into_iter()
                .filter_map(|p| p.hyper_parameter_tuning_job_name)
                .collect(),
            kind: w.warm_start_type,
        }),
    })
}

fn status_counters(c: state::StatusCounters) -> Value {
    json!({
        "Completed": c.completed,
        "InProgress": c.in_progress,
        "RetryableError": c.retryable_error,
        "NonRetryableError": c.non_retryable_error,
        "Stopped": c.stopped,
    })
}

fn objective_counters(c: state::ObjectiveCounters) -> Value {
    json!({ "Succeeded": c.succeeded, "Pending": c.pending, "Failed": c.failed })
}

/// One child as HyperParameterTrainingJobSummary.
fn child_summary(job: &TuningJob, c: &Child) -> Value {
    let o = &job.doc.spec.objective;
    object([
        ("TrainingJobName", json!(c.name)),
        ("TrainingJobArn", json!(c.arn)),
        ("TuningJobName", json!(job.record.name)),
        ("CreationTime", ts(c.creation_time)),
        (
            "TrainingStartTime",
            c.training_start.map(ts).unwrap_or(Value::Null),
        ),
        (
            "TrainingEndTime",
            c.training_end.map(ts).unwrap_or(Value::Null),
        ),
        ("TrainingJobStatus", json!(c.status)),
        ("TunedHyperParameters", json!(c.tuned)),
        ("FailureReason", json!(c.failure_reason)),
        (
            "FinalHyperParameterTuningJobObjectiveMetric",
            c.objective
                .map(|v| json!({ "Type": o.kind, "MetricName": o.metric_name, "Value": v }))
                .unwrap_or(Value::Null),
        ),
        ("ObjectiveStatus", json!(c.objective_status())),
    ])
}

/// The children's `ResourceConfig` from a `HyperParameterTuningResourceConfig`.
/// With instance pools, AWS tries the configurations in order of priority
/// (`AllocationStrategy` `Prioritized`, the only strategy) and moves on
/// only when the first lacks capacity; this server always has capacity
/// for an instance type (a busy engine queues the job), so every child
/// runs on the first configuration.
fn tuning_resource_config(
    h: HyperParameterTuningResourceConfig,
) -> Result<spec::ResourceConfig, AwsError> {
    let configs = h.instance_configs.unwrap_or_default();
    if let Some(first) = configs.first() {
        if h.instance_type.is_some() || h.instance_count.is_some() || h.volume_size_in_gb.is_some()
        {
            return Err(invalid(
                "If you use InstanceConfigs, do not provide values for InstanceType, VolumeSizeInGB or InstanceCount.",
            ));
        }
        return Ok(spec::ResourceConfig {
            instance_type: Some(first.instance_type.clone()),
            instance_count: Some(first.instance_count),
            instance_groups: Vec::new(),
        });
    }
    if h.instance_type.is_none() {
        return Err(invalid(
            "HyperParameterTuningResourceConfig needs InstanceType, or InstanceConfigs.",
        ));
    }
    Ok(spec::ResourceConfig {
        instance_type: h.instance_type,
        instance_count: h.instance_count,
        instance_groups: Vec::new(),
    })
}

/// The DescribeHyperParameterTuningJob shape: the request as sent, plus
/// what the runner has done.
pub fn describe_shape(job: &TuningJob) -> Value {
    let doc: &TuningJobDocument = &job.doc;
    let st = &doc.state;
    let best = doc.best_child().map(|c| child_summary(job, c));
    let overall =
        match (doc.best_parent_trial(), doc.best_child()) {
            (Some(p), own)
                if own
                    .and_then(|c| c.objective)
                    .is_none_or(|b| p.objective.is_some_and(|v| doc.better(v, b))) =>
            {
                let o = &doc.spec.objective;
                Some(object([
                ("TrainingJobName", json!(p.training_job_name)),
                ("TrainingJobArn", json!(p.training_job_arn)),
                ("TuningJobName", json!(p.tuning_job_name)),
                ("CreationTime", ts(p.creation_time)),
                ("TrainingStartTime", p.training_start.map(ts).unwrap_or(Value::Null)),
                ("TrainingEndTime", p.training_end.map(ts).unwrap_or(Value::Null)),
                ("TrainingJobStatus", json!(p.status)),
                ("TunedHyperParameters", json!(p.tuned)),
                (
                    "FinalHyperParameterTuningJobObjectiveMetric",
                    p.objective
                        .map(|v| json!({ "Type": o.kind, "MetricName": o.metric_name, "Value": v }))
                        .unwrap_or(Value::Null),
                ),
                ("ObjectiveStatus", json!("Succeeded")),
            ]))
            }
            _ => doc.spec.warm_start.as_ref().and(best.clone()),
        };
    let end = st.end_time;
    let runtime = (end.unwrap_or(job.record.modified) - job.record.created).max(0) / 1_000_000;
    let head = object([
        ("HyperParameterTuningJobName", json!(job.record.name)),
        ("HyperParameterTuningJobArn", json!(job.record.arn)),
        ("HyperParameterTuningJobStatus", json!(job.record.status)),
        ("CreationTime", ts(job.record.created)),
        (
            "HyperParameterTuningEndTime",
            end.map(ts).unwrap_or(Value::Null),
        ),
        ("LastModifiedTime", ts(job.record.modified)),
        (
            "TrainingJobStatusCounters",
            status_counters(doc.status_counters()),
        ),
        (
            "ObjectiveStatusCounters",
            objective_counters(doc.objective_counters()),
        ),
        ("BestTrainingJob", best.unwrap_or(Value::Null)),
        ("OverallBestTrainingJob", overall.unwrap_or(Value::Null)),
        ("FailureReason", json!(st.failure_reason)),
        (
            "TuningJobCompletionDetails",
            json!({
                "NumberOfTrainingJobsObjectiveNotImproving": st.not_improving,
                "ConvergenceDetectedTime": st.converged_at.map(ts),
            }),
        ),
        ("ConsumedResources", json!({ "RuntimeInSeconds": runtime })),
    ]);
    let echo = doc
        .echo
        .as_ref()
        .map(|e| e.as_value().clone())
        .unwrap_or_else(|| json!({}));
    merge(head, echo)
}

pub async fn describe_hyper_parameter_tuning_job(
    cx: &Cx<'_>,
    input: DescribeHyperParameterTuningJobRequest,
) -> Result<Value, AwsError> {
    let job = cx
        .svc
        .tuning_jobs()
        .describe(cx.account, &input.hyper_parameter_tuning_job_name)
        .await
        .map_err(lookup_error)?;
    Ok(describe_shape(&job))
}

pub async fn list_hyper_parameter_tuning_jobs(
    cx: &Cx<'_>,
    input: ListHyperParameterTuningJobsRequest,
) -> Result<ListHyperParameterTuningJobsResponse, AwsError> {
    let params = slipway_service::listing::ListParams {
        modified_after: micros(input.last_modified_time_after),
        modified_before: micros(input.last_modified_time_before),
        status: input.status_equals,
        ..list_params!(input)
    };
    let (items, next_token) = cx
        .svc
        .tuning_jobs()
        .list(cx.account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let summaries = items
        .into_iter()
        .map(|(record, s)| {
            let c = s.status_counters;
            let o = s.objective_counters;
            HyperParameterTuningJobSummary {
                hyper_parameter_tuning_job_name: record.name,
                hyper_parameter_tuning_job_arn: record.arn,
                hyper_parameter_tuning_job_status: record.status,
                strategy: s.strategy,
                creation_time: seconds(record.created),
                hyper_parameter_tuning_end_time: s.end_time.map(seconds),
                last_modified_time: Some(seconds(record.modified)),
                training_job_status_counters: TrainingJobStatusCounters {
                    completed: Some(c.completed),
                    in_progress: Some(c.in_progress),
                    retryable_error: Some(c.retryable_error),
                    non_retryable_error: Some(c.non_retryable_error),
                    stopped: Some(c.stopped),
                },
                objective_status_counters: ObjectiveStatusCounters {
                    succeeded: Some(o.succeeded),
                    pending: Some(o.pending),
                    failed: Some(o.failed),
                },
                resource_limits: Some(ResourceLimits {
                    max_number_of_training_jobs: s.max_training_jobs,
                    max_parallel_training_jobs: s.max_parallel_training_jobs,
                    max_runtime_in_seconds: s.max_runtime_seconds,
                }),
            }
        })
        .collect();
    Ok(ListHyperParameterTuningJobsResponse {
        hyper_parameter_tuning_job_summaries: summaries,
        next_token,
    })
}

pub async fn stop_hyper_parameter_tuning_job(
    cx: &Cx<'_>,
    input: StopHyperParameterTuningJobRequest,
) -> Result<(), AwsError> {
    cx.svc
        .tuning_jobs()
        .stop(cx.account, &input.hyper_parameter_tuning_job_name)
        .await
        .map_err(lookup_error)
}

pub async fn delete_hyper_parameter_tuning_job(
    cx: &Cx<'_>,
    input: DeleteHyperParameterTuningJobRequest,
) -> Result<(), AwsError> {
    cx.svc
        .tuning_jobs()
        .delete(cx.account, &input.hyper_parameter_tuning_job_name)
        .await
        .map_err(lookup_error)
}

/// The children of one tuning job, filtered, sorted and paged here (a
/// tuning job holds at most 750). The NextToken is the offset of the next
/// page with the filter it belongs to.
pub async fn list_training_jobs_for_hyper_parameter_tuning_job(
    cx: &Cx<'_>,
    input: ListTrainingJobsForHyperParameterTuningJobRequest,
) -> Result<ListTrainingJobsForHyperParameterTuningJobResponse, AwsError> {
    let job = cx
        .svc
        .tuning_jobs()
        .describe(cx.account, &input.hyper_parameter_tuning_job_name)
        .await
        .map_err(lookup_error)?;
    let doc = &job.doc;
    let mut children: Vec<&Child> = doc
        .state
        .children
        .iter()
        .filter(|c| input.status_equals.as_deref().is_none_or(|s| c.status == s))
        .collect();
    // The model's defaults: by Name, Ascending. Sorted by the objective,
    // children without a value are left out.
    let sort_by = input.sort_by.as_deref().unwrap_or("Name");
    match sort_by {
        "CreationTime" => children.sort_by(|a, b| {
            a.creation_time
                .cmp(&b.creation_time)
                .then(a.name.cmp(&b.name))
        }),
        "Status" => children.sort_by(|a, b| a.status.cmp(&b.status).then(a.name.cmp(&b.name))),
        "FinalObjectiveMetricValue" => {
            children.retain(|c| c.objective.is_some());
            children.sort_by(|a, b| {
                let (x, y) = (
                    a.objective.unwrap_or_default(),
                    b.objective.unwrap_or_default(),
                );
                x.total_cmp(&y).then(a.name.cmp(&b.name))
            });
        }
        _ => children.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    let descending = input.sort_order.as_deref() == Some("Descending");
    if descending {
        children.reverse();
    }
    let fingerprint = format!(
        "{}|{}|{}|{}",
        job.record.arn,
        input.status_equals.as_deref().unwrap_or_default(),
        sort_by,
        descending
    );
    let start = match &input.next_token {
        Some(t) => page_offset(t, &fingerprint)?,
        None => 0,
    };
    let size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(10);
    // One rendering of a child for Describe's BestTrainingJob and this list.
    let page = children
        .iter()
        .skip(start)
        .take(size)
        .map(|c| serde_json::from_value(child_summary(&job, c)).map_err(|_| AwsError::internal()))
        .collect::<Result<Vec<HyperParameterTrainingJobSummary>, AwsError>>()?;
    let next_token =
        (start + size < children.len()).then(|| page_token(start + size, &fingerprint));
    Ok(ListTrainingJobsForHyperParameterTuningJobResponse {
        training_job_summaries: page,
        next_token,
    })
}

fn page_token(offset: usize, fingerprint: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{offset}|{fingerprint}"))
}

fn page_offset(token: &str, fingerprint: &str) -> Result<usize, AwsError> {
    let bad = || invalid("Invalid pagination token.");
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (offset, rest) = text.split_once('|').ok_or_else(bad)?;
    if rest != fingerprint {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}
