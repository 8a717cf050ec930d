//! `slipway-bench endpoint` (docs/benchmarks.md "Endpoints"): InvokeEndpoint
//! through Slipway against the same HTTP calls made straight to the
//! endpoint's own container, in the same run, with 1 and 8 concurrent
//! clients and small (100 B CSV) and 1 MB payloads; and how long after the
//! container's first 200 on GET /ping the endpoint reports InService.
//!
//! The container is the sample seller's image in echo mode (it answers each
//! body with itself at once), so what is measured is the platform's path:
//! SigV4 check, routing, forwarding, copying the answer back.
//! - Slipway: signed `POST /endpoints/NAME/invocations` (signing is client
//!   CPU, outside the latency), one keep-alive connection per client.
//! - Direct: `POST http://CONTAINER_IP:8080/invocations`, same body, one
//!   keep-alive connection per client.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::client::{Client, Target};
use crate::s3::slipway_bin;
use crate::servers::{podman, Server};
use crate::stats::{micros, Latency};

#[derive(clap::Args, Debug, Clone)]
pub struct EndpointArgs {
    #[arg(long)]
    pub slipway_bin: Option<PathBuf>,
    #[arg(long, default_value = "localhost/slipway-sample:latest")]
    pub image: String,
    /// Measured seconds per case and side.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub seconds: u64,
    /// Endpoints created to time Creating → InService.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub runs: u32,
}

const CONTENT_TYPE: &str = "text/csv";

struct Case {
    payload: &'static str,
    body: Bytes,
    clients: usize,
}

struct Measured {
    latency: Latency,
    calls_per_s: f64,
}

pub async fn run(args: EndpointArgs) -> anyhow::Result<bool> {
    let bin = slipway_bin(args.slipway_bin.as_deref())?;
    let base = tempfile::tempdir_in("/var/tmp")?;
    let server = Server::start_slipway(&bin, base.path()).await?;
    let target = server.target.clone();
    let admin = Client::new(&target)?;
    call(
        &admin,
        "CreateModel",
        json!({"ModelName": "bench-echo",
        "PrimaryContainer": {"Image": args.image, "Environment": {"SAMPLE_MODE": "echo"}},
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/bench"}),
    )
    .await?;
    call(
        &admin,
        "CreateEndpointConfig",
        json!({"EndpointConfigName": "bench-echo",
        "ProductionVariants": [{"VariantName": "AllTraffic", "ModelName": "bench-echo",
            "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}]}),
    )
    .await?;

    let mut lags = Vec::new();
    for round in 1..=args.runs {
        eprintln!(
            "slipway-bench endpoint: in-service round {round}/{}",
            args.runs
        );
        let name = format!("bench-ep-{round}");
        lags.push(in_service_lag(&admin, &name).await?);
        if round < args.runs {
            call(&admin, "DeleteEndpoint", json!({"EndpointName": name})).await?;
        }
    }
    let endpoint = format!("bench-ep-{}", args.runs);
    let ip = container_ip(&endpoint, &admin).await?;
    let direct_url = Arc::new(format!("http://{ip}:8080/invocations"));

    let mut row = "1.5,2.25,3.125,4.0625,".repeat(5);
    row.truncate(99);
    row.push('\n');
    let small = Bytes::from(row);
    let large = Bytes::from(vec![b'7'; 1_000_000]);
    let cases = [
        Case {
            payload: "100 B CSV",
            body: small.clone(),
            clients: 1,
        },
        Case {
            payload: "100 B CSV",
            body: small,
            clients: 8,
        },
        Case {
            payload: "1 MB",
            body: large.clone(),
            clients: 1,
        },
        Case {
            payload: "1 MB",
            body: large,
            clients: 8,
        },
    ];
    let seconds = Duration::from_secs(args.seconds);
    println!(
        "InvokeEndpoint through Slipway vs straight to the container (sample image, echo mode), {} s per case",
        args.seconds
    );
    println!(
        "{:<10} {:>7} {:>11} {:>11} {:>11} {:>11} {:>10} {:>10} {:>8}",
        "payload",
        "clients",
        "direct p50",
        "direct p99",
        "slipway p50",
        "slipway p99",
        "added p50",
        "added p99",
        "calls x"
    );
    let mut pass = true;
    for case in &cases {
        crate::servers::settle().await;
        let direct = measure(case, seconds, {
            let url = direct_url.clone();
            move |http: reqwest::Client, body: Bytes| {
                let url = url.clone();
                async move { direct_call(&http, &url, body).await }
            }
        })
        .await?;
        crate::servers::settle().await;
        let slip = measure_slipway(case, seconds, &target, &endpoint).await?;
        let added50 = slip.latency.p50_ms - direct.latency.p50_ms;
        let added99 = slip.latency.p99_ms - direct.latency.p99_ms;
        let ratio = slip.calls_per_s / direct.calls_per_s;
        if case.payload == "100 B CSV" {
            pass &= added50 < 0.3 && added99 < 1.0;
            if case.clients == 8 {
                pass &= ratio >= 0.9;
            }
        }
        println!(
            "{:<10} {:>7} {:>9.3}ms {:>9.3}ms {:>9.3}ms {:>9.3}ms {:>8.3}ms {:>8.3}ms {:>7.2}x",
            case.payload,
            case.clients,
            direct.latency.p50_ms,
            direct.latency.p99_ms,
            slip.latency.p50_ms,
            slip.latency.p99_ms,
            added50,
            added99,
            ratio
        );
    }
    lags.sort();
    let lag = lags[lags.len() / 2];
    println!(
        "Creating -> InService after the container's first 200 on GET /ping: median {:.0} ms of {} endpoints (max {:.0} ms)",
        lag.as_secs_f64() * 1000.0,
        lags.len(),
        lags[lags.len() - 1].as_secs_f64() * 1000.0
    );
    pass &= lag <= Duration::from_millis(500);
    call(&admin, "DeleteEndpoint", json!({"EndpointName": endpoint})).await?;
    server.stop().await?;
    println!(
        "goal: added p50 < 0.3 ms and p99 < 1 ms (100 B), >= 0.9x calls/s at 8 clients, InService within 0.5 s: {}",
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}

async fn call(client: &Client, op: &str, body: Value) -> anyhow::Result<Value> {
    let r = client.call(op, body.to_string().as_bytes()).await?;
    if r.status != 200 {
        bail!("{op}: {}", String::from_utf8_lossy(&r.body));
    }
    Ok(serde_json::from_slice(&r.body).unwrap_or(Value::Null))
}

/// Creates the endpoint, watches its container's GET /ping from outside
/// and DescribeEndpoint, and returns how long after the first 200 the
/// endpoint was seen InService.
async fn in_service_lag(admin: &Client, name: &str) -> anyhow::Result<Duration> {
    call(
        admin,
        "CreateEndpoint",
        json!({"EndpointName": name, "EndpointConfigName": "bench-echo"}),
    )
    .await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let mut first_ping: Option<Instant> = None;
    let mut ip: Option<String> = None;
    let started = Instant::now();
    loop {
        if started.elapsed() > Duration::from_secs(120) {
            bail!("{name} is not InService after 120 s");
        }
        if ip.is_none() {
            ip = container_ip(name, admin).await.ok();
        }
        if let (Some(ip), None) = (&ip, first_ping) {
            let ok = http
                .get(format!("http://{ip}:8080/ping"))
                .timeout(Duration::from_millis(200))
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 200);
            if ok {
                first_ping = Some(Instant::now());
            }
        }
        let d = call(admin, "DescribeEndpoint", json!({"EndpointName": name})).await?;
        match d["EndpointStatus"].as_str() {
            Some("InService") => {
                let seen = Instant::now();
                return Ok(seen.saturating_duration_since(first_ping.unwrap_or(seen)));
            }
            Some("Failed") => bail!("{name} failed: {}", d["FailureReason"]),
            _ => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// The IP of the endpoint's (one) container on the `slipway` network.
async fn container_ip(name: &str, admin: &Client) -> anyhow::Result<String> {
    let d = call(admin, "DescribeEndpoint", json!({"EndpointName": name})).await?;
    let arn = d["EndpointArn"].as_str().context("no EndpointArn")?;
    let id = podman(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=slipway.job-arn={arn}"),
    ])
    .await?;
    let id = id.lines().next().context("no container yet")?;
    let ip = podman(&[
        "inspect",
        "-f",
        "{{(index .NetworkSettings.Networks \"slipway\").IPAddress}}",
        id,
    ])
    .await?;
    if ip.is_empty() {
        bail!("the container has no address yet");
    }
    Ok(ip)
}

async fn direct_call(http: &reqwest::Client, url: &str, body: Bytes) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let r = http
        .post(url)
        .header("content-type", CONTENT_TYPE)
        .body(body)
        .send()
        .await?;
    if r.status().as_u16() != 200 {
        bail!("direct call: HTTP {}", r.status());
    }
    r.bytes().await?;
    Ok(started.elapsed())
}

/// `case.clients` workers, each with its own keep-alive connection,
/// calling back to back for `seconds` (after a short warm-up).
async fn measure<F, Fut>(case: &Case, seconds: Duration, f: F) -> anyhow::Result<Measured>
where
    F: Fn(reqwest::Client, Bytes) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Duration>> + Send,
{
    let mut workers = Vec::new();
    for _ in 0..case.clients {
        let (f, body) = (f.clone(), case.body.clone());
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()?;
        workers.push(tokio::spawn(async move {
            let warm = Instant::now() + Duration::from_millis(300);
            while Instant::now() < warm {
                f(http.clone(), body.clone()).await?;
            }
            let end = Instant::now() + seconds;
            let mut samples = Vec::new();
            while Instant::now() < end {
                samples.push(micros(f(http.clone(), body.clone()).await?));
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    collect(workers, seconds).await
}

async fn measure_slipway(
    case: &Case,
    seconds: Duration,
    target: &Target,
    endpoint: &str,
) -> anyhow::Result<Measured> {
    let mut workers = Vec::new();
    for _ in 0..case.clients {
        let client = Client::new(target)?;
        let (body, endpoint) = (case.body.clone(), endpoint.to_owned());
        workers.push(tokio::spawn(async move {
            let warm = Instant::now() + Duration::from_millis(300);
            while Instant::now() < warm {
                invoke_once(&client, &endpoint, body.clone()).await?;
            }
            let end = Instant::now() + seconds;
            let mut samples = Vec::new();
            while Instant::now() < end {
                samples.push(micros(invoke_once(&client, &endpoint, body.clone()).await?));
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    collect(workers, seconds).await
}

async fn invoke_once(client: &Client, endpoint: &str, body: Bytes) -> anyhow::Result<Duration> {
    let r = client.invoke(endpoint, CONTENT_TYPE, body).await?;
    if r.status != 200 {
        bail!(
            "InvokeEndpoint: HTTP {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    Ok(r.latency)
}

async fn collect(
    workers: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<u32>>>>,
    seconds: Duration,
) -> anyhow::Result<Measured> {
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await??);
    }
    let calls = all.len();
    let latency = Latency::from_micros(&mut all).context("no calls were measured")?;
    Ok(Measured {
        latency,
        calls_per_s: calls as f64 / seconds.as_secs_f64(),
    })
}
