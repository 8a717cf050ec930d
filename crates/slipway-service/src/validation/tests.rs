//! Validation outcomes on the simulated engine (docs/jobs.md
//! "Validation"): the resource's status and per-profile FailureReason as
//! tests/e2e/test_validation.py sees them.

use super::JobNames;
use crate::error::Error;
use crate::resources::algorithms::{Algorithm, AlgorithmSpec, NewAlgorithm};
use crate::resources::model_packages::NewModelPackage;
use crate::resources::models::ModelSpec;
use crate::testkit::spec as parse;
use crate::testkit::{Ping, Reply, Script, Serve, TestService};
use serde_json::{json, Value};
use slipway_core::{Echo, ResourceRecord};
use std::time::Duration;

const TRAIN: &str = "sim/seller-train:1";
const SERVE: &str = "sim/seller-serve:1";

fn training_definition(prefix: &str) -> Value {
    json!({
        "TrainingInputMode": "File",
        "HyperParameters": {"epochs": "2"},
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": format!("s3://bucket/{prefix}")}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/validation-output/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    })
}

fn transform_definition() -> Value {
    json!({
        "MaxConcurrentTransforms": 2, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/batch/"}},
            "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": "s3://bucket/validation-batch/", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    })
}

fn inference() -> Value {
    json!({
        "Containers": [{"Image": SERVE}],
        "SupportedTransformInstanceTypes": ["ml.m5.large"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
    })
}

fn algorithm(t: &TestService, name: &str, data_prefix: &str) -> NewAlgorithm {
    NewAlgorithm {
        spec: AlgorithmSpec {
            name: name.into(),
            description: None,
            training: parse(json!({
                "TrainingImage": TRAIN,
                "SupportedHyperParameters": [{"Name": "epochs", "Type": "Integer", "IsTunable": false, "IsRequired": false,
                    "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}}],
                "SupportedTrainingInstanceTypes": ["ml.m5.large"],
                "TrainingChannels": [{"Name": "train", "IsRequired": true, "SupportedContentTypes": ["text/csv"],
                    "SupportedInputModes": ["File"]}],
            })),
            inference: Some(parse(inference())),
            validation: Some(parse(json!({
                "ValidationRole": t.role_arn,
                "ValidationProfiles": [{
                    "ProfileName": "smoke",
                    "TrainingJobDefinition": training_definition(data_prefix),
                    "TransformJobDefinition": transform_definition(),
                }],
            }))),
            certify_for_marketplace: Some(true),
        },
        echo: Echo::default(),
        tags: Vec::new(),
    }
}

fn package(t: &TestService, name: &str) -> NewModelPackage {
    NewModelPackage {
        name: Some(name.into()),
        inference: Some(parse(inference())),
        validation: Some(parse(json!({
            "ValidationRole": t.role_arn,
            "ValidationProfiles": [{"ProfileName": "batch-check", "TransformJobDefinition": transform_definition()}],
        }))),
        certify_for_marketplace: Some(true),
        ..Default::default()
    }
}

/// A service with data, a training image that writes a model and an
/// inference image that upper-cases.
async fn setup(train: Script, serve: Script) -> TestService {
    let t = TestService::start().await;
    t.put("bucket", "train/data.csv", &b"1,2\n"[..]).await;
    t.put("bucket", "batch/q.csv", &b"x,y\n"[..]).await;
    t.engine.add_image(TRAIN, train);
    t.engine.add_image(SERVE, serve);
    t
}

fn trains() -> Script {
    Script::ok()
        .writes("/opt/ml/model/model.json", b"{\"w\": 2}".to_vec())
        .runs_for(Duration::from_secs(20))
}

fn serves() -> Script {
    Script::serves(Serve::upper())
}

fn statuses(a: &Algorithm) -> Vec<(String, String, Option<String>)> {
    a.doc
        .status_details
        .validation_statuses
        .iter()
        .map(|s| (s.name.clone(), s.status.clone(), s.failure_reason.clone()))
        .collect()
}

fn only_reason(a: &Algorithm) -> String {
    let s = statuses(a);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].1, "Failed", "{s:?}");
    s[0].2.clone().unwrap_or_default()
}

async fn create_algorithm(t: &TestService, name: &str, prefix: &str) -> ResourceRecord {
    t.svc
        .algorithms()
        .create(&t.account, algorithm(t, name, prefix))
        .await
        .expect("the algorithm is accepted")
        .record
}

#[tokio::test(start_paused = true)]
async fn an_algorithm_validates_by_training_then_transforming() {
    let t = setup(trains(), serves()).await;
    let record = create_algorithm(&t, "algo", "train/").await;
    assert_eq!(record.status, "Pending");
    let a = t.algorithm_done("algo").await;
    assert_eq!(a.record.status, "Completed", "{:?}", statuses(&a));
    assert_eq!(
        statuses(&a),
        [("smoke".to_owned(), "Completed".to_owned(), None)]
    );
    let names = JobNames::new(&record, "smoke");
    let tj = t
        .svc
        .training_jobs()
        .describe(&t.account, &names.training)
        .await
        .expect("the validation's training job");
    assert_eq!(tj.record.status, "Completed");
    assert!(tj.doc.spec.network_isolated());
    assert_eq!(
        tj.doc
            .spec
            .algorithm_specification
            .algorithm_name
            .as_deref(),
        Some(record.arn.as_str())
    );
    let tf = t
        .svc
        .transform_jobs()
        .describe(&t.account, &names.transform)
        .await
        .expect("the validation's transform job");
    assert_eq!(tf.record.status, "Completed");
    // The inference container served the model the training produced.
    let started = t.engine.started();
    assert_eq!(started.len(), 2);
    assert_eq!(
        started[1]
            .files_at_start
            .get("/opt/ml/model/model.json")
            .map(Vec::as_slice),
        Some(&b"{\"w\": 2}"[..])
    );
    assert!(started
        .iter()
        .all(|c| c.spec.network == slipway_core::ports::engine::NetworkMode::None));
    assert_eq!(
        t.get("bucket", "validation-batch/q.csv.out")
            .await
            .as_deref(),
        Some(&b"X,Y\n"[..])
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_training_step_is_explained() {
    let train = Script::exits(1).writes("/opt/ml/output/failure", b"mode=fail".to_vec());
    let t = setup(train, serves()).await;
    let record = create_algorithm(&t, "fails", "train/").await;
    let a = t.algorithm_done("fails").await;
    assert_eq!(a.record.status, "Failed");
    let names = JobNames::new(&record, "smoke");
    assert_eq!(
        only_reason(&a),
        format!(
            "Profile 'smoke': step 1 of 2 (training): training job {} Failed: AlgorithmError: mode=fail",
            names.training
        )
    );
    assert_eq!(t.engine.started().len(), 1, "no transform ran");
}

#[tokio::test(start_paused = true)]
async fn a_failed_transform_step_is_explained() {
    let t = setup(trains(), Script::serves(Serve::upper().ping(Ping::Hang))).await;
    let record = create_algorithm(&t, "noping", "train/").await;
    let a = t.algorithm_done("noping").await;
    let names = JobNames::new(&record, "smoke");
    assert_eq!(
        only_reason(&a),
        format!(
            "Profile 'smoke': step 2 of 2 (batch transform): transform job {} Failed: ClientError: the inference container did not answer GET /ping with 200 within 240 s; the container printed: nothing",
            names.transform
        )
    );
}

#[tokio::test(start_paused = true)]
async fn missing_training_data_is_a_client_error() {
    let t = setup(trains(), serves()).await;
    create_algorithm(&t, "nodata", "empty/").await;
    let a = t.algorithm_done("nodata").await;
    let r = only_reason(&a);
    assert!(
        r.contains("ClientError: Data download failed: no objects found under s3://bucket/empty/"),
        "{r}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_training_step_fails_the_validation() {
    let t = setup(Script::ok().hangs(), serves()).await;
    let record = create_algorithm(&t, "stoptrain", "train/").await;
    let names = JobNames::new(&record, "smoke");
    t.training_in(&names.training, "InProgress").await;
    t.wait_for(
        "the container",
        || async { t.engine.started().len() },
        |n| *n == 1,
    )
    .await;
    t.svc
        .training_jobs()
        .stop(&t.account, &names.training)
        .await
        .expect("stop");
    let a = t.algorithm_done("stoptrain").await;
    assert_eq!(
        only_reason(&a),
        format!(
            "Profile 'smoke': step 1 of 2 (training): training job {} Stopped: stopped before it completed",
            names.training
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_transform_step_fails_the_validation() {
    let slow = Script::serves(Serve::answering(|_| {
        Reply::ok("x").after(Duration::from_secs(3600))
    }));
    let t = setup(trains(), slow).await;
    let record = create_algorithm(&t, "stopbatch", "train/").await;
    let names = JobNames::new(&record, "smoke");
    t.wait_for(
        "an invocation",
        || async { t.engine.requests().len() },
        |n| *n > 0,
    )
    .await;
    t.svc
        .transform_jobs()
        .stop(&t.account, &names.transform)
        .await
        .expect("stop");
    let a = t.algorithm_done("stopbatch").await;
    assert_eq!(
        only_reason(&a),
        format!(
            "Profile 'smoke': step 2 of 2 (batch transform): transform job {} Stopped: stopped before it completed",
            names.transform
        )
    );
}

#[tokio::test(start_paused = true)]
async fn deleting_a_resource_under_validation_stops_its_jobs() {
    let t = setup(Script::ok().hangs(), serves()).await;
    let record = create_algorithm(&t, "deleteme", "train/").await;
    let names = JobNames::new(&record, "smoke");
    t.wait_for(
        "the container",
        || async { t.engine.started().len() },
        |n| *n == 1,
    )
    .await;
    t.svc
        .algorithms()
        .delete(&t.account, "deleteme")
        .await
        .expect("deleted");
    let job = t.training_done(&names.training).await;
    assert_eq!(job.record.status, "Stopped");
    assert!(t.engine.containers().is_empty());
    match t.svc.algorithms().describe(&t.account, "deleteme").await {
        Err(Error::NotFound { message }) => {
            assert_eq!(message, format!("Algorithm {} does not exist.", record.arn))
        }
        other => panic!("{other:?}"),
    }
    // The validation ends quietly: nothing runs a transform for it.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(t.engine.started().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_validation_survives_a_server_restart() {
    let train = trains().runs_for(Duration::from_secs(120));
    let mut t = setup(train, serves()).await;
    let record = create_algorithm(&t, "survivor", "train/").await;
    t.wait_for(
        "the container",
        || async { t.engine.started().len() },
        |n| *n == 1,
    )
    .await;
    // A training job and the validation itself.
    assert_eq!(t.restart().await, 2);
    let a = t.algorithm_done("survivor").await;
    assert_eq!(a.record.status, "Completed", "{:?}", statuses(&a));
    let names = JobNames::new(&record, "smoke");
    let tj = t
        .svc
        .training_jobs()
        .describe(&t.account, &names.training)
        .await
        .expect("job");
    assert_eq!(tj.record.status, "Completed");
    // One training container (re-attached), one inference container.
    assert_eq!(t.engine.started().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_model_package_validates_and_then_backs_a_model() {
    let t = setup(trains(), serves()).await;
    t.svc
        .model_packages()
        .create(&t.account, package(&t, "pkg"))
        .await
        .expect("accepted");
    let p = t.model_package_done("pkg").await;
    assert_eq!(p.record.status, "Completed");
    let s = &p.doc.status_details.validation_statuses;
    assert_eq!(
        (s[0].name.as_str(), s[0].status.as_str()),
        ("batch-check", "Completed")
    );
    let model = json!({
        "ModelName": "from-pkg",
        "PrimaryContainer": {"ModelPackageName": p.record.arn},
        "ExecutionRoleArn": t.role_arn,
    });
    let model: ModelSpec = parse(model);
    t.svc
        .models()
        .create(&t.account, model, Echo::default(), Vec::new())
        .await
        .expect("a model from the package");
}

#[tokio::test(start_paused = true)]
async fn invocation_errors_fail_a_model_package_which_then_backs_no_model() {
    let failing = Script::serves(Serve::answering(|_| Reply::status(500, "kaput")));
    let t = setup(trains(), failing).await;
    t.svc
        .model_packages()
        .create(&t.account, package(&t, "bad"))
        .await
        .expect("accepted");
    let p = t.model_package_done("bad").await;
    assert_eq!(p.record.status, "Failed");
    let r = p.doc.status_details.validation_statuses[0]
        .failure_reason
        .clone()
        .unwrap_or_default();
    assert!(
        r.starts_with("Profile 'batch-check': step 1 of 1 (batch transform): transform job "),
        "{r}"
    );
    assert!(
        r.contains("HTTP 500") && r.contains("s3://bucket/batch/q.csv"),
        "{r}"
    );
    let model = json!({
        "ModelName": "from-bad",
        "PrimaryContainer": {"ModelPackageName": p.record.arn},
        "ExecutionRoleArn": t.role_arn,
    });
    let model: ModelSpec = parse(model);
    match t
        .svc
        .models()
        .create(&t.account, model, Echo::default(), Vec::new())
        .await
    {
        Err(Error::Invalid { reason, .. }) => {
            assert!(
                reason.contains("only a Completed model package"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_unresolvable_image_is_refused_at_create() {
    let t = TestService::start().await;
    t.engine.add_image(SERVE, serves());
    match t
        .svc
        .algorithms()
        .create(&t.account, algorithm(&t, "typo", "train/"))
        .await
    {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "TrainingSpecification.TrainingImage");
            assert_eq!(
                reason,
                format!("Image {TRAIN} in TrainingSpecification.TrainingImage cannot be found or pulled: manifest unknown")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(t.engine.created().is_empty());
}
