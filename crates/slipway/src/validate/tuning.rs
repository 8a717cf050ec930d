//! `slipway validate --tuning` (docs/jobs.md "Tuning check"): a check
//! AWS does not make. A tuning job sends its children
//! hyperparameter values from anywhere in the ranges the algorithm
//! declares, so each end of every tunable range (and each categorical
//! value, up to four) is run as a training job — the others at their
//! defaults, on the first validation profile's data and instance type —
//! and the report says whether the container accepted it (the job
//! Completed) and whether every tuning objective metric appeared.

use futures::StreamExt;
use serde_json::{json, Map, Value};
use slipway_core::AccountId;
use slipway_hosting::Hosting;
use std::time::{Duration, Instant};

/// Probes run at once (as a tuning job with MaxParallelTrainingJobs 2).
const AT_ONCE: usize = 2;
/// Categorical values probed per hyperparameter.
const MAX_CATEGORICAL: usize = 4;
const POLL: Duration = Duration::from_millis(200);
/// What a tuning job adds to every child's hyperparameters.
const OBJECTIVE_HYPERPARAMETER: &str = "_tuning_objective_metric";

/// One value of one hyperparameter to try.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub parameter: String,
    pub value: String,
}

/// What to run: the probes and the request every probe's job shares.
#[derive(Debug, Clone)]
pub struct Plan {
    pub probes: Vec<ProbeSpec>,
    /// Tunable hyperparameters with no range to probe.
    pub unprobed: Vec<String>,
    pub objectives: Vec<String>,
    defaults: Map<String, Value>,
    /// The first profile's TrainingJobDefinition (staged URIs).
    definition: Value,
    role: Value,
}

/// One probe's outcome.
#[derive(Debug, Clone)]
pub struct Probe {
    pub spec: ProbeSpec,
    pub job: String,
    /// The job's final status, `Refused` when CreateTrainingJob refused
    /// it, `TimedOut` when the run's time ran out first.
    pub status: String,
    pub failure_reason: Option<String>,
    /// Each objective metric and its final value, if it appeared.
    pub metrics: Vec<(String, Option<f64>)>,
}

impl Probe {
    pub fn accepted(&self) -> bool {
        self.status == "Completed"
    }

    pub fn passed(&self) -> bool {
        self.accepted() && self.metrics.iter().all(|(_, v)| v.is_some())
    }
}

/// The probes of one algorithm.
#[derive(Debug, Clone)]
pub struct Report {
    pub plan: Plan,
    pub probes: Vec<Probe>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.probes.iter().all(Probe::passed)
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "\ntuning check ({} training jobs, {AT_ONCE} at a time): {}\n",
            self.probes.len(),
            if self.passed() { "PASSED" } else { "FAILED" }
        );
        if self.plan.objectives.is_empty() {
            out.push_str(
                "  note: no SupportedTuningJobObjectiveMetrics: no tuning job can use this algorithm\n",
            );
        }
        for p in &self.plan.unprobed {
            out.push_str(&format!("  note: {p} is tunable but declares no Range\n"));
        }
        let width = |f: &dyn Fn(&Probe) -> usize, min: usize| {
            self.probes.iter().map(f).max().unwrap_or(0).max(min)
        };
        let (pw, vw) = (
            width(&|p| p.spec.parameter.len(), 9),
            width(&|p| p.spec.value.len().min(24), 5),
        );
        out.push_str(&format!(
            "  {:<pw$}  {:<vw$}  {:<10}  {:<8}",
            "parameter", "value", "job", "accepted"
        ));
        for m in &self.plan.objectives {
            out.push_str(&format!("  {m}"));
        }
        out.push('\n');
        for p in &self.probes {
            let value: String = p.spec.value.chars().take(24).collect();
            out.push_str(&format!(
                "  {:<pw$}  {value:<vw$}  {:<10}  {:<8}",
                p.spec.parameter,
                p.status,
                if p.accepted() { "yes" } else { "NO" }
            ));
            for (m, v) in &p.metrics {
                let cell = v.map_or("missing".to_owned(), |v| format!("{v:.6}"));
                out.push_str(&format!("  {cell:<w$}", w = m.len()));
            }
            out.push('\n');
            if let Some(r) = &p.failure_reason {
                out.push_str(&format!("      {}: {r}\n", p.job));
            }
        }
        out
    }

    pub fn json(&self) -> Value {
        json!({
            "Status": if self.passed() { "Passed" } else { "Failed" },
            "ObjectiveMetrics": self.plan.objectives,
            "Unprobed": self.plan.unprobed,
            "Probes": self.probes.iter().map(|p| json!({
                "Parameter": p.spec.parameter,
                "Value": p.spec.value,
                "TrainingJobName": p.job,
                "TrainingJobStatus": p.status,
                "Accepted": p.accepted(),
                "FailureReason": p.failure_reason,
                "ObjectiveMetrics": p.metrics.iter()
                    .map(|(m, v)| (m.clone(), v.map_or(Value::Null, |v| json!(v))))
                    .collect::<Map<_, _>>(),
                "Passed": p.passed(),
            })).collect::<Vec<_>>(),
        })
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The probes of a (staged) CreateAlgorithm request.
pub fn plan(doc: &Value) -> anyhow::Result<Plan> {
    let spec = &doc["TrainingSpecification"];
    let definition = doc
        .pointer("/ValidationSpecification/ValidationProfiles/0/TrainingJobDefinition")
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--tuning needs a validation profile: its TrainingJobDefinition gives the probes their data and instance type"
            )
        })?;
    let profile_values = definition["HyperParameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let supported = spec["SupportedHyperParameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let (mut defaults, mut probes, mut unprobed) = (Map::new(), Vec::new(), Vec::new());
    for hp in &supported {
        let Some(name) = hp["Name"].as_str() else {
            continue;
        };
        // Defaults where declared; a required one without a default takes
        // the profile's value (the job could not run without it).
        if let Some(d) = hp["DefaultValue"].as_str() {
            defaults.insert(name.to_owned(), json!(d));
        } else if hp["IsRequired"].as_bool() == Some(true) {
            if let Some(v) = profile_values.get(name) {
                defaults.insert(name.to_owned(), v.clone());
            }
        }
        if hp["IsTunable"].as_bool() != Some(true) {
            continue;
        }
        let values: Vec<String> =
            if let Some(c) = hp.pointer("/Range/CategoricalParameterRangeSpecification/Values") {
                c.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .take(MAX_CATEGORICAL)
                    .map(str::to_owned)
                    .collect()
            } else {
                ["Integer", "Continuous"]
                    .iter()
                    .find_map(|t| {
                        let r = hp.pointer(&format!("/Range/{t}ParameterRangeSpecification"))?;
                        Some(
                            [str_at(r, "/MinValue"), str_at(r, "/MaxValue")]
                                .into_iter()
                                .flatten()
                                .map(str::to_owned)
                                .collect(),
                        )
                    })
                    .unwrap_or_default()
            };
        if values.is_empty() {
            unprobed.push(name.to_owned());
        }
        for value in values {
            if !probes
                .iter()
                .any(|p: &ProbeSpec| p.parameter == name && p.value == value)
            {
                probes.push(ProbeSpec {
                    parameter: name.to_owned(),
                    value,
                });
            }
        }
    }
    let objectives = spec["SupportedTuningJobObjectiveMetrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["MetricName"].as_str().map(str::to_owned))
        .collect();
    Ok(Plan {
        probes,
        unprobed,
        objectives,
        defaults,
        definition,
        role: doc["ValidationSpecification"]["ValidationRole"].clone(),
    })
}

impl Plan {
    /// The CreateTrainingJob request of one probe.
    fn request(&self, algorithm_arn: &str, job: &str, probe: &ProbeSpec, output: &str) -> Value {
        let mut hps = self.defaults.clone();
        hps.insert(probe.parameter.clone(), json!(probe.value));
        if let Some(objective) = self.objectives.first() {
            hps.insert(OBJECTIVE_HYPERPARAMETER.to_owned(), json!(objective));
        }
        let d = &self.definition;
        let mut req = json!({
            "TrainingJobName": job,
            "AlgorithmSpecification": {
                "AlgorithmName": algorithm_arn,
                "TrainingInputMode": d.get("TrainingInputMode").cloned().unwrap_or(json!("File")),
            },
            "RoleArn": self.role,
            "HyperParameters": hps,
            "InputDataConfig": d["InputDataConfig"],
            "OutputDataConfig": {"S3OutputPath": output},
            "ResourceConfig": d["ResourceConfig"],
            "StoppingCondition": d["StoppingCondition"],
        });
        if let Some(obj) = req.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
        }
        req
    }
}

/// Runs every probe, [`AT_ONCE`] at a time, within `budget`.
pub async fn run(
    hosting: &Hosting,
    account: &AccountId,
    algorithm_arn: &str,
    plan: Plan,
    output: &str,
    budget: Duration,
) -> Report {
    let deadline = Instant::now() + budget;
    // Names unique across runs that share a --data-dir.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 0xff_ffff)
        .unwrap_or_default();
    let probes = futures::stream::iter(plan.probes.iter().enumerate())
        .map(|(i, spec)| {
            let job = format!("tuning-probe-{stamp:06x}-{i:03}");
            let req = plan.request(algorithm_arn, &job, spec, output);
            let objectives = plan.objectives.clone();
            async move {
                eprintln!(
                    "slipway validate: tuning probe {}={} ({job})",
                    spec.parameter, spec.value
                );
                let mut probe = Probe {
                    spec: spec.clone(),
                    job: job.clone(),
                    status: String::new(),
                    failure_reason: None,
                    metrics: objectives.iter().map(|m| (m.clone(), None)).collect(),
                };
                one(hosting, account, &req, &mut probe, deadline).await;
                eprintln!(
                    "slipway validate: tuning probe {}={}: {}",
                    spec.parameter, spec.value, probe.status
                );
                probe
            }
        })
        .buffered(AT_ONCE)
        .collect()
        .await;
    Report { plan, probes }
}

async fn one(
    hosting: &Hosting,
    account: &AccountId,
    req: &Value,
    probe: &mut Probe,
    deadline: Instant,
) {
    let call = |op: &'static str, body: Value| async move {
        slipway_wire::call_sagemaker(hosting, account, op, body.to_string().as_bytes()).await
    };
    if let Err(e) = call("CreateTrainingJob", req.clone()).await {
        probe.status = "Refused".into();
        probe.failure_reason = Some(format!("{}: {}", e.code, e.message));
        return;
    }
    let name = json!({"TrainingJobName": probe.job});
    loop {
        let d = match call("DescribeTrainingJob", name.clone()).await {
            Ok(d) => d,
            Err(e) => {
                probe.status = "Unknown".into();
                probe.failure_reason = Some(format!("DescribeTrainingJob: {}", e.message));
                return;
            }
        };
        let status = d["TrainingJobStatus"].as_str().unwrap_or("").to_owned();
        if matches!(status.as_str(), "Completed" | "Failed" | "Stopped") {
            probe.failure_reason = d["FailureReason"].as_str().map(str::to_owned);
            for (metric, value) in &mut probe.metrics {
                *value = d["FinalMetricDataList"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|m| m["MetricName"].as_str() == Some(metric.as_str()))
                    .and_then(|m| m["Value"].as_f64());
            }
            probe.status = status;
            return;
        }
        if Instant::now() >= deadline {
            // Best effort: the run is ending, the embedded store with it.
            let _ = call("StopTrainingJob", name.clone()).await;
            probe.status = "TimedOut".into();
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn algorithm() -> Value {
        json!({
            "AlgorithmName": "a",
            "TrainingSpecification": {
                "SupportedHyperParameters": [
                    {"Name": "epochs", "Type": "Integer", "IsTunable": false, "DefaultValue": "200",
                     "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "9"}}},
                    {"Name": "lr", "Type": "Continuous", "IsTunable": true, "DefaultValue": "0.1",
                     "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.01", "MaxValue": "1"}}},
                    {"Name": "mode", "Type": "Categorical", "IsTunable": true,
                     "Range": {"CategoricalParameterRangeSpecification": {"Values": ["a", "b", "c", "d", "e"]}}},
                    {"Name": "seed", "Type": "FreeText", "IsTunable": true, "IsRequired": true},
                ],
                "SupportedTuningJobObjectiveMetrics": [{"Type": "Minimize", "MetricName": "train:mse"}],
            },
            "ValidationSpecification": {
                "ValidationRole": "arn:aws:iam::1:role/r",
                "ValidationProfiles": [{"ProfileName": "p", "TrainingJobDefinition": {
                    "TrainingInputMode": "File",
                    "HyperParameters": {"epochs": "300", "seed": "7"},
                    "InputDataConfig": [{"ChannelName": "train"}],
                    "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
                    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
                }}],
            },
        })
    }

    #[test]
    fn probes_range_ends_and_at_most_four_categorical_values() {
        let plan = plan(&algorithm()).unwrap();
        let got: Vec<(&str, &str)> = plan
            .probes
            .iter()
            .map(|p| (p.parameter.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("lr", "0.01"),
                ("lr", "1"),
                ("mode", "a"),
                ("mode", "b"),
                ("mode", "c"),
                ("mode", "d")
            ]
        );
        assert_eq!(plan.unprobed, ["seed"]);
        assert_eq!(plan.objectives, ["train:mse"]);
    }

    #[test]
    fn a_probe_runs_the_others_at_defaults_on_the_profiles_data() {
        let plan = plan(&algorithm()).unwrap();
        let req = plan.request("arn:a", "job-1", &plan.probes[1], "s3://v/probes/");
        assert_eq!(
            req["HyperParameters"],
            json!({"epochs": "200", "lr": "1", "seed": "7", "_tuning_objective_metric": "train:mse"})
        );
        assert_eq!(req["AlgorithmSpecification"]["AlgorithmName"], "arn:a");
        assert_eq!(req["ResourceConfig"]["InstanceType"], "ml.m5.large");
        assert_eq!(req["InputDataConfig"][0]["ChannelName"], "train");
        assert_eq!(req["OutputDataConfig"]["S3OutputPath"], "s3://v/probes/");
        assert_eq!(req["RoleArn"], "arn:aws:iam::1:role/r");
    }

    #[test]
    fn without_a_profile_there_is_nothing_to_run_on() {
        let mut doc = algorithm();
        doc["ValidationSpecification"] = Value::Null;
        assert!(plan(&doc).is_err());
    }
}
