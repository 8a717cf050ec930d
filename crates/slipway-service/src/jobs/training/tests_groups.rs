//! Heterogeneous clusters (`ResourceConfig.InstanceGroups`, docs/jobs.md
//! "Heterogeneous clusters") on the simulated engine, in virtual time.

use super::state::status;
use crate::error::Error;
use crate::testkit::{Script, TestService};
use serde_json::{json, Value};
use std::time::Duration;

const IMAGE: &str = "sim/groups:1";
const GIB: i64 = 1 << 30;

/// 'gpu' 1 × ml.m5.large (algo-1) and 'cpu' 2 × ml.c5.xlarge (algo-2,
/// algo-3): `train` goes to gpu, `shards` (sharded) to cpu, `common` to
/// both.
fn request(t: &TestService, name: &str) -> Value {
    json!({
        "TrainingJobName": name,
        "RoleArn": t.role_arn,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "InputDataConfig": [
            channel("train", "train/", &["gpu"], false),
            channel("shards", "shards/", &["cpu"], true),
            channel("common", "common/", &["gpu", "cpu"], false),
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"VolumeSizeInGB": 5, "InstanceGroups": [
            {"InstanceGroupName": "gpu", "InstanceType": "ml.m5.large", "InstanceCount": 1},
            {"InstanceGroupName": "cpu", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
        ]},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    })
}

fn channel(name: &str, prefix: &str, groups: &[&str], sharded: bool) -> Value {
    let mut s3 = json!({"S3DataType": "S3Prefix", "S3Uri": format!("s3://bucket/{prefix}"),
        "S3DataDistributionType": if sharded { "ShardedByS3Key" } else { "FullyReplicated" }});
    if !groups.is_empty() {
        s3["InstanceGroupNames"] = json!(groups);
    }
    json!({"ChannelName": name, "DataSource": {"S3DataSource": s3}})
}

async fn setup(script: Script, slots: usize) -> TestService {
    let t = TestService::start_with(|s| {
        s.max_training_containers = slots;
        s.host_cpus = 8;
    })
    .await;
    t.put("bucket", "train/t.csv", "t\n").await;
    for k in ["a", "b", "c"] {
        t.put("bucket", &format!("shards/{k}.csv"), format!("{k}\n"))
            .await;
    }
    t.put("bucket", "common/c.csv", "c\n").await;
    t.engine.add_image(IMAGE, script);
    t
}

use super::tests_distributed::{create, reason};

#[tokio::test(start_paused = true)]
async fn each_host_gets_its_groups_type_channels_and_resource_config() {
    let t = setup(Script::ok().runs_for(Duration::from_secs(3)), 4).await;
    create(&t, request(&t, "hetero")).await.expect("created");
    let job = t.training_done("hetero").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));

    let started = t.engine.started();
    assert_eq!(started.len(), 3);
    let expected = [
        ("gpu", "ml.m5.large", 2, 8),
        ("cpu", "ml.c5.xlarge", 4, 8),
        ("cpu", "ml.c5.xlarge", 4, 8),
    ];
    for (i, (c, (group, itype, cpus, gib))) in started.iter().zip(expected).enumerate() {
        let host = format!("algo-{}", i + 1);
        assert_eq!(c.spec.hostname.as_deref(), Some(host.as_str()));
        // Each container gets its own group's instance type limits.
        assert_eq!(
            c.spec.limits.nano_cpus,
            Some(cpus * 1_000_000_000),
            "{host}"
        );
        assert_eq!(c.spec.limits.memory_bytes, Some(gib * GIB), "{host}");
        let config = |f: &str| -> Value {
            let raw = &c.files_at_start[&format!("/opt/ml/input/config/{f}")];
            serde_json::from_slice(raw).expect("JSON")
        };
        let rc = config("resourceconfig.json");
        assert_eq!(rc["current_host"], host);
        assert_eq!(rc["current_group_name"], group);
        assert_eq!(rc["current_instance_type"], itype);
        assert_eq!(rc["hosts"], json!(["algo-1", "algo-2", "algo-3"]));
        assert_eq!(
            rc["instance_groups"],
            json!([
                {"instance_group_name": "gpu", "instance_type": "ml.m5.large", "hosts": ["algo-1"]},
                {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "hosts": ["algo-2", "algo-3"]},
            ])
        );
        assert_eq!(rc["network_interface_name"], "eth0");
        // inputdataconfig.json names the channels this host gets.
        let channels: Vec<String> = config("inputdataconfig.json")
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        let mine: &[&str] = if group == "gpu" {
            &["train", "common"]
        } else {
            &["shards", "common"]
        };
        assert_eq!(channels, mine, "{host}");
    }
    let has = |n: usize, f: &str| {
        started[n]
            .files_at_start
            .contains_key(&format!("/opt/ml/input/data/{f}"))
    };
    assert!(has(0, "train/t.csv") && !has(1, "train/t.csv") && !has(2, "train/t.csv"));
    assert!((0..3).all(|n| has(n, "common/c.csv")));
    // `shards` is split between the two cpu hosts only; gpu has none.
    assert!(!has(0, "shards/a.csv") && !has(0, "shards/b.csv"));
    assert!(has(1, "shards/a.csv") && has(1, "shards/c.csv") && !has(1, "shards/b.csv"));
    assert!(has(2, "shards/b.csv") && !has(2, "shards/a.csv"));
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_failing_host_is_named_with_its_groups_instance_type() {
    let failing = Script::exits(137).runs_for(Duration::from_secs(2));
    let t = setup(Script::ok().hangs().on_host("algo-3", failing), 4).await;
    create(&t, request(&t, "oom")).await.expect("created");
    let job = t.training_done("oom").await;
    assert_eq!(job.record.status, status::FAILED);
    let r = reason(&job);
    assert!(
        r.starts_with("AlgorithmError: algo-3: the training container was killed by SIGKILL")
            && r.contains("memory limit of ml.c5.xlarge (8 GiB)"),
        "{r}"
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_hosts_of_all_groups_count_against_the_container_cap() {
    let t = setup(Script::ok(), 2).await;
    match create(&t, request(&t, "big")).await {
        Err(Error::Invalid { field, reason }) => {
            assert_eq!(field, "ResourceConfig.InstanceGroups");
            assert_eq!(
                reason,
                "InstanceGroups ask for 3 instances in all, more than this server runs at once: it runs at most 2 training containers (SLIPWAY_MAX_TRAINING_CONTAINERS)."
            );
        }
        other => panic!("3 hosts on a 2-container server answered {other:?}"),
    }
}

/// Every rule of the request, with its field and message.
#[tokio::test(start_paused = true)]
async fn groups_and_channels_are_checked_as_aws_does() {
    let t = setup(Script::ok(), 8).await;
    type Change = fn(&mut Value);
    let cases: Vec<(&str, Change, &str, &str)> = vec![
        (
            "both",
            |r| r["ResourceConfig"]["InstanceType"] = json!("ml.m5.large"),
            "ResourceConfig",
            "InstanceType or InstanceCount cannot be specified with InstanceGroups",
        ),
        (
            "count-too",
            |r| r["ResourceConfig"]["InstanceCount"] = json!(1),
            "ResourceConfig",
            "InstanceType or InstanceCount cannot be specified with InstanceGroups",
        ),
        (
            "neither",
            |r| {
                r["ResourceConfig"] = json!({"VolumeSizeInGB": 5});
                strip_channel_groups(r);
            },
            "ResourceConfig.InstanceType",
            "ResourceConfig must specify either InstanceType (with InstanceCount) or InstanceGroups.",
        ),
        (
            "dup",
            |r| r["ResourceConfig"]["InstanceGroups"][1]["InstanceGroupName"] = json!("gpu"),
            "ResourceConfig.InstanceGroups.2.InstanceGroupName",
            "Instance group names must be unique; 'gpu' appears more than once.",
        ),
        (
            "zero",
            |r| r["ResourceConfig"]["InstanceGroups"][1]["InstanceCount"] = json!(0),
            "ResourceConfig.InstanceGroups.2.InstanceCount",
            "InstanceCount of instance group 'cpu' must be at least 1; it is 0.",
        ),
        (
            "six",
            |r| {
                let groups: Vec<Value> = (1..=6)
                    .map(|i| json!({"InstanceGroupName": format!("g{i}"), "InstanceType": "ml.m5.large", "InstanceCount": 1}))
                    .collect();
                r["ResourceConfig"]["InstanceGroups"] = json!(groups);
                strip_channel_groups(r);
            },
            "ResourceConfig.InstanceGroups",
            "ResourceConfig.InstanceGroups has 6 groups; at most 5 are allowed.",
        ),
        (
            "unknown",
            |r| {
                r["InputDataConfig"][1]["DataSource"]["S3DataSource"]["InstanceGroupNames"] =
                    json!(["tpu"])
            },
            "InputDataConfig.2.DataSource.S3DataSource.InstanceGroupNames",
            "Channel 'shards' names instance group 'tpu', which is not one of ResourceConfig.InstanceGroups [gpu, cpu].",
        ),
        (
            "mixed",
            |r| {
                let s3 = &mut r["InputDataConfig"][2]["DataSource"]["S3DataSource"];
                s3.as_object_mut().map(|o| o.remove("InstanceGroupNames"));
            },
            "InputDataConfig",
            "Some channels have assigned instance groups: [train, shards] while others not: [common]",
        ),
        (
            "homogeneous",
            |r| r["ResourceConfig"] = json!({"InstanceType": "ml.m5.large", "InstanceCount": 2}),
            "InputDataConfig.1.DataSource.S3DataSource.InstanceGroupNames",
            "Channel 'train' has InstanceGroupNames, but ResourceConfig has no InstanceGroups.",
        ),
    ];
    for (name, change, want_field, want_reason) in cases {
        let mut req = request(&t, name);
        change(&mut req);
        match create(&t, req).await {
            Err(Error::Invalid { field, reason }) => {
                assert_eq!(
                    (field.as_str(), reason.as_str()),
                    (want_field, want_reason),
                    "{name}"
                );
            }
            other => panic!("{name}: expected a ValidationException, got {other:?}"),
        }
    }
    assert!(t.engine.started().is_empty());
    // Without any InstanceGroupNames every channel goes to every host.
    let mut req = request(&t, "everywhere");
    strip_channel_groups(&mut req);
    create(&t, req).await.expect("created");
    let job = t.training_done("everywhere").await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    for c in t.engine.started() {
        assert!(c
            .files_at_start
            .contains_key("/opt/ml/input/data/train/t.csv"));
    }
}

fn strip_channel_groups(r: &mut Value) {
    if let Some(channels) = r["InputDataConfig"].as_array_mut() {
        for ch in channels {
            if let Some(s3) = ch["DataSource"]["S3DataSource"].as_object_mut() {
                s3.remove("InstanceGroupNames");
            }
        }
    }
}
