//! What a model package or algorithm says about itself, read once from
//! its stored document: the checks work on this, not on the documents.

use slipway_core::spec::{InferenceSpec, ValidationProfile};
use slipway_core::{ResourceKind, ResourceRecord};
use slipway_service::resources::algorithms::AlgorithmDocument;
use slipway_service::resources::model_packages::ModelPackageDocument;
use slipway_service::validation::JobNames;

/// The resource under report.
#[derive(Debug, Clone)]
pub struct Subject {
    pub record: ResourceRecord,
    pub kind: ResourceKind,
    pub certified: bool,
    /// The package was made from an algorithm (`SourceAlgorithmSpecification`).
    pub derived_from_algorithm: bool,
    /// An algorithm's training image.
    pub training_image: Option<String>,
    pub supported_training_types: Vec<String>,
    pub inference: Option<InferenceSpec>,
    pub profiles: Vec<ValidationProfile>,
}

impl Subject {
    pub fn of(record: &ResourceRecord) -> Result<Self, String> {
        let decode_err = |e: slipway_service::Error| format!("decoding {}: {e}", record.arn);
        match record.kind {
            ResourceKind::Algorithm => {
                let doc: AlgorithmDocument =
                    slipway_service::resources::decode(record).map_err(decode_err)?;
                Ok(Self {
                    record: record.clone(),
                    kind: record.kind,
                    certified: doc.spec.certify_for_marketplace == Some(true),
                    derived_from_algorithm: false,
                    training_image: Some(doc.spec.training.training_image.clone()),
                    supported_training_types: doc.spec.training.supported_training_instance_types,
                    inference: doc.spec.inference,
                    profiles: doc
                        .spec
                        .validation
                        .map(|v| v.validation_profiles)
                        .unwrap_or_default(),
                })
            }
            ResourceKind::ModelPackage => {
                let doc: ModelPackageDocument =
                    slipway_service::resources::decode(record).map_err(decode_err)?;
                Ok(Self {
                    record: record.clone(),
                    kind: record.kind,
                    certified: doc.certify_for_marketplace == Some(true),
                    derived_from_algorithm: !doc.source_algorithms.is_empty(),
                    training_image: None,
                    supported_training_types: Vec::new(),
                    inference: doc.inference,
                    profiles: doc
                        .validation
                        .map(|v| v.validation_profiles)
                        .unwrap_or_default(),
                })
            }
            other => Err(format!("a {other} has no readiness report")),
        }
    }

    /// `ModelPackage` or `Algorithm`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ResourceKind::Algorithm => "Algorithm",
            _ => "ModelPackage",
        }
    }

    /// The inference images, in order, deduplicated.
    pub fn inference_images(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.inference.iter().flat_map(|i| &i.containers) {
            if !c.image.is_empty() && !out.contains(&c.image) {
                out.push(c.image.clone());
            }
        }
        out
    }

    /// The validation's jobs of each profile, as the validation named them.
    pub fn job_names(&self) -> Vec<(String, JobNames)> {
        self.profiles
            .iter()
            .map(|p| {
                (
                    p.profile_name.clone(),
                    JobNames::new(&self.record, &p.profile_name),
                )
            })
            .collect()
    }

    pub fn realtime_types(&self) -> &[String] {
        self.inference
            .as_ref()
            .and_then(|i| i.supported_realtime_inference_instance_types.as_deref())
            .unwrap_or(&[])
    }

    pub fn transform_types(&self) -> &[String] {
        self.inference
            .as_ref()
            .and_then(|i| i.supported_transform_instance_types.as_deref())
            .unwrap_or(&[])
    }
}
