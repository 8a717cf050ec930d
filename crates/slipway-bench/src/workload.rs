//! The seed data and the two measured workloads.
//!
//! Every answer is checked (HTTP 200, JSON that says what it should), so a
//! server cannot look fast by failing fast.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::client::{Client, Reply, Target};
use crate::servers::cpu_time;
use crate::stats::{micros, Latency};

/// At most this many error messages are kept per run for the report.
const ERROR_SAMPLES: usize = 5;

/// What a run asks of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// DescribeModelPackage of a random seeded name.
    Describe,
    /// ListModelPackages, MaxResults 100, first page.
    List,
}

impl Workload {
    pub const ALL: [Workload; 2] = [Workload::Describe, Workload::List];

    /// The SageMaker operation, as in the report.
    pub fn operation(self) -> &'static str {
        match self {
            Workload::Describe => "DescribeModelPackage",
            Workload::List => "ListModelPackages",
        }
    }
}

/// The names of the seeded model packages, identical for every target.
pub fn package_names(count: u32) -> Vec<String> {
    (0..count)
        .map(|i| format!("bench-package-{i:05}"))
        .collect()
}

/// The CreateModelPackage body for one seeded package: unversioned, with
/// the inference specification of `examples/create-model-package.json` and
/// no validation specification (moto rejects nothing, but Slipway would keep
/// a validated package `Pending`; without one both report `Completed`).
pub fn create_body(name: &str) -> Vec<u8> {
    json!({
        "ModelPackageName": name,
        "ModelPackageDescription": "A model package seeded by slipway-bench control-plane.",
        "InferenceSpecification": {
            "Containers": [{
                "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway-sample:latest",
                "ModelDataUrl": "s3://slipway-bench/model/model.tar.gz"
            }],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"]
        }
    })
    .to_string()
    .into_bytes()
}

/// Creates every package in `names` on `target`, `clients` at a time.
pub async fn seed(target: &Target, names: &[String], clients: u32) -> anyhow::Result<()> {
    let names = Arc::new(names.to_vec());
    let clients = clients as usize;
    let mut tasks = JoinSet::new();
    for first in 0..clients.min(names.len()) {
        let client = Client::new(target)?;
        let names = Arc::clone(&names);
        tasks.spawn(async move {
            for name in names.iter().skip(first).step_by(clients) {
                let reply = client
                    .call("CreateModelPackage", &create_body(name))
                    .await?;
                let body = expect_json(&reply)?;
                if body
                    .get("ModelPackageArn")
                    .and_then(Value::as_str)
                    .is_none()
                {
                    bail!("CreateModelPackage {name}: no ModelPackageArn in {body}");
                }
            }
            Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.context("a seeding task panicked")?
            .with_context(|| format!("seeding {}", target.name))?;
    }
    Ok(())
}

/// The figures of one measured run.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub target: &'static str,
    pub workload: Workload,
    /// Successful requests in the measured window.
    pub requests: u64,
    /// From the first request sent to the last answer read.
    pub elapsed: Duration,
    pub latency: Option<Latency>,
    /// Failed requests, warm-up included.
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Mean answer body size.
    pub mean_body_bytes: f64,
    /// CPU the server process used in the measured window.
    pub server_cpu: Duration,
    /// CPU this benchmark process used in the measured window.
    pub client_cpu: Duration,
}

impl RunResult {
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }
}

/// What one client task saw.
#[derive(Default)]
struct TaskOutcome {
    latencies_us: Vec<u32>,
    errors: u64,
    error_samples: Vec<String>,
    body_bytes: u64,
}

/// Warm-up, then the measured run of `workload` against `target`, with
/// `clients` concurrent clients, each with its own connection.
pub async fn run(
    target: &Target,
    server_pid: u32,
    workload: Workload,
    clients: u32,
    warmup: Duration,
    measure: Duration,
    names: &[String],
) -> anyhow::Result<RunResult> {
    let names = Arc::new(names.to_vec());
    let clients: Vec<Arc<Client>> = (0..clients)
        .map(|_| Client::new(target).map(Arc::new))
        .collect::<anyhow::Result<_>>()?;

    let warm = phase(&clients, workload, &names, warmup).await?;

    let server_cpu0 = cpu_time(Some(server_pid))?;
    let client_cpu0 = cpu_time(None)?;
    let started = Instant::now();
    let mut measured = phase(&clients, workload, &names, measure).await?;
    let elapsed = started.elapsed();
    let server_cpu = cpu_time(Some(server_pid))?.saturating_sub(server_cpu0);
    let client_cpu = cpu_time(None)?.saturating_sub(client_cpu0);

    let requests = measured.latencies_us.len() as u64;
    let mut error_samples = warm.error_samples;
    error_samples.extend(measured.error_samples);
    error_samples.truncate(ERROR_SAMPLES);
    Ok(RunResult {
        target: target.name,
        workload,
        requests,
        elapsed,
        latency: Latency::from_micros(&mut measured.latencies_us),
        errors: warm.errors + measured.errors,
        error_samples,
        mean_body_bytes: if requests > 0 {
            measured.body_bytes as f64 / requests as f64
        } else {
            0.0
        },
        server_cpu,
        client_cpu,
    })
}

/// All clients call as fast as they can until `length` has passed.
async fn phase(
    clients: &[Arc<Client>],
    workload: Workload,
    names: &Arc<Vec<String>>,
    length: Duration,
) -> anyhow::Result<TaskOutcome> {
    let deadline = Instant::now() + length;
    let expected_list_len = names.len().min(100);
    let mut tasks = JoinSet::new();
    for (i, client) in clients.iter().enumerate() {
        let client = Arc::clone(client);
        let names = Arc::clone(names);
        tasks.spawn(async move {
            // The same name sequence for every target.
            let mut rng = StdRng::seed_from_u64(i as u64);
            let mut out = TaskOutcome::default();
            while Instant::now() < deadline {
                let result = match workload {
                    Workload::Describe => {
                        let name = &names[rng.gen_range(0..names.len())];
                        describe(&client, name).await
                    }
                    Workload::List => list(&client, expected_list_len).await,
                };
                match result {
                    Ok((latency, bytes)) => {
                        out.latencies_us.push(micros(latency));
                        out.body_bytes += bytes as u64;
                    }
                    Err(e) => {
                        out.errors += 1;
                        if out.error_samples.len() < ERROR_SAMPLES {
                            out.error_samples.push(format!("{e:#}"));
                        }
                    }
                }
            }
            out
        });
    }
    let mut total = TaskOutcome::default();
    while let Some(done) = tasks.join_next().await {
        let out = done.context("a client task panicked")?;
        total.latencies_us.extend(out.latencies_us);
        total.errors += out.errors;
        total.error_samples.extend(out.error_samples);
        total.body_bytes += out.body_bytes;
    }
    Ok(total)
}

/// One DescribeModelPackage; the answer must name the package asked for.
async fn describe(client: &Client, name: &str) -> anyhow::Result<(Duration, usize)> {
    let body = json!({ "ModelPackageName": name }).to_string();
    let reply = client.call("DescribeModelPackage", body.as_bytes()).await?;
    let doc = expect_json(&reply)?;
    match doc.get("ModelPackageName").and_then(Value::as_str) {
        Some(got) if got == name => Ok((reply.latency, reply.body.len())),
        got => Err(anyhow!("DescribeModelPackage {name}: answer names {got:?}")),
    }
}

/// One ListModelPackages (first page of 100); the page must be full (or
/// hold every seeded package when fewer were seeded).
async fn list(client: &Client, expected: usize) -> anyhow::Result<(Duration, usize)> {
    let reply = client
        .call("ListModelPackages", br#"{"MaxResults":100}"#)
        .await?;
    let doc = expect_json(&reply)?;
    let got = doc
        .get("ModelPackageSummaryList")
        .and_then(Value::as_array)
        .map(Vec::len);
    if got != Some(expected) {
        bail!("ListModelPackages: {got:?} summaries, expected {expected}");
    }
    Ok((reply.latency, reply.body.len()))
}

/// The answer as JSON, if it is an HTTP 200 with a JSON body.
fn expect_json(reply: &Reply) -> anyhow::Result<Value> {
    if reply.status != 200 {
        let text = String::from_utf8_lossy(&reply.body);
        let text: String = text.chars().take(300).collect();
        bail!("HTTP {}: {text}", reply.status);
    }
    serde_json::from_slice(&reply.body).context("the answer is not JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_model_package_names() {
        let names = package_names(3);
        assert_eq!(
            names,
            [
                "bench-package-00000",
                "bench-package-00001",
                "bench-package-00002"
            ]
        );
        for n in package_names(100_000) {
            assert!(n.len() <= 63 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        }
    }

    #[test]
    fn create_body_has_no_validation_specification() {
        let v: Value = serde_json::from_slice(&create_body("p")).unwrap();
        assert_eq!(v["ModelPackageName"], "p");
        assert!(v.get("ValidationSpecification").is_none());
        assert!(v["InferenceSpecification"]["Containers"].is_array());
    }

    #[test]
    fn non_200_is_an_error() {
        let reply = Reply {
            status: 400,
            body: br#"{"__type":"ValidationException"}"#.to_vec(),
            latency: Duration::ZERO,
        };
        assert!(expect_json(&reply).is_err());
        let ok = Reply {
            status: 200,
            body: b"{}".to_vec(),
            latency: Duration::ZERO,
        };
        assert!(expect_json(&ok).is_ok());
    }
}
