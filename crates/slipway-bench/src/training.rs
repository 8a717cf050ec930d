//! `slipway-bench training` (docs/benchmarks.md "Training jobs"): the wall time of one training job
//! through Slipway against a bare Podman sequence doing the same work, in
//! the same run on the same machine.
//!
//! Both sides train the sample seller image on the same CSV:
//! - Slipway: CreateTrainingJob (data already in Slipway's S3), then
//!   DescribeTrainingJob every 20 ms until Completed. Included: image
//!   check, channel download from object storage, config files, container
//!   create/start/wait through the Docker API, log shipping, model.tar.gz
//!   packing and upload, every status write.
//! - Bare: make the `/opt/ml` tree, write the three config files, copy the
//!   CSV in, `podman run --rm -v DIR:/opt/ml IMAGE train` with the same
//!   limits, then `tar czf model.tar.gz -C model .`.
//!
//! Runs alternate (bare, Slipway) so drift affects both; medians are
//! compared. Goal: Slipway ≤ 1.3× bare.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::client::Client;
use crate::s3::{send, slipway_bin};
use crate::servers::Server;

/// Options of `training`.
#[derive(clap::Args, Debug, Clone)]
pub struct TrainingArgs {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    /// The training image (build it with samples/build-sample-image.sh).
    #[arg(long, default_value = "localhost/slipway-sample:latest")]
    pub image: String,
    /// Rounds; medians are reported.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// CSV records in the training channel.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Gradient-descent epochs (the sample's `epochs` hyperparameter).
    #[arg(long, default_value_t = 20)]
    pub epochs: u32,
}

pub(crate) const INSTANCE: &str = "ml.m5.large";

pub async fn run(args: TrainingArgs) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let csv = base.path().join("train.csv");
    write_csv(&csv, args.rows)?;
    let csv_bytes = std::fs::metadata(&csv)?.len();

    let (server, client) = server_with_csv(&bin, base.path(), &csv).await?;

    let (mut bare, mut slip, mut in_container) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.runs {
        eprintln!("slipway-bench training: round {round}/{}", args.runs);
        crate::servers::settle().await;
        bare.push(bare_podman(&args, base.path(), &csv, round, None).await?);
        crate::servers::settle().await;
        let name = format!("bench-{}-{round}", std::process::id());
        let hyperparameters = json!({"epochs": args.epochs.to_string()});
        let (wall, train_secs) =
            through_slipway(&client, &args.image, &hyperparameters, 1, &name).await?;
        slip.push(wall);
        in_container.push(train_secs);
    }
    server.stop().await?;

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (b, s) = (median(&mut bare), median(&mut slip));
    let ratio = s.as_secs_f64() / b.as_secs_f64();
    in_container.sort();
    println!(
        "Training job wall time, sample linear regression, {} records ({:.1} MiB CSV), {} epochs, {INSTANCE}; medians of {} rounds",
        args.rows,
        csv_bytes as f64 / 1048576.0,
        args.epochs,
        args.runs
    );
    println!("{:<58} {:>9}", "run", "seconds");
    println!(
        "{:<58} {:>9.2}",
        "bare podman (mkdir + config + cp data, run, tar model)",
        b.as_secs_f64()
    );
    println!(
        "{:<58} {:>9.2}",
        "Slipway CreateTrainingJob -> Completed (polled every 20 ms)",
        s.as_secs_f64()
    );
    println!(
        "Slipway TrainingTimeInSeconds (container only), median: {}",
        in_container[in_container.len() / 2]
    );
    let pass = ratio <= 1.3;
    println!(
        "ratio Slipway / bare: {ratio:.2}x; goal <= 1.3x: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

/// A Slipway server (data under `dir`) whose bucket `bench` holds `csv` as
/// `train/train.csv`, and a client of it.
pub(crate) async fn server_with_csv(
    bin: &Path,
    dir: &Path,
    csv: &Path,
) -> anyhow::Result<(Server, Client)> {
    let server = Server::start_slipway(bin, dir).await?;
    let target = server.target.clone();
    let http = reqwest::Client::builder().no_proxy().build()?;
    send(
        &http,
        &target,
        reqwest::Method::PUT,
        "/bench",
        None,
        Some(0),
    )
    .await?;
    let body = tokio::fs::read(csv).await?;
    let len = body.len() as u64;
    let key = "/bench/train/train.csv";
    send(
        &http,
        &target,
        reqwest::Method::PUT,
        key,
        Some(body.into()),
        Some(len),
    )
    .await?;
    let client = Client::new(&target)?;
    Ok((server, client))
}

/// `y = 3·x1 − 2·x2 + 1 + small deterministic noise`.
pub(crate) fn write_csv(path: &Path, rows: u64) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..rows {
        let x1 = (i % 97) as f64 * 0.1;
        let x2 = (i % 31) as f64 - 15.0;
        let noise = ((i * 7919) % 13) as f64 * 0.001;
        writeln!(f, "{},{x1},{x2}", 3.0 * x1 - 2.0 * x2 + 1.0 + noise)?;
    }
    f.flush()?;
    Ok(())
}

pub(crate) async fn bare_podman(
    args: &TrainingArgs,
    base: &Path,
    csv: &Path,
    round: u32,
    keep_model: Option<&Path>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let root = base.join(format!("bare-{round}"));
    let ml = root.join("opt_ml");
    for d in ["input/config", "input/data/train", "model", "output/data"] {
        tokio::fs::create_dir_all(ml.join(d)).await?;
    }
    let config = ml.join("input/config");
    tokio::fs::write(
        config.join("hyperparameters.json"),
        json!({"epochs": args.epochs.to_string()}).to_string(),
    )
    .await?;
    tokio::fs::write(
        config.join("inputdataconfig.json"),
        json!({"train": {"ContentType": "text/csv", "TrainingInputMode": "File",
                         "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}})
        .to_string(),
    )
    .await?;
    tokio::fs::write(
        config.join("resourceconfig.json"),
        json!({"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"})
            .to_string(),
    )
    .await?;
    tokio::fs::copy(csv, ml.join("input/data/train/train.csv")).await?;
    let status = tokio::process::Command::new("podman")
        .args([
            "run",
            "--rm",
            "--memory",
            "8g",
            "--cpus",
            "2",
            "--hostname",
            "algo-1",
            "-v",
        ])
        .arg(format!("{}:/opt/ml", ml.display()))
        .args([args.image.as_str(), "train"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .context("podman run")?;
    if !status.success() {
        bail!("bare podman run failed: {status}");
    }
    tar_model(&ml.join("model"), &root.join("model.tar.gz")).await?;
    if let Some(dest) = keep_model {
        tokio::fs::rename(ml.join("model"), dest).await?;
    }
    let took = started.elapsed();
    let _ = tokio::fs::remove_dir_all(&root).await;
    Ok(took)
}

/// `tar czf dest -C model .`: what the platform packs after training.
pub(crate) async fn tar_model(model: &Path, dest: &Path) -> anyhow::Result<()> {
    let tar = tokio::process::Command::new("tar")
        .arg("czf")
        .arg(dest)
        .arg("-C")
        .arg(model)
        .arg(".")
        .status()
        .await?;
    if !tar.success() {
        bail!("tar failed: {tar}");
    }
    Ok(())
}

/// CreateTrainingJob `name` on `s3://bench/train/` with `instance_count`
/// hosts, then DescribeTrainingJob every 20 ms until Completed: the wall
/// time and TrainingTimeInSeconds.
pub(crate) async fn through_slipway(
    client: &Client,
    image: &str,
    hyperparameters: &Value,
    instance_count: u32,
    name: &str,
) -> anyhow::Result<(Duration, i64)> {
    let req = training_request(image, hyperparameters, instance_count, name);
    let (took, d) = run_to_completion(client, &req, Duration::from_millis(20)).await?;
    Ok((took, d["TrainingTimeInSeconds"].as_i64().unwrap_or(0)))
}

/// The CreateTrainingJob request of the benchmarks' jobs.
pub(crate) fn training_request(
    image: &str,
    hyperparameters: &Value,
    instance_count: u32,
    name: &str,
) -> Value {
    json!({
        "TrainingJobName": name,
        "RoleArn": "arn:aws:iam::123456789012:role/bench",
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "HyperParameters": hyperparameters,
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bench/output"},
        "ResourceConfig": {"InstanceType": INSTANCE, "InstanceCount": instance_count, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    })
}

/// CreateTrainingJob `req`, then DescribeTrainingJob every `poll` until
/// Completed: the wall time and the last description (an error for a job
/// that ends otherwise).
pub(crate) async fn run_to_completion(
    client: &Client,
    req: &Value,
    poll: Duration,
) -> anyhow::Result<(Duration, Value)> {
    let name = req["TrainingJobName"].as_str().unwrap_or_default();
    let started = Instant::now();
    let r = client
        .call("CreateTrainingJob", req.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!(
            "CreateTrainingJob: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let describe = json!({"TrainingJobName": name}).to_string();
    loop {
        let r = client
            .call("DescribeTrainingJob", describe.as_bytes())
            .await?;
        let d: Value = serde_json::from_slice(&r.body)?;
        match d["TrainingJobStatus"].as_str() {
            Some("Completed") => return Ok((started.elapsed(), d)),
            Some("Failed" | "Stopped") => bail!(
                "bench job {name} ended {}: {}",
                d["TrainingJobStatus"],
                d["FailureReason"]
            ),
            _ => tokio::time::sleep(poll).await,
        }
    }
}
