//! CreateModel, DescribeModel, ListModels, DeleteModel.

use super::common::{list_params, required, text, HandlerResult};
use crate::error::AwsError;
use crate::json::{merge, object, ts, Input, Reply};
use serde::Serialize;
use serde_json::{json, Value};
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::AccountId;
use slipway_service::Service;

pub async fn create_model(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let tags = input.tags("Tags");
    let model = svc
        .models()
        .create(account, input.0, tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "ModelArn": model.record.arn }))
}

pub async fn describe_model(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "ModelName")?;
    let model = svc
        .models()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    let head = object([
        ("ModelName", json!(model.doc.model_name)),
        ("ModelArn", json!(model.record.arn)),
        ("CreationTime", ts(model.record.created)),
        (
            "EnableNetworkIsolation",
            json!(model.doc.enable_network_isolation.unwrap_or(false)),
        ),
    ]);
    Ok(merge(
        head,
        serde_json::to_value(&model.doc).unwrap_or(Value::Null),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ModelSummaryShape<'a> {
    model_name: &'a str,
    model_arn: &'a str,
    creation_time: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListModelsShape<'a> {
    models: Vec<ModelSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn list_models(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> Result<Reply, AwsError> {
    let params = list_params(&input)?;
    let (items, next_token) = svc
        .models()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let models = items
        .iter()
        .map(|(r, _)| ModelSummaryShape {
            model_name: &r.name,
            model_arn: &r.arn,
            creation_time: micros_to_epoch_seconds(r.created),
        })
        .collect();
    text(&ListModelsShape { models, next_token })
}

pub async fn delete_model(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let name = required(&input, "ModelName")?;
    svc.models()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
