//! Stored documents in an earlier release's layout, brought to this one
//! once at start-up (docs/architecture.md, "Stored documents").
//!
//! Earlier releases stored each resource as the AWS document Describe
//! echoes (a job as its request beside the plan and state). This release
//! stores the control plane's own spec beside that echo. Reading an old
//! document means reading AWS member names, which only the wire layer
//! does, so the binary passes in a [`LegacyDocuments`] converter (the
//! wire's) and every row that does not decode in the current layout is
//! rewritten through it before the server accepts requests or reconciles
//! jobs. A row the converter refuses is left as it was and reported.

use crate::error::{Error, Result};
use crate::jobs::training::TrainingJobDocument;
use crate::jobs::transform_job::TransformJobDocument;
use crate::resources::algorithms::{AlgorithmDocument, AlgorithmSummary};
use crate::resources::model_package_groups::GroupDocument;
use crate::resources::model_packages::{ModelPackageDocument, ModelPackageSummary};
use crate::resources::models::ModelDocument;
use crate::Service;
use serde::de::DeserializeOwned;
use serde_json::Value;
use slipway_core::ports::metadata::MetaError;
use slipway_core::spec::{MetricDefinition, TrainingJobSpec, TransformJobSpec};
use slipway_core::{Echo, ResourceKind, ResourceRecord};

/// Reads documents of the earlier layout. Each method gets the old
/// document (or, for jobs, the old request) as stored, and fails with a
/// reason when it cannot read it.
pub trait LegacyDocuments: Send + Sync {
    fn model(&self, old: Echo) -> std::result::Result<ModelDocument, String>;
    fn algorithm(&self, old: Echo) -> std::result::Result<AlgorithmDocument, String>;
    fn model_package(&self, old: Echo) -> std::result::Result<ModelPackageDocument, String>;
    fn model_package_group(&self, old: Echo) -> std::result::Result<GroupDocument, String>;
    /// A training job's request; the result's echo is the request itself.
    fn training_job(&self, old_request: Echo) -> std::result::Result<TrainingJobSpec, String>;
    fn transform_job(&self, old_request: Echo) -> std::result::Result<TransformJobSpec, String>;
    /// The metric definitions of an old training job's plan.
    fn metric_definitions(&self, old: Echo) -> std::result::Result<Vec<MetricDefinition>, String>;
}

/// Every status any resource or job row can have.
const ALL_STATUSES: [&str; 8] = [
    "Created",
    "Pending",
    "InProgress",
    "Completed",
    "Failed",
    "Stopping",
    "Stopped",
    "Deleting",
];

const KINDS: [ResourceKind; 6] = [
    ResourceKind::ModelPackageGroup,
    ResourceKind::Algorithm,
    ResourceKind::ModelPackage,
    ResourceKind::Model,
    ResourceKind::TrainingJob,
    ResourceKind::TransformJob,
];

fn decodes_as<T: DeserializeOwned>(record: &ResourceRecord) -> bool {
    serde_json::from_str::<T>(&record.document).is_ok()
}

fn current(record: &ResourceRecord) -> bool {
    match record.kind {
        ResourceKind::Model => decodes_as::<ModelDocument>(record),
        ResourceKind::Algorithm => decodes_as::<AlgorithmDocument>(record),
        ResourceKind::ModelPackage => decodes_as::<ModelPackageDocument>(record),
        ResourceKind::ModelPackageGroup => decodes_as::<GroupDocument>(record),
        ResourceKind::TrainingJob => decodes_as::<TrainingJobDocument>(record),
        ResourceKind::TransformJob => decodes_as::<TransformJobDocument>(record),
        _ => true,
    }
}

/// A job's document in the earlier layout: `request` held the AWS
/// request where `spec` and `echo` are now.
fn split_job(record: &ResourceRecord) -> std::result::Result<(Echo, Value), String> {
    let mut old: Value = serde_json::from_str(&record.document).map_err(|e| e.to_string())?;
    let request = old
        .as_object_mut()
        .and_then(|m| m.remove("request"))
        .ok_or("the document has no request")?;
    Ok((Echo::new(request), old))
}

fn rewrite(
    legacy: &dyn LegacyDocuments,
    record: &mut ResourceRecord,
) -> std::result::Result<(), String> {
    let old = || -> std::result::Result<Echo, String> {
        serde_json::from_str(&record.document).map_err(|e| e.to_string())
    };
    match record.kind {
        ResourceKind::Model => {
            record.document = encode(&legacy.model(old()?)?)?;
        }
        ResourceKind::Algorithm => {
            let doc = legacy.algorithm(old()?)?;
            record.summary = Some(AlgorithmSummary::of(&doc.spec).map_err(|e| e.to_string())?);
            record.document = encode(&doc)?;
        }
        ResourceKind::ModelPackage => {
            let doc = legacy.model_package(old()?)?;
            record.summary = ModelPackageSummary::of(&doc);
            record.document = encode(&doc)?;
        }
        ResourceKind::ModelPackageGroup => {
            record.document = encode(&legacy.model_package_group(old()?)?)?;
        }
        ResourceKind::TrainingJob => {
            let (request, mut rest) = split_job(record)?;
            if let Some(plan) = rest.get_mut("plan").and_then(Value::as_object_mut) {
                let defs = plan
                    .remove("metric_definitions")
                    .unwrap_or(Value::Array(Vec::new()));
                let defs = legacy.metric_definitions(Echo::new(defs))?;
                plan.insert(
                    "metric_definitions".into(),
                    serde_json::to_value(defs).map_err(|e| e.to_string())?,
                );
            }
            let spec = legacy.training_job(request.clone())?;
            let rest = rest
                .as_object_mut()
                .ok_or("the document is not an object")?;
            rest.insert(
                "spec".into(),
                serde_json::to_value(spec).map_err(|e| e.to_string())?,
            );
            rest.insert("echo".into(), request.into_value());
            let doc: TrainingJobDocument =
                serde_json::from_value(Value::Object(rest.clone())).map_err(|e| e.to_string())?;
            record.document = encode(&doc)?;
        }
        ResourceKind::TransformJob => {
            let (request, mut rest) = split_job(record)?;
            let spec = legacy.transform_job(request.clone())?;
            let rest = rest
                .as_object_mut()
                .ok_or("the document is not an object")?;
            rest.insert(
                "spec".into(),
                serde_json::to_value(spec).map_err(|e| e.to_string())?,
            );
            rest.insert("echo".into(), request.into_value());
            let doc: TransformJobDocument =
                serde_json::from_value(Value::Object(rest.clone())).map_err(|e| e.to_string())?;
            record.document = encode(&doc)?;
        }
        _ => {}
    }
    Ok(())
}

fn encode<T: serde::Serialize>(doc: &T) -> std::result::Result<String, String> {
    serde_json::to_string(doc).map_err(|e| e.to_string())
}

impl Service {
    /// Rewrites every stored document of the earlier layout in the current
    /// one. Returns how many rows were rewritten. Idempotent: a second run
    /// finds nothing to do.
    pub async fn upgrade_documents(&self, legacy: &dyn LegacyDocuments) -> Result<usize> {
        let mut rewritten = 0;
        for kind in KINDS {
            let records = self.store.find_by_status(kind, &ALL_STATUSES).await?;
            for mut record in records.into_iter().filter(|r| !current(r)) {
                if let Err(why) = rewrite(legacy, &mut record) {
                    tracing::error!(arn = %record.arn, reason = %why, "cannot upgrade a stored document; it is left as it was");
                    continue;
                }
                match self.store.update(&record).await {
                    Ok(_) => rewritten += 1,
                    // Changed meanwhile by this release's code: it is current.
                    Err(MetaError::Conflict(_)) => {}
                    Err(e) => return Err(Error::from(e)),
                }
            }
        }
        Ok(rewritten)
    }
}
