//! The resource rules (docs/contracts.md §1.3, docs/services.md): create,
//! describe, list and delete of model packages, groups, algorithms and
//! models — duplicates, statuses and references — on a whole service.

use super::algorithms::{AlgorithmSpec, NewAlgorithm};
use super::model_packages::{ModelPackageFilter, NewModelPackage};
use super::models::ModelSpec;
use crate::error::Error;
use crate::listing::ListParams;
use crate::testkit::spec as parse;
use crate::testkit::{Script, Serve, TestService};
use serde_json::{json, Value};
use slipway_core::Echo;

const SERVE: &str = "sim/serve:1";

fn inference(unversioned: bool) -> Value {
    let mut v = json!({"Containers": [{"Image": SERVE}], "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"]});
    if unversioned {
        v["SupportedTransformInstanceTypes"] = json!(["ml.m5.large"]);
        v["SupportedRealtimeInferenceInstanceTypes"] = json!(["ml.m5.large"]);
    }
    v
}

fn package(name: &str) -> NewModelPackage {
    NewModelPackage {
        name: Some(name.into()),
        inference: Some(parse(inference(true))),
        ..Default::default()
    }
}

fn version(group: &str) -> NewModelPackage {
    NewModelPackage {
        group: Some(group.into()),
        inference: Some(parse(inference(false))),
        ..Default::default()
    }
}

fn algorithm(name: &str) -> NewAlgorithm {
    NewAlgorithm {
        spec: AlgorithmSpec {
            name: name.into(),
            description: Some("d".into()),
            training: parse(json!({
                "TrainingImage": "sim/train:1",
                "SupportedTrainingInstanceTypes": ["ml.m5.large"],
                "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
            })),
            inference: None,
            validation: None,
            certify_for_marketplace: None,
        },
        echo: Echo::default(),
        tags: Vec::new(),
    }
}

async fn service() -> TestService {
    let t = TestService::start().await;
    t.engine.add_image(SERVE, Script::serves(Serve::upper()));
    t.engine.add_image("sim/train:1", Script::ok());
    t
}

fn invalid(r: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    match r {
        Err(Error::Invalid { field, reason }) => (field, reason),
        other => panic!("expected a ValidationException, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_unvalidated_package_is_completed_at_once_and_names_are_unique() {
    let t = service().await;
    let p = t
        .svc
        .model_packages()
        .create(&t.account, package("Pkg"))
        .await
        .expect("created");
    assert_eq!(p.record.status, "Completed");
    assert_eq!(
        p.record.arn,
        format!(
            "arn:aws:sagemaker:us-east-1:{}:model-package/pkg",
            t.account
        )
    );
    assert!(p.doc.status_details.validation_statuses.is_empty());
    match t
        .svc
        .model_packages()
        .create(&t.account, package("PKG"))
        .await
    {
        Err(Error::AlreadyExists { message }) => {
            assert_eq!(
                message,
                format!("Model Package already exists: {}", p.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(t.engine.created().is_empty(), "nothing ran");
    t.svc
        .model_packages()
        .delete(&t.account, "pkg")
        .await
        .expect("deleted");
    match t.svc.model_packages().describe(&t.account, "Pkg").await {
        Err(Error::NotFound { message }) => {
            assert_eq!(
                message,
                format!("ModelPackage {} does not exist.", p.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    // The name is free again.
    t.svc
        .model_packages()
        .create(&t.account, package("Pkg"))
        .await
        .expect("created again");
}

#[tokio::test(start_paused = true)]
async fn a_package_needs_exactly_one_of_name_and_group() {
    let t = service().await;
    let mut both = package("x");
    both.group = Some("g".into());
    assert_eq!(
        invalid(t.svc.model_packages().create(&t.account, both).await).1,
        "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use."
    );
    let mut neither = package("x");
    neither.name = None;
    assert!(
        invalid(t.svc.model_packages().create(&t.account, neither).await)
            .1
            .starts_with("Missing ARN.")
    );
}

#[tokio::test(start_paused = true)]
async fn unversioned_packages_need_instance_types_and_marketplace_needs_profiles() {
    let t = service().await;
    let mut bare = package("bare");
    bare.inference = Some(parse(inference(false)));
    let (field, reason) = invalid(t.svc.model_packages().create(&t.account, bare).await);
    assert_eq!(
        field,
        "InferenceSpecification.SupportedTransformInstanceTypes"
    );
    assert!(
        reason.contains("is required for an unversioned model package"),
        "{reason}"
    );
    let mut certify = package("cert");
    certify.certify_for_marketplace = Some(true);
    assert_eq!(
        invalid(t.svc.model_packages().create(&t.account, certify).await).1,
        "CertifyForMarketplace requires a ValidationSpecification with at least one validation profile."
    );
    let mut neither = package("none");
    neither.inference = None;
    assert_eq!(
        invalid(t.svc.model_packages().create(&t.account, neither).await).1,
        "A model package needs an InferenceSpecification or a SourceAlgorithmSpecification."
    );
}

#[tokio::test(start_paused = true)]
async fn versions_are_numbered_in_their_group_which_cannot_be_deleted_while_it_holds_them() {
    let t = service().await;
    let g = t
        .svc
        .model_package_groups()
        .create(&t.account, "grp", None, &[])
        .await
        .expect("group");
    match t
        .svc
        .model_package_groups()
        .create(&t.account, "GRP", None, &[])
        .await
    {
        Err(Error::AlreadyExists { message }) => {
            assert_eq!(
                message,
                format!("Model Package Group already exists: {}", g.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    let v1 = t
        .svc
        .model_packages()
        .create(&t.account, version("grp"))
        .await
        .expect("v1");
    let v2 = t
        .svc
        .model_packages()
        .create(&t.account, version("grp"))
        .await
        .expect("v2");
    assert_eq!(v1.doc.model_package_version, Some(1));
    assert_eq!(v2.doc.model_package_version, Some(2));
    assert!(
        v2.record.arn.ends_with(":model-package/grp/2"),
        "{}",
        v2.record.arn
    );
    assert!(
        v1.record.created < v2.record.created,
        "versions sort by creation"
    );
    assert_eq!(
        v1.doc.model_approval_status.as_deref(),
        Some("PendingManualApproval")
    );
    let mut certified = version("grp");
    certified.certify_for_marketplace = Some(true);
    assert_eq!(
        invalid(t.svc.model_packages().create(&t.account, certified).await).0,
        "CertifyForMarketplace"
    );
    let filter = ModelPackageFilter {
        group: Some("grp".into()),
        ..Default::default()
    };
    let (listed, next) = t
        .svc
        .model_packages()
        .list(&t.account, &ListParams::default(), &filter)
        .await
        .expect("listed");
    assert_eq!(listed.len(), 2);
    assert_eq!(next, None);
    match t.svc.model_package_groups().delete(&t.account, "grp").await {
        Err(Error::Conflict(m)) => assert!(
            m.contains("still contains 2 model package version(s)"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
    t.svc
        .model_packages()
        .delete(&t.account, &v1.record.arn)
        .await
        .expect("v1 deleted");
    t.svc
        .model_packages()
        .delete(&t.account, &v2.record.arn)
        .await
        .expect("v2 deleted");
    t.svc
        .model_package_groups()
        .delete(&t.account, "grp")
        .await
        .expect("empty group deleted");
    match t
        .svc
        .model_packages()
        .create(&t.account, version("grp"))
        .await
    {
        Err(Error::NotFound { message }) => {
            assert!(message.contains("does not exist"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn algorithms_without_validation_complete_at_once_and_are_unique() {
    let t = service().await;
    let a = t
        .svc
        .algorithms()
        .create(&t.account, algorithm("Algo"))
        .await
        .expect("created");
    assert_eq!(a.record.status, "Completed");
    match t
        .svc
        .algorithms()
        .create(&t.account, algorithm("algo"))
        .await
    {
        Err(Error::AlreadyExists { message }) => {
            assert_eq!(
                message,
                format!("Algorithm already exists: {}", a.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    let (listed, _) = t
        .svc
        .algorithms()
        .list(&t.account, &ListParams::default())
        .await
        .expect("listed");
    assert_eq!(
        listed
            .iter()
            .map(|(r, _)| r.name.as_str())
            .collect::<Vec<_>>(),
        ["Algo"]
    );
    t.svc
        .algorithms()
        .delete(&t.account, "Algo")
        .await
        .expect("deleted");
    match t.svc.algorithms().describe(&t.account, "Algo").await {
        Err(Error::NotFound { message }) => {
            assert_eq!(
                message,
                format!("Algorithm {} does not exist.", a.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn creation_times_follow_the_clock_and_stay_ordered() {
    let t = service().await;
    let a = t
        .svc
        .algorithms()
        .create(&t.account, algorithm("a1"))
        .await
        .expect("a1");
    let b = t
        .svc
        .algorithms()
        .create(&t.account, algorithm("a2"))
        .await
        .expect("a2");
    assert!(
        b.record.created > a.record.created,
        "distinct even in one millisecond"
    );
    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
    let c = t
        .svc
        .algorithms()
        .create(&t.account, algorithm("a3"))
        .await
        .expect("a3");
    use slipway_core::ports::clock::Clock;
    assert_eq!(
        c.record.created,
        t.clock.wall_micros(),
        "the service's clock"
    );
    let gap = c.record.created - a.record.created;
    assert!((3_600_000_000..3_601_000_000).contains(&gap), "{gap}");
}

#[tokio::test(start_paused = true)]
async fn models_are_unique_and_reference_only_completed_packages() {
    let t = service().await;
    let model = |name: &str, container: Value| -> ModelSpec {
        parse(
            json!({"ModelName": name, "PrimaryContainer": container, "ExecutionRoleArn": t.role_arn}),
        )
    };
    let m = t
        .svc
        .models()
        .create(
            &t.account,
            model("M", json!({"Image": SERVE})),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("created");
    match t
        .svc
        .models()
        .create(
            &t.account,
            model("m", json!({"Image": SERVE})),
            Echo::default(),
            Vec::new(),
        )
        .await
    {
        Err(Error::Invalid { reason, .. }) => {
            assert_eq!(
                reason,
                format!("Cannot create already existing model \"{}\".", m.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    t.svc
        .models()
        .delete(&t.account, "M")
        .await
        .expect("deleted");
    match t.svc.models().describe(&t.account, "M").await {
        Err(Error::NotFound { message }) => {
            assert_eq!(
                message,
                format!("Could not find model \"{}\".", m.record.arn)
            )
        }
        other => panic!("{other:?}"),
    }
    // A package still validating backs no model.
    t.engine
        .add_image(SERVE, Script::serves(Serve::upper()).hangs());
    let mut validating = package("validating");
    validating.validation = Some(parse(json!({
        "ValidationRole": t.role_arn,
        "ValidationProfiles": [{"ProfileName": "p", "TransformJobDefinition": {
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/in/"}}},
            "TransformOutput": {"S3OutputPath": "s3://bucket/out"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}],
    })));
    let p = t
        .svc
        .model_packages()
        .create(&t.account, validating)
        .await
        .expect("accepted");
    assert_eq!(p.record.status, "Pending");
    let (_, reason) = invalid(
        t.svc
            .models()
            .create(
                &t.account,
                model("from-pkg", json!({"ModelPackageName": p.record.arn})),
                Echo::default(),
                Vec::new(),
            )
            .await,
    );
    assert!(
        reason.contains("only a Completed model package can be used in a model"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_validation_role_must_be_assumable() {
    let t = service().await;
    let mut p = package("roles");
    p.validation = Some(parse(json!({
        "ValidationRole": format!("arn:aws:iam::{}:role/NoSuchRole", t.account),
        "ValidationProfiles": [],
    })));
    let (field, reason) = invalid(t.svc.model_packages().create(&t.account, p).await);
    assert_eq!(field, "ValidationRole");
    assert!(reason.contains("sagemaker.amazonaws.com"), "{reason}");
}
