//! Endpoints on the simulated engine, in virtual time (docs/endpoints.md):
//! Creating → InService or Failed, invocations and their errors, weights,
//! blue/green updates, replacement, deletion and restart.

use crate::invoke::{InvokeRequest, ResponseBody, RuntimeError};
use crate::state::{status, Endpoint, EndpointConfigSpec, VariantSpec};
use crate::{Hosting, HostingSettings};
use bytes::Bytes;
use serde_json::json;
use slipway_core::ports::engine::{ContainerEngine, LABEL_JOB_ARN};
use slipway_core::Echo;
use slipway_service::testkit::{spec, Ping, Reply, Script, Serve, TestService};
use std::time::Duration;

const IMAGE: &str = "sim/serve:1";

async fn setup(script: Script) -> (TestService, Hosting) {
    let t = TestService::start().await;
    t.engine.add_image(IMAGE, script);
    let settings = HostingSettings {
        startup_timeout: Duration::from_secs(60),
        stop_grace: Duration::from_secs(5),
        ..HostingSettings::default()
    };
    let h = Hosting::new(t.svc.clone(), settings);
    (t, h)
}

async fn model(t: &TestService, name: &str, image: &str) {
    let req = json!({
        "ModelName": name,
        "PrimaryContainer": {"Image": image, "Environment": {"MODEL_ENV": "m"}},
        "ExecutionRoleArn": t.role_arn,
    });
    t.svc
        .models()
        .create(&t.account, spec(req), Echo::default(), Vec::new())
        .await
        .expect("the model is created");
}

fn variant(name: &str, model: &str, count: i64, weight: f64) -> VariantSpec {
    VariantSpec {
        variant_name: name.into(),
        model_name: model.into(),
        instance_type: "ml.m5.large".into(),
        initial_instance_count: count,
        initial_variant_weight: weight,
        startup_timeout_seconds: None,
        model_download_timeout_seconds: None,
    }
}

async fn config(h: &Hosting, t: &TestService, name: &str, variants: Vec<VariantSpec>) {
    h.endpoint_configs()
        .create(
            &t.account,
            EndpointConfigSpec {
                endpoint_config_name: name.into(),
                variants,
                execution_role_arn: None,
                enable_network_isolation: None,
            },
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect("the endpoint config is created");
}

/// Waits (virtual time) until the endpoint leaves `from`.
async fn settled(h: &Hosting, t: &TestService, name: &str, from: &str) -> Endpoint {
    for _ in 0..6000 {
        let ep = h
            .endpoints()
            .describe(&t.account, name)
            .await
            .expect("the endpoint exists");
        if ep.record.status != from {
            return ep;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("endpoint {name} stayed {from}");
}

async fn deployed(
    h: &Hosting,
    t: &TestService,
    name: &str,
    variants: Vec<VariantSpec>,
) -> Endpoint {
    config(h, t, &format!("{name}-config"), variants).await;
    h.endpoints()
        .create(&t.account, name, &format!("{name}-config"), Vec::new())
        .await
        .expect("the endpoint is created");
    settled(h, t, name, status::CREATING).await
}

fn call(name: &str, body: &'static str) -> InvokeRequest {
    InvokeRequest {
        endpoint_name: name.into(),
        body: Bytes::from_static(body.as_bytes()),
        content_type: Some("text/csv".into()),
        ..InvokeRequest::default()
    }
}

async fn invoke(
    h: &Hosting,
    t: &TestService,
    req: InvokeRequest,
) -> Result<(String, Bytes), RuntimeError> {
    let r = h.invoke(&t.account, req, false).await?;
    match r.body {
        ResponseBody::Full(b) => Ok((r.variant, b)),
        ResponseBody::Stream(_) => panic!("a full body was asked for"),
    }
}

fn reason(ep: &Endpoint) -> &str {
    ep.doc.state.failure_reason.as_deref().unwrap_or("")
}

#[tokio::test(start_paused = true)]
async fn an_endpoint_goes_in_service_and_answers_calls() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "ep", vec![variant("AllTraffic", "m", 2, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE, "{}", reason(&ep));
    let live = h.endpoints().live(&t.account, "ep");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].healthy, 2);
    let serving = ep.doc.state.serving.expect("a serving deployment");
    assert_eq!(serving.variants[0].deployed_images[0].specified, IMAGE);
    let (variant, body) = invoke(&h, &t, call("ep", "a,b"))
        .await
        .expect("the call is answered");
    assert_eq!(variant, "AllTraffic");
    assert_eq!(&body[..], b"A,B");
    // Each instance is its own container with the instance type's limits,
    // labelled with the endpoint's ARN, started with `serve`.
    let created = t.engine.created();
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|c| c.args == ["serve"]
        && c.labels.get(LABEL_JOB_ARN) == Some(&ep.record.arn)
        && c.limits.memory_bytes.is_some()));
}

#[tokio::test(start_paused = true)]
async fn a_container_that_never_passes_ping_fails_the_endpoint_after_the_window() {
    let (t, h) =
        setup(Script::serves(Serve::upper().ping(Ping::Status(503))).stdout("loading weights"))
            .await;
    model(&t, "m", IMAGE).await;
    let mut v = variant("AllTraffic", "m", 1, 1.0);
    v.startup_timeout_seconds = Some(60);
    let ep = deployed(&h, &t, "slow", vec![v]).await;
    assert_eq!(ep.record.status, status::FAILED);
    let r = reason(&ep);
    assert!(
        r.contains(
            "production variant AllTraffic did not pass the ping health check within 60 seconds"
        ),
        "{r}"
    );
    assert!(r.contains("answered HTTP 503"), "{r}");
    assert!(r.contains("loading weights"), "{r}");
    // Nothing is left running.
    assert!(t.engine.containers().iter().all(|c| !c.running));
}

#[tokio::test(start_paused = true)]
async fn a_container_that_exits_at_start_fails_the_endpoint_with_its_code() {
    let (t, h) = setup(
        Script::serves(Serve::upper().dies_after(Duration::from_secs(1), 3))
            .stderr("ImportError: no module named model"),
    )
    .await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "dies", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::FAILED);
    let r = reason(&ep);
    assert!(
        r.contains("exited with code 3 before passing the ping health check"),
        "{r}"
    );
    assert!(r.contains("ImportError"), "{r}");
}

#[tokio::test(start_paused = true)]
async fn a_missing_image_fails_the_endpoint_naming_the_variant() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", "sim/missing:1").await;
    let ep = deployed(&h, &t, "noimg", vec![variant("Blue", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::FAILED);
    assert!(
        reason(&ep).starts_with("Production variant Blue: the inference image sim/missing:1"),
        "{}",
        reason(&ep)
    );
}

#[tokio::test(start_paused = true)]
async fn container_errors_are_model_errors_with_the_original_status() {
    let script = Script::serves(Serve::answering(|b: &Bytes| {
        if b.starts_with(b"bad") {
            Reply::status(500, "model blew up")
        } else {
            Reply::ok("fine").after(Duration::from_secs(120))
        }
    }));
    let (t, h) = setup(script).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "err", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE, "{}", reason(&ep));
    match invoke(&h, &t, call("err", "bad")).await {
        Err(RuntimeError::Model {
            message,
            original_status,
            original_message,
            log_stream_arn,
        }) => {
            assert_eq!(original_status, Some(500));
            assert_eq!(original_message.as_deref(), Some("model blew up"));
            assert!(
                message.starts_with(
                    "Received server error (500) from primary with message \"model blew up\""
                ),
                "{message}"
            );
            assert!(log_stream_arn
                .is_some_and(|a| a
                    .contains("log-group:/aws/sagemaker/Endpoints/err:log-stream:AllTraffic/i-")));
        }
        _ => panic!("a ModelError was expected"),
    }
    // Slower than the 60 s limit: a ModelError too.
    match invoke(&h, &t, call("err", "slow")).await {
        Err(RuntimeError::Model { message, .. }) => {
            assert!(message.contains("timed out"), "{message}")
        }
        _ => panic!("a time-out ModelError was expected"),
    }
}

#[tokio::test(start_paused = true)]
async fn calls_are_split_by_variant_weight_and_may_target_a_variant() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(
        &h,
        &t,
        "split",
        vec![variant("A", "m", 1, 1.0), variant("B", "m", 1, 3.0)],
    )
    .await;
    assert_eq!(ep.record.status, status::IN_SERVICE, "{}", reason(&ep));
    let mut b = 0;
    for _ in 0..400 {
        let (v, _) = invoke(&h, &t, call("split", "x")).await.expect("answered");
        if v == "B" {
            b += 1;
        }
    }
    // 3:1 weights give B 300 calls on average, σ ≈ 8.7; ±45 is over 5σ, so
    // the assertion fails only for a wrong split, not for an unlucky draw
    // (an even split gives 200, all to B 400).
    assert!((255..=345).contains(&b), "B got {b} of 400 calls");
    let mut to_a = call("split", "x");
    to_a.target_variant = Some("A".into());
    assert_eq!(invoke(&h, &t, to_a).await.expect("answered").0, "A");
    let mut to_c = call("split", "x");
    to_c.target_variant = Some("C".into());
    assert!(
        matches!(invoke(&h, &t, to_c).await, Err(RuntimeError::Validation(m)) if m.contains("variant C"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_missing_or_creating_endpoint_is_a_validation_error() {
    let (t, h) = setup(Script::serves(
        Serve::upper().ready_after(Duration::from_secs(30)),
    ))
    .await;
    match invoke(&h, &t, call("nope", "x")).await {
        Err(RuntimeError::Validation(m)) => {
            assert_eq!(
                m,
                format!("Endpoint nope of account {} not found.", t.account.as_str())
            )
        }
        _ => panic!("a ValidationError was expected"),
    }
    model(&t, "m", IMAGE).await;
    config(&h, &t, "c", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    h.endpoints()
        .create(&t.account, "later", "c", Vec::new())
        .await
        .expect("created");
    assert!(matches!(
        invoke(&h, &t, call("later", "x")).await,
        Err(RuntimeError::Validation(_))
    ));
    let ep = settled(&h, &t, "later", status::CREATING).await;
    assert_eq!(ep.record.status, status::IN_SERVICE, "{}", reason(&ep));
}

#[tokio::test(start_paused = true)]
async fn a_crashed_container_is_replaced_and_serves_again() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "crash", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE, "{}", reason(&ep));
    let first = t.engine.started().len();
    let running = t
        .engine
        .containers()
        .into_iter()
        .find(|c| c.running)
        .expect("a running container");
    t.engine.kill(&running.id).await.expect("killed");
    // The call that finds the container dead may fail (as one cut off by
    // a crash does); the next one waits for the replacement.
    let _ = invoke(&h, &t, call("crash", "first")).await;
    let (_, body) = invoke(&h, &t, call("crash", "again"))
        .await
        .expect("served by the replacement");
    assert_eq!(&body[..], b"AGAIN");
    assert!(t.engine.started().len() > first);
    assert_eq!(h.endpoints().live(&t.account, "crash")[0].healthy, 1);
}

#[tokio::test(start_paused = true)]
async fn an_update_moves_traffic_only_to_a_healthy_config() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    t.engine.add_image(
        "sim/broken:1",
        Script::serves(Serve::upper().ping(Ping::Status(500))),
    );
    model(&t, "m", IMAGE).await;
    model(&t, "broken", "sim/broken:1").await;
    let ep = deployed(&h, &t, "bg", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    let mut v = variant("AllTraffic", "broken", 1, 1.0);
    v.startup_timeout_seconds = Some(60);
    config(&h, &t, "bad-config", vec![v]).await;
    h.endpoints()
        .update(&t.account, "bg", "bad-config")
        .await
        .expect("update accepted");
    // While Updating, the old config serves and a second update is refused.
    assert!(invoke(&h, &t, call("bg", "x")).await.is_ok());
    assert!(h
        .endpoints()
        .update(&t.account, "bg", "bad-config")
        .await
        .is_err());
    let ep = settled(&h, &t, "bg", status::UPDATING).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    assert!(
        reason(&ep).contains("did not pass the ping health check"),
        "{}",
        reason(&ep)
    );
    assert_eq!(ep.doc.config_name(), Some("bg-config"));
    assert!(invoke(&h, &t, call("bg", "x")).await.is_ok());
    // A good config replaces the old one.
    config(&h, &t, "good-config", vec![variant("Green", "m", 1, 1.0)]).await;
    h.endpoints()
        .update(&t.account, "bg", "good-config")
        .await
        .expect("update accepted");
    let ep = settled(&h, &t, "bg", status::UPDATING).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    assert_eq!(ep.doc.config_name(), Some("good-config"));
    assert_eq!(reason(&ep), "");
    assert_eq!(
        invoke(&h, &t, call("bg", "x")).await.expect("answered").0,
        "Green"
    );
}

#[tokio::test(start_paused = true)]
async fn weights_and_capacities_change_in_place() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(
        &h,
        &t,
        "scale",
        vec![variant("A", "m", 1, 1.0), variant("B", "m", 1, 1.0)],
    )
    .await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    h.endpoints()
        .update_weights(
            &t.account,
            "scale",
            vec![crate::endpoints::DesiredCapacity {
                variant_name: "A".into(),
                weight: Some(0.0),
                instance_count: Some(3),
            }],
        )
        .await
        .expect("accepted");
    let ep = settled(&h, &t, "scale", status::UPDATING).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    let live = h.endpoints().live(&t.account, "scale");
    assert_eq!(
        live.iter().find(|l| l.name == "A").map(|l| l.healthy),
        Some(3)
    );
    for _ in 0..20 {
        assert_eq!(
            invoke(&h, &t, call("scale", "x"))
                .await
                .expect("answered")
                .0,
            "B"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn deleting_an_endpoint_stops_its_containers_and_removes_it() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "gone", vec![variant("AllTraffic", "m", 2, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    h.endpoints()
        .delete(&t.account, "gone")
        .await
        .expect("delete accepted");
    for _ in 0..2000 {
        if h.endpoints().describe(&t.account, "gone").await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let e = h
        .endpoints()
        .describe(&t.account, "gone")
        .await
        .expect_err("gone");
    assert!(e.to_string().starts_with("Could not find endpoint"), "{e}");
    let left = t
        .engine
        .list_by_label(LABEL_JOB_ARN, Some(&ep.record.arn))
        .await
        .expect("listed");
    assert!(left.is_empty(), "{left:?}");
    assert!(matches!(
        invoke(&h, &t, call("gone", "x")).await,
        Err(RuntimeError::Validation(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn configs_refuse_unknown_models_and_repeated_variant_names() {
    let (t, h) = setup(Script::serves(Serve::upper())).await;
    let spec = |variants| EndpointConfigSpec {
        endpoint_config_name: "c".into(),
        variants,
        execution_role_arn: None,
        enable_network_isolation: None,
    };
    let e = h
        .endpoint_configs()
        .create(
            &t.account,
            spec(vec![variant("A", "nope", 1, 1.0)]),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect_err("refused");
    assert!(e.to_string().contains("Could not find model"), "{e}");
    model(&t, "m", IMAGE).await;
    let e = h
        .endpoint_configs()
        .create(
            &t.account,
            spec(vec![variant("A", "m", 1, 1.0), variant("a", "m", 1, 1.0)]),
            Echo::default(),
            Vec::new(),
        )
        .await
        .expect_err("refused");
    assert!(e.to_string().contains("used more than once"), "{e}");
    let mut odd = variant("A", "m", 1, 1.0);
    odd.instance_type = "ml.z9.huge".into();
    let e = h
        .endpoint_configs()
        .create(&t.account, spec(vec![odd]), Echo::default(), Vec::new())
        .await
        .expect_err("refused");
    assert!(e.to_string().contains("ml.z9.huge"), "{e}");
    let e = h
        .endpoints()
        .create(&t.account, "x", "missing", Vec::new())
        .await
        .expect_err("refused");
    assert!(
        e.to_string()
            .contains("Could not find endpoint configuration"),
        "{e}"
    );
}

#[tokio::test(start_paused = true)]
async fn after_a_restart_an_in_service_endpoint_serves_again() {
    let (mut t, h) = setup(Script::serves(Serve::upper())).await;
    model(&t, "m", IMAGE).await;
    let ep = deployed(&h, &t, "again", vec![variant("AllTraffic", "m", 1, 1.0)]).await;
    assert_eq!(ep.record.status, status::IN_SERVICE);
    t.crash();
    t.recover().await;
    let h2 = Hosting::new(t.svc.clone(), h.settings().clone());
    assert_eq!(h2.reconcile().await.expect("reconciled"), 1);
    let mut answered = None;
    for _ in 0..200 {
        match invoke(&h2, &t, call("again", "x")).await {
            Ok(r) => {
                answered = Some(r);
                break;
            }
            Err(RuntimeError::NotReady(_)) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(answered.map(|(_, b)| b), Some(Bytes::from_static(b"X")));
}
