//! CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob,
//! DeleteTrainingJob.

use super::common::{list_params, members, micros, seconds};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_core::spec::training::DEFAULT_MAX_RUNTIME_SECONDS;
use slipway_core::spec::TrainingJobSpec;
use slipway_core::Echo;
use slipway_service::jobs::training::create::Origin;
use slipway_service::jobs::training::TrainingJob;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

pub async fn create_training_job(
    cx: &Cx<'_>,
    input: CreateTrainingJobRequest,
) -> Result<CreateTrainingJobResponse, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let mut echo = specs::echo(&sent, &["Tags"]).into_value();
    let spec = TrainingJobSpec::try_from(input)?;
    // DescribeTrainingJob echoes the StoppingCondition with its default.
    if let Value::Object(m) = &mut echo {
        let stopping = m.entry("StoppingCondition").or_insert_with(|| json!({}));
        if let Value::Object(s) = stopping {
            s.entry("MaxRuntimeInSeconds")
                .or_insert(json!(DEFAULT_MAX_RUNTIME_SECONDS));
        }
    }
    let job = svc
        .training_jobs()
        .create(account, spec, Some(Echo::new(echo)), tags, Origin::Client)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateTrainingJobResponse {
        training_job_arn: job.record.arn,
    })
}

/// Whole seconds between two times, at least 1 (AWS never reports 0).
fn whole_seconds(start: i64, end: i64) -> i64 {
    ((end - start) / 1_000_000).max(1)
}

/// The DescribeTrainingJob shape: the request as given, plus what the
/// server owns.
pub fn describe_shape(job: &TrainingJob) -> Value {
    let st = &job.doc.state;
    let transitions: Vec<Value> = st
        .transitions
        .iter()
        .map(|t| {
            object([
                ("Status", json!(t.status)),
                ("StartTime", ts(t.start)),
                ("EndTime", t.end.map(ts).unwrap_or(Value::Null)),
                ("StatusMessage", json!(t.message)),
            ])
        })
        .collect();
    let metrics: Vec<Value> = st
        .final_metrics
        .iter()
        .map(|m| {
            json!({
                "MetricName": m.name,
                "Value": m.value,
                "Timestamp": m.timestamp_ms as f64 / 1000.0,
            })
        })
        .collect();
    let seconds = match (st.training_start, st.training_end) {
        (Some(s), Some(e)) => json!(whole_seconds(s, e)),
        _ => Value::Null,
    };
    let head = object([
        ("TrainingJobName", json!(job.record.name)),
        ("TrainingJobArn", json!(job.record.arn)),
        (
            "ModelArtifacts",
            json!({ "S3ModelArtifacts": st.model_artifacts.clone().unwrap_or_default() }),
        ),
        ("TrainingJobStatus", json!(job.record.status)),
        ("SecondaryStatus", json!(st.secondary)),
        ("FailureReason", json!(st.failure_reason)),
        ("CreationTime", ts(job.record.created)),
        (
            "TrainingStartTime",
            st.training_start.map(ts).unwrap_or(Value::Null),
        ),
        (
            "TrainingEndTime",
            st.training_end.map(ts).unwrap_or(Value::Null),
        ),
        ("LastModifiedTime", ts(job.record.modified)),
        ("SecondaryStatusTransitions", json!(transitions)),
        (
            "FinalMetricDataList",
            if metrics.is_empty() {
                Value::Null
            } else {
                json!(metrics)
            },
        ),
        ("TrainingTimeInSeconds", seconds.clone()),
        ("BillableTimeInSeconds", seconds),
        (
            "EnableNetworkIsolation",
            json!(job.doc.spec.network_isolated()),
        ),
        ("EnableInterContainerTrafficEncryption", json!(false)),
        ("TuningJobArn", json!(job.doc.tuning_job_arn)),
        (
            "EnableManagedSpotTraining",
            json!(job.doc.spec.managed_spot()),
        ),
    ]);
    let echo = match &job.doc.echo {
        Some(echo) => echo.as_value().clone(),
        None => specs::render_training_job(&job.doc.spec),
    };
    merge(head, echo)
}

pub async fn describe_training_job(
    cx: &Cx<'_>,
    input: DescribeTrainingJobRequest,
) -> Result<Value, AwsError> {
    let job = cx
        .svc
        .training_jobs()
        .describe(cx.account, &input.training_job_name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&job))
}

pub async fn list_training_jobs(
    cx: &Cx<'_>,
    input: ListTrainingJobsRequest,
) -> Result<ListTrainingJobsResponse, AwsError> {
    // Slipway keeps no warm pools and sells no training plans: a filter on
    // either matches nothing.
    if input.warm_pool_status_equals.is_some() || input.training_plan_arn_equals.is_some() {
        return Ok(ListTrainingJobsResponse::default());
    }
    let params = slipway_service::listing::ListParams {
        modified_after: micros(input.last_modified_time_after),
        modified_before: micros(input.last_modified_time_before),
        status: input.status_equals,
        ..list_params!(input)
    };
    let (items, next_token) = cx
        .svc
        .training_jobs()
        .list(cx.account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let training_job_summaries = items
        .into_iter()
        .map(|(record, s)| TrainingJobSummary {
            training_job_name: record.name,
            training_job_arn: record.arn,
            creation_time: seconds(record.created),
            training_end_time: s.training_end.map(seconds),
            last_modified_time: Some(seconds(record.modified)),
            training_job_status: record.status,
            secondary_status: Some(s.secondary),
            ..TrainingJobSummary::default()
        })
        .collect();
    Ok(ListTrainingJobsResponse {
        training_job_summaries,
        next_token,
    })
}

pub async fn delete_training_job(
    cx: &Cx<'_>,
    input: DeleteTrainingJobRequest,
) -> Result<(), AwsError> {
    cx.svc
        .training_jobs()
        .delete(cx.account, &input.training_job_name)
        .await
        .map_err(AwsError::from_service)
}

pub async fn stop_training_job(cx: &Cx<'_>, input: StopTrainingJobRequest) -> Result<(), AwsError> {
    cx.svc
        .training_jobs()
        .stop(cx.account, &input.training_job_name)
        .await
        .map_err(AwsError::from_service)
}
