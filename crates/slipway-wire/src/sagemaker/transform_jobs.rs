//! CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.

use super::common::{list_params, members, micros, seconds};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_core::spec::TransformJobSpec;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

pub async fn create_transform_job(
    cx: &Cx<'_>,
    input: CreateTransformJobRequest,
) -> Result<CreateTransformJobResponse, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let echo = specs::echo(&sent, &["Tags"]);
    let spec = TransformJobSpec::try_from(input)?;
    let job = svc
        .transform_jobs()
        .create(account, spec, Some(echo), tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateTransformJobResponse {
        transform_job_arn: job.record.arn,
    })
}

pub async fn describe_transform_job(
    cx: &Cx<'_>,
    input: DescribeTransformJobRequest,
) -> Result<Value, AwsError> {
    let job = cx
        .svc
        .transform_jobs()
        .describe(cx.account, &input.transform_job_name)
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

pub async fn list_transform_jobs(
    cx: &Cx<'_>,
    input: ListTransformJobsRequest,
) -> Result<ListTransformJobsResponse, AwsError> {
    let params = slipway_service::listing::ListParams {
        modified_after: micros(input.last_modified_time_after),
        modified_before: micros(input.last_modified_time_before),
        status: input.status_equals,
        ..list_params!(input)
    };
    let (items, next_token) = cx
        .svc
        .transform_jobs()
        .list(cx.account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let transform_job_summaries = items
        .into_iter()
        .map(|(r, s)| TransformJobSummary {
            transform_job_name: r.name,
            transform_job_arn: r.arn,
            creation_time: seconds(r.created),
            transform_end_time: s.end.map(seconds),
            last_modified_time: Some(seconds(r.modified)),
            transform_job_status: r.status,
            failure_reason: s.failure_reason,
        })
        .collect();
    Ok(ListTransformJobsResponse {
        transform_job_summaries,
        next_token,
    })
}

pub async fn stop_transform_job(
    cx: &Cx<'_>,
    input: StopTransformJobRequest,
) -> Result<(), AwsError> {
    cx.svc
        .transform_jobs()
        .stop(cx.account, &input.transform_job_name)
        .await
        .map_err(AwsError::from_service)
}
