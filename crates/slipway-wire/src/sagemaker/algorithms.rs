//! CreateAlgorithm, DescribeAlgorithm, ListAlgorithms, DeleteAlgorithm.

use super::common::{list_params, required, HandlerResult};
use crate::error::AwsError;
use crate::json::{merge, object, ts, Input};
use serde_json::{json, Value};
use slipway_core::AccountId;
use slipway_service::resources::algorithms::{Algorithm, NewAlgorithm};
use slipway_service::Service;

pub async fn create_algorithm(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let new = NewAlgorithm {
        name: required(&input, "AlgorithmName")?,
        description: input.str("AlgorithmDescription"),
        training: input.typed("TrainingSpecification")?.unwrap_or_default(),
        inference: input.typed("InferenceSpecification")?,
        validation: input.typed("ValidationSpecification")?,
        certify_for_marketplace: input.bool("CertifyForMarketplace"),
        tags: input.tags("Tags"),
    };
    let algo = svc
        .algorithms()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "AlgorithmArn": algo.record.arn }))
}

/// The DescribeAlgorithm shape: the stored document plus what the
/// server owns (ARN, times, status).
pub fn describe_shape(a: &Algorithm) -> Value {
    let head = object([
        ("AlgorithmName", json!(a.doc.algorithm_name)),
        ("AlgorithmArn", json!(a.record.arn)),
        ("CreationTime", ts(a.record.created)),
        ("AlgorithmStatus", json!(a.record.status)),
    ]);
    merge(head, serde_json::to_value(&a.doc).unwrap_or(Value::Null))
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

pub async fn list_algorithms(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let params = list_params(&input)?;
    let (items, next) = svc
        .algorithms()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let summaries: Vec<Value> = items
        .iter()
        .map(|a| {
            object([
                ("AlgorithmName", json!(a.doc.algorithm_name)),
                ("AlgorithmArn", json!(a.record.arn)),
                ("AlgorithmDescription", json!(a.doc.algorithm_description)),
                ("CreationTime", ts(a.record.created)),
                ("AlgorithmStatus", json!(a.record.status)),
            ])
        })
        .collect();
    Ok(object([
        ("AlgorithmSummaryList", json!(summaries)),
        ("NextToken", json!(next)),
    ]))
}

pub async fn delete_algorithm(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "AlgorithmName")?;
    svc.algorithms()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
