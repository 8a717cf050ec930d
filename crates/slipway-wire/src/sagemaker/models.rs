//! CreateModel, DescribeModel, ListModels, DeleteModel.

use super::common::{list_params, required, text, HandlerResult};
use super::specs;
use crate::error::AwsError;
use crate::generated::sagemaker as generated;
use crate::json::{merge, object, ts, Input, Reply};
use serde::Serialize;
use serde_json::json;
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::AccountId;
use slipway_service::resources::models::ModelSpec;
use slipway_service::Service;

pub async fn create_model(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let tags = input.tags("Tags");
    let request: generated::CreateModelInput = specs::request(&input)?;
    let spec = ModelSpec::try_from(request)?;
    let echo = specs::echo(&input, &["Tags"]);
    let model = svc
        .models()
        .create(account, spec, echo, tags)
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
        ("ModelName", json!(model.doc.spec.model_name)),
        ("ModelArn", json!(model.record.arn)),
        ("CreationTime", ts(model.record.created)),
        (
            "EnableNetworkIsolation",
            json!(model.doc.spec.enable_network_isolation.unwrap_or(false)),
        ),
    ]);
    let echo = match &model.doc.echo {
        Some(echo) => echo.as_value().clone(),
        None => specs::render_model(&model.doc.spec),
    };
    Ok(merge(head, echo))
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
