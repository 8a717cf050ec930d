//! Checkpoints synced while the container runs, and the spot fields, on
//! the simulated engine (docs/jobs.md "Checkpoints", "Managed spot
//! training").

use super::create::Origin;
use super::state::status;
use super::tests::{reason, request, setup};
use crate::error::Error;
use crate::testkit::{spec, Script, TestService};
use serde_json::{json, Value};
use std::time::Duration;

const IMAGE: &str = "sim/train:1";

async fn create(t: &TestService, name: &str, extra: Value) -> Result<(), Error> {
    let mut req = request(t, name, IMAGE, 3600);
    if let Value::Object(extra) = extra {
        req.extend(extra);
    }
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
        .map(|_| ())
}

fn checkpointed() -> Value {
    json!({"CheckpointConfig": {"S3Uri": "s3://bucket/checkpoints/run"}})
}

#[tokio::test(start_paused = true)]
async fn checkpoints_reach_s3_while_the_job_runs_and_links_are_not_followed() {
    let script = Script::ok()
        .writes("/opt/ml/checkpoints/epoch-1.ckpt", b"weights 1".to_vec())
        .writes("/opt/ml/checkpoints/deep/state.json", b"{}".to_vec())
        .on_start(|s| {
            if let Some(dir) = s.host_path("/opt/ml/checkpoints") {
                let _ = std::fs::create_dir_all(&dir);
                let _ = std::os::unix::fs::symlink("/etc/passwd", dir.join("passwd"));
            }
        })
        .runs_for(Duration::from_secs(600));
    let t = setup(script).await;
    create(&t, "ckpt", checkpointed()).await.expect("created");
    let keys = t
        .wait_for(
            "checkpoints in S3",
            || async { t.keys("bucket", "checkpoints/").await },
            |k| k.len() >= 2,
        )
        .await;
    assert_eq!(
        keys,
        [
            "checkpoints/run/deep/state.json",
            "checkpoints/run/epoch-1.ckpt"
        ]
    );
    let job = t
        .svc
        .training_jobs()
        .describe(&t.account, "ckpt")
        .await
        .expect("job");
    assert_eq!(
        job.record.status,
        status::IN_PROGRESS,
        "synced while running"
    );
    assert_eq!(
        t.get("bucket", "checkpoints/run/epoch-1.ckpt")
            .await
            .as_deref(),
        Some(&b"weights 1"[..])
    );
    let done = t.training_done("ckpt").await;
    assert_eq!(done.record.status, status::COMPLETED, "{}", reason(&done));
    assert!(
        !t.keys("bucket", "checkpoints/")
            .await
            .iter()
            .any(|k| k.ends_with("passwd")),
        "a link is never followed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rerun_with_the_same_checkpoint_config_starts_with_them() {
    let t = setup(Script::ok().runs_for(Duration::from_secs(1))).await;
    t.put("bucket", "checkpoints/run/epoch-7.ckpt", &b"seven"[..])
        .await;
    create(&t, "again", checkpointed()).await.expect("created");
    assert_eq!(
        t.training_done("again").await.record.status,
        status::COMPLETED
    );
    let started = t.engine.started();
    assert_eq!(
        started[0]
            .files_at_start
            .get("/opt/ml/checkpoints/epoch-7.ckpt")
            .map(Vec::as_slice),
        Some(&b"seven"[..])
    );
}

fn invalid(r: Result<(), Error>) -> String {
    match r {
        Err(Error::Invalid { reason, .. }) => reason,
        other => format!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn spot_fields_are_checked_as_aws_checks_them() {
    let t = setup(Script::ok()).await;
    let only = "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true";
    let present = "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds";
    let wait = |w: i64| json!({"StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": w}});
    assert_eq!(invalid(create(&t, "s1", wait(7200)).await), only);
    let mut spot = json!({"EnableManagedSpotTraining": true});
    assert_eq!(invalid(create(&t, "s2", spot.clone()).await), present);
    spot["StoppingCondition"] = wait(3599)["StoppingCondition"].clone();
    assert_eq!(invalid(create(&t, "s3", spot.clone()).await), present);
    spot["StoppingCondition"] = wait(3600)["StoppingCondition"].clone();
    create(&t, "s4", spot).await.expect("a valid spot job");
    let job = t.training_done("s4").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert!(job.doc.spec.managed_spot());
}
