//! The training job state machine on the simulated engine, in virtual time
//! (docs/jobs.md "Training jobs"). The same observable behaviour as
//! tests/e2e/test_training.py: statuses, SecondaryStatusTransitions and
//! FailureReason texts.

use super::state::{status, TrainingJob};
use crate::error::Error;
use crate::jobs::training::create::Origin;
use crate::testkit::{spec, Call, Script, TestService};
use serde_json::{json, Map, Value};
use std::time::Duration;

const IMAGE: &str = "sim/train:1";
const DATA: &[u8] = b"1,2\n3,4\n";

pub(super) fn request(
    t: &TestService,
    name: &str,
    image: &str,
    max_runtime: i64,
) -> Map<String, Value> {
    let v = json!({
        "TrainingJobName": name,
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "train:mse", "Regex": "train:mse=([0-9.]+)"}],
        },
        "HyperParameters": {"epochs": "3"},
        "InputDataConfig": [{
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://bucket/train/",
                "S3DataDistributionType": "FullyReplicated",
            }},
        }],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A service with training data and `script` as [`IMAGE`].
pub(super) async fn setup(script: Script) -> TestService {
    let t = TestService::start().await;
    t.put("bucket", "train/iris.csv", DATA).await;
    t.engine.add_image(IMAGE, script);
    t
}

async fn create(t: &TestService, name: &str, max_runtime: i64) -> TrainingJob {
    t.svc
        .training_jobs()
        .create(
            &t.account,
            spec(Value::Object(request(t, name, IMAGE, max_runtime))),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await
        .expect("the job is created")
}

fn secondaries(job: &TrainingJob) -> Vec<&str> {
    job.doc
        .state
        .transitions
        .iter()
        .map(|t| t.status.as_str())
        .collect()
}

pub(super) fn reason(job: &TrainingJob) -> &str {
    job.doc.state.failure_reason.as_deref().unwrap_or("")
}

/// Seconds between TrainingStartTime and TrainingEndTime.
fn training_seconds(job: &TrainingJob) -> f64 {
    let (s, e) = (
        job.doc.state.training_start.unwrap_or_default(),
        job.doc.state.training_end.unwrap_or_default(),
    );
    (e - s) as f64 / 1e6
}

#[tokio::test(start_paused = true)]
async fn a_job_goes_through_every_secondary_status_and_uploads_its_model() {
    let script = Script::ok()
        .stdout("epoch 1 train:mse=0.5")
        .stdout("epoch 2 train:mse=0.001")
        .stderr("training complete")
        .writes("/opt/ml/model/model.json", b"{\"w\": 3}".to_vec())
        .writes("/opt/ml/output/data/report.txt", b"report\n".to_vec())
        .runs_for(Duration::from_secs(5));
    let t = setup(script).await;
    let created = create(&t, "Train-1", 300).await;
    assert_eq!(created.record.status, status::IN_PROGRESS);
    assert_eq!(secondaries(&created), ["Starting"]);
    let job = t.training_done("Train-1").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(job.doc.state.secondary, "Completed");
    assert_eq!(
        secondaries(&job),
        [
            "Starting",
            "Downloading",
            "Training",
            "Uploading",
            "Completed"
        ]
    );
    let tr = &job.doc.state.transitions;
    for pair in tr.windows(2) {
        assert_eq!(pair[0].end, Some(pair[1].start), "{tr:?}");
    }
    assert_eq!(tr[4].start, tr[4].end.unwrap_or_default());
    assert_eq!(
        tr[2].message,
        "Training image download completed. Training in progress."
    );
    let secs = training_seconds(&job);
    assert!((5.0..6.0).contains(&secs), "{secs}");
    let model = "s3://bucket/output/Train-1/output/model.tar.gz";
    assert_eq!(job.doc.state.model_artifacts.as_deref(), Some(model));
    let tar = t
        .get("bucket", "output/Train-1/output/model.tar.gz")
        .await
        .expect("model.tar.gz is uploaded");
    assert!(!tar.is_empty());
    assert!(t
        .get("bucket", "output/Train-1/output/output.tar.gz")
        .await
        .is_some());
    let metrics: Vec<_> = job
        .doc
        .state
        .final_metrics
        .iter()
        .map(|m| (m.name.as_str(), m.value))
        .collect();
    assert_eq!(metrics, [("train:mse", 0.001)]);
    // Every matched value is a point of the job's series, by its name.
    let series = t
        .svc
        .metrics()
        .series(&t.account, "Train-1", 1, "train:mse")
        .await
        .expect("the series reads");
    let values: Vec<_> = series.iter().map(|p| p.value).collect();
    assert_eq!(values, [0.5, 0.001]);
    assert_eq!(job.doc.state.metric_samples_stored, 2);
    let latest = t.svc.metrics().latest(&t.account, "Train-1", 1).await;
    assert_eq!(latest.expect("latest reads")[0].point.value, 0.001);
    // The container saw the contract and is gone.
    let spec = &t.engine.created()[0];
    assert_eq!(
        spec.env.get("TRAINING_JOB_NAME").map(String::as_str),
        Some("Train-1")
    );
    assert_eq!(spec.labels.get("slipway.job-arn"), Some(&job.record.arn));
    assert_eq!(spec.hostname.as_deref(), Some("algo-1"));
    assert_eq!(spec.args, ["train"]);
    assert!(t.engine.containers().is_empty());
    let stream = job.doc.state.log_stream.clone().unwrap_or_default();
    assert_eq!(
        t.log_lines(super::LOG_GROUP, &stream).await,
        [
            "epoch 1 train:mse=0.5",
            "epoch 2 train:mse=0.001",
            "training complete"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_container_finds_its_channel_data_and_configuration() {
    let t = setup(Script::ok()).await;
    create(&t, "contract", 300).await;
    assert_eq!(t.training_done("contract").await.record.status, "Completed");
    let files = t.engine.started().remove(0).files_at_start;
    assert_eq!(
        files
            .get("/opt/ml/input/data/train/iris.csv")
            .map(Vec::as_slice),
        Some(DATA)
    );
    let hp: Value = serde_json::from_slice(&files["/opt/ml/input/config/hyperparameters.json"])
        .expect("hyperparameters.json is JSON");
    assert_eq!(hp, json!({"epochs": "3"}));
    assert!(files.contains_key("/opt/ml/input/config/resourceconfig.json"));
}

#[tokio::test(start_paused = true)]
async fn the_failure_file_becomes_the_failure_reason() {
    let script = Script::exits(1).writes(
        "/opt/ml/output/failure",
        b"column 7 is not numeric\n".to_vec(),
    );
    let t = setup(script).await;
    create(&t, "fails", 300).await;
    let job = t.training_done("fails").await;
    assert_eq!(job.record.status, status::FAILED);
    assert_eq!(job.doc.state.secondary, "Failed");
    assert_eq!(reason(&job), "AlgorithmError: column 7 is not numeric");
    assert_eq!(
        secondaries(&job),
        ["Starting", "Downloading", "Training", "Failed"]
    );
    assert_eq!(job.doc.state.model_artifacts, None);
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_long_failure_text_is_clipped_to_1024_characters() {
    let script = Script::exits(2).writes("/opt/ml/output/failure", "x".repeat(5000));
    let t = setup(script).await;
    create(&t, "long", 300).await;
    let job = t.training_done("long").await;
    assert_eq!(reason(&job).chars().count(), 1024);
    assert!(reason(&job).starts_with("AlgorithmError: xxx"));
}

#[tokio::test(start_paused = true)]
async fn a_crash_reports_the_exit_code_and_the_last_lines() {
    let t = setup(Script::exits(3).stderr("simulated crash")).await;
    create(&t, "crash", 300).await;
    let job = t.training_done("crash").await;
    assert_eq!(job.record.status, status::FAILED);
    assert!(
        reason(&job).starts_with("AlgorithmError: the training container exited with code 3"),
        "{}",
        reason(&job)
    );
    assert!(reason(&job).contains("simulated crash"), "{}", reason(&job));
}

#[tokio::test(start_paused = true)]
async fn an_out_of_memory_kill_is_reported_against_the_limit() {
    let t = setup(Script::oom()).await;
    create(&t, "oom", 300).await;
    let job = t.training_done("oom").await;
    let r = reason(&job);
    assert!(
        r.contains("exit code 137")
            && r.contains("ml.m5.large (8 GiB)")
            && r.contains("out of memory"),
        "{r}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_image_fails_with_a_client_error_before_training() {
    let t = setup(Script::ok()).await;
    let mut req = request(&t, "noimage", "sim/no-such-image:1", 300);
    req.insert("TrainingJobName".into(), json!("noimage"));
    t.svc
        .training_jobs()
        .create(
            &t.account,
            spec(Value::Object(req)),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await
        .expect("created");
    let job = t.training_done("noimage").await;
    assert_eq!(job.record.status, status::FAILED);
    assert!(
        reason(&job).starts_with(
            "ClientError: the training image sim/no-such-image:1 could not be found or pulled"
        ),
        "{}",
        reason(&job)
    );
    assert_eq!(job.doc.state.training_start, None);
    assert_eq!(secondaries(&job), ["Starting", "Failed"]);
    assert!(t.engine.created().is_empty());
}

#[tokio::test(start_paused = true)]
async fn missing_channel_data_fails_the_download() {
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, Script::ok());
    create(&t, "nodata", 300).await;
    let job = t.training_done("nodata").await;
    assert_eq!(
        reason(&job),
        "ClientError: Data download failed: no objects found under s3://bucket/train/ for channel 'train'"
    );
    assert_eq!(secondaries(&job), ["Starting", "Downloading", "Failed"]);
}

#[tokio::test(start_paused = true)]
async fn max_runtime_stops_the_job_as_max_runtime_exceeded() {
    let script = Script::ok()
        .hangs()
        .writes("/opt/ml/model/partial.bin", b"p".to_vec());
    let t = setup(script).await;
    create(&t, "maxrt", 60).await;
    let job = t.training_done("maxrt").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert_eq!(job.doc.state.secondary, "MaxRuntimeExceeded");
    // It had written a model: the stop uploads it first.
    assert_eq!(
        secondaries(&job),
        [
            "Starting",
            "Downloading",
            "Training",
            "Stopping",
            "Uploading",
            "MaxRuntimeExceeded"
        ]
    );
    let secs = training_seconds(&job);
    assert!((60.0..61.0).contains(&secs), "{secs}");
    assert_eq!(job.doc.state.failure_reason, None);
    // A stopped job still uploads its model (docs/jobs.md).
    assert!(job.doc.state.model_artifacts.is_some());
    assert!(t
        .engine
        .calls()
        .iter()
        .any(|c| matches!(c, Call::Stop { .. })));
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stop_training_job_goes_through_stopping_to_stopped() {
    let t = setup(Script::ok().hangs()).await;
    create(&t, "stopme", 3600).await;
    t.wait_for(
        "training",
        || async {
            t.svc
                .training_jobs()
                .describe(&t.account, "stopme")
                .await
                .ok()
        },
        |j| {
            j.as_ref()
                .is_some_and(|j| j.doc.state.secondary == "Training")
        },
    )
    .await;
    t.svc
        .training_jobs()
        .stop(&t.account, "stopme")
        .await
        .expect("stop is accepted");
    let now = t
        .svc
        .training_jobs()
        .describe(&t.account, "stopme")
        .await
        .expect("described");
    assert!(
        matches!(now.record.status.as_str(), "Stopping" | "Stopped"),
        "{}",
        now.record.status
    );
    let job = t.training_done("stopme").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert_eq!(job.doc.state.secondary, "Stopped");
    // Nothing in /opt/ml/model: nothing to upload.
    assert_eq!(
        secondaries(&job),
        ["Starting", "Downloading", "Training", "Stopping", "Stopped"]
    );
    assert_eq!(job.doc.state.model_artifacts, None);
    assert!(t.engine.containers().is_empty());
    let again = t.svc.training_jobs().stop(&t.account, "stopme").await;
    match again {
        Err(Error::Invalid { reason, .. }) => assert_eq!(
            reason,
            "The request was rejected because the training job is in status Stopped."
        ),
        other => panic!("a second stop answered {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_container_ignoring_sigterm_is_killed_after_the_grace() {
    let t = setup(Script::ok().hangs().ignores_sigterm()).await;
    create(&t, "stubborn", 3600).await;
    t.wait_for(
        "training",
        || async { t.engine.containers() },
        |c| c.iter().any(|c| c.running),
    )
    .await;
    let asked = tokio::time::Instant::now();
    t.svc
        .training_jobs()
        .stop(&t.account, "stubborn")
        .await
        .expect("stop is accepted");
    let job = t.training_done("stubborn").await;
    assert_eq!(job.record.status, status::STOPPED);
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_secs(30) && waited < Duration::from_secs(32),
        "{waited:?}"
    );
    assert!(t
        .engine
        .calls()
        .iter()
        .any(|c| matches!(c, Call::Stop { grace, .. } if *grace == Duration::from_secs(30))));
}

#[tokio::test(start_paused = true)]
async fn duplicate_names_are_in_use_and_a_missing_job_is_not_found() {
    let t = setup(Script::ok()).await;
    let job = create(&t, "dup", 300).await;
    let again = t
        .svc
        .training_jobs()
        .create(
            &t.account,
            spec(Value::Object(request(&t, "DUP", IMAGE, 300))),
            None,
            Vec::new(),
            Origin::Client,
        )
        .await;
    match again {
        Err(Error::AlreadyExists { message }) => assert_eq!(
            message,
            format!("Training job names must be unique within an AWS account and region, and a training job with this name already exists ({})", job.record.arn)
        ),
        other => panic!("a duplicate answered {other:?}"),
    }
    match t.svc.training_jobs().describe(&t.account, "nope").await {
        Err(Error::NotFound { message }) => assert_eq!(message, "Requested resource not found."),
        other => panic!("{other:?}"),
    }
    t.training_done("dup").await;
}

#[tokio::test(start_paused = true)]
async fn a_restarted_server_reattaches_to_a_running_container_and_completes() {
    let script = Script::ok()
        .stdout("line one")
        .stdout("line two")
        .writes("/opt/ml/model/m.bin", b"m".to_vec())
        .runs_for(Duration::from_secs(100));
    let mut t = setup(script).await;
    create(&t, "reattach", 3600).await;
    t.wait_for(
        "training",
        || async {
            t.svc
                .training_jobs()
                .describe(&t.account, "reattach")
                .await
                .ok()
        },
        |j| {
            j.as_ref()
                .is_some_and(|j| j.doc.state.log_lines_shipped == 2)
        },
    )
    .await;
    assert_eq!(t.restart().await, 1);
    let job = t.training_done("reattach").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(
        secondaries(&job),
        [
            "Starting",
            "Downloading",
            "Training",
            "Uploading",
            "Completed"
        ]
    );
    assert_eq!(t.engine.created().len(), 1, "no second container");
    let stream = job.doc.state.log_stream.clone().unwrap_or_default();
    assert_eq!(
        t.log_lines(super::LOG_GROUP, &stream).await,
        ["line one", "line two"],
        "every line once"
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_container_that_exited_while_the_server_was_down_is_finished() {
    let t0 = Script::exits(4).runs_for(Duration::from_secs(50));
    let mut t = setup(t0).await;
    create(&t, "exited", 3600).await;
    t.wait_for(
        "training",
        || async { t.engine.containers() },
        |c| c.iter().any(|c| c.running),
    )
    .await;
    t.crash();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(t.engine.containers().iter().all(|c| !c.running));
    t.recover().await;
    let job = t.training_done("exited").await;
    assert_eq!(job.record.status, status::FAILED);
    assert!(
        reason(&job).starts_with("AlgorithmError: the training container exited with code 4"),
        "{}",
        reason(&job)
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_vanished_container_fails_the_job_on_restart() {
    let mut t = setup(Script::ok().hangs()).await;
    create(&t, "vanished", 3600).await;
    t.wait_for(
        "training",
        || async {
            t.svc
                .training_jobs()
                .describe(&t.account, "vanished")
                .await
                .ok()
        },
        |j| {
            j.as_ref()
                .is_some_and(|j| j.doc.state.secondary == "Training")
        },
    )
    .await;
    t.crash();
    use slipway_core::ports::engine::ContainerEngine;
    for c in t.engine.containers() {
        t.engine.remove(&c.id, true).await.expect("removed");
    }
    t.recover().await;
    let job = t.training_done("vanished").await;
    assert_eq!(job.record.status, status::FAILED);
    let r = reason(&job);
    assert!(
        r.contains("restarted while the job was Training") && r.contains("no longer exists"),
        "{r}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_job_stopping_when_the_server_died_ends_stopped() {
    let mut t = setup(Script::ok().hangs().ignores_sigterm()).await;
    create(&t, "stopdie", 3600).await;
    t.wait_for(
        "training",
        || async { t.engine.containers() },
        |c| c.iter().any(|c| c.running),
    )
    .await;
    t.svc
        .training_jobs()
        .stop(&t.account, "stopdie")
        .await
        .expect("stop");
    // Dies during the stop's grace.
    tokio::time::sleep(Duration::from_secs(5)).await;
    t.restart().await;
    let job = t.training_done("stopdie").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert_eq!(job.doc.state.secondary, "Stopped");
    assert!(t.engine.containers().is_empty());
}
