//! CreateAlgorithm, DescribeAlgorithm, ListAlgorithms, DeleteAlgorithm.

use super::common::status_details;
use super::common::{list_params, required, text, HandlerResult};
use super::specs;
use crate::error::AwsError;
use crate::generated::sagemaker as generated;
use crate::json::Reply;
use crate::json::{merge, object, ts, Input};
use serde::Serialize;
use serde_json::{json, Value};
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::AccountId;
use slipway_service::resources::algorithms::{Algorithm, AlgorithmSpec, NewAlgorithm};
use slipway_service::Service;

pub async fn create_algorithm(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let request: generated::CreateAlgorithmInput = specs::request(&input)?;
    let new = NewAlgorithm {
        spec: AlgorithmSpec::try_from(request)?,
        echo: specs::echo(&input, &["Tags"]),
        tags: input.tags("Tags"),
    };
    let algo = svc
        .algorithms()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "AlgorithmArn": algo.record.arn }))
}

/// The DescribeAlgorithm shape: the request's echo plus what the
/// server owns (ARN, times, status, validation statuses).
pub fn describe_shape(a: &Algorithm) -> Value {
    let head = object([
        ("AlgorithmName", json!(a.doc.spec.name)),
        ("AlgorithmArn", json!(a.record.arn)),
        ("CreationTime", ts(a.record.created)),
        ("AlgorithmStatus", json!(a.record.status)),
        (
            "AlgorithmStatusDetails",
            status_details(&a.doc.status_details),
        ),
    ]);
    merge(head, a.doc.echo.as_value().clone())
}

pub async fn describe_algorithm(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "AlgorithmName")?;
    let algo = svc
        .algorithms()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&algo))
}

/// One `AlgorithmSummary` of ListAlgorithms.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AlgorithmSummaryShape<'a> {
    algorithm_name: &'a str,
    algorithm_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    algorithm_description: Option<&'a str>,
    creation_time: f64,
    algorithm_status: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListAlgorithmsShape<'a> {
    algorithm_summary_list: Vec<AlgorithmSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn list_algorithms(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> Result<Reply, AwsError> {
    let params = list_params(&input)?;
    let (items, next_token) = svc
        .algorithms()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let algorithm_summary_list = items
        .iter()
        .map(|(record, a)| AlgorithmSummaryShape {
            algorithm_name: &a.name,
            algorithm_arn: &record.arn,
            algorithm_description: a.description.as_deref(),
            creation_time: micros_to_epoch_seconds(record.created),
            algorithm_status: &record.status,
        })
        .collect();
    text(&ListAlgorithmsShape {
        algorithm_summary_list,
        next_token,
    })
}

pub async fn delete_algorithm(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "AlgorithmName")?;
    svc.algorithms()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
