//! `slipway-bench transform` (docs/benchmarks.md "Batch transform"): records per second through a batch
//! transform job against a direct HTTP client driving the same container
//! with the same batching and concurrency, in the same run.
//!
//! Two inputs: many small objects, and one large object. Both sides use
//! SplitType Line, MultiRecord batches up to 6 MiB and 4 requests in flight,
//! against the sample seller's inference image (a real CSV model).
//! - Slipway: CreateTransformJob → Completed (polled every 20 ms): includes
//!   container start and /ping, reading the inputs from its S3, and writing
//!   every output object back.
//! - Direct: `podman run -d … serve` on the same network, wait for /ping,
//!   then the same splitter, batcher and invoker over the same bytes held
//!   in memory, outputs kept in memory, then `podman rm -f`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{json, Value};
use slipway_batch::batch::{BatchStrategy, Batcher};
use slipway_batch::invoke::{Invoker, InvokerConfig};
use slipway_batch::split::{SplitType, Splitter};

use crate::client::Client;
use crate::s3::{send, slipway_bin};
use crate::servers::{podman, Server};

#[derive(clap::Args, Debug, Clone)]
pub struct TransformArgs {
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    #[arg(long, default_value = "localhost/slipway-sample:latest")]
    pub image: String,
    /// Small objects in the many-objects case.
    #[arg(long, default_value_t = 200)]
    pub objects: usize,
    /// Records per small object.
    #[arg(long, default_value_t = 100)]
    pub records: usize,
    /// Records in the one large object.
    #[arg(long, default_value_t = 1_000_000)]
    pub large_records: usize,
    /// MaxConcurrentTransforms on both sides.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub runs: u32,
}

const NETWORK: &str = "slipway";

fn rows(n: usize, seed: usize) -> Bytes {
    let mut s = String::with_capacity(n * 12);
    for i in 0..n {
        let j = i + seed;
        s.push_str(&format!("{},{}\n", j % 97, (j % 31) as f64 * 0.5));
    }
    Bytes::from(s)
}

pub async fn run(args: TransformArgs) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let small: Vec<Bytes> = (0..args.objects).map(|i| rows(args.records, i)).collect();
    let large = vec![rows(args.large_records, 0)];
    let server = Server::start_slipway(&bin, base.path()).await?;
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
    for (prefix, set) in [("small", &small), ("large", &large)] {
        for (i, body) in set.iter().enumerate() {
            let len = body.len() as u64;
            let path = format!("/bench/{prefix}/part-{i:05}.csv");
            send(
                &http,
                &target,
                reqwest::Method::PUT,
                &path,
                Some(body.clone().into()),
                Some(len),
            )
            .await?;
        }
    }
    let client = Client::new(&target)?;
    let model = json!({"ModelName": "bench-model", "PrimaryContainer": {"Image": args.image},
                       "ExecutionRoleArn": "arn:aws:iam::123456789012:role/bench"});
    let r = client
        .call("CreateModel", model.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!("CreateModel: {}", String::from_utf8_lossy(&r.body));
    }
    let mut results: Vec<(&str, usize, Vec<Duration>, Vec<Duration>)> = vec![
        (
            "many small objects",
            args.objects * args.records,
            Vec::new(),
            Vec::new(),
        ),
        (
            "one large object",
            args.large_records,
            Vec::new(),
            Vec::new(),
        ),
    ];
    for round in 1..=args.runs {
        eprintln!("slipway-bench transform: round {round}/{}", args.runs);
        for (i, (prefix, set)) in [("small", &small), ("large", &large)]
            .into_iter()
            .enumerate()
        {
            crate::servers::settle().await;
            let slip = through_slipway(&client, &args, prefix, round).await?;
            crate::servers::settle().await;
            let direct = direct_client(&args, set).await?;
            results[i].2.push(slip);
            results[i].3.push(direct);
        }
    }
    let rss_kib = server.peak_rss_kib()?;
    server.stop().await?;
    println!(
        "Batch transform, Line split, MultiRecord (6 MiB), {} concurrent, sample CSV model; medians of {} rounds",
        args.concurrency, args.runs
    );
    println!(
        "{:<22} {:>10} {:>14} {:>14} {:>8}",
        "input", "records", "Slipway rec/s", "direct rec/s", "ratio"
    );
    let mut pass = true;
    for (what, records, mut slip, mut direct) in results {
        slip.sort();
        direct.sort();
        let s = records as f64 / slip[slip.len() / 2].as_secs_f64();
        let d = records as f64 / direct[direct.len() / 2].as_secs_f64();
        pass &= s / d >= 0.9;
        println!(
            "{what:<22} {records:>10} {s:>14.0} {d:>14.0} {:>7.2}x",
            s / d
        );
    }
    println!(
        "server peak RSS (VmHWM): {:.1} MB with a {:.1} MiB input object",
        rss_kib as f64 * 1024.0 / 1e6,
        large[0].len() as f64 / 1048576.0
    );
    println!(
        "goal: >= 0.9x the direct client: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

async fn through_slipway(
    client: &Client,
    args: &TransformArgs,
    prefix: &str,
    round: u32,
) -> anyhow::Result<Duration> {
    let name = format!("bench-{prefix}-{}-{round}", std::process::id());
    let req = json!({
        "TransformJobName": name, "ModelName": "bench-model",
        "MaxConcurrentTransforms": args.concurrency, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": format!("s3://bench/{prefix}/")}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": format!("s3://bench/out/{name}"), "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    });
    let started = Instant::now();
    let r = client
        .call("CreateTransformJob", req.to_string().as_bytes())
        .await?;
    if r.status != 200 {
        bail!("CreateTransformJob: {}", String::from_utf8_lossy(&r.body));
    }
    let describe = json!({"TransformJobName": name}).to_string();
    loop {
        let r = client
            .call("DescribeTransformJob", describe.as_bytes())
            .await?;
        let d: Value = serde_json::from_slice(&r.body)?;
        match d["TransformJobStatus"].as_str() {
            Some("Completed") => return Ok(started.elapsed()),
            Some("Failed" | "Stopped") => bail!("{name}: {}", d["FailureReason"]),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn direct_client(args: &TransformArgs, objects: &[Bytes]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let id = podman(&[
        "run",
        "-d",
        "--network",
        NETWORK,
        "--memory",
        "8g",
        "--cpus",
        "2",
        &args.image,
        "serve",
    ])
    .await?;
    let result = drive(args, objects, &id).await;
    let _ = podman(&["rm", "-f", &id]).await;
    result?;
    Ok(started.elapsed())
}

async fn drive(args: &TransformArgs, objects: &[Bytes], id: &str) -> anyhow::Result<()> {
    let ip = podman(&[
        "inspect",
        "-f",
        &format!("{{{{(index .NetworkSettings.Networks \"{NETWORK}\").IPAddress}}}}"),
        id,
    ])
    .await?;
    let mut cfg = InvokerConfig::new(format!("http://{ip}:8080"));
    cfg.content_type = Some("text/csv".into());
    cfg.accept = Some("text/csv".into());
    cfg.concurrency = args.concurrency;
    cfg.in_flight = Some(Arc::new(tokio::sync::Semaphore::new(args.concurrency)));
    let invoker = Invoker::new(cfg).map_err(|e| anyhow::anyhow!("{e}"))?;
    invoker
        .wait_ready(Duration::from_secs(60), || Box::pin(async { true }))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let outputs: Vec<anyhow::Result<usize>> = futures::stream::iter(objects.iter().cloned())
        .map(|body| {
            let invoker = invoker.clone();
            async move {
                let mut splitter = Splitter::new(SplitType::Line, false);
                let mut records = splitter.push(&body).map_err(|e| anyhow::anyhow!("{e}"))?;
                records.extend(splitter.finish().map_err(|e| anyhow::anyhow!("{e}"))?);
                let mut batcher = Batcher::new(BatchStrategy::MultiRecord, Some(6 * 1024 * 1024));
                let mut batches = Vec::new();
                for r in records {
                    if let Some(b) = batcher.push(r).map_err(|e| anyhow::anyhow!("{e}"))? {
                        batches.push(Ok::<_, String>(b));
                    }
                }
                if let Some(b) = batcher.finish() {
                    batches.push(Ok(b));
                }
                let mut out = Vec::new();
                let mut results =
                    std::pin::pin!(invoker.invoke_all(futures::stream::iter(batches)));
                while let Some(r) = results.next().await {
                    let (_, body) = r.map_err(|e| anyhow::anyhow!("{e}"))?;
                    out.extend_from_slice(&body);
                    if !body.ends_with(b"\n") {
                        out.push(b'\n');
                    }
                }
                Ok(out.len())
            }
        })
        .buffered(args.concurrency)
        .collect()
        .await;
    for o in outputs {
        o?;
    }
    Ok(())
}
