//! CreateModelPackage, DescribeModelPackage, ListModelPackages,
//! UpdateModelPackage, DeleteModelPackage.

use super::common::{list_params, members, seconds};
use crate::context::Cx;
use crate::error::AwsError;
use crate::generated::sagemaker::*;
use crate::json::{merge, object, ts};
use serde_json::{json, Map, Value};
use slipway_service::resources::model_packages::{
    ModelPackage, ModelPackageFilter, ModelPackageUpdate, NewModelPackage,
};

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
    cx: &Cx<'_>,
    input: CreateModelPackageInput,
) -> Result<CreateModelPackageOutput, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let input = members(&input)?;
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
    Ok(CreateModelPackageOutput {
        model_package_arn: pkg.record.arn,
    })
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
    cx: &Cx<'_>,
    input: DescribeModelPackageInput,
) -> Result<Value, AwsError> {
    let pkg = cx
        .svc
        .model_packages()
        .describe(cx.account, &input.model_package_name)
        .await
        .map_err(AwsError::from_service)?;
    Ok(describe_shape(&pkg))
}

pub async fn list_model_packages(
    cx: &Cx<'_>,
    input: ListModelPackagesInput,
) -> Result<ListModelPackagesOutput, AwsError> {
    let filter = ModelPackageFilter {
        approval: input.model_approval_status.clone(),
        group: input.model_package_group_name.clone(),
        package_type: input.model_package_type.clone(),
    };
    let (items, next_token) = cx
        .svc
        .model_packages()
        .list(cx.account, &list_params!(input), &filter)
        .await
        .map_err(AwsError::from_service)?;
    let model_package_summary_list = items
        .into_iter()
        .map(|(record, p)| ModelPackageSummary {
            model_package_name: Some(p.model_package_name),
            model_package_group_name: p.model_package_group_name,
            model_package_version: p.model_package_version,
            model_package_arn: record.arn,
            model_package_description: p.model_package_description,
            creation_time: seconds(record.created),
            model_package_status: record.status,
            model_approval_status: p.model_approval_status,
            model_life_cycle: from_stored(p.model_life_cycle),
            model_package_registration_type: from_stored(p.model_package_registration_type),
        })
        .collect();
    Ok(ListModelPackagesOutput {
        model_package_summary_list,
        next_token,
    })
}

/// A stored member as its wire shape; the model check accepted it on
/// creation, so it fits.
fn from_stored<T: serde::de::DeserializeOwned>(v: Option<Value>) -> Option<T> {
    v.and_then(|v| serde_json::from_value(v).ok())
}

/// A typed member as the JSON the service stores.
fn stored<T: serde::Serialize>(member: &T) -> Result<Value, AwsError> {
    serde_json::to_value(member).map_err(|e| {
        tracing::error!(error = %e, "encoding a request member");
        AwsError::internal()
    })
}

pub async fn update_model_package(
    cx: &Cx<'_>,
    input: UpdateModelPackageInput,
) -> Result<UpdateModelPackageOutput, AwsError> {
    // The members UpdateModelPackage replaces wholesale.
    let mut replace = Map::new();
    let mut put = |name: &str, v: Option<Value>| {
        if let Some(v) = v {
            replace.insert(name.to_owned(), v);
        }
    };
    put(
        "InferenceSpecification",
        input
            .inference_specification
            .as_ref()
            .map(stored)
            .transpose()?,
    );
    put("SourceUri", input.source_uri.map(Value::String));
    put(
        "ModelCard",
        input.model_card.as_ref().map(stored).transpose()?,
    );
    put(
        "ModelLifeCycle",
        input.model_life_cycle.as_ref().map(stored).transpose()?,
    );
    put(
        "ModelPackageRegistrationType",
        input.model_package_registration_type.map(Value::String),
    );
    let update = ModelPackageUpdate {
        arn: input.model_package_arn,
        approval: input.model_approval_status,
        approval_description: input.approval_description,
        metadata_to_add: input
            .customer_metadata_properties
            .map(|m| m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
        metadata_to_remove: input
            .customer_metadata_properties_to_remove
            .unwrap_or_default(),
        additional_inference_to_add: input
            .additional_inference_specifications_to_add
            .unwrap_or_default()
            .iter()
            .map(stored)
            .collect::<Result<_, _>>()?,
        replace,
    };
    let pkg = cx
        .svc
        .model_packages()
        .update(cx.account, update)
        .await
        .map_err(AwsError::from_service)?;
    Ok(UpdateModelPackageOutput {
        model_package_arn: pkg.record.arn,
    })
}

pub async fn delete_model_package(
    cx: &Cx<'_>,
    input: DeleteModelPackageInput,
) -> Result<(), AwsError> {
    cx.svc
        .model_packages()
        .delete(cx.account, &input.model_package_name)
        .await
        .map_err(AwsError::from_service)
}
