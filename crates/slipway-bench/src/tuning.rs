//! `slipway-bench tuning` (docs/benchmarks.md "Tuning jobs"): the wall time
//! of a Random hyperparameter tuning job of 8 children, 2 at a time,
//! against the same 8 training jobs run back to back through the API, in
//! the same run on the same server.
//!
//! - Tuning: CreateHyperParameterTuningJob (the sample image, `epochs`
//!   static, `learning_rate` drawn log-uniformly with a fixed seed) →
//!   Completed, polled every 50 ms.
//! - Serial: for each child, in the order the tuning job created them, a
//!   CreateTrainingJob with the child's own hyperparameters (its
//!   TunedHyperParameters plus the static ones), the same image, data,
//!   metric definition and instance type; DescribeTrainingJob every 20 ms
//!   until Completed; then the next.
//!
//! Rounds alternate which side runs first. The children's own training
//! time (TrainingStartTime → TrainingEndTime, summed) is reported beside
//! each wall time: when it is higher for the tuning side, the parallel
//! children were short of CPU (the sample trains on one core).
//!
//! Each child trains for seconds (`--epochs`), so the ratio measures how
//! well the tuning job overlaps its children, not start-up costs. Goal:
//! tuning ≤ 0.6× serial on a 2-core machine (2 at a time cannot beat 0.5×).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::client::Client;
use crate::s3::{send, slipway_bin};
use crate::servers::Server;
use crate::training::{write_csv, INSTANCE};

/// Options of `tuning`.
#[derive(clap::Args, Debug, Clone)]
pub struct TuningArgs {
    /// The `slipway` binary (default: next to this program, else
    /// `target/release/slipway`).
    #[arg(long)]
    pub slipway_bin: Option<std::path::PathBuf>,
    /// The training image (build it with samples/build-sample-image.sh).
    #[arg(long, default_value = "localhost/slipway-sample:latest")]
    pub image: String,
    /// Rounds (each: one tuning job, then its children's values serially);
    /// medians are reported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub runs: u32,
    /// Children of the tuning job (MaxNumberOfTrainingJobs).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub jobs: u32,
    /// MaxParallelTrainingJobs.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub parallel: u32,
    /// CSV records in the training channel.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Gradient-descent epochs of every child: 3,000 passes over 100,000
    /// records is ~2–3 s of training in the sample image.
    #[arg(long, default_value_t = 3000)]
    pub epochs: u32,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub json: bool,
}

const METRIC: &str = "train:mse";
const METRIC_REGEX: &str = r"^train:mse=([0-9.eE+-]+)";
const POLL_TUNING: Duration = Duration::from_millis(50);
const POLL_TRAINING: Duration = Duration::from_millis(20);
const GOAL: f64 = 0.6;

/// One side's figures: wall time, the children's own training time (start
/// to end of the container as Describe reports it) and the most children
/// seen running at once.
struct Side {
    wall: Duration,
    container_secs: f64,
    peak_parallel: u64,
}

pub async fn run(args: TuningArgs) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let csv = base.path().join("train.csv");
    write_csv(&csv, args.rows)?;
    let server = Server::start_slipway(&bin, base.path()).await?;
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
    let body = tokio::fs::read(&csv).await?;
    let len = body.len() as u64;
    send(
        &http,
        &server.target,
        reqwest::Method::PUT,
        "/bench/train/train.csv",
        Some(body.into()),
        Some(len),
    )
    .await?;
    let client = Client::new(&server.target)?;

    let (mut tuned, mut serial) = (Vec::new(), Vec::new());
    // The seed is fixed, so every round's tuning job draws the same values:
    // even rounds run the serial side first (with the previous round's
    // values) so that drift in the machine's load hits both sides.
    let mut values = Vec::new();
    for round in 1..=args.runs {
        let serial_first = round % 2 == 0;
        if serial_first {
            serial.push(serial_side(&client, &args, round, &values).await?);
        }
        eprintln!(
            "slipway-bench tuning: round {round}/{}: tuning job (load average {})",
            args.runs,
            load_average()
        );
        crate::servers::settle().await;
        let (side, children) = tuning_job(&client, &args, round).await?;
        tuned.push(side);
        values = children;
        if !serial_first {
            serial.push(serial_side(&client, &args, round, &values).await?);
        }
    }
    server.stop().await?;

    let t = median(&mut tuned);
    let s = median(&mut serial);
    let ratio = t.wall.as_secs_f64() / s.wall.as_secs_f64();
    let pass = ratio <= GOAL;
    if args.json {
        let side = |x: &Side| {
            json!({"WallSeconds": x.wall.as_secs_f64(), "ContainerSeconds": x.container_secs,
                   "PeakParallel": x.peak_parallel})
        };
        println!(
            "{}",
            json!({"Jobs": args.jobs, "Parallel": args.parallel, "Epochs": args.epochs,
                   "Rows": args.rows, "Runs": args.runs, "Tuning": side(&t), "Serial": side(&s),
                   "Ratio": ratio, "Goal": GOAL, "Pass": pass})
        );
        return Ok(pass);
    }
    println!(
        "Tuning job (Random, {} children, MaxParallelTrainingJobs {}) vs the same jobs back to back; \
         sample linear regression, {} records, {} epochs, {INSTANCE}; medians of {} rounds",
        args.jobs, args.parallel, args.rows, args.epochs, args.runs
    );
    println!(
        "{:<52} {:>9} {:>15} {:>13}",
        "run", "wall s", "container s", "peak parallel"
    );
    for (name, x) in [
        ("tuning job Create -> Completed (polled every 50 ms)", &t),
        ("serial CreateTrainingJob -> Completed, one by one", &s),
    ] {
        println!(
            "{name:<52} {:>9.2} {:>15.2} {:>13}",
            x.wall.as_secs_f64(),
            x.container_secs,
            x.peak_parallel
        );
    }
    println!(
        "serial overhead per job (wall - container) / jobs: {:.2} s",
        (s.wall.as_secs_f64() - s.container_secs) / f64::from(args.jobs)
    );
    println!(
        "ratio tuning / serial: {ratio:.2}x; goal <= {GOAL}x: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

async fn serial_side(
    client: &Client,
    args: &TuningArgs,
    round: u32,
    values: &[serde_json::Map<String, Value>],
) -> anyhow::Result<Side> {
    eprintln!(
        "slipway-bench tuning: round {round}/{}: the same {} jobs back to back (load average {})",
        args.runs,
        values.len(),
        load_average()
    );
    crate::servers::settle().await;
    back_to_back(client, args, round, values).await
}

/// The 1-minute load average, for the progress lines: a busy machine
/// takes the cores the parallel children need.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The side whose wall time is the median (the upper one for an even count).
fn median(sides: &mut [Side]) -> Side {
    sides.sort_by_key(|s| s.wall);
    let m = &sides[sides.len() / 2];
    Side {
        wall: m.wall,
        container_secs: m.container_secs,
        peak_parallel: m.peak_parallel,
    }
}

fn algorithm_specification(args: &TuningArgs) -> Value {
    json!({"TrainingImage": args.image, "TrainingInputMode": "File",
           "MetricDefinitions": [{"Name": METRIC, "Regex": METRIC_REGEX}]})
}

fn input_data_config() -> Value {
    json!([{"ChannelName": "train", "ContentType": "text/csv",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bench/train/"}}}])
}

/// Runs one tuning job to its end; returns its figures and each child's
/// full hyperparameters, in the order the children were created.
async fn tuning_job(
    client: &Client,
    args: &TuningArgs,
    round: u32,
) -> anyhow::Result<(Side, Vec<serde_json::Map<String, Value>>)> {
    // Tuning job names are at most 32 characters.
    let name = format!("bt-{}-{round}", std::process::id());
    let req = json!({
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "RandomSeed": 7,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": METRIC},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": args.jobs,
                               "MaxParallelTrainingJobs": args.parallel},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.5",
                 "ScalingType": "Logarithmic"}]},
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"epochs": args.epochs.to_string()},
            "AlgorithmSpecification": algorithm_specification(args),
            "RoleArn": "arn:aws:iam::123456789012:role/bench",
            "InputDataConfig": input_data_config(),
            "OutputDataConfig": {"S3OutputPath": "s3://bench/tuning-output"},
            "ResourceConfig": {"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    });
    let started = Instant::now();
    let r = client
        .call("CreateHyperParameterTuningJob", req.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!(
            "CreateHyperParameterTuningJob: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let describe = json!({"HyperParameterTuningJobName": name}).to_string();
    let mut peak = 0;
    let d = loop {
        let r = client
            .call("DescribeHyperParameterTuningJob", describe.as_bytes())
            .await?;
        let d: Value = serde_json::from_slice(&r.body)
            .context("DescribeHyperParameterTuningJob answered no JSON")?;
        peak = peak.max(
            d["TrainingJobStatusCounters"]["InProgress"]
                .as_u64()
                .unwrap_or(0),
        );
        match d["HyperParameterTuningJobStatus"].as_str() {
            Some("Completed") => break d,
            Some("Failed" | "Stopped") => bail!(
                "tuning job {name} ended {}: {}",
                d["HyperParameterTuningJobStatus"],
                d["FailureReason"]
            ),
            None => bail!("DescribeHyperParameterTuningJob: {d}"),
            _ => tokio::time::sleep(POLL_TUNING).await,
        }
    };
    let wall = started.elapsed();
    let completed = d["TrainingJobStatusCounters"]["Completed"]
        .as_u64()
        .unwrap_or(0);
    if completed != u64::from(args.jobs) {
        bail!(
            "tuning job {name} completed {completed} children, not {}: {}",
            args.jobs,
            d["TrainingJobStatusCounters"]
        );
    }
    let mut names = children(client, &name).await?;
    names.sort();
    let (mut container_secs, mut hyperparameters) = (0.0, Vec::new());
    for child in &names {
        let job = describe_training_job(client, child).await?;
        container_secs += container_seconds(&job);
        let hp = job["HyperParameters"]
            .as_object()
            .cloned()
            .with_context(|| format!("{child} has no HyperParameters"))?;
        hyperparameters.push(hp);
    }
    Ok((
        Side {
            wall,
            container_secs,
            peak_parallel: peak,
        },
        hyperparameters,
    ))
}

/// The children's names (`<tuning job>-NNN-<hex>`, so sorting gives the
/// order they were created in).
async fn children(client: &Client, tuning_job: &str) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"HyperParameterTuningJobName": tuning_job, "MaxResults": 100});
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let r = client
            .call(
                "ListTrainingJobsForHyperParameterTuningJob",
                req.to_string().as_bytes(),
            )
            .await?;
        let page: Value = serde_json::from_slice(&r.body)?;
        let Some(summaries) = page["TrainingJobSummaries"].as_array() else {
            bail!("ListTrainingJobsForHyperParameterTuningJob: {page}");
        };
        names.extend(
            summaries
                .iter()
                .filter_map(|s| s["TrainingJobName"].as_str().map(str::to_owned)),
        );
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(names),
        }
    }
}

async fn describe_training_job(client: &Client, name: &str) -> anyhow::Result<Value> {
    let r = client
        .call(
            "DescribeTrainingJob",
            json!({"TrainingJobName": name}).to_string().as_bytes(),
        )
        .await?;
    if r.status != 200 {
        bail!(
            "DescribeTrainingJob {name}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    Ok(serde_json::from_slice(&r.body)?)
}

/// TrainingEndTime − TrainingStartTime (epoch seconds in JSON 1.1).
fn container_seconds(job: &Value) -> f64 {
    match (
        job["TrainingStartTime"].as_f64(),
        job["TrainingEndTime"].as_f64(),
    ) {
        (Some(start), Some(end)) if end >= start => end - start,
        _ => 0.0,
    }
}

/// The same jobs one after another: create, wait Completed, next.
async fn back_to_back(
    client: &Client,
    args: &TuningArgs,
    round: u32,
    children: &[serde_json::Map<String, Value>],
) -> anyhow::Result<Side> {
    let started = Instant::now();
    let mut container_secs = 0.0;
    for (i, hyperparameters) in children.iter().enumerate() {
        let name = format!("bench-serial-{}-{round}-{i}", std::process::id());
        let req = json!({
            "TrainingJobName": name,
            "RoleArn": "arn:aws:iam::123456789012:role/bench",
            "AlgorithmSpecification": algorithm_specification(args),
            "HyperParameters": hyperparameters,
            "InputDataConfig": input_data_config(),
            "OutputDataConfig": {"S3OutputPath": "s3://bench/serial-output"},
            "ResourceConfig": {"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        });
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
        loop {
            let d = describe_training_job(client, &name).await?;
            match d["TrainingJobStatus"].as_str() {
                Some("Completed") => {
                    container_secs += container_seconds(&d);
                    break;
                }
                Some("Failed" | "Stopped") => bail!(
                    "serial job {name} ended {}: {}",
                    d["TrainingJobStatus"],
                    d["FailureReason"]
                ),
                _ => tokio::time::sleep(POLL_TRAINING).await,
            }
        }
    }
    Ok(Side {
        wall: started.elapsed(),
        container_secs,
        peak_parallel: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_time_is_end_minus_start() {
        let job = json!({"TrainingStartTime": 100.25, "TrainingEndTime": 102.75});
        assert_eq!(container_seconds(&job), 2.5);
        assert_eq!(container_seconds(&json!({})), 0.0);
    }
}
