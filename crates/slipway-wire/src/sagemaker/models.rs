//! CreateModel, DescribeModel, ListModels, DeleteModel.

use super::common::{list_params, members, seconds};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_service::resources::models::ModelSpec;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

pub async fn create_model(
    cx: &Cx<'_>,
    input: CreateModelInput,
) -> Result<CreateModelOutput, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let sent = members(&input)?;
    let tags = sent.tags("Tags");
    let echo = specs::echo(&sent, &["Tags"]);
    let spec = ModelSpec::try_from(input)?;
    let model = svc
        .models()
        .create(account, spec, echo, tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateModelOutput {
        model_arn: model.record.arn,
    })
}

pub async fn describe_model(cx: &Cx<'_>, input: DescribeModelInput) -> Result<Value, AwsError> {
    let model = cx
        .svc
        .models()
        .describe(cx.account, &input.model_name)
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

pub async fn list_models(
    cx: &Cx<'_>,
    input: ListModelsInput,
) -> Result<ListModelsOutput, AwsError> {
    let (items, next_token) = cx
        .svc
        .models()
        .list(cx.account, &list_params!(input))
        .await
        .map_err(AwsError::from_service)?;
    let models = items
        .into_iter()
        .map(|(r, _)| ModelSummary {
            model_name: r.name,
            model_arn: r.arn,
            creation_time: seconds(r.created),
        })
        .collect();
    Ok(ListModelsOutput { models, next_token })
}

pub async fn delete_model(cx: &Cx<'_>, input: DeleteModelInput) -> Result<(), AwsError> {
    cx.svc
        .models()
        .delete(cx.account, &input.model_name)
        .await
        .map_err(AwsError::from_service)
}
