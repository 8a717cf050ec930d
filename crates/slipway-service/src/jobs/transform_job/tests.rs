//! The transform job state machine on the simulated engine, in virtual
//! time (docs/jobs.md "Batch transform"): InProgress → Completed, Failed
//! or Stopped, as tests/e2e/test_transform.py sees it.

use super::state::{status, TransformJob};
use crate::error::Error;
use crate::testkit::{model_tar_gz, spec, Call, Ping, Reply, Script, Serve, TestService};
use serde_json::{json, Map, Value};
use slipway_core::ports::engine::NetworkMode;
use slipway_core::Echo;
use std::time::Duration;

pub(super) const IMAGE: &str = "sim/serve:1";

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A service whose [`IMAGE`] runs `script`, with `in/a.csv` to transform.
pub(super) async fn setup(script: Script) -> TestService {
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, script);
    t.put("bucket", "in/a.csv", &b"a,b\nc,d\n"[..]).await;
    t
}

pub(super) async fn model(t: &TestService, name: &str, extra: Value) {
    let mut container = json!({"Image": IMAGE, "Environment": {"MODEL_ENV": "m"}});
    if let (Value::Object(c), Value::Object(e)) = (&mut container, extra.clone()) {
        for (k, v) in e {
            if k != "EnableNetworkIsolation" {
                c.insert(k, v);
            }
        }
    }
    let mut req = json!({
        "ModelName": name,
        "PrimaryContainer": container,
        "ExecutionRoleArn": t.role_arn,
    });
    if let Some(iso) = extra.get("EnableNetworkIsolation") {
        req["EnableNetworkIsolation"] = iso.clone();
    }
    t.svc
        .models()
        .create(
            &t.account,
            spec(Value::Object(object(req))),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("the model is created");
}

pub(super) fn request(name: &str, model: &str, client: Value) -> Map<String, Value> {
    let mut r = json!({
        "TransformJobName": name,
        "ModelName": model,
        "BatchStrategy": "MultiRecord",
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/in/"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        "TransformOutput": {"S3OutputPath": "s3://bucket/out", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    });
    if !client.is_null() {
        r["ModelClientConfig"] = client;
    }
    object(r)
}

async fn run(t: &TestService, name: &str, client: Value) -> TransformJob {
    model(t, &format!("{name}-model"), json!({})).await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request(
                name,
                &format!("{name}-model"),
                client,
            ))),
            None,
            Vec::new(),
        )
        .await
        .expect("the job is created");
    t.transform_done(name).await
}

pub(super) fn reason(job: &TransformJob) -> &str {
    job.doc.state.failure_reason.as_deref().unwrap_or("")
}

#[tokio::test(start_paused = true)]
async fn a_job_transforms_every_object_and_completes() {
    let t = setup(Script::serves(Serve::upper()).stdout("serving on 8080")).await;
    let job = run(&t, "ok", Value::Null).await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(
        t.get("bucket", "out/a.csv.out").await.as_deref(),
        Some(&b"A,B\nC,D\n"[..])
    );
    let (start, end) = (
        job.doc.state.start.unwrap_or(0),
        job.doc.state.end.unwrap_or(0),
    );
    assert!(start > 0 && start <= end);
    // Not isolated: on the `slipway` network, reached by IP.
    let spec = &t.engine.created()[0];
    assert_eq!(spec.network, NetworkMode::Named("slipway".into()));
    assert_eq!(spec.args, ["serve"]);
    assert_eq!(
        spec.env.get("SAGEMAKER_BATCH").map(String::as_str),
        Some("true")
    );
    assert_eq!(spec.env.get("MODEL_ENV").map(String::as_str), Some("m"));
    assert!(t.engine.calls().contains(&Call::EnsureNetwork {
        name: "slipway".into(),
        internal: false
    }));
    let reqs = t.engine.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].content_type.as_deref(), Some("text/csv"));
    assert_eq!(reqs[0].accept.as_deref(), Some("text/csv"));
    assert!(t.engine.containers().is_empty());
    let stream = job.doc.state.log_stream.clone().unwrap_or_default();
    assert!(stream.starts_with("ok/i-"), "{stream}");
    assert_eq!(
        t.log_lines(super::LOG_GROUP, &stream).await,
        ["serving on 8080"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_isolated_model_is_reached_through_its_own_namespace() {
    let t = setup(Script::serves(Serve::upper())).await;
    model(&t, "iso-model", json!({"EnableNetworkIsolation": true})).await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("iso", "iso-model", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    let job = t.transform_done("iso").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(t.engine.created()[0].network, NetworkMode::None);
    assert!(t
        .engine
        .calls()
        .iter()
        .any(|c| matches!(c, Call::ReachPort { port: 8080, .. })));
    assert!(!t
        .engine
        .calls()
        .iter()
        .any(|c| matches!(c, Call::EnsureNetwork { .. })));
}

#[tokio::test(start_paused = true)]
async fn the_model_archive_is_mounted_read_only_at_opt_ml_model() {
    let t = setup(Script::serves(Serve::upper())).await;
    let tar = model_tar_gz(&[("model.json", b"{\"w\": 1}")]);
    t.put("bucket", "models/model.tar.gz", tar).await;
    model(
        &t,
        "md",
        json!({"ModelDataUrl": "s3://bucket/models/model.tar.gz"}),
    )
    .await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("md-job", "md", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    assert_eq!(
        t.transform_done("md-job").await.record.status,
        status::COMPLETED
    );
    let seen = t.engine.started();
    assert_eq!(
        seen[0]
            .files_at_start
            .get("/opt/ml/model/model.json")
            .map(Vec::as_slice),
        Some(&b"{\"w\": 1}"[..])
    );
    assert!(seen[0]
        .spec
        .mounts
        .iter()
        .any(|m| m.container_path == "/opt/ml/model" && m.read_only));
}

#[tokio::test(start_paused = true)]
async fn invocation_errors_fail_the_job_naming_the_object() {
    let serve = Serve::answering(|_| Reply::status(500, "boom"));
    let t = setup(Script::serves(serve).stderr("Traceback: model exploded")).await;
    let job = run(
        &t,
        "err500",
        json!({"InvocationsMaxRetries": 1, "InvocationsTimeoutInSeconds": 5}),
    )
    .await;
    assert_eq!(job.record.status, status::FAILED);
    let r = reason(&job);
    assert!(
        r.starts_with("AlgorithmError: 1 of 1 input objects failed; first: s3://bucket/in/a.csv"),
        "{r}"
    );
    assert!(r.contains("500") && r.contains("boom"), "{r}");
    assert!(
        r.contains("the container printed: Traceback: model exploded"),
        "{r}"
    );
    assert_eq!(t.engine.requests().len(), 2, "one retry");
    assert!(t.keys("bucket", "out/").await.is_empty());
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_hanging_invocation_times_out() {
    let serve = Serve::answering(|_| Reply::ok("late").after(Duration::from_secs(3600)));
    let t = setup(Script::serves(serve)).await;
    let job = run(
        &t,
        "hang",
        json!({"InvocationsMaxRetries": 0, "InvocationsTimeoutInSeconds": 1}),
    )
    .await;
    assert_eq!(job.record.status, status::FAILED);
    assert!(
        reason(&job).to_lowercase().contains("tim"),
        "{}",
        reason(&job)
    );
}

#[tokio::test(start_paused = true)]
async fn a_container_never_ready_fails_after_the_ready_timeout() {
    let t = setup(Script::serves(Serve::upper().ping(Ping::Status(503))).stdout("loading")).await;
    let started = tokio::time::Instant::now();
    let job = run(&t, "never", Value::Null).await;
    assert_eq!(job.record.status, status::FAILED);
    assert_eq!(
        reason(&job),
        "ClientError: the inference container did not answer GET /ping with 200 within 240 s; the container printed: loading"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(240) && took < Duration::from_secs(250),
        "{took:?}"
    );
    assert!(t.engine.requests().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_slow_starter_is_waited_for() {
    let t = setup(Script::serves(
        Serve::upper().ready_after(Duration::from_secs(100)),
    ))
    .await;
    let job = run(&t, "slow", Value::Null).await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
}

#[tokio::test(start_paused = true)]
async fn a_container_dying_before_ping_fails_with_its_last_words() {
    let serve = Serve::upper().dies_after(Duration::from_secs(2), 1);
    let t = setup(Script::serves(serve).stderr("ImportError: no module named torch")).await;
    let job = run(&t, "dies", Value::Null).await;
    assert_eq!(job.record.status, status::FAILED);
    assert_eq!(
        reason(&job),
        "ClientError: the inference container exited with code 1 before answering GET /ping; the container printed: ImportError: no module named torch"
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_container_dead_before_its_address_is_read_fails_with_its_last_words() {
    // Exited before the runner looked up its address: an exited container
    // has none, and the reason must still be the container's own words.
    let serve = Serve::upper().dies_after(Duration::ZERO, 2);
    let t = setup(Script::serves(serve).stderr("unknown SAMPLE_MODE 'x'")).await;
    let job = run(&t, "dead", Value::Null).await;
    assert_eq!(job.record.status, status::FAILED);
    assert_eq!(
        reason(&job),
        "ClientError: the inference container exited with code 2 before answering GET /ping; the container printed: unknown SAMPLE_MODE 'x'"
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_image_fails_with_a_client_error() {
    let t = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", json!({})).await;
    // The image disappears after the model was created.
    t.engine.add_image("sim/other:1", Script::ok());
    let mut req = request("noimg", "m", Value::Null);
    req.insert("TransformJobName".into(), json!("noimg"));
    t.svc
        .transform_jobs()
        .create(&t.account, spec(Value::Object(req)), None, Vec::new())
        .await
        .expect("created");
    // Not missing yet: this job runs; a model on a missing image fails.
    assert_eq!(
        t.transform_done("noimg").await.record.status,
        status::COMPLETED
    );
    let missing = json!({
        "ModelName": "gone",
        "PrimaryContainer": {"Image": "sim/missing:1"},
        "ExecutionRoleArn": t.role_arn,
    });
    t.svc
        .models()
        .create(
            &t.account,
            spec(Value::Object(object(missing))),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("model");
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("gone-job", "gone", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    let job = t.transform_done("gone-job").await;
    assert!(
        reason(&job).starts_with(
            "ClientError: the inference image sim/missing:1 could not be found or pulled"
        ),
        "{}",
        reason(&job)
    );
}

#[tokio::test(start_paused = true)]
async fn stop_transform_job_ends_stopped_without_outputs() {
    let serve = Serve::answering(|_| Reply::ok("x").after(Duration::from_secs(3600)));
    let t = setup(Script::serves(serve)).await;
    model(&t, "m", json!({})).await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("stopme", "m", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    t.wait_for(
        "an invocation",
        || async { t.engine.requests().len() },
        |n| *n > 0,
    )
    .await;
    t.svc
        .transform_jobs()
        .stop(&t.account, "stopme")
        .await
        .expect("stop");
    let job = t.transform_done("stopme").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert_eq!(job.doc.state.failure_reason, None);
    assert!(t.keys("bucket", "out/").await.is_empty());
    assert!(t.engine.containers().is_empty());
    match t.svc.transform_jobs().stop(&t.account, "stopme").await {
        Err(Error::Invalid { reason, .. }) => assert_eq!(
            reason,
            "The request was rejected because the transform job is in status Stopped."
        ),
        other => panic!("a second stop answered {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn one_failed_object_of_two_fails_the_job_after_the_other_ran() {
    let serve = Serve::answering(|b| {
        if b.starts_with(b"bad") {
            Reply::status(400, "cannot parse")
        } else {
            Reply::ok(b.to_ascii_uppercase())
        }
    });
    let t = setup(Script::serves(serve)).await;
    t.put("bucket", "in/b.csv", &b"bad\n"[..]).await;
    let job = run(&t, "half", json!({"InvocationsMaxRetries": 0})).await;
    assert_eq!(job.record.status, status::FAILED);
    assert!(
        reason(&job).contains("1 of 2 input objects failed; first: s3://bucket/in/b.csv"),
        "{}",
        reason(&job)
    );
    // Outputs appear per whole object: a.csv's is there, b.csv's is not.
    assert_eq!(t.keys("bucket", "out/").await, ["out/a.csv.out"]);
}

#[tokio::test(start_paused = true)]
async fn a_restarted_server_runs_an_unfinished_job_again() {
    let serve =
        Serve::answering(|b| Reply::ok(b.to_ascii_uppercase()).after(Duration::from_secs(30)));
    let mut t = setup(Script::serves(serve)).await;
    model(&t, "m", json!({})).await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("again", "m", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    t.wait_for(
        "an invocation",
        || async { t.engine.requests().len() },
        |n| *n > 0,
    )
    .await;
    assert_eq!(t.restart().await, 1);
    let job = t.transform_done("again").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(
        t.get("bucket", "out/a.csv.out").await.as_deref(),
        Some(&b"A,B\nC,D\n"[..])
    );
    assert_eq!(
        t.engine.created().len(),
        2,
        "the old container was replaced"
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_job_left_stopping_ends_stopped_after_a_restart() {
    let serve = Serve::answering(|_| Reply::ok("x").after(Duration::from_secs(3600)));
    let mut t = setup(Script::serves(serve)).await;
    model(&t, "m", json!({})).await;
    t.svc
        .transform_jobs()
        .create(
            &t.account,
            spec(Value::Object(request("stopping", "m", Value::Null))),
            None,
            Vec::new(),
        )
        .await
        .expect("created");
    t.wait_for(
        "an invocation",
        || async { t.engine.requests().len() },
        |n| *n > 0,
    )
    .await;
    // StopTransformJob is recorded while the engine is unreachable (so
    // nothing can act on it), and then the process dies.
    t.crash();
    t.engine.set_unavailable(Some("socket gone"));
    t.svc
        .transform_jobs()
        .stop(&t.account, "stopping")
        .await
        .expect("stop");
    t.engine.set_unavailable(None);
    assert_eq!(
        t.svc
            .transform_jobs()
            .describe(&t.account, "stopping")
            .await
            .map(|j| j.record.status)
            .ok()
            .as_deref(),
        Some("Stopping")
    );
    t.recover().await;
    let job = t.transform_done("stopping").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert!(
        t.engine.containers().is_empty(),
        "the old container is removed"
    );
}
