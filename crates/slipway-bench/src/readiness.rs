//! `slipway-bench readiness` (docs/benchmarks.md "Readiness"): how much
//! wall time the readiness report adds to a validation. The baseline is
//! the validation itself, measured in the same run: CreateAlgorithm →
//! AlgorithmStatus Completed, then Completed → the report's ReportStatus
//! Completed (both polled every 20 ms). Goal: the report takes at most
//! 1.5× the validation's own wall time.

use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{json, Value};

use crate::client::Client;
use crate::validation::{seeded_server, validate, ValidationArgs};

pub async fn run(args: ValidationArgs) -> anyhow::Result<bool> {
    let t = &args.training;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let (server, _, _) = seeded_server(&args, base.path()).await?;
    let client = Client::new(&server.target)?;
    let (mut validation, mut readiness) = (Vec::new(), Vec::new());
    let mut last = Value::Null;
    for round in 1..=t.runs {
        eprintln!("slipway-bench readiness: round {round}/{}", t.runs);
        crate::servers::settle().await;
        let name = format!("bench-ready-{}-{round}", std::process::id());
        let (arn, took) = validate(&client, t, &name).await?;
        let ended = Instant::now();
        let body = json!({"ResourceArn": arn}).to_string();
        loop {
            let r = client
                .call(
                    "SlipwayReadiness_20261201.DescribeReadinessReport",
                    body.as_bytes(),
                )
                .await?;
            let d: Value = serde_json::from_slice(&r.body)?;
            match d["ReportStatus"].as_str() {
                Some("Completed") => {
                    last = d;
                    break;
                }
                Some("Failed") => bail!("{name}: the report failed: {}", d["FailureReason"]),
                None => bail!("{name}: {d}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        validation.push(took);
        readiness.push(ended.elapsed());
    }
    server.stop().await?;
    validation.sort();
    readiness.sort();
    let (v, r) = (
        validation[validation.len() / 2],
        readiness[readiness.len() / 2],
    );
    let ratio = r.as_secs_f64() / v.as_secs_f64();
    println!(
        "Readiness report after an algorithm validation (training {} records, {} epochs; transform {} records); medians of {} rounds",
        t.rows, t.epochs, args.batch_records, t.runs
    );
    println!("{:<62} {:>9}", "run", "seconds");
    println!(
        "{:<62} {:>9.2}",
        "validation: CreateAlgorithm -> Completed (baseline)",
        v.as_secs_f64()
    );
    println!(
        "{:<62} {:>9.2}",
        "readiness: Completed -> report Completed",
        r.as_secs_f64()
    );
    for c in last["Checks"].as_array().into_iter().flatten() {
        println!(
            "  check {:<56} {:>9.2}",
            c["Category"].as_str().unwrap_or("?"),
            c["DurationInMilliseconds"].as_f64().unwrap_or_default() / 1000.0
        );
    }
    let pass = ratio <= 1.5;
    println!(
        "ratio readiness / validation: {ratio:.2}x; goal <= 1.5x: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}
