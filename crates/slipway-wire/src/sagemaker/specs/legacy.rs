//! Documents of the earlier storage layout (the AWS document itself, or a
//! job's AWS request) read through the same conversions as a request, so
//! the control plane can store them in its own layout
//! (`slipway_service::upgrade`, docs/architecture.md "Stored documents").

use super::{decode, Unreadable};
use crate::generated::sagemaker as wire;
use serde_json::Value;
use slipway_core::spec::{
    MetricDefinition, StatusDetails, StatusItem, TrainingJobSpec, TransformJobSpec,
};
use slipway_core::time_util::epoch_seconds_to_micros;
use slipway_core::Echo;
use slipway_service::resources::algorithms::{AlgorithmDocument, AlgorithmSpec};
use slipway_service::resources::model_package_groups::GroupDocument;
use slipway_service::resources::model_packages::{ModelPackageDocument, NewModelPackage};
use slipway_service::resources::models::{ModelDocument, ModelSpec};
use slipway_service::upgrade::LegacyDocuments;

/// The wire's reading of old documents, handed to
/// `Service::upgrade_documents` by the binary.
pub struct Legacy;

type Out<T> = Result<T, String>;

fn why(e: Unreadable) -> String {
    e.0
}

/// The old document without `members` (those the server now renders
/// from typed state).
fn without(old: &Value, members: &[&str]) -> Echo {
    let mut v = old.clone();
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !members.contains(&k.as_str()));
    }
    Echo::new(v)
}

/// `AlgorithmStatusDetails` / `ModelPackageStatusDetails` as stored.
fn status_details(v: Option<&Value>) -> StatusDetails {
    let items = |key: &str| -> Vec<StatusItem> {
        let list: Vec<wire::ModelPackageStatusItem> = v
            .and_then(|d| d.get(key))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        list.into_iter()
            .map(|i| StatusItem {
                name: i.name,
                status: i.status,
                failure_reason: i.failure_reason,
            })
            .collect()
    };
    StatusDetails {
        validation_statuses: items("ValidationStatuses"),
        image_scan_statuses: items("ImageScanStatuses"),
    }
}

impl LegacyDocuments for Legacy {
    fn model(&self, old: Echo) -> Out<ModelDocument> {
        let request: wire::CreateModelInput = decode(old.as_value().clone()).map_err(why)?;
        Ok(ModelDocument {
            spec: ModelSpec::try_from(request).map_err(why)?,
            echo: Some(old),
        })
    }

    fn algorithm(&self, old: Echo) -> Out<AlgorithmDocument> {
        let v = old.into_value();
        let request: wire::CreateAlgorithmInput = decode(v.clone()).map_err(why)?;
        Ok(AlgorithmDocument {
            spec: AlgorithmSpec::try_from(request).map_err(why)?,
            status_details: status_details(v.get("AlgorithmStatusDetails")),
            echo: without(&v, &["AlgorithmStatusDetails"]),
        })
    }

    fn model_package(&self, old: Echo) -> Out<ModelPackageDocument> {
        let v = old.into_value();
        let request: wire::CreateModelPackageInput = decode(v.clone()).map_err(why)?;
        let new = NewModelPackage::try_from(request).map_err(why)?;
        let str_of = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(ModelPackageDocument {
            model_package_name: str_of("ModelPackageName").unwrap_or_default(),
            model_package_group_name: new.group,
            model_package_version: v.get("ModelPackageVersion").and_then(Value::as_i64),
            model_package_description: new.description,
            inference: new.inference,
            derived_inference: None,
            source_algorithms: new.source_algorithms.unwrap_or_default(),
            validation: new.validation,
            certify_for_marketplace: new.certify_for_marketplace,
            model_approval_status: str_of("ModelApprovalStatus"),
            approval_description: str_of("ApprovalDescription"),
            status_details: status_details(v.get("ModelPackageStatusDetails")),
            additional_inference_count: v
                .get("AdditionalInferenceSpecifications")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
            model_life_cycle: new.model_life_cycle,
            registration_type: new.registration_type,
            last_modified: v
                .get("LastModifiedTime")
                .and_then(Value::as_f64)
                .map(epoch_seconds_to_micros),
            echo: without(&v, super::super::model_packages::RENDERED),
        })
    }

    fn model_package_group(&self, old: Echo) -> Out<GroupDocument> {
        let request: wire::CreateModelPackageGroupInput = decode(old.into_value()).map_err(why)?;
        Ok(GroupDocument {
            model_package_group_name: request.model_package_group_name,
            model_package_group_description: request.model_package_group_description,
        })
    }

    fn training_job(&self, old_request: Echo) -> Out<TrainingJobSpec> {
        let request: wire::CreateTrainingJobRequest =
            decode(old_request.into_value()).map_err(why)?;
        TrainingJobSpec::try_from(request).map_err(why)
    }

    fn transform_job(&self, old_request: Echo) -> Out<TransformJobSpec> {
        let request: wire::CreateTransformJobRequest =
            decode(old_request.into_value()).map_err(why)?;
        TransformJobSpec::try_from(request).map_err(why)
    }

    fn metric_definitions(&self, old: Echo) -> Out<Vec<MetricDefinition>> {
        let defs: Vec<wire::MetricDefinition> = decode(old.into_value()).map_err(why)?;
        Ok(defs.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
