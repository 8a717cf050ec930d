//! Model packages and model package groups.

use super::common::{list_params, required, text, HandlerResult};
use crate::error::AwsError;
use crate::json::Reply;
use crate::json::{merge, object, ts, Input};
use serde::Serialize;
use serde_json::{json, Map, Value};
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_core::AccountId;
use slipway_service::resources::model_packages::{
    ModelPackage, ModelPackageFilter, ModelPackageUpdate, NewModelPackage,
};
use slipway_service::Service;

/// Members of CreateModelPackage the service reads; all others are
/// stored and echoed as given.
const TYPED_MEMBERS: [&str; 10] = [
    "ModelPackageName",
    "ModelPackageGroupName",
    "ModelPackageDescription",
    "InferenceSpecification",
    "ValidationSpecification",
    "SourceAlgorithmSpecification",
    "CertifyForMarketplace",
    "ModelApprovalStatus",
    "Tags",
    "ClientToken",
];

pub async fn create_model_package(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let other: Map<String, Value> = input
        .0
        .iter()
        .filter(|(k, v)| !TYPED_MEMBERS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let new = NewModelPackage {
        name: input.str("ModelPackageName"),
        group: input.str("ModelPackageGroupName"),
        description: input.str("ModelPackageDescription"),
        inference: input.typed("InferenceSpecification")?,
        validation: input.typed("ValidationSpecification")?,
        source_algorithm: input.typed("SourceAlgorithmSpecification")?,
        certify_for_marketplace: input.bool("CertifyForMarketplace"),
        approval: input.str("ModelApprovalStatus"),
        tags: input.tags("Tags"),
        client_token: input.str("ClientToken"),
        other,
    };
    let pkg = svc
        .model_packages()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "ModelPackageArn": pkg.record.arn }))
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
    ]);
    merge(head, serde_json::to_value(&p.doc).unwrap_or(Value::Null))
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
    model_package_registration_type: Option<&'a Value>,
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
            model_life_cycle: p.model_life_cycle.as_ref().filter(|v| !v.is_null()),
            model_package_registration_type: p
                .model_package_registration_type
                .as_ref()
                .filter(|v| !v.is_null()),
        })
        .collect();
    text(&ListModelPackagesShape {
        model_package_summary_list,
        next_token,
    })
}

/// Members UpdateModelPackage replaces wholesale.
const REPLACED_ON_UPDATE: [&str; 5] = [
    "InferenceSpecification",
    "SourceUri",
    "ModelCard",
    "ModelLifeCycle",
    "ModelPackageRegistrationType",
];

pub async fn update_model_package(
    svc: &Service,
    account: &AccountId,
    mut input: Input,
) -> HandlerResult {
    let arn = required(&input, "ModelPackageArn")?;
    let mut replace = Map::new();
    for name in REPLACED_ON_UPDATE {
        if let Some(v) = input.take(name) {
            replace.insert(name.to_owned(), v);
        }
    }
    let update = ModelPackageUpdate {
        arn,
        approval: input.str("ModelApprovalStatus"),
        approval_description: input.str("ApprovalDescription"),
        metadata_to_add: input.typed("CustomerMetadataProperties")?,
        metadata_to_remove: input
            .typed("CustomerMetadataPropertiesToRemove")?
            .unwrap_or_default(),
        additional_inference_to_add: input
            .typed("AdditionalInferenceSpecificationsToAdd")?
            .unwrap_or_default(),
        replace,
    };
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
