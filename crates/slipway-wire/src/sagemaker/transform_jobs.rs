//! CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

use super::common::{list_params, required, text, HandlerResult};
use super::specs;
use crate::error::AwsError;
use crate::generated::sagemaker as generated;
use crate::json::{merge, object, ts, Input, Reply};
use serde::Serialize;
use serde_json::{json, Value};
use slipway_core::spec::TransformJobSpec;
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::AccountId;
use slipway_service::Service;

pub async fn create_transform_job(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let tags = input.tags("Tags");
    let request: generated::CreateTransformJobRequest = specs::request(&input)?;
    let spec = TransformJobSpec::try_from(request)?;
    let echo = specs::echo(&input, &["Tags"]);
    let job = svc
        .transform_jobs()
        .create(account, spec, Some(echo), tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "TransformJobArn": job.record.arn }))
}

pub async fn describe_transform_job(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "TransformJobName")?;
    let job = svc
        .transform_jobs()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    let st = &job.doc.state;
    let head = object([
        ("TransformJobName", json!(job.record.name)),
        ("TransformJobArn", json!(job.record.arn)),
        ("TransformJobStatus", json!(job.record.status)),
        ("FailureReason", json!(st.failure_reason)),
        ("CreationTime", ts(job.record.created)),
        (
            "TransformStartTime",
            st.start.map(ts).unwrap_or(Value::Null),
        ),
        ("TransformEndTime", st.end.map(ts).unwrap_or(Value::Null)),
    ]);
    let echo = match &job.doc.echo {
        Some(echo) => echo.as_value().clone(),
        None => specs::render_transform_job(&job.doc.spec),
    };
    Ok(merge(head, echo))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TransformJobSummaryShape<'a> {
    transform_job_name: &'a str,
    transform_job_arn: &'a str,
    creation_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    transform_end_time: Option<f64>,
    last_modified_time: f64,
    transform_job_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListTransformJobsShape<'a> {
    transform_job_summaries: Vec<TransformJobSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn list_transform_jobs(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> Result<Reply, AwsError> {
    let params = list_params(&input)?;
    let (items, next_token) = svc
        .transform_jobs()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let transform_job_summaries = items
        .iter()
        .map(|(r, s)| TransformJobSummaryShape {
            transform_job_name: &r.name,
            transform_job_arn: &r.arn,
            creation_time: micros_to_epoch_seconds(r.created),
            transform_end_time: s.end.map(micros_to_epoch_seconds),
            last_modified_time: micros_to_epoch_seconds(r.modified),
            transform_job_status: &r.status,
            failure_reason: s.failure_reason.as_deref(),
        })
        .collect();
    text(&ListTransformJobsShape {
        transform_job_summaries,
        next_token,
    })
}

pub async fn stop_transform_job(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "TransformJobName")?;
    svc.transform_jobs()
        .stop(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
