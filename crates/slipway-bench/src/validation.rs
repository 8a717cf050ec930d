//! `slipway-bench validation` (docs/benchmarks.md "Validation"): the wall time of a full algorithm
//! validation (training, then batch transform on the trained model)
//! through Slipway against a bare podman sequence doing the same work, in
//! the same run.
//!
//! - Slipway: CreateAlgorithm with one validation profile →
//!   AlgorithmStatus Completed (polled every 20 ms).
//! - Bare: the training sequence of `slipway-bench training` (config files,
//!   data copied in, `podman run … train`, tar of the model), then
//!   `podman run -d … serve` with the model mounted, GET /ping until 200,
//!   one POST /invocations of the batch file, the answer written to disk,
//!   `podman rm -f`.

use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};

use crate::client::Client;
use crate::s3::{send, slipway_bin};
use crate::servers::{podman, Server};
use crate::training::{bare_podman, write_csv, TrainingArgs, INSTANCE};

#[derive(clap::Args, Debug, Clone)]
pub struct ValidationArgs {
    #[command(flatten)]
    pub training: TrainingArgs,
    /// Records in the batch transform input.
    #[arg(long, default_value_t = 10_000)]
    pub batch_records: u64,
}

/// Starts Slipway with the benchmark's training and batch data uploaded.
pub async fn seeded_server(
    args: &ValidationArgs,
    base: &std::path::Path,
) -> anyhow::Result<(Server, std::path::PathBuf, std::path::PathBuf)> {
    let t = &args.training;
    let bin = slipway_bin(t.slipway_bin.as_deref())?;
    let csv = base.join("train.csv");
    write_csv(&csv, t.rows)?;
    let batch = base.join("batch.csv");
    let features: String = (0..args.batch_records)
        .map(|i| format!("{},{}\n", (i % 97) as f64 * 0.1, (i % 31) as f64 - 15.0))
        .collect();
    std::fs::write(&batch, &features)?;
    let server = Server::start_slipway(&bin, base).await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    send(
        &http,
        &server.target,
        reqwest::Method::PUT,
        "/bench",
        None,
        Some(0),
    )
    .await?;
    for (path, key) in [(&csv, "train/train.csv"), (&batch, "batch/batch.csv")] {
        let body = tokio::fs::read(path).await?;
        let len = body.len() as u64;
        send(
            &http,
            &server.target,
            reqwest::Method::PUT,
            &format!("/bench/{key}"),
            Some(body.into()),
            Some(len),
        )
        .await?;
    }
    Ok((server, csv, batch))
}

pub async fn run(args: ValidationArgs) -> anyhow::Result<bool> {
    let t = &args.training;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let (server, csv, batch) = seeded_server(&args, base.path()).await?;
    let target = server.target.clone();
    let client = Client::new(&target)?;
    let (mut bare, mut slip) = (Vec::new(), Vec::new());
    for round in 1..=t.runs {
        eprintln!("slipway-bench validation: round {round}/{}", t.runs);
        crate::servers::settle().await;
        bare.push(bare_sequence(t, base.path(), &csv, &batch, round).await?);
        crate::servers::settle().await;
        slip.push(through_slipway(&client, t, round).await?);
    }
    server.stop().await?;
    bare.sort();
    slip.sort();
    let (b, s) = (bare[bare.len() / 2], slip[slip.len() / 2]);
    let ratio = s.as_secs_f64() / b.as_secs_f64();
    println!(
        "Algorithm validation (training {} records, {} epochs; transform {} records), {INSTANCE}; medians of {} rounds",
        t.rows, t.epochs, args.batch_records, t.runs
    );
    println!("{:<62} {:>9}", "run", "seconds");
    println!(
        "{:<62} {:>9.2}",
        "bare podman (train sequence, then serve + ping + invoke + rm)",
        b.as_secs_f64()
    );
    println!(
        "{:<62} {:>9.2}",
        "Slipway CreateAlgorithm -> Completed (polled every 20 ms)",
        s.as_secs_f64()
    );
    let pass = ratio <= 1.3;
    println!(
        "ratio Slipway / bare: {ratio:.2}x; goal <= 1.3x: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

async fn bare_sequence(
    t: &TrainingArgs,
    base: &std::path::Path,
    csv: &std::path::Path,
    batch: &std::path::Path,
    round: u32,
) -> anyhow::Result<Duration> {
    let model = base.join(format!("bare-model-{round}"));
    let started = Instant::now();
    bare_podman(t, base, csv, round, Some(&model)).await?;
    let mount = format!("{}:/opt/ml/model:ro", model.display());
    let id = podman(&[
        "run",
        "-d",
        "--network",
        "slipway",
        "--memory",
        "8g",
        "--cpus",
        "2",
        "-v",
        &mount,
        &t.image,
        "serve",
    ])
    .await?;
    let result = async {
        let ip = podman(&[
            "inspect",
            "-f",
            "{{(index .NetworkSettings.Networks \"slipway\").IPAddress}}",
            &id,
        ])
        .await?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()?;
        let url = format!("http://{ip}:8080");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(format!("{url}/ping")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!("the bare container never answered /ping");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let body = tokio::fs::read(batch).await?;
        let out = http
            .post(format!("{url}/invocations"))
            .header("content-type", "text/csv")
            .header("accept", "text/csv")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        tokio::fs::write(base.join(format!("bare-out-{round}.csv")), &out).await?;
        anyhow::Ok(())
    }
    .await;
    let _ = podman(&["rm", "-f", &id]).await;
    result?;
    let took = started.elapsed();
    let _ = tokio::fs::remove_dir_all(&model).await;
    Ok(took)
}

async fn through_slipway(
    client: &Client,
    t: &TrainingArgs,
    round: u32,
) -> anyhow::Result<Duration> {
    let name = format!("bench-algo-{}-{round}", std::process::id());
    Ok(validate(client, t, &name).await?.1)
}

/// CreateAlgorithm of the benchmark's algorithm named `name`, polled until
/// Completed: its ARN and the wall time.
pub async fn validate(
    client: &Client,
    t: &TrainingArgs,
    name: &str,
) -> anyhow::Result<(String, Duration)> {
    let req = json!({
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": t.image,
            "SupportedHyperParameters": [{"Name": "epochs", "Type": "Integer", "IsTunable": false, "IsRequired": false,
                "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "100000"}}}],
            "SupportedTrainingInstanceTypes": [INSTANCE],
            "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
        },
        "InferenceSpecification": {
            "Containers": [{"Image": t.image}],
            "SupportedTransformInstanceTypes": [INSTANCE], "SupportedRealtimeInferenceInstanceTypes": [INSTANCE],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ValidationSpecification": {"ValidationRole": "arn:aws:iam::123456789012:role/bench", "ValidationProfiles": [{
            "ProfileName": "bench",
            "TrainingJobDefinition": {
                "TrainingInputMode": "File", "HyperParameters": {"epochs": t.epochs.to_string()},
                "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv",
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/train/"}}}],
                "OutputDataConfig": {"S3OutputPath": "s3://bench/output"},
                "ResourceConfig": {"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 1},
                "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            },
            "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/batch/"}},
                                   "ContentType": "text/csv"},
                "TransformOutput": {"S3OutputPath": format!("s3://bench/batch-out/{name}"), "Accept": "text/csv"},
                "TransformResources": {"InstanceType": INSTANCE, "InstanceCount": 1},
            },
        }]},
    });
    let started = Instant::now();
    let r = client
        .call("CreateAlgorithm", req.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!("CreateAlgorithm: {}", String::from_utf8_lossy(&r.body));
    }
    let describe = json!({"AlgorithmName": name}).to_string();
    loop {
        let r = client
            .call("DescribeAlgorithm", describe.as_bytes())
            .await?;
        let d: Value = serde_json::from_slice(&r.body)?;
        match d["AlgorithmStatus"].as_str() {
            Some("Completed") => {
                let arn = d["AlgorithmArn"].as_str().unwrap_or_default().to_owned();
                return Ok((arn, started.elapsed()));
            }
            Some("Failed") => bail!("{name}: {}", d["AlgorithmStatusDetails"]),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
