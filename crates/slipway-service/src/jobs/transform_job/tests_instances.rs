//! Several transform instances on the simulated engine: one container per
//! instance, whole objects dealt among them, outputs as with one instance,
//! failures naming the instance, and stop ending every container.

use super::state::{status, TransformJob};
use super::tests::{model, reason, request, setup};
use crate::testkit::{spec, Reply, Script, Serve, TestService};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Adds `b.csv` … `d.csv` next to `setup`'s `a.csv`.
async fn four_objects(t: &TestService) {
    for (key, body) in [("b", "e,f\n"), ("c", "g\n"), ("d", "h,i\nj\n")] {
        t.put("bucket", &format!("in/{key}.csv"), body.as_bytes().to_vec())
            .await;
    }
}

async fn run_on(t: &TestService, name: &str, instances: i64, client: Value) -> TransformJob {
    model(t, &format!("{name}-model"), json!({})).await;
    let mut req = request(name, &format!("{name}-model"), client);
    req.insert(
        "TransformResources".into(),
        json!({"InstanceType": "ml.m5.large", "InstanceCount": instances}),
    );
    req.insert("MaxConcurrentTransforms".into(), json!(2));
    req.insert(
        "TransformOutput".into(),
        json!({"S3OutputPath": format!("s3://bucket/{name}"), "Accept": "text/csv", "AssembleWith": "Line"}),
    );
    t.svc
        .transform_jobs()
        .create(&t.account, spec(Value::Object(req)), None, Vec::new())
        .await
        .expect("the job is created");
    t.transform_done(name).await
}

async fn outputs(t: &TestService, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for key in t.keys("bucket", prefix).await {
        let rel = key.trim_start_matches(prefix).to_owned();
        out.insert(
            rel,
            t.get("bucket", &key).await.unwrap_or_default().to_vec(),
        );
    }
    out
}

#[tokio::test(start_paused = true)]
async fn two_instances_share_the_objects_and_write_what_one_writes() {
    let t = setup(Script::serves(Serve::upper()).stdout("serving on 8080")).await;
    four_objects(&t).await;
    let one = run_on(&t, "one", 1, Value::Null).await;
    assert_eq!(one.record.status, status::COMPLETED, "{}", reason(&one));
    let before = t.engine.requests().len();
    let job = run_on(&t, "two", 2, Value::Null).await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    assert_eq!(outputs(&t, "two/").await, outputs(&t, "one/").await);
    assert_eq!(outputs(&t, "two/").await.len(), 4);
    // Two containers, each with the instance type's limits, each served
    // its share (a.csv, c.csv to the first; b.csv, d.csv to the second).
    let created: Vec<_> = t
        .engine
        .created()
        .into_iter()
        .filter(|s| s.name.contains("-two"))
        .collect();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].limits, created[1].limits);
    assert!(created[0].limits.nano_cpus.is_some());
    let mut served: BTreeMap<String, usize> = BTreeMap::new();
    for r in &t.engine.requests()[before..] {
        *served.entry(r.container.clone()).or_default() += 1;
    }
    assert_eq!(served.len(), 2, "{served:?}");
    assert!(served.contains_key(&format!("{}_2", created[0].name)));
    // One log stream per instance, `<job>/<instance id>`, each with the
    // container's lines.
    let streams = &job.doc.state.log_streams;
    assert_eq!(streams.len(), 2);
    assert_ne!(streams[0], streams[1]);
    assert_eq!(job.doc.state.log_stream.as_ref(), streams.first());
    for stream in streams {
        assert!(stream.starts_with("two/i-"), "{stream}");
        assert_eq!(
            t.log_lines(super::LOG_GROUP, stream).await,
            ["serving on 8080"]
        );
    }
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn each_instance_has_its_own_max_concurrent_transforms_in_flight() {
    let slow =
        Serve::answering(|b| Reply::ok(b.to_ascii_uppercase()).after(Duration::from_secs(5)));
    let t = setup(Script::serves(slow)).await;
    four_objects(&t).await;
    let started = tokio::time::Instant::now();
    let job = run_on(&t, "par", 2, Value::Null).await;
    assert_eq!(job.record.status, status::COMPLETED, "{}", reason(&job));
    // Five requests (d.csv is two lines in one batch, every object one
    // batch): two on each instance, both in flight at once, so one round
    // of 5 s (one instance with 2 in flight would take three rounds).
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_object_names_the_instance_that_ran_it() {
    let serve = Serve::answering(|b| {
        if b.starts_with(b"bad") {
            Reply::status(400, "cannot parse")
        } else {
            Reply::ok(b.to_ascii_uppercase())
        }
    });
    let t = setup(Script::serves(serve).stderr("parse error here")).await;
    t.put("bucket", "in/b.csv", &b"bad\n"[..]).await;
    let job = run_on(&t, "fails", 2, json!({"InvocationsMaxRetries": 0})).await;
    assert_eq!(job.record.status, status::FAILED);
    let second = job.doc.state.log_streams[1]
        .trim_start_matches("fails/")
        .to_owned();
    let r = reason(&job);
    assert!(
        r.starts_with(&format!(
            "AlgorithmError: 1 of 2 input objects failed; first: s3://bucket/in/b.csv on instance {second} (2 of 2): "
        )),
        "{r}"
    );
    assert!(
        r.ends_with("the container printed: parse error here"),
        "{r}"
    );
    assert_eq!(t.keys("bucket", "fails/").await, ["fails/a.csv.out"]);
}

#[tokio::test(start_paused = true)]
async fn a_container_that_never_starts_names_its_instance() {
    let serve = Serve::upper().dies_after(Duration::from_secs(1), 3);
    let t = setup(Script::serves(serve).stderr("no GPU")).await;
    let job = run_on(&t, "dead", 2, Value::Null).await;
    assert_eq!(job.record.status, status::FAILED);
    let first = job.doc.state.log_streams[0]
        .trim_start_matches("dead/")
        .to_owned();
    assert_eq!(
        reason(&job),
        format!(
            "ClientError: instance {first} (1 of 2): the inference container exited with code 3 before answering GET /ping; the container printed: no GPU"
        )
    );
    assert!(t.engine.containers().is_empty());
}

#[tokio::test(start_paused = true)]
async fn stop_ends_every_instance() {
    let serve = Serve::answering(|_| Reply::ok("x").after(Duration::from_secs(3600)));
    let t = setup(Script::serves(serve)).await;
    four_objects(&t).await;
    model(&t, "m", json!({})).await;
    let mut req = request("stop2", "m", Value::Null);
    req.insert(
        "TransformResources".into(),
        json!({"InstanceType": "ml.m5.large", "InstanceCount": 2}),
    );
    t.svc
        .transform_jobs()
        .create(&t.account, spec(Value::Object(req)), None, Vec::new())
        .await
        .expect("created");
    t.wait_for(
        "an invocation on each instance",
        || async {
            let mut seen: Vec<String> = t
                .engine
                .requests()
                .into_iter()
                .map(|r| r.container)
                .collect();
            seen.sort();
            seen.dedup();
            seen.len()
        },
        |n| *n == 2,
    )
    .await;
    assert_eq!(t.engine.containers().len(), 2);
    t.svc
        .transform_jobs()
        .stop(&t.account, "stop2")
        .await
        .expect("stop");
    let job = t.transform_done("stop2").await;
    assert_eq!(job.record.status, status::STOPPED);
    assert!(t.engine.containers().is_empty());
    assert!(t.keys("bucket", "out/").await.is_empty());
}

/// A server-wide cap on transform containers: a job of more instances
/// than the cap is refused, and a job that does not fit beside a running
/// one waits until that one's containers have gone.
#[tokio::test(start_paused = true)]
async fn jobs_wait_for_transform_container_slots() {
    let t = TestService::start_with(|s| s.max_transform_containers = 2).await;
    let slow = Serve::answering(|b: &bytes::Bytes| {
        Reply::ok(b.to_ascii_uppercase()).after(Duration::from_secs(30))
    });
    t.engine
        .add_image(super::tests::IMAGE, Script::serves(slow));
    t.put("bucket", "in/a.csv", &b"a,b\n"[..]).await;
    four_objects(&t).await;
    model(&t, "m", json!({})).await;
    let create = |name: &str, instances: i64| {
        let mut req = request(name, "m", Value::Null);
        req.insert(
            "TransformResources".into(),
            json!({"InstanceType": "ml.m5.large", "InstanceCount": instances}),
        );
        let t = &t;
        async move {
            t.svc
                .transform_jobs()
                .create(&t.account, spec(Value::Object(req)), None, Vec::new())
                .await
        }
    };
    match create("too-many", 3).await {
        Err(crate::error::Error::Invalid { field, reason }) => {
            assert_eq!(field, "TransformResources.InstanceCount");
            assert_eq!(reason, "InstanceCount 3 is more than this server runs at once: it runs at most 2 transform containers (SLIPWAY_MAX_TRANSFORM_CONTAINERS).");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    create("first", 2).await.expect("first");
    tokio::time::sleep(Duration::from_secs(1)).await;
    create("second", 1).await.expect("second");
    let first = t.transform_done("first").await;
    let second = t.transform_done("second").await;
    assert_eq!(first.record.status, status::COMPLETED, "{}", reason(&first));
    assert_eq!(
        second.record.status,
        status::COMPLETED,
        "{}",
        reason(&second)
    );
    // The second job's container was created only after both of the
    // first's had been removed.
    use crate::testkit::Call;
    let calls = t.engine.calls();
    // A container is created by name, then started and removed by id.
    let first_ids: Vec<String> = calls
        .windows(2)
        .filter_map(|w| match (&w[0], &w[1]) {
            (Call::Create(n), Call::Start(id)) if n.contains("-first") => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(first_ids.len(), 2, "{calls:?}");
    let last_first_removed = calls
        .iter()
        .rposition(|c| matches!(c, Call::Remove { name, .. } if first_ids.contains(name)))
        .expect("removed");
    let second_created = calls
        .iter()
        .position(|c| matches!(c, Call::Create(n) if n.contains("-second")))
        .expect("created");
    assert!(
        second_created > last_first_removed,
        "second created at {second_created}, first removed at {last_first_removed}: {calls:?}"
    );
}
