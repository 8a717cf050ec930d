//! CreateModelPackage, DescribeModelPackage, ListModelPackages,
//! UpdateModelPackage, DeleteModelPackage.

use super::common::{list_params, members, seconds, status_details};
use super::specs;
use crate::generated::sagemaker::*;
use serde_json::{json, Value};
use slipway_core::Echo;
use slipway_service::resources::model_packages::{
    ModelPackage, ModelPackageFilter, NewModelPackage,
};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{merge, object, ts};

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
    cx: &Cx<'_>,
    input: CreateModelPackageInput,
) -> Result<CreateModelPackageOutput, AwsError> {
    let (svc, account) = (cx.svc, cx.account);
    let sent = members(&input)?;
    let mut new = NewModelPackage::try_from(input)?;
    new.tags = sent.tags("Tags");
    new.additional_inference_count = sent
        .as_value()
        .get("AdditionalInferenceSpecifications")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    new.echo = specs::echo(&sent, RENDERED);
    let pkg = svc
        .model_packages()
        .create(account, new)
        .await
        .map_err(AwsError::from_service)?;
    Ok(CreateModelPackageOutput {
        model_package_arn: pkg.record.arn,
    })
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
            model_life_cycle: from_stored(p.model_life_cycle.map(Echo::into_value)),
            model_package_registration_type: p.registration_type,
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

pub async fn update_model_package(
    cx: &Cx<'_>,
    input: UpdateModelPackageInput,
) -> Result<UpdateModelPackageOutput, AwsError> {
    let update = specs::update_of(&members(&input)?)?;
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
