//! `serve`: the router in-process on an ephemeral port, plus the real
//! binary for start-up, signals and crashes.

use crate::{sample, send_signal, spawn_with_lines, wait_exit, wait_for_line};
use slipway_sample::model::LinearModel;
use slipway_sample::paths::MlRoot;
use slipway_sample::serve::{router, App, ServeMode, ServingModel, Settings};
use std::collections::HashMap;
use std::time::Duration;

fn settings(env: &[(&str, &str)]) -> Settings {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned()).unwrap()
}

/// Serves `y = 3·x1 − 2·x2 + 1` with `env`; returns the base URL.
pub async fn start(env: &[(&str, &str)]) -> String {
    start_model(
        ServingModel::Linear(LinearModel::new(vec![3.0, -2.0], 1.0)),
        env,
    )
    .await
}

async fn start_model(model: ServingModel, env: &[(&str, &str)]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = App::new(model, settings(env));
    tokio::spawn(async move { axum::serve(listener, router(app)).await });
    url
}

pub async fn invoke(
    url: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, String) {
    let resp = reqwest::Client::new()
        .post(format!("{url}/invocations"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn ping_and_execution_parameters() {
    let url = start(&[]).await;
    let resp = reqwest::get(format!("{url}/ping")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "");
    let params: serde_json::Value = reqwest::get(format!("{url}/execution-parameters"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        params,
        serde_json::json!({"MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6})
    );
}

#[tokio::test]
async fn predicts_csv_json_and_jsonlines_in_order() {
    let url = start(&[]).await;
    assert_eq!(
        invoke(&url, "text/csv", "1,1\n0,0\r\n2,-1\n").await,
        (200, "2\n1\n9\n".to_string())
    );
    assert_eq!(
        invoke(
            &url,
            "application/json",
            r#"{"instances": [[1, 1], {"features": [2, -1]}]}"#
        )
        .await,
        (200, r#"{"predictions":[2.0,9.0]}"#.to_string())
    );
    assert_eq!(
        invoke(&url, "application/jsonlines", "[1,1]\n[0,0]\n").await,
        (
            200,
            "{\"prediction\":2.0}\n{\"prediction\":1.0}\n".to_string()
        )
    );
    let resp = reqwest::Client::new()
        .post(format!("{url}/invocations"))
        .header("Content-Type", "text/csv")
        .header("Accept", "application/json")
        .body("1,1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.unwrap(), r#"{"predictions":[2.0]}"#);
}

#[tokio::test]
async fn rejects_bad_requests_with_the_right_status() {
    let url = start(&[("SAGEMAKER_MAX_PAYLOAD_IN_MB", "1")]).await;
    let (status, body) = invoke(&url, "application/x-recordio-protobuf", "x").await;
    assert_eq!(status, 415);
    assert!(body.contains("text/csv"), "{body}");

    let (status, body) = invoke(&url, "text/csv", "1,1\n2,oops\n").await;
    assert_eq!(status, 400);
    assert!(body.starts_with("line 2: column 2"), "{body}");

    let (status, body) = invoke(&url, "text/csv", "1,1\n1,2,3\n").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("line 2: expected 2 features, got 3"),
        "{body}"
    );

    let big = "1,1\n".repeat(300_000); // 1.2 MB > 1 MiB
    let (status, body) = invoke(&url, "text/csv", big).await;
    assert_eq!(status, 413);
    assert!(body.contains("SAGEMAKER_MAX_PAYLOAD_IN_MB=1"), "{body}");

    let resp = reqwest::Client::new()
        .post(format!("{url}/invocations"))
        .header("Content-Type", "text/csv")
        .header("Accept", "image/png")
        .body("1,1\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 406);
}

#[tokio::test]
async fn default_payload_limit_is_6_mib_and_0_means_none() {
    let url = start(&[]).await;
    let (status, _) = invoke(&url, "text/csv", "1,1\n".repeat(1_700_000)).await; // 6.8 MB
    assert_eq!(status, 413);
    let url = start(&[("SAGEMAKER_MAX_PAYLOAD_IN_MB", "0")]).await;
    let (status, body) = invoke(&url, "text/csv", "1,1\n".repeat(1_700_000)).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), 2 * 1_700_000);
}

#[tokio::test]
async fn fallback_model_sums_features_when_no_model_file() {
    let empty = tempfile::tempdir().unwrap();
    let model = ServingModel::load(&MlRoot::new(empty.path())).unwrap();
    assert_eq!(model, ServingModel::Sum);
    let url = start_model(model, &[]).await;
    assert_eq!(
        invoke(&url, "text/csv", "1,2,3\n4\n").await,
        (200, "6\n4\n".to_string())
    );
}

#[tokio::test]
async fn misbehaving_modes() {
    let url = start(&[("SAMPLE_MODE", "never-ready")]).await;
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        503
    );

    let url = start(&[("SAMPLE_MODE", "slow-start"), ("SAMPLE_START_DELAY", "0.3")]).await;
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        503
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        200
    );

    let url = start(&[("SAMPLE_MODE", "error500")]).await;
    let (status, body) = invoke(&url, "text/csv", "1,1\n").await;
    assert_eq!(status, 500);
    assert!(body.contains("error500"));

    let url = start(&[("SAMPLE_MODE", "huge")]).await;
    let (status, body) = invoke(&url, "text/csv", "1,1\n").await;
    assert_eq!((status, body.len()), (200, 50 * 1024 * 1024));

    let url = start(&[("SAMPLE_MODE", "hang")]).await;
    let res = reqwest::Client::new()
        .post(format!("{url}/invocations"))
        .body("1,1\n")
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(res.unwrap_err().is_timeout());
}

#[test]
fn bad_environment_is_rejected() {
    let bad = |k: &str, v: &str| {
        let map = HashMap::from([(k.to_string(), v.to_string())]);
        Settings::from_lookup(|key| map.get(key).cloned()).unwrap_err()
    };
    assert!(bad("SAMPLE_MODE", "explode").contains("unknown SAMPLE_MODE"));
    assert!(bad("SAGEMAKER_BIND_TO_PORT", "http").contains("port"));
    assert!(bad("SAGEMAKER_MAX_PAYLOAD_IN_MB", "six").contains("integer"));
    assert_eq!(
        settings(&[("SAMPLE_MODE", "listen-localhost")]).mode,
        ServeMode::ListenLocalhost
    );
}

/// Starts the real binary on a free port; returns the child, its stdout
/// lines, a URL to reach it and the address it says it listens on.
fn spawn_serve(
    root: &std::path::Path,
    mode: &str,
) -> (
    std::process::Child,
    std::sync::mpsc::Receiver<String>,
    String,
    String,
) {
    let mut cmd = sample(root, "serve");
    cmd.env("SAGEMAKER_BIND_TO_PORT", "0")
        .env("SAMPLE_MODE", mode);
    let (child, lines) = spawn_with_lines(&mut cmd);
    let line = wait_for_line(&lines, "listening on ");
    let addr = line["listening on ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let port = addr.rsplit(':').next().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    (child, lines, url, addr)
}

#[tokio::test]
async fn binary_serves_trained_model_and_exits_0_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("model")).unwrap();
    LinearModel::new(vec![2.0], 0.5)
        .save(&dir.path().join("model/model.json"))
        .unwrap();
    let (mut child, _lines, url, addr) = spawn_serve(dir.path(), "normal");
    assert!(addr.starts_with("0.0.0.0:"), "{addr}");
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        200
    );
    assert_eq!(
        invoke(&url, "text/csv", "1\n2\n").await,
        (200, "2.5\n4.5\n".to_string())
    );
    send_signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(5)), Some(0));
}

#[tokio::test]
async fn binary_refuses_a_broken_model_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("model")).unwrap();
    std::fs::write(dir.path().join("model/model.json"), "{not json").unwrap();
    let out = sample(dir.path(), "serve")
        .env("SAGEMAKER_BIND_TO_PORT", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid model.json"));
}

#[tokio::test]
async fn binary_crash_after_ready_and_listen_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _lines, url, _) = spawn_serve(dir.path(), "crash-after-ready");
    assert_eq!(
        reqwest::get(format!("{url}/ping")).await.unwrap().status(),
        200
    );
    let res = reqwest::Client::new()
        .post(format!("{url}/invocations"))
        .body("1\n")
        .send()
        .await;
    assert!(res.is_err(), "{res:?}");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(5)), Some(2));

    let (mut child, _lines, _url, addr) = spawn_serve(dir.path(), "listen-localhost");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipway-sample"))
        .arg("bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}
