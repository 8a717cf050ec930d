//! Live progress of a local validation: each status change of the
//! resource, its profiles and its jobs as it happens (and, with `--logs`,
//! the containers' output), then the report.

use super::Kind;
use serde_json::{json, Value};
use slipway_core::ports::logs::{FilterQuery, StreamSelect, TimeRange};
use slipway_core::AccountId;
use slipway_service::validation::JobNames;
use slipway_service::Service;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One validation job as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub kind: &'static str,
    pub name: String,
    pub status: String,
    pub detail: Option<String>,
    pub failure_reason: Option<String>,
}

/// How the validation ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Completed, Failed, or TimedOut.
    pub status: String,
    pub resource: Value,
    pub jobs: Vec<JobView>,
    pub seconds: f64,
}

impl Outcome {
    fn profiles(&self) -> Vec<Value> {
        ["AlgorithmStatusDetails", "ModelPackageStatusDetails"]
            .iter()
            .find_map(|m| self.resource.pointer(&format!("/{m}/ValidationStatuses")))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    pub fn text_report(&self) -> String {
        let name = self
            .resource
            .get("AlgorithmArn")
            .or_else(|| self.resource.get("ModelPackageArn"))
            .and_then(Value::as_str)
            .unwrap_or("?");
        let mut out = format!(
            "\n{name}\nvalidation {} in {:.1} s\n",
            self.status, self.seconds
        );
        for p in self.profiles() {
            out.push_str(&format!(
                "  profile {}: {}\n",
                p["Name"].as_str().unwrap_or("?"),
                p["Status"].as_str().unwrap_or("?")
            ));
            if let Some(r) = p.get("FailureReason").and_then(Value::as_str) {
                out.push_str(&format!("    reason: {r}\n"));
            }
        }
        for j in &self.jobs {
            out.push_str(&format!("  {} job {}: {}\n", j.kind, j.name, j.status));
        }
        out
    }

    pub fn json_report(&self) -> Value {
        json!({
            "Status": self.status,
            "Seconds": (self.seconds * 10.0).round() / 10.0,
            "Resource": self.resource,
            "Jobs": self.jobs.iter().map(|j| json!({
                "Kind": j.kind, "Name": j.name, "Status": j.status, "FailureReason": j.failure_reason,
            })).collect::<Vec<_>>(),
        })
    }
}

async fn describe(
    hosting: &slipway_hosting::Hosting,
    account: &AccountId,
    kind: Kind,
    arn: &str,
) -> anyhow::Result<Value> {
    let (op, body) = match kind {
        Kind::Algorithm => ("DescribeAlgorithm", json!({"AlgorithmName": arn})),
        Kind::ModelPackage => ("DescribeModelPackage", json!({"ModelPackageName": arn})),
    };
    slipway_wire::call_sagemaker(hosting, account, op, body.to_string().as_bytes())
        .await
        .map_err(|e| anyhow::anyhow!("{op}: {}", e.message))
}

async fn jobs_of(
    svc: &Service,
    account: &AccountId,
    kind: Kind,
    arn: &str,
    profiles: &[String],
) -> Vec<JobView> {
    let record = match kind {
        Kind::Algorithm => svc
            .algorithms()
            .describe(account, arn)
            .await
            .map(|a| a.record),
        Kind::ModelPackage => svc
            .model_packages()
            .describe(account, arn)
            .await
            .map(|p| p.record),
    };
    let Ok(record) = record else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in profiles {
        let names = JobNames::new(&record, p);
        if let Ok(j) = svc.training_jobs().describe(account, &names.training).await {
            out.push(JobView {
                kind: "training",
                name: names.training.clone(),
                status: j.record.status.clone(),
                detail: Some(j.doc.state.secondary.clone()),
                failure_reason: j.doc.state.failure_reason.clone(),
            });
        }
        if let Ok(j) = svc
            .transform_jobs()
            .describe(account, &names.transform)
            .await
        {
            out.push(JobView {
                kind: "transform",
                name: names.transform.clone(),
                status: j.record.status.clone(),
                detail: None,
                failure_reason: j.doc.state.failure_reason.clone(),
            });
        }
    }
    out
}

pub async fn until_done(
    hosting: &slipway_hosting::Hosting,
    account: &AccountId,
    kind: Kind,
    arn: &str,
    logs: bool,
    timeout: Duration,
) -> anyhow::Result<Outcome> {
    let svc = hosting.service();
    let started = Instant::now();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut log_pos: HashMap<String, slipway_core::ports::logs::EventKey> = HashMap::new();
    loop {
        let resource = describe(hosting, account, kind, arn).await?;
        let status = resource
            .get("AlgorithmStatus")
            .or_else(|| resource.get("ModelPackageStatus"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let t = started.elapsed().as_secs_f64();
        let mut note = |key: String, value: String| {
            if seen.get(&key) != Some(&value) {
                eprintln!("[{t:6.1}s] {key}: {value}");
                seen.insert(key, value);
            }
        };
        note("validation".into(), status.clone());
        let details = resource
            .get("AlgorithmStatusDetails")
            .or_else(|| resource.get("ModelPackageStatusDetails"))
            .and_then(|d| d.get("ValidationStatuses"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let profiles: Vec<String> = details
            .iter()
            .filter_map(|p| p.get("Name").and_then(Value::as_str).map(str::to_owned))
            .collect();
        for p in &details {
            note(
                format!("profile {}", p["Name"].as_str().unwrap_or("?")),
                p["Status"].as_str().unwrap_or("?").to_owned(),
            );
        }
        let jobs = jobs_of(svc, account, kind, arn, &profiles).await;
        for j in &jobs {
            let what = match &j.detail {
                Some(d) if d != &j.status => format!("{} ({d})", j.status),
                _ => j.status.clone(),
            };
            note(format!("{} job {}", j.kind, j.name), what);
            if logs {
                print_logs(svc, account, j, &mut log_pos).await;
            }
        }
        let done = status == "Completed" || status == "Failed";
        if done || started.elapsed() > timeout {
            return Ok(Outcome {
                status: if done { status } else { "TimedOut".into() },
                resource,
                jobs,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn print_logs(
    svc: &Service,
    account: &AccountId,
    job: &JobView,
    pos: &mut HashMap<String, slipway_core::ports::logs::EventKey>,
) {
    let store = svc.log_store();
    let group = if job.kind == "training" {
        slipway_service::jobs::training::LOG_GROUP
    } else {
        slipway_service::jobs::transform_job::LOG_GROUP
    };
    let query = FilterQuery {
        streams: StreamSelect::Prefix(format!("{}/", job.name)),
        range: TimeRange::default(),
        after: pos.get(&job.name).copied(),
        descending: false,
        limit: 1000,
    };
    if let Ok(events) = store.filter_events(account, group, &query).await {
        for e in &events {
            eprintln!("    {} | {}", job.name, e.message);
        }
        if let Some(last) = events.last() {
            pos.insert(job.name.clone(), last.key);
        }
    }
}
