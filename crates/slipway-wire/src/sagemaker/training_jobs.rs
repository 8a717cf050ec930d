//! CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob,
//! DeleteTrainingJob.

use super::common::{list_params, required, text, HandlerResult};
use super::specs;
use crate::error::AwsError;
use crate::generated::sagemaker as generated;
use crate::json::{merge, object, ts, Input, Reply};
use serde::Serialize;
use serde_json::{json, Value};
use slipway_core::spec::training::DEFAULT_MAX_RUNTIME_SECONDS;
use slipway_core::spec::TrainingJobSpec;
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::{AccountId, Echo};
use slipway_service::jobs::training::create::Origin;
use slipway_service::jobs::training::TrainingJob;
use slipway_service::Service;

pub async fn create_training_job(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let tags = input.tags("Tags");
    let request: generated::CreateTrainingJobRequest = specs::request(&input)?;
    let spec = TrainingJobSpec::try_from(request)?;
    let mut echo = specs::echo(&input, &["Tags"]).into_value();
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
    Ok(json!({ "TrainingJobArn": job.record.arn }))
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
        ("EnableManagedSpotTraining", json!(false)),
    ]);
    let echo = match &job.doc.echo {
        Some(echo) => echo.as_value().clone(),
        None => specs::render_training_job(&job.doc.spec),
    };
    merge(head, echo)
}

pub async fn describe_training_job(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "TrainingJobName")?;
    let job = svc
        .training_jobs()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&job))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TrainingJobSummaryShape<'a> {
    training_job_name: &'a str,
    training_job_arn: &'a str,
    creation_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    training_end_time: Option<f64>,
    last_modified_time: f64,
    training_job_status: &'a str,
    secondary_status: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListTrainingJobsShape<'a> {
    training_job_summaries: Vec<TrainingJobSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn list_training_jobs(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> Result<Reply, AwsError> {
    // Slipway keeps no warm pools and sells no training plans: a filter on
    // either matches nothing.
    if input.str("WarmPoolStatusEquals").is_some() || input.str("TrainingPlanArnEquals").is_some() {
        return text(&ListTrainingJobsShape {
            training_job_summaries: Vec::new(),
            next_token: None,
        });
    }
    let params = list_params(&input)?;
    let (items, next_token) = svc
        .training_jobs()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let training_job_summaries = items
        .iter()
        .map(|(record, s)| TrainingJobSummaryShape {
            training_job_name: &record.name,
            training_job_arn: &record.arn,
            creation_time: micros_to_epoch_seconds(record.created),
            training_end_time: s.training_end.map(micros_to_epoch_seconds),
            last_modified_time: micros_to_epoch_seconds(record.modified),
            training_job_status: &record.status,
            secondary_status: &s.secondary,
        })
        .collect();
    text(&ListTrainingJobsShape {
        training_job_summaries,
        next_token,
    })
}

pub async fn delete_training_job(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "TrainingJobName")?;
    svc.training_jobs()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}

pub async fn stop_training_job(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "TrainingJobName")?;
    svc.training_jobs()
        .stop(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
