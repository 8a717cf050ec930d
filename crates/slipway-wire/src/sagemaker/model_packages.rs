//! Model packages and model package groups.

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
use slipway_core::{AccountId, Echo};
use slipway_service::resources::model_packages::{
    ModelPackage, ModelPackageFilter, NewModelPackage,
};
use slipway_service::Service;

/// Members of a model package the server renders from typed state (and
/// Tags and ClientToken, which are not echoed): not kept in the echo.
pub(crate) const RENDERED: &[&str] = &[
    "Tags",
    "ClientToken",
    "ModelPackageName",
    "ModelPackageGroupName",
    "ModelPackageDescription",
    "ModelPackageVersion",
    "ModelApprovalStatus",
    "ApprovalDescription",
    "ModelPackageStatusDetails",
    "LastModifiedTime",
];

pub async fn create_model_package(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let request: generated::CreateModelPackageInput = specs::request(&input)?;
    let mut new = NewModelPackage::try_from(request)?;
    new.tags = input.tags("Tags");
    new.additional_inference_count = input
        .as_value()
        .get("AdditionalInferenceSpecifications")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    new.echo = specs::echo(&input, RENDERED);
    let pkg = svc
        .model_packages()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "ModelPackageArn": pkg.record.arn }))
}

/// The InferenceSpecification DescribeModelPackage shows when the request
/// had none: the source algorithm's, serving the source's model data.
fn derived_inference(p: &ModelPackage) -> Value {
    if let Some(d) = &p.doc.derived_inference {
        let mut inf = d
            .algorithm_echo
            .as_value()
            .get("InferenceSpecification")
            .cloned()
            .unwrap_or(Value::Null);
        if let (Some(url), Some(list)) = (
            &d.model_data_url,
            inf.get_mut("Containers").and_then(Value::as_array_mut),
        ) {
            for c in list.iter_mut().filter_map(Value::as_object_mut) {
                c.insert("ModelDataUrl".into(), json!(url));
            }
        }
        return inf;
    }
    match (
        &p.doc.inference,
        p.doc.echo.as_value().get("InferenceSpecification"),
    ) {
        (Some(inf), None) => specs::render_inference(inf),
        _ => Value::Null,
    }
}

pub fn describe_shape(p: &ModelPackage) -> Value {
    let head = object([
        ("ModelPackageName", json!(p.doc.model_package_name)),
        (
            "ModelPackageGroupName",
            json!(p.doc.model_package_group_name),
        ),
        ("ModelPackageVersion", json!(p.doc.model_package_version)),
        ("ModelPackageArn", json!(p.record.arn)),
        (
            "ModelPackageDescription",
            json!(p.doc.model_package_description),
        ),
        ("CreationTime", ts(p.record.created)),
        ("ModelPackageStatus", json!(p.record.status)),
        (
            "ModelPackageStatusDetails",
            status_details(&p.doc.status_details),
        ),
        ("ModelApprovalStatus", json!(p.doc.model_approval_status)),
        ("ApprovalDescription", json!(p.doc.approval_description)),
        (
            "LastModifiedTime",
            p.doc.last_modified.map(ts).unwrap_or(Value::Null),
        ),
        ("InferenceSpecification", derived_inference(p)),
    ]);
    merge(head, p.doc.echo.as_value().clone())
}

pub async fn describe_model_package(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "ModelPackageName")?;
    let pkg = svc
        .model_packages()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&pkg))
}

/// One `ModelPackageSummary` of ListModelPackages.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ModelPackageSummaryShape<'a> {
    model_package_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_package_group_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_package_version: Option<i64>,
    model_package_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_package_description: Option<&'a str>,
    creation_time: f64,
    model_package_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_approval_status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_life_cycle: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model_package_registration_type: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListModelPackagesShape<'a> {
    model_package_summary_list: Vec<ModelPackageSummaryShape<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

pub async fn list_model_packages(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> Result<Reply, AwsError> {
    let params = list_params(&input)?;
    let filter = ModelPackageFilter {
        approval: input.str("ModelApprovalStatus"),
        group: input.str("ModelPackageGroupName"),
        package_type: input.str("ModelPackageType"),
    };
    let (items, next_token) = svc
        .model_packages()
        .list(account, &params, &filter)
        .await
        .map_err(AwsError::from_service)?;
    let model_package_summary_list = items
        .iter()
        .map(|(record, p)| ModelPackageSummaryShape {
            model_package_name: &p.model_package_name,
            model_package_group_name: p.model_package_group_name.as_deref(),
            model_package_version: p.model_package_version,
            model_package_arn: &record.arn,
            model_package_description: p.model_package_description.as_deref(),
            creation_time: micros_to_epoch_seconds(record.created),
            model_package_status: &record.status,
            model_approval_status: p.model_approval_status.as_deref(),
            model_life_cycle: p
                .model_life_cycle
                .as_ref()
                .map(Echo::as_value)
                .filter(|v| !v.is_null()),
            model_package_registration_type: p.registration_type.as_deref(),
        })
        .collect();
    text(&ListModelPackagesShape {
        model_package_summary_list,
        next_token,
    })
}

pub async fn update_model_package(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let update = specs::update_of(&input)?;
    let pkg = svc
        .model_packages()
        .update(account, update)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "ModelPackageArn": pkg.record.arn }))
}

pub async fn delete_model_package(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "ModelPackageName")?;
    svc.model_packages()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}

pub async fn create_model_package_group(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "ModelPackageGroupName")?;
    let group = svc
        .model_package_groups()
        .create(
            account,
            &name,
            input.str("ModelPackageGroupDescription"),
            &input.tags("Tags"),
        )
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "ModelPackageGroupArn": group.record.arn }))
}

pub async fn describe_model_package_group(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "ModelPackageGroupName")?;
    let g = svc
        .model_package_groups()
        .describe(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(object([
        (
            "ModelPackageGroupName",
            json!(g.doc.model_package_group_name),
        ),
        ("ModelPackageGroupArn", json!(g.record.arn)),
        (
            "ModelPackageGroupDescription",
            json!(g.doc.model_package_group_description),
        ),
        ("CreationTime", ts(g.record.created)),
        ("CreatedBy", json!({})),
        ("ModelPackageGroupStatus", json!(g.record.status)),
    ]))
}

pub async fn list_model_package_groups(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let params = list_params(&input)?;
    let (items, next) = svc
        .model_package_groups()
        .list(account, &params)
        .await
        .map_err(AwsError::from_service)?;
    let summaries: Vec<Value> = items
        .iter()
        .map(|g| {
            object([
                (
                    "ModelPackageGroupName",
                    json!(g.doc.model_package_group_name),
                ),
                ("ModelPackageGroupArn", json!(g.record.arn)),
                (
                    "ModelPackageGroupDescription",
                    json!(g.doc.model_package_group_description),
                ),
                ("CreationTime", ts(g.record.created)),
                ("ModelPackageGroupStatus", json!(g.record.status)),
            ])
        })
        .collect();
    Ok(object([
        ("ModelPackageGroupSummaryList", Value::Array(summaries)),
        ("NextToken", json!(next)),
    ]))
}

pub async fn delete_model_package_group(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let name = required(&input, "ModelPackageGroupName")?;
    svc.model_package_groups()
        .delete(account, &name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
