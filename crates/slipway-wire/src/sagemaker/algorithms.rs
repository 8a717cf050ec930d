//! CreateAlgorithm, DescribeAlgorithm, ListAlgorithms, DeleteAlgorithm.

use super::common::{list_params, members, seconds, status_details};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_service::resources::algorithms::{Algorithm, AlgorithmSpec, NewAlgorithm};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

pub async fn create_algorithm(
    cx: &Cx<'_>,
    input: CreateAlgorithmInput,
) -> Result<CreateAlgorithmOutput, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let sent = members(&input)?;
    let new = NewAlgorithm {
        echo: specs::echo(&sent, &["Tags"]),
        tags: sent.tags("Tags"),
        spec: AlgorithmSpec::try_from(input)?,
    };
    let algo = svc
        .algorithms()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateAlgorithmOutput {
        algorithm_arn: algo.record.arn,
    })
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

pub async fn describe_algorithm(
    cx: &Cx<'_>,
    input: DescribeAlgorithmInput,
) -> Result<Value, AwsError> {
    let algo = cx
        .svc
        .algorithms()
        .describe(cx.account, &input.algorithm_name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&algo))
}

pub async fn list_algorithms(
    cx: &Cx<'_>,
    input: ListAlgorithmsInput,
) -> Result<ListAlgorithmsOutput, AwsError> {
    let (items, next_token) = cx
        .svc
        .algorithms()
        .list(cx.account, &list_params!(input))
        .await
        .map_err(AwsError::from_service)?;
    let algorithm_summary_list = items
        .into_iter()
        .map(|(record, a)| AlgorithmSummary {
            algorithm_name: a.name,
            algorithm_arn: record.arn,
            algorithm_description: a.description,
            creation_time: seconds(record.created),
            algorithm_status: record.status,
        })
        .collect();
    Ok(ListAlgorithmsOutput {
        algorithm_summary_list,
        next_token,
    })
}

pub async fn delete_algorithm(cx: &Cx<'_>, input: DeleteAlgorithmInput) -> Result<(), AwsError> {
    cx.svc
        .algorithms()
        .delete(cx.account, &input.algorithm_name)
        .await
        .map_err(AwsError::from_service)
}
