//! Tuning jobs on the simulated engine, in virtual time (docs/tuning.md):
//! children launched as training jobs within MaxParallelTrainingJobs and
//! the server's container slots, the objective read from their metrics, a
//! crash mid-tuning resumed without running a finished child again, Stop,
//! and the early abort.

use super::state::status;
use super::TuningJob;
use crate::testkit::{spec, Script, TestService};
use serde_json::json;
use slipway_core::Echo;
use std::time::Duration;

const IMAGE: &str = "sim/tune:1";

fn request(
    t: &TestService,
    name: &str,
    max_jobs: i64,
    parallel: i64,
) -> slipway_core::spec::tuning::TuningJobSpec {
    let template = json!({
        "TrainingJobName": "",
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "train:mse", "Regex": "train:mse=([0-9.]+)"}],
        },
        "HyperParameters": {"epochs": "3"},
        "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    });
    slipway_core::spec::tuning::TuningJobSpec {
        tuning_job_name: name.into(),
        strategy: "Random".into(),
        hyperband: None,
        objective: slipway_core::spec::tuning::TuningObjective {
            kind: "Minimize".into(),
            metric_name: "train:mse".into(),
        },
        max_training_jobs: Some(max_jobs),
        max_parallel_training_jobs: parallel,
        max_runtime_seconds: None,
        ranges: vec![slipway_core::spec::tuning::TunedRange {
            name: "learning_rate".into(),
            kind: "Continuous".into(),
            min_value: Some("0.01".into()),
            max_value: Some("1".into()),
            scaling_type: Some("Logarithmic".into()),
            values: Vec::new(),
        }],
        early_stopping: "Off".into(),
        target_objective: None,
        random_seed: Some(1),
        template: spec(template),
        warm_start: None,
    }
}

async fn setup(script: Script, slots: usize) -> TestService {
    let t = TestService::start_with(|s| s.max_training_containers = slots).await;
    t.put("bucket", "train/data.csv", b"1,2\n".to_vec()).await;
    t.engine.add_image(IMAGE, script);
    t
}

async fn create(t: &TestService, name: &str, max_jobs: i64, parallel: i64) -> TuningJob {
    t.svc
        .tuning_jobs()
        .create(
            &t.account,
            request(t, name, max_jobs, parallel),
            Echo::new(json!({})),
            Vec::new(),
        )
        .await
        .expect("the tuning job is created")
}

async fn ended(t: &TestService, name: &str) -> TuningJob {
    ended_watching(t, name).await.0
}

/// The job once ended, and the most training containers seen running at
/// once meanwhile (sampled every 100 ms of virtual time).
async fn ended_watching(t: &TestService, name: &str) -> (TuningJob, usize) {
    let mut most = 0;
    for _ in 0..20_000 {
        most = most.max(t.engine.containers().iter().filter(|c| c.running).count());
        let j = t
            .svc
            .tuning_jobs()
            .describe(&t.account, name)
            .await
            .expect("described");
        if status::is_terminal(&j.record.status) {
            return (j, most);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("tuning job {name} did not end");
}

#[tokio::test(start_paused = true)]
async fn children_run_within_the_parallel_limit_and_the_best_is_kept() {
    let script = Script::ok()
        .stdout("train:mse=0.25")
        .runs_for(Duration::from_secs(10));
    let t = setup(script, 8).await;
    let created = create(&t, "tune-1", 5, 2).await;
    assert_eq!(created.record.status, status::IN_PROGRESS);
    let (job, most) = ended_watching(&t, "tune-1").await;
    assert_eq!(
        job.record.status,
        status::COMPLETED,
        "{:?}",
        job.doc.state.failure_reason
    );
    let kids = &job.doc.state.children;
    assert_eq!(kids.len(), 5);
    for (i, c) in kids.iter().enumerate() {
        assert!(
            c.name.starts_with(&format!("tune-1-{:03}-", i + 1)),
            "{}",
            c.name
        );
        assert_eq!(c.objective, Some(0.25));
        assert_eq!(c.status, status::COMPLETED);
        let lr: f64 = c.tuned["learning_rate"].parse().expect("a number");
        assert!((0.01..=1.0).contains(&lr));
        let child = t
            .svc
            .training_jobs()
            .describe(&t.account, &c.name)
            .await
            .expect("a training job");
        assert_eq!(
            child.doc.spec.hyper_parameters["_tuning_objective_metric"],
            "train:mse"
        );
        assert_eq!(
            child.doc.tuning_job_arn.as_deref(),
            Some(job.record.arn.as_str())
        );
    }
    assert!((1..=2).contains(&most), "{most}");
    assert_eq!(job.doc.status_counters().completed, 5);
    assert!(job.doc.best_child().is_some());
}

#[tokio::test(start_paused = true)]
async fn the_servers_slots_bound_every_tuning_job_together() {
    let script = Script::ok()
        .stdout("train:mse=1")
        .runs_for(Duration::from_secs(10));
    let t = setup(script, 1).await;
    create(&t, "tune-a", 2, 2).await;
    create(&t, "tune-b", 2, 2).await;
    let (a, most_a) = ended_watching(&t, "tune-a").await;
    let (b, most_b) = ended_watching(&t, "tune-b").await;
    assert_eq!(
        (a.record.status.as_str(), b.record.status.as_str()),
        (status::COMPLETED, status::COMPLETED)
    );
    assert_eq!(most_a.max(most_b), 1);
}

#[tokio::test(start_paused = true)]
async fn a_crash_mid_tuning_resumes_without_rerunning_a_finished_child() {
    let script = Script::ok()
        .stdout("train:mse=0.5")
        .runs_for(Duration::from_secs(20));
    let mut t = setup(script, 8).await;
    create(&t, "tune-c", 4, 2).await;
    // Until the first child has finished.
    t.wait_for(
        "a first child",
        || async {
            let j = t
                .svc
                .tuning_jobs()
                .describe(&t.account, "tune-c")
                .await
                .expect("described");
            j.doc.status_counters().completed
        },
        |n| *n >= 1,
    )
    .await;
    t.restart().await;
    let job = ended(&t, "tune-c").await;
    assert_eq!(
        job.record.status,
        status::COMPLETED,
        "{:?}",
        job.doc.state.failure_reason
    );
    assert_eq!(job.doc.state.children.len(), 4);
    // One container per child: none ran twice.
    let names: Vec<String> = t
        .engine
        .created()
        .iter()
        .filter_map(|s| s.env.get("TRAINING_JOB_NAME").cloned())
        .collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(names.len(), unique.len(), "{names:?}");
    assert_eq!(unique.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn stop_stops_the_running_children() {
    let script = Script::ok()
        .stdout("train:mse=0.5")
        .runs_for(Duration::from_secs(600));
    let t = setup(script, 8).await;
    create(&t, "tune-s", 4, 2).await;
    t.wait_for(
        "two children running",
        || async { t.engine.started().len() },
        |n| *n >= 2,
    )
    .await;
    t.svc
        .tuning_jobs()
        .stop(&t.account, "tune-s")
        .await
        .expect("stopped");
    let job = ended(&t, "tune-s").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert_eq!(job.doc.status_counters().stopped, 2);
    assert_eq!(job.doc.state.children.len(), 2);
    let again = t.svc.tuning_jobs().stop(&t.account, "tune-s").await;
    assert!(
        matches!(again, Err(crate::Error::Invalid { .. })),
        "{again:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn five_failures_end_the_job_with_their_reason() {
    let script = Script::exits(3).stderr("cannot read the data");
    let t = setup(script, 8).await;
    create(&t, "tune-f", 20, 3).await;
    let job = ended(&t, "tune-f").await;
    assert_eq!(job.record.status, status::FAILED);
    let reason = job.doc.state.failure_reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with("No training job succeeded after 5 attempts."),
        "{reason}"
    );
    assert_eq!(job.doc.state.children.len(), 5);
}
