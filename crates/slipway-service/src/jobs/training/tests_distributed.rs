//! Training jobs on several hosts (docs/jobs.md "Distributed training") on
//! the simulated engine, in virtual time.

use super::state::{status, TrainingJob};
use crate::error::Error;
use crate::jobs::training::create::Origin;
use crate::testkit::{spec, Call, Script, TestService};
use serde_json::{json, Value};
use slipway_core::ports::engine::NetworkMode;
use std::io::Read;
use std::time::Duration;

const IMAGE: &str = "sim/dist:1";

fn request(t: &TestService, name: &str, count: i64, isolated: bool) -> Value {
    json!({
        "TrainingJobName": name,
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "InputDataConfig": [
            {"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/",
                "S3DataDistributionType": "ShardedByS3Key"}}},
            {"ChannelName": "validation", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/validation/",
                "S3DataDistributionType": "FullyReplicated"}}},
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": count, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "EnableNetworkIsolation": isolated,
    })
}

async fn setup(script: Script, slots: usize) -> TestService {
    let t = TestService::start_with(|s| s.max_training_containers = slots).await;
    for k in ["a", "b", "c"] {
        t.put("bucket", &format!("train/{k}.csv"), format!("{k}\n"))
            .await;
    }
    t.put("bucket", "validation/v.csv", "v\n").await;
    t.engine.add_image(IMAGE, script);
    t
}

pub(super) async fn create(t: &TestService, req: Value) -> Result<TrainingJob, Error> {
    t.svc
        .training_jobs()
        .create(&t.account, spec(req), None, Vec::new(), Origin::Client)
        .await
}

async fn describe(t: &TestService, name: &str) -> Option<TrainingJob> {
    t.svc.training_jobs().describe(&t.account, name).await.ok()
}

async fn until_training(t: &TestService, name: &str) {
    t.wait_for(
        "training",
        || describe(t, name),
        |j| {
            j.as_ref()
                .is_some_and(|j| j.doc.state.secondary == "Training")
        },
    )
    .await;
}

pub(super) fn reason(job: &TrainingJob) -> &str {
    job.doc.state.failure_reason.as_deref().unwrap_or("")
}

/// The names of the files in a model.tar.gz.
fn entries(tar_gz: &[u8]) -> Vec<String> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(tar_gz)
        .read_to_end(&mut raw)
        .expect("gzip");
    let mut archive = tar::Archive::new(raw.as_slice());
    archive
        .entries()
        .expect("tar")
        .filter_map(|e| e.ok()?.path().ok().map(|p| p.display().to_string()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn two_hosts_get_their_shares_and_the_model_comes_from_algo_1() {
    let script = Script::ok()
        .stdout("hello from algo-1")
        .writes("/opt/ml/model/from-algo-1", b"1".to_vec())
        .runs_for(Duration::from_secs(5))
        .on_host(
            "algo-2",
            Script::ok()
                .stdout("hello from algo-2")
                .writes("/opt/ml/model/from-algo-2", b"2".to_vec())
                .runs_for(Duration::from_secs(8)),
        );
    let t = setup(script, 4).await;
    create(&t, request(&t, "dist", 2, false))
        .await
        .expect("created");
    let job = t.training_done("dist").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));

    let started = t.engine.started();
    assert_eq!(started.len(), 2);
    let net = match &started[0].spec.network {
        NetworkMode::Named(n) => n.clone(),
        other => panic!("not on a network of its own: {other:?}"),
    };
    for (n, c) in started.iter().enumerate() {
        let host = format!("algo-{}", n + 1);
        assert_eq!(c.spec.hostname.as_deref(), Some(host.as_str()));
        assert_eq!(c.spec.network_aliases, vec![host.clone()]);
        assert_eq!(c.spec.network, NetworkMode::Named(net.clone()));
        // Fixed addresses in the network's subnet, and every host in
        // /etc/hosts (an isolated network has no DNS to find them by).
        let own = std::net::Ipv4Addr::new(10, 89, 0, 2 + n as u8);
        assert_eq!(c.spec.ipv4_address, Some(own));
        let hosts: Vec<(String, std::net::IpAddr)> = (0..2u8)
            .map(|i| {
                let ip = std::net::Ipv4Addr::new(10, 89, 0, 2 + i);
                (format!("algo-{}", i + 1), ip.into())
            })
            .collect();
        assert_eq!(c.spec.extra_hosts, hosts);
        let rc: Value =
            serde_json::from_slice(&c.files_at_start["/opt/ml/input/config/resourceconfig.json"])
                .expect("resourceconfig.json");
        assert_eq!(rc["current_host"], host);
        assert_eq!(rc["hosts"], json!(["algo-1", "algo-2"]));
        assert_eq!(rc["instance_groups"][0]["hosts"], rc["hosts"]);
        // FullyReplicated: every host has the whole channel.
        assert!(c
            .files_at_start
            .contains_key("/opt/ml/input/data/validation/v.csv"));
    }
    let has = |n: usize, f: &str| {
        started[n]
            .files_at_start
            .contains_key(&format!("/opt/ml/input/data/train/{f}"))
    };
    // ShardedByS3Key: every other object, in key order.
    assert!(has(0, "a.csv") && has(0, "c.csv") && !has(0, "b.csv"));
    assert!(has(1, "b.csv") && !has(1, "a.csv") && !has(1, "c.csv"));

    let tar = t
        .get("bucket", "output/dist/output/model.tar.gz")
        .await
        .expect("model.tar.gz");
    let names = entries(&tar);
    assert!(
        names.iter().any(|n| n.ends_with("from-algo-1")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("from-algo-2")),
        "{names:?}"
    );

    let first = job.doc.state.log_stream.clone().unwrap_or_default();
    let second = first.replace("/algo-1-", "/algo-2-");
    assert_eq!(
        t.log_lines(super::LOG_GROUP, &first).await,
        ["hello from algo-1"]
    );
    assert_eq!(
        t.log_lines(super::LOG_GROUP, &second).await,
        ["hello from algo-2"]
    );
    let calls = t.engine.calls();
    assert!(calls.contains(&Call::EnsureNetwork {
        name: net.clone(),
        internal: false
    }));
    assert!(calls.contains(&Call::RemoveNetwork(net)));
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_failing_host_fails_the_job_by_name_and_the_others_are_stopped() {
    let failing = Script::exits(1)
        .writes("/opt/ml/output/failure", b"bad shard".to_vec())
        .runs_for(Duration::from_secs(2));
    let t = setup(Script::ok().hangs().on_host("algo-2", failing), 4).await;
    create(&t, request(&t, "broken", 2, false))
        .await
        .expect("created");
    let job = t.training_done("broken").await;
    assert_eq!(job.record.status, status::FAILED);
    assert_eq!(reason(&job), "AlgorithmError: algo-2: bad shard");
    let first = t.engine.started()[0].id.0.clone();
    let calls = t.engine.calls();
    assert!(
        calls
            .iter()
            .any(|c| matches!(c, Call::Stop { name, .. } if *name == first)),
        "{calls:?}"
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stop_stops_every_host_and_isolation_makes_the_network_internal() {
    let t = setup(Script::ok().hangs(), 4).await;
    create(&t, request(&t, "halt", 3, true))
        .await
        .expect("created");
    until_training(&t, "halt").await;
    let calls = t.engine.calls();
    assert!(
        calls
            .iter()
            .any(|c| matches!(c, Call::EnsureNetwork { internal: true, .. })),
        "{calls:?}"
    );
    t.svc
        .training_jobs()
        .stop(&t.account, "halt")
        .await
        .expect("stop is accepted");
    let job = t.training_done("halt").await;
    assert_eq!(job.record.status, status::STOPPED);
    let stops = t
        .engine
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Stop { .. }))
        .count();
    assert_eq!(stops, 3);
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_job_waits_for_all_its_slots_and_says_so() {
    let t = setup(Script::ok().hangs(), 3).await;
    create(&t, request(&t, "first", 2, false))
        .await
        .expect("created");
    until_training(&t, "first").await;
    create(&t, request(&t, "second", 2, false))
        .await
        .expect("created");
    let waiting = t
        .wait_for(
            "the second job's message",
            || describe(&t, "second"),
            |j| {
                j.as_ref().is_some_and(|j| {
                    j.doc.state.transitions.last().is_some_and(|tr| {
                        tr.message
                            .starts_with("Waiting for 2 training container slots")
                    })
                })
            },
        )
        .await;
    let waiting = waiting.expect("described");
    assert_eq!(waiting.record.status, status::IN_PROGRESS);
    assert_eq!(waiting.doc.state.secondary, "Starting");
    assert_eq!(t.engine.started().len(), 2, "the second job holds no slot");
    t.svc
        .training_jobs()
        .stop(&t.account, "first")
        .await
        .expect("stopped");
    until_training(&t, "second").await;
    let second = describe(&t, "second").await.expect("described");
    assert_eq!(
        second.doc.state.transitions[0].message,
        "Preparing the instances for training"
    );
    t.svc
        .training_jobs()
        .stop(&t.account, "second")
        .await
        .expect("stopped");
    t.training_done("second").await;
}

#[tokio::test(start_paused = true)]
async fn more_hosts_than_the_server_runs_at_once_or_none_are_refused() {
    let t = setup(Script::ok(), 2).await;
    for (count, needle) in [
        (3, "InstanceCount 3 is more than this server runs at once: it runs at most 2 training containers"),
        (0, "must be at least 1"),
    ] {
        match create(&t, request(&t, &format!("n{count}"), count, false)).await {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(field, "ResourceConfig.InstanceCount");
                assert!(reason.contains(needle), "{reason}");
            }
            other => panic!("InstanceCount {count} answered {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_restart_ends_a_distributed_job_cleanly() {
    let mut t = setup(Script::ok().hangs(), 4).await;
    create(&t, request(&t, "crashy", 2, false))
        .await
        .expect("created");
    until_training(&t, "crashy").await;
    t.restart().await;
    let job = t.training_done("crashy").await;
    assert_eq!(job.record.status, status::FAILED);
    let r = reason(&job);
    assert!(
        r.contains("restarted while the job was Training") && r.contains("2 instances"),
        "{r}"
    );
    assert!(t.engine.containers().is_empty());
    assert!(t
        .engine
        .calls()
        .iter()
        .any(|c| matches!(c, Call::RemoveNetwork(_))));
}

#[tokio::test(start_paused = true)]
async fn every_hosts_log_gives_its_own_series_and_the_job_reports_algo_1s() {
    let script = Script::ok()
        .stdout("loss=0.5")
        .stdout("loss=0.25")
        .runs_for(Duration::from_secs(3))
        .on_host(
            "algo-2",
            Script::ok()
                .stdout("loss=7")
                .stdout("other line")
                .stdout("loss=9")
                .runs_for(Duration::from_secs(3)),
        );
    let t = setup(script, 4).await;
    let mut req = request(&t, "hm", 2, false);
    req["AlgorithmSpecification"]["MetricDefinitions"] =
        json!([{"Name": "loss", "Regex": "loss=([0-9.]+)"}]);
    create(&t, req).await.expect("created");
    let job = t.training_done("hm").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    // FinalMetricDataList is algo-1's last value.
    let finals: Vec<_> = job
        .doc
        .state
        .final_metrics
        .iter()
        .map(|m| (m.name.as_str(), m.value))
        .collect();
    assert_eq!(finals, [("loss", 0.25)]);
    assert_eq!(job.doc.state.metric_samples_stored, 2);
    let m = t.svc.metrics();
    for (host, want) in [(1, vec![0.5, 0.25]), (2, vec![7.0, 9.0])] {
        let points = m.series(&t.account, "hm", host, "loss").await;
        let values: Vec<_> = points
            .expect("the series reads")
            .iter()
            .map(|p| p.value)
            .collect();
        assert_eq!(values, want, "algo-{host}");
    }
    // The tuning job's curve of a child is algo-1's.
    let curve = t
        .svc
        .training_jobs()
        .metric_series(&t.account, "hm", "loss")
        .await;
    assert_eq!(curve, [0.5, 0.25]);
    // CloudWatch names: a Host per host, the job's name once.
    let listed = m
        .list(&t.account, &slipway_metrics::ListQuery::default())
        .await
        .expect("ListMetrics");
    let names: Vec<_> = listed
        .metrics
        .iter()
        .map(|m| m.dimensions[0].1.as_str())
        .collect();
    assert_eq!(names, ["hm/algo-1", "hm", "hm/algo-2"]);
}
