//! `slipway validate FILE.json`: the validation of one CreateAlgorithm /
//! CreateModelPackage request (the `--cli-input-json` document a seller
//! would send to AWS), run locally with embedded stores and the local
//! container engine — what a seller runs in CI before submitting.
//!
//! Test data may be local paths (files or directories, uploaded into the
//! embedded object store; local output paths receive the outputs when the
//! run ends) or `s3://` URIs (copied in from the S3 endpoint in
//! `AWS_ENDPOINT_URL` — a Slipway server or any S3 — with the usual AWS_*
//! credentials).

mod data;
mod readiness;
mod tuning;
mod watch;

use crate::config::Config;
use anyhow::{bail, Context};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// How the result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
    /// JUnit XML (with `--readiness`, one case per finding too).
    Junit,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// The CreateAlgorithm or CreateModelPackage request (JSON).
    pub file: PathBuf,
    /// `text` (a human report), `json` or `junit` (JUnit XML for CI).
    #[arg(long, value_enum, default_value = "text")]
    pub output: Output,
    /// Also produce the readiness report (docs/readiness.md): image,
    /// network under isolation, a real-time deployment, batch limits,
    /// listing blockers and scans. Exits 4 when a finding blocks listing.
    #[arg(long)]
    pub readiness: bool,
    /// Algorithms: after validation, run a training job at each end of
    /// every tunable hyperparameter's range (each categorical value, up to
    /// four) and report whether the container accepted it and the tuning
    /// objective metrics appeared (docs/jobs.md "Tuning check"). Exits 5 when one did not.
    #[arg(long)]
    pub tuning: bool,
    /// Stream the containers' output while the jobs run.
    #[arg(long)]
    pub logs: bool,
    /// Keep the run's state here (default: a temporary directory, removed).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
}

/// What is being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Algorithm,
    ModelPackage,
}

impl Kind {
    fn of(doc: &Value) -> anyhow::Result<Self> {
        if doc.get("AlgorithmName").is_some() {
            Ok(Self::Algorithm)
        } else if doc.get("ModelPackageName").is_some()
            || doc.get("ModelPackageGroupName").is_some()
        {
            Ok(Self::ModelPackage)
        } else {
            bail!("the file is neither a CreateAlgorithm request (AlgorithmName) nor a CreateModelPackage request (ModelPackageName)")
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Self::Algorithm => "CreateAlgorithm",
            Self::ModelPackage => "CreateModelPackage",
        }
    }
}

/// Exit codes: 0 validated (and, with `--readiness`, nothing blocks
/// listing), 1 validation failed, 2 the request or the environment is
/// unusable, 3 timed out, 4 validated but a readiness finding blocks
/// listing, 5 validated but (with `--tuning`) a tuning probe failed.
pub async fn run(args: ValidateArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let started = std::time::Instant::now();
    let mut doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", args.file.display()))?;
    let kind = Kind::of(&doc)?;
    if args.tuning && kind != Kind::Algorithm {
        bail!("--tuning checks an algorithm's tunable hyperparameters; this is a CreateModelPackage request");
    }
    let temp;
    let data_dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir().context("creating a temporary directory")?;
            temp.path().to_owned()
        }
    };
    let mut config = Config::embedded(&data_dir);
    // The file is written for AWS: its ValidationRole names a role of the
    // seller's AWS account, which this embedded account cannot have.
    config.iam.accept_any_role_arn = true;
    config.readiness = args.readiness;
    config.jobs = crate::jobs_config::JobsConfig::resolve(Default::default(), |k| {
        std::env::var(k).ok().filter(|v| !v.is_empty())
    })?;
    let app = crate::build(&config).await?;
    let svc = app.service.clone();
    if !svc.job_runtime().runs_jobs() {
        bail!("no container engine answers: start one (scripts/podman-service.sh) and set DOCKER_HOST");
    }
    let account = app.default_key.account.clone();
    let base = args.file.parent().map(|p| p.to_owned()).unwrap_or_default();
    let staged = data::stage(&svc, &account, &mut doc, &base).await?;
    eprintln!(
        "slipway validate: {} {} ({} input objects staged)",
        kind.operation(),
        doc.get("AlgorithmName")
            .or_else(|| doc.get("ModelPackageName"))
            .or_else(|| doc.get("ModelPackageGroupName"))
            .and_then(Value::as_str)
            .unwrap_or("?"),
        staged.objects
    );
    let body = serde_json::to_vec(&doc)?;
    let created =
        slipway_wire::call_sagemaker(&app.hosting, &account, kind.operation(), &body).await;
    let created = match created {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "slipway validate: the request was refused: {}: {}",
                e.code, e.message
            );
            if args.output == Output::Json {
                println!(
                    "{}",
                    serde_json::json!({"Status": "Refused", "ErrorCode": e.code, "Message": e.message})
                );
            }
            return Ok(2);
        }
    };
    let arn = created
        .get("AlgorithmArn")
        .or_else(|| created.get("ModelPackageArn"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let outcome = watch::until_done(
        &app.hosting,
        &account,
        kind,
        &arn,
        args.logs,
        Duration::from_secs(args.timeout),
    )
    .await?;
    let report = if args.readiness && outcome.status != "TimedOut" {
        eprintln!("slipway validate: readiness checks running");
        let left = Duration::from_secs(args.timeout).saturating_sub(started.elapsed());
        Some(readiness::wait(&app.readiness, &account, &arn, left).await?)
    } else {
        None
    };
    let tuning = if args.tuning && outcome.status == "Completed" {
        let plan = tuning::plan(&doc)?;
        eprintln!(
            "slipway validate: tuning check: {} training jobs",
            plan.probes.len()
        );
        let left = Duration::from_secs(args.timeout).saturating_sub(started.elapsed());
        let output = format!("s3://{}/tuning-probes/", data::BUCKET);
        Some(tuning::run(&app.hosting, &account, &arn, plan, &output, left).await)
    } else {
        if args.tuning {
            eprintln!("slipway validate: tuning check skipped: the validation did not complete");
        }
        None
    };
    data::fetch_outputs(&svc, &account, &staged).await?;
    match args.output {
        Output::Text => {
            print!("{}", outcome.text_report());
            if let Some(r) = &report {
                print!("{}", readiness::text(r));
            }
            if let Some(t) = &tuning {
                print!("{}", t.text());
            }
        }
        Output::Json => {
            let mut v = outcome.json_report();
            if let Some(r) = &report {
                v["Readiness"] = slipway_wire::readiness::report_json(r);
            }
            if let Some(t) = &tuning {
                v["Tuning"] = t.json();
            }
            println!("{}", serde_json::to_string_pretty(&v)?)
        }
        Output::Junit => print!(
            "{}",
            readiness::junit(&outcome, report.as_ref(), tuning.as_ref())
        ),
    }
    Ok(match outcome.status.as_str() {
        "Completed" if tuning.as_ref().is_some_and(|t| !t.passed()) => 5,
        "Completed" if report.as_ref().is_some_and(|r| !r.listing_ready()) => 4,
        "Completed" => 0,
        "TimedOut" => 3,
        _ => 1,
    })
}
