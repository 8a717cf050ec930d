//! Model packages and model package groups.

use super::common::{list_params, required, HandlerResult};
use crate::error::AwsError;
use crate::json::{merge, object, ts, Input};
use serde_json::{json, Map, Value};
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

pub async fn list_model_packages(
    svc: &Service,
    account: &AccountId,
    input: Input,
) -> HandlerResult {
    let params = list_params(&input)?;
    let filter = ModelPackageFilter {
        approval: input.str("ModelApprovalStatus"),
        group: input.str("ModelPackageGroupName"),
        package_type: input.str("ModelPackageType"),
    };
    let (items, next) = svc
        .model_packages()
        .list(account, &params, &filter)
        .await
        .map_err(AwsError::from_service)?;
    let summaries: Vec<Value> = items
        .iter()
        .map(|p| {
            object([
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
                ("ModelApprovalStatus", json!(p.doc.model_approval_status)),
                (
                    "ModelLifeCycle",
                    p.doc
                        .other
                        .get("ModelLifeCycle")
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
                (
                    "ModelPackageRegistrationType",
                    p.doc
                        .other
                        .get("ModelPackageRegistrationType")
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
            ])
        })
        .collect();
    Ok(object([
        ("ModelPackageSummaryList", json!(summaries)),
        ("NextToken", json!(next)),
    ]))
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
        ("ModelPackageGroupSummaryList", json!(summaries)),
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
