//! CreateModel, DescribeModel, ListModels, DeleteModel.

use super::common::{list_params, members, seconds};
use crate::context::Cx;
use crate::error::AwsError;
use crate::generated::sagemaker::*;
use crate::json::{merge, object, ts};
use serde_json::{json, Value};

pub async fn create_model(
    cx: &Cx<'_>,
    input: CreateModelInput,
) -> Result<CreateModelOutput, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let input = members(&input)?;
    let tags = input.tags("Tags");
    let model = svc
        .models()
        .create(account, input.0, tags)
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
