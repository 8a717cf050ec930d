//! Runner supervision and shutdown, on the simulated engine.

use crate::jobs::training::create::Origin;
use crate::testkit::{spec, Reply, Script, Serve, TestService};
use serde_json::{json, Map, Value};
use slipway_core::Echo;
use std::time::Duration;

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn training(t: &TestService, name: &str) -> Map<String, Value> {
    object(json!({
        "TrainingJobName": name,
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {"TrainingImage": "sim/t:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }))
}

#[tokio::test(start_paused = true)]
async fn a_panicking_training_runner_fails_its_job_and_unregisters() {
    let t = TestService::start().await;
    t.engine.add_image(
        "sim/t:1",
        Script::ok()
            .hangs()
            .on_start(|_| panic!("the engine adapter blew up")),
    );
    let job = t
        .svc
        .training_jobs()
        .create(
            &t.account,
            spec(Value::Object(training(&t, "panics"))),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await
        .expect("created");
    let done = t.training_done("panics").await;
    assert_eq!(done.record.status, "Failed");
    assert_eq!(done.doc.state.secondary, "Failed");
    assert_eq!(
        done.doc.state.failure_reason.as_deref(),
        Some("InternalServerError: the job's runner stopped unexpectedly: the engine adapter blew up")
    );
    let rt = t.svc.job_runtime();
    t.wait_for(
        "the runner to unregister",
        || async { rt.is_running(&job.record.arn) },
        |r| !r,
    )
    .await;
    assert!(t.engine.containers().is_empty(), "its container is removed");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_transform_runner_fails_its_job() {
    let t = TestService::start().await;
    t.put("bucket", "in/a.csv", &b"1\n"[..]).await;
    t.engine.add_image(
        "sim/s:1",
        Script::serves(Serve::upper()).on_start(|_| panic!("boom")),
    );
    let model = object(json!({
        "ModelName": "m", "PrimaryContainer": {"Image": "sim/s:1"}, "ExecutionRoleArn": t.role_arn,
    }));
    t.svc
        .models()
        .create(
            &t.account,
            spec(Value::Object(model)),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("model");
    let req = object(json!({
        "TransformJobName": "tp", "ModelName": "m",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/in/"}}},
        "TransformOutput": {"S3OutputPath": "s3://bucket/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }));
    t.svc
        .transform_jobs()
        .create(&t.account, spec(Value::Object(req)), None, Vec::new())
        .await
        .expect("created");
    let done = t.transform_done("tp").await;
    assert_eq!(done.record.status, "Failed");
    assert_eq!(
        done.doc.state.failure_reason.as_deref(),
        Some("InternalServerError: the job's runner stopped unexpectedly: boom")
    );
    assert!(t.engine.containers().is_empty());
    assert_eq!(t.svc.job_runtime().running_count(), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_leaves_training_running_for_the_next_server() {
    let mut t = TestService::start().await;
    t.engine.add_image(
        "sim/t:1",
        Script::ok()
            .stdout("hello")
            .runs_for(Duration::from_secs(300)),
    );
    t.svc
        .training_jobs()
        .create(
            &t.account,
            spec(Value::Object(training(&t, "longjob"))),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await
        .expect("created");
    t.wait_for(
        "the container",
        || async { t.engine.started().len() },
        |n| *n == 1,
    )
    .await;
    let rt = t.svc.job_runtime();
    let asked = tokio::time::Instant::now();
    assert_eq!(rt.shutdown(Duration::from_secs(10)).await, 0);
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "runners end promptly"
    );
    // The job is as it was and its container still runs.
    let job = t
        .svc
        .training_jobs()
        .describe(&t.account, "longjob")
        .await
        .expect("job");
    assert_eq!(job.record.status, "InProgress");
    assert_eq!(job.doc.state.secondary, "Training");
    assert!(t.engine.containers().iter().any(|c| c.running));
    // A new runner cannot start on a runtime shutting down.
    assert_eq!(rt.running_count(), 0);
    // The next server re-attaches and the job completes.
    t.recover().await;
    let done = t.training_done("longjob").await;
    assert_eq!(
        done.record.status, "Completed",
        "{:?}",
        done.doc.state.failure_reason
    );
    assert_eq!(t.engine.started().len(), 1);
    let stream = done.doc.state.log_stream.clone().unwrap_or_default();
    assert_eq!(
        t.log_lines(crate::jobs::training::LOG_GROUP, &stream).await,
        ["hello"]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_a_bounded_time_for_a_runner() {
    let t = TestService::start().await;
    t.put("bucket", "in/a.csv", &b"1\n"[..]).await;
    // /ping never answers: the runner is in its ready wait, which a
    // shutdown does not interrupt.
    t.engine.add_image(
        "sim/s:1",
        Script::serves(Serve::answering(|_| Reply::ok("x")).ping(crate::testkit::Ping::Hang)),
    );
    let model = object(json!({
        "ModelName": "m", "PrimaryContainer": {"Image": "sim/s:1"}, "ExecutionRoleArn": t.role_arn,
    }));
    t.svc
        .models()
        .create(
            &t.account,
            spec(Value::Object(model)),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("model");
    let req = object(json!({
        "TransformJobName": "waits", "ModelName": "m",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/in/"}}},
        "TransformOutput": {"S3OutputPath": "s3://bucket/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }));
    t.svc
        .transform_jobs()
        .create(&t.account, spec(Value::Object(req)), None, Vec::new())
        .await
        .expect("created");
    t.wait_for(
        "the container",
        || async { t.engine.started().len() },
        |n| *n == 1,
    )
    .await;
    let rt = t.svc.job_runtime();
    let asked = tokio::time::Instant::now();
    assert_eq!(rt.shutdown(Duration::from_secs(5)).await, 1);
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
}
