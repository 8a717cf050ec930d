//! Listing blockers the Catalog API (or listing review) would raise, and
//! the batch limits of the profiles: all read from the resource itself.

use crate::report::{Category, Finding, Severity};
use crate::subject::Subject;
use slipway_core::ResourceKind;

/// AWS's batch limit per invocation (MaxPayloadInMB).
pub const MAX_BATCH_PAYLOAD_MB: i64 = 100;

pub fn listing(s: &Subject) -> Vec<Finding> {
    let mut out = Vec::new();
    let kind = s.kind.human();
    if !s.certified {
        out.push(
            Finding::new(
                "listing.not-certified",
                Category::Listing,
                Severity::BlocksListing,
                format!("The {kind} was created without CertifyForMarketplace"),
            )
            .evidence(format!("{}: CertifyForMarketplace is not true", s.record.arn))
            .fix(format!(
                "CertifyForMarketplace cannot be changed after creation: create the {kind} again with \"CertifyForMarketplace\": true. AWS Marketplace refuses to add a {kind} created without it (HTTP 400 when the ARN is added to a product version)."
            )),
        );
    }
    if s.derived_from_algorithm {
        out.push(
            Finding::new(
                "listing.derived-from-algorithm",
                Category::Listing,
                Severity::BlocksListing,
                "The model package is derived from an algorithm",
            )
            .evidence("SourceAlgorithmSpecification names an algorithm: a package trained from an algorithm cannot be listed on its own")
            .fix("List the algorithm itself, or create the model package from your own inference image and model artifacts (InferenceSpecification with ModelDataUrl) instead of SourceAlgorithmSpecification."),
        );
    }
    let has_inference = s
        .inference
        .as_ref()
        .is_some_and(|i| i.containers.iter().any(|c| !c.image.is_empty()));
    if s.kind == ResourceKind::Algorithm && !has_inference {
        out.push(
            Finding::new(
                "listing.algorithm-without-inference",
                Category::Listing,
                Severity::BlocksListing,
                "The algorithm has no inference specification",
            )
            .evidence("InferenceSpecification is missing: buyers could train but never deploy what they trained")
            .fix("Create the algorithm again with an InferenceSpecification (inference image, supported content types and instance types). AWS Marketplace fails pricing for a training-only algorithm (HTTP 500)."),
        );
    }
    if s.kind == ResourceKind::Algorithm && s.supported_training_types.is_empty() {
        out.push(
            Finding::new(
                "listing.no-training-instance-types",
                Category::Listing,
                Severity::BlocksListing,
                "No supported training instance types",
            )
            .evidence("TrainingSpecification.SupportedTrainingInstanceTypes is empty")
            .fix("List the training instance types buyers may use: the offer prices training per supported instance type."),
        );
    }
    if has_inference && s.realtime_types().is_empty() && s.transform_types().is_empty() {
        out.push(
            Finding::new(
                "listing.no-inference-instance-types",
                Category::Listing,
                Severity::BlocksListing,
                "No supported inference instance types",
            )
            .evidence("SupportedRealtimeInferenceInstanceTypes and SupportedTransformInstanceTypes are both empty")
            .fix("List at least one real-time or batch instance type in the InferenceSpecification: the offer must price every supported instance type, and buyers can only choose listed ones."),
        );
    } else if has_inference && s.realtime_types().is_empty() {
        out.push(
            Finding::new(
                "listing.no-realtime-instance-types",
                Category::Listing,
                Severity::Advice,
                "Buyers cannot deploy a real-time endpoint",
            )
            .evidence("SupportedRealtimeInferenceInstanceTypes is empty: only batch transform is offered")
            .fix("If the model can serve in real time, add SupportedRealtimeInferenceInstanceTypes; most buyers try an endpoint first."),
        );
    }
    out
}

pub fn batch_limits(s: &Subject) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &s.profiles {
        let Some(def) = &p.transform_job_definition else {
            continue;
        };
        if let Some(mb) = def
            .max_payload_in_mb
            .filter(|mb| *mb > MAX_BATCH_PAYLOAD_MB)
        {
            out.push(
                Finding::new(
                    "batch.max-payload",
                    Category::Batch,
                    Severity::BreaksBuyers,
                    "MaxPayloadInMB is above the batch limit",
                )
                .subject(format!("profile {}", p.profile_name))
                .evidence(format!("MaxPayloadInMB = {mb}; AWS allows at most {MAX_BATCH_PAYLOAD_MB} MB per batch invocation, not adjustable"))
                .fix(format!("Use MaxPayloadInMB ≤ {MAX_BATCH_PAYLOAD_MB} and split larger records, or document asynchronous inference for bigger inputs.")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::spec::{
        InferenceContainer, InferenceSpec, TransformJobDefinition, ValidationProfile,
    };

    fn package(certified: bool) -> Subject {
        let record: slipway_core::ResourceRecord = serde_json::from_value(serde_json::json!({
            "account": "123456789012", "kind": "ModelPackage", "key": "p", "name": "p",
            "arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/p", "status": "Completed",
            "created": 1, "modified": 1, "parent": null, "version": null, "approval": null,
            "revision": 0, "client_token": null, "summary": null, "document": "{}"
        }))
        .unwrap();
        Subject {
            record,
            kind: ResourceKind::ModelPackage,
            certified,
            derived_from_algorithm: false,
            training_image: None,
            supported_training_types: Vec::new(),
            inference: Some(InferenceSpec {
                containers: vec![InferenceContainer {
                    image: "img".into(),
                    ..InferenceContainer::default()
                }],
                supported_realtime_inference_instance_types: Some(vec!["ml.m5.large".into()]),
                supported_transform_instance_types: Some(vec!["ml.m5.large".into()]),
                ..InferenceSpec::default()
            }),
            profiles: Vec::new(),
        }
    }

    fn ids(f: &[Finding]) -> Vec<String> {
        f.iter().map(|f| f.id.clone()).collect()
    }

    #[test]
    fn a_certified_package_with_instance_types_lists() {
        assert!(listing(&package(true)).is_empty());
    }

    #[test]
    fn each_listing_blocker_is_named() {
        assert_eq!(ids(&listing(&package(false))), ["listing.not-certified"]);
        let mut s = package(true);
        s.derived_from_algorithm = true;
        assert_eq!(ids(&listing(&s)), ["listing.derived-from-algorithm"]);
        let mut s = package(true);
        if let Some(i) = s.inference.as_mut() {
            i.supported_realtime_inference_instance_types = None;
        }
        assert_eq!(ids(&listing(&s)), ["listing.no-realtime-instance-types"]);
        if let Some(i) = s.inference.as_mut() {
            i.supported_transform_instance_types = Some(Vec::new());
        }
        assert_eq!(ids(&listing(&s)), ["listing.no-inference-instance-types"]);
        let mut s = package(true);
        s.kind = ResourceKind::Algorithm;
        s.inference = None;
        assert_eq!(
            ids(&listing(&s)),
            [
                "listing.algorithm-without-inference",
                "listing.no-training-instance-types"
            ]
        );
    }

    #[test]
    fn a_batch_payload_above_100_mb_is_named() {
        let mut s = package(true);
        s.profiles.push(ValidationProfile {
            profile_name: "big".into(),
            training_job_definition: None,
            transform_job_definition: Some(TransformJobDefinition {
                max_payload_in_mb: Some(101),
                ..TransformJobDefinition::default()
            }),
        });
        assert_eq!(ids(&batch_limits(&s)), ["batch.max-payload"]);
        if let Some(d) = s.profiles[0].transform_job_definition.as_mut() {
            d.max_payload_in_mb = Some(100);
        }
        assert!(batch_limits(&s).is_empty());
    }
}
