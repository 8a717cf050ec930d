//! Rows an earlier release stored (the AWS documents themselves, written
//! here literally) still work after an upgrade: the start-up rewrite
//! through [`Legacy`], then an algorithm, a model package and a model of
//! the old layout used by new jobs, and an InProgress job of the old
//! layout reconciled to its end.

use super::Legacy;
use crate::sagemaker::model_packages::describe_shape;
use serde_json::{json, Value};
use slipway_core::spec::{
    DataSource, OutputDataConfig, ResourceConfig, S3DataSource, StoppingCondition,
    TrainingAlgorithm, TrainingChannel, TrainingJobSpec, TransformDataSource, TransformInput,
    TransformJobSpec, TransformOutput, TransformResources, TransformS3DataSource,
};
use slipway_core::{Arn, ResourceKind, ResourceRecord};
use slipway_service::jobs::training::create::Origin;
use slipway_service::listing::ListParams;
use slipway_service::resources::model_packages::ModelPackageFilter;
use slipway_service::testkit::{model_tar_gz, Script, Serve, TestService};

const TRAIN: &str = "sim/train:1";
const SERVE: &str = "sim/serve:1";
const CREATED: i64 = 1_700_000_000_000_000;

fn row(
    t: &TestService,
    kind: ResourceKind,
    name: &str,
    status: &str,
    doc: Value,
) -> ResourceRecord {
    ResourceRecord {
        account: t.account.clone(),
        kind,
        key: name.to_ascii_lowercase(),
        name: name.to_owned(),
        arn: Arn::new("us-east-1", &t.account, kind, name).to_string(),
        status: status.to_owned(),
        created: CREATED,
        modified: CREATED,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
        client_token: None,
        summary: None,
        document: doc.to_string(),
    }
}

/// The four rows, as the earlier release wrote them.
async fn old_rows(t: &TestService) {
    let mut algo = row(
        t,
        ResourceKind::Algorithm,
        "old-algo",
        "Completed",
        json!({
            "AlgorithmName": "old-algo",
            "TrainingSpecification": {
                "TrainingImage": TRAIN,
                "SupportedTrainingInstanceTypes": ["ml.m5.large"],
                "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}]
            },
            "InferenceSpecification": {
                "Containers": [{"Image": SERVE}],
                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]
            },
            "AlgorithmStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []}
        }),
    );
    algo.summary = Some(r#"{"AlgorithmName":"old-algo"}"#.into());
    t.insert_row(&algo).await;
    let mut pkg = row(
        t,
        ResourceKind::ModelPackage,
        "old-pkg",
        "Completed",
        json!({
            "ModelPackageName": "old-pkg",
            "InferenceSpecification": {
                "Containers": [{"Image": SERVE, "ModelDataUrl": "s3://bucket/model.tar.gz"}],
                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"]
            },
            "SourceAlgorithmSpecification": {"SourceAlgorithms": [{"AlgorithmName": "old-algo", "ModelDataUrl": "s3://bucket/model.tar.gz"}]},
            "CertifyForMarketplace": false,
            "ModelPackageStatusDetails": {"ValidationStatuses": [], "ImageScanStatuses": []},
            "MetadataProperties": {"ProjectId": "p1"}
        }),
    );
    pkg.summary = Some(r#"{"ModelPackageName":"old-pkg"}"#.into());
    t.insert_row(&pkg).await;
    let model = row(
        t,
        ResourceKind::Model,
        "old-model",
        "Created",
        json!({
            "ModelName": "old-model",
            "PrimaryContainer": {"ModelPackageName": "old-pkg", "Environment": {"OLD": "1"}},
            "ExecutionRoleArn": t.role_arn,
            "EnableNetworkIsolation": false
        }),
    );
    t.insert_row(&model).await;
    let mut job = row(
        t,
        ResourceKind::TrainingJob,
        "old-job",
        "InProgress",
        json!({
            "request": {
                "TrainingJobName": "old-job",
                "RoleArn": t.role_arn,
                "AlgorithmSpecification": {
                    "TrainingImage": TRAIN,
                    "TrainingInputMode": "File",
                    "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}]
                },
                "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}}}],
                "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600}
            },
            "plan": {
                "image": TRAIN,
                "metric_definitions": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
                "instance_type": "ml.m5.large",
                "nano_cpus": 2_000_000_000_i64,
                "memory_bytes": 8_589_934_592_i64,
                "max_runtime_seconds": 3600
            },
            "state": {
                "secondary": "Starting",
                "transitions": [{"status": "Starting", "start": CREATED, "message": "Preparing the instances for training"}]
            }
        }),
    );
    job.summary = Some(r#"{"secondary":"Starting"}"#.into());
    t.insert_row(&job).await;
}

fn training_spec(t: &TestService, name: &str) -> TrainingJobSpec {
    TrainingJobSpec {
        training_job_name: name.into(),
        hyper_parameters: Default::default(),
        algorithm_specification: TrainingAlgorithm {
            algorithm_name: Some("old-algo".into()),
            training_input_mode: "File".into(),
            ..Default::default()
        },
        role_arn: t.role_arn.clone(),
        input_data_config: vec![TrainingChannel {
            channel_name: "train".into(),
            data_source: DataSource {
                s3_data_source: Some(S3DataSource {
                    s3_data_type: "S3Prefix".into(),
                    s3_uri: "s3://bucket/train/".into(),
                    s3_data_distribution_type: None,
                    instance_group_names: Vec::new(),
                    attribute_names: Vec::new(),
                }),
            },
            content_type: Some("text/csv".into()),
            ..Default::default()
        }],
        output_data_config: OutputDataConfig {
            s3_output_path: "s3://bucket/new-out".into(),
            compression_type: None,
        },
        resource_config: ResourceConfig {
            instance_type: Some("ml.m5.large".into()),
            instance_count: Some(1),
            instance_groups: Vec::new(),
        },
        stopping_condition: StoppingCondition {
            max_runtime_in_seconds: Some(3600),
            max_wait_time_in_seconds: None,
        },
        enable_network_isolation: None,
        environment: Default::default(),
        checkpoint_config: None,
        enable_managed_spot_training: None,
    }
}

fn transform_spec(name: &str) -> TransformJobSpec {
    TransformJobSpec {
        transform_job_name: name.into(),
        model_name: "old-model".into(),
        max_concurrent_transforms: None,
        model_client_config: None,
        max_payload_in_mb: None,
        batch_strategy: Some("MultiRecord".into()),
        environment: Default::default(),
        transform_input: TransformInput {
            data_source: TransformDataSource {
                s3_data_source: TransformS3DataSource {
                    s3_data_type: "S3Prefix".into(),
                    s3_uri: "s3://bucket/in/".into(),
                },
            },
            content_type: Some("text/csv".into()),
            compression_type: None,
            split_type: Some("Line".into()),
        },
        transform_output: TransformOutput {
            s3_output_path: "s3://bucket/batch-out".into(),
            accept: None,
            assemble_with: Some("Line".into()),
        },
        transform_resources: TransformResources {
            instance_type: "ml.m5.large".into(),
            instance_count: Some(1),
        },
        data_processing: None,
    }
}

#[tokio::test(start_paused = true)]
async fn rows_of_the_earlier_layout_are_upgraded_and_used() {
    let mut t = TestService::start().await;
    t.engine.add_image(TRAIN, Script::ok().stdout("loss=0.25"));
    t.engine.add_image(SERVE, Script::serves(Serve::upper()));
    t.put("bucket", "train/data.csv", &b"1,2\n"[..]).await;
    t.put("bucket", "in/a.csv", &b"a,b\n"[..]).await;
    t.put(
        "bucket",
        "model.tar.gz",
        model_tar_gz(&[("model.json", &b"{}"[..])]),
    )
    .await;
    old_rows(&t).await;

    assert_eq!(t.restart_upgrading(&Legacy).await, 4);
    assert_eq!(
        t.svc.upgrade_documents(&Legacy).await.expect("runs"),
        0,
        "a second run finds nothing to upgrade"
    );

    // The InProgress job of the old layout runs to its end, with the
    // metric definitions of its old plan.
    let old = t.training_done("old-job").await;
    assert_eq!(old.record.status, "Completed");
    assert_eq!(old.doc.state.final_metrics[0].name, "loss");
    assert_eq!(
        old.doc
            .echo
            .as_ref()
            .map(|e| e.as_value()["RoleArn"].clone()),
        Some(json!(t.role_arn))
    );

    // The old algorithm trains a new job.
    t.svc
        .training_jobs()
        .create(
            &t.account,
            training_spec(&t, "new-job"),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await
        .expect("a job on the old algorithm");
    assert_eq!(t.training_done("new-job").await.record.status, "Completed");

    // The old model (on the old package) serves a new transform job.
    t.svc
        .transform_jobs()
        .create(&t.account, transform_spec("new-batch"), None, Vec::new())
        .await
        .expect("a transform job on the old model");
    let batch = t.transform_done("new-batch").await;
    assert_eq!(batch.record.status, "Completed", "{:?}", batch.doc.state);
    assert_eq!(
        batch.doc.plan.environment.get("OLD").map(String::as_str),
        Some("1")
    );

    // The old package still describes and lists as it did.
    let pkg = t
        .svc
        .model_packages()
        .describe(&t.account, "old-pkg")
        .await
        .expect("the old package");
    let shape = describe_shape(&pkg);
    assert_eq!(shape["ModelPackageStatus"], "Completed");
    assert_eq!(shape["MetadataProperties"], json!({"ProjectId": "p1"}));
    assert_eq!(
        shape["InferenceSpecification"]["Containers"][0]["ModelDataUrl"],
        "s3://bucket/model.tar.gz"
    );
    assert_eq!(
        shape["ModelPackageStatusDetails"],
        json!({"ValidationStatuses": [], "ImageScanStatuses": []})
    );
    let params = ListParams::default();
    let (listed, _) = t
        .svc
        .model_packages()
        .list(&t.account, &params, &ModelPackageFilter::default())
        .await
        .expect("the listing decodes the upgraded summary");
    assert_eq!(listed[0].1.model_package_name, "old-pkg");
}
