//! One validation run: profile by profile, the jobs docs/contracts.md §6.1 names,
//! each awaited; the resource's status and ValidationStatuses follow.

use super::status;
use crate::jobs::record;
use crate::jobs::training::create::Origin;
use crate::jobs::training::state::status as job_status;
use crate::{Error, Result, Service};
use serde_json::{json, Map, Value};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use std::time::Duration;

/// What is being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Algorithm,
    ModelPackage,
}

impl Target {
    pub fn of(kind: ResourceKind) -> Option<Self> {
        match kind {
            ResourceKind::Algorithm => Some(Self::Algorithm),
            ResourceKind::ModelPackage => Some(Self::ModelPackage),
            _ => None,
        }
    }

    fn kind(self) -> ResourceKind {
        match self {
            Self::Algorithm => ResourceKind::Algorithm,
            Self::ModelPackage => ResourceKind::ModelPackage,
        }
    }

    fn details_member(self) -> &'static str {
        match self {
            Self::Algorithm => "AlgorithmStatusDetails",
            Self::ModelPackage => "ModelPackageStatusDetails",
        }
    }
}

/// The validation jobs of one profile, named deterministically so a
/// resumed validation finds them: `<resource>-<profile>-<hash>-train`,
/// `-model`, `-batch` (each ≤ 63 characters of `[a-zA-Z0-9-]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobNames {
    pub training: String,
    pub model: String,
    pub transform: String,
}

fn clip(s: &str, n: usize) -> String {
    let t: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(n)
        .collect();
    t.trim_matches('-').to_owned()
}

impl JobNames {
    pub fn new(record: &ResourceRecord, profile: &str) -> Self {
        use sha2::Digest;
        let mut base = record.name.clone();
        if let Some(v) = record.version {
            base = format!("{base}-v{v}");
        }
        let seed = format!("{}|{profile}|{}", record.arn, record.created);
        let hash = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
        let stem = format!("{}-{}-{}", clip(&base, 30), clip(profile, 14), &hash[..8]);
        Self {
            training: format!("{stem}-train"),
            model: format!("{stem}-model"),
            transform: format!("{stem}-batch"),
        }
    }
}

/// The profiles' names, in order.
pub fn profile_names(record: &ResourceRecord, _target: Target) -> Result<Vec<String>> {
    let doc: Value = crate::resources::decode(record)?;
    Ok(profiles(&doc)
        .iter()
        .filter_map(|p| {
            p.get("ProfileName")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect())
}

fn profiles(doc: &Value) -> Vec<Value> {
    doc.pointer("/ValidationSpecification/ValidationProfiles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Why a validation step failed, already worded for the seller.
struct StepFailed(String);

impl From<Error> for StepFailed {
    fn from(e: Error) -> Self {
        StepFailed(e.to_string())
    }
}

pub async fn validate(svc: Service, account: AccountId, target: Target, key: String) {
    if let Err(e) = validate_inner(&svc, &account, target, &key).await {
        match e {
            Error::NotFound { .. } => {} // deleted while validating
            e => tracing::error!(resource = %key, error = %e, "validation failed internally"),
        }
    }
}

async fn set_state(
    svc: &Service,
    account: &AccountId,
    target: Target,
    key: &str,
    resource_status: Option<&str>,
    profile: Option<(usize, &str, Option<&str>)>,
) -> Result<ResourceRecord> {
    let member = target.details_member();
    let (record, _) =
        record::mutate::<Value, _>(svc, account, target.kind(), key, None, |st, doc| {
            if st == status::COMPLETED || st == status::FAILED {
                return Ok(false);
            }
            if let Some(s) = resource_status {
                *st = s.to_owned();
            }
            if let Some((i, s, reason)) = profile {
                if let Some(item) = doc
                    .pointer_mut(&format!("/{member}/ValidationStatuses/{i}"))
                    .and_then(Value::as_object_mut)
                {
                    item.insert("Status".into(), json!(s));
                    match reason {
                        Some(r) => {
                            item.insert("FailureReason".into(), json!(record::clip_reason(r)))
                        }
                        None => item.remove("FailureReason"),
                    };
                }
            }
            Ok(true)
        })
        .await?;
    Ok(record)
}

async fn validate_inner(
    svc: &Service,
    account: &AccountId,
    target: Target,
    key: &str,
) -> Result<()> {
    let record = set_state(svc, account, target, key, Some(status::IN_PROGRESS), None).await?;
    if record.status != status::IN_PROGRESS {
        return Ok(()); // already ended
    }
    let doc: Value = crate::resources::decode(&record)?;
    let profiles = profiles(&doc);
    for (i, profile) in profiles.iter().enumerate() {
        let name = profile
            .get("ProfileName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        set_state(
            svc,
            account,
            target,
            key,
            None,
            Some((i, "InProgress", None)),
        )
        .await?;
        let outcome = match target {
            Target::Algorithm => {
                algorithm_profile(svc, account, &record, &doc, profile, &name).await
            }
            Target::ModelPackage => package_profile(svc, account, &record, profile, &name).await,
        };
        if let Err(StepFailed(reason)) = outcome {
            let reason = format!("Profile '{name}': {reason}");
            set_state(
                svc,
                account,
                target,
                key,
                None,
                Some((i, "Failed", Some(&reason))),
            )
            .await?;
            set_state(svc, account, target, key, Some(status::FAILED), None).await?;
            return Ok(());
        }
        set_state(
            svc,
            account,
            target,
            key,
            None,
            Some((i, "Completed", None)),
        )
        .await?;
    }
    set_state(svc, account, target, key, Some(status::COMPLETED), None).await?;
    Ok(())
}

/// Request members of a definition, as a request body.
fn members(def: &Value, names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|n| {
            def.get(*n)
                .filter(|v| !v.is_null())
                .map(|v| (n.to_string(), v.clone()))
        })
        .collect()
}

fn role(doc: &Value) -> Value {
    doc.pointer("/ValidationSpecification/ValidationRole")
        .cloned()
        .unwrap_or(Value::Null)
}

async fn algorithm_profile(
    svc: &Service,
    account: &AccountId,
    record: &ResourceRecord,
    doc: &Value,
    profile: &Value,
    name: &str,
) -> Result<(), StepFailed> {
    let names = JobNames::new(record, name);
    let has_transform = profile.get("TransformJobDefinition").is_some();
    let steps = if has_transform { 2 } else { 1 };
    let def = profile
        .get("TrainingJobDefinition")
        .cloned()
        .unwrap_or(Value::Null);
    let mut req = members(
        &def,
        &[
            "HyperParameters",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
        ],
    );
    req.insert("TrainingJobName".into(), json!(names.training));
    req.insert(
        "AlgorithmSpecification".into(),
        json!({"AlgorithmName": record.arn, "TrainingInputMode": def.get("TrainingInputMode").cloned().unwrap_or(json!("File"))}),
    );
    req.insert("RoleArn".into(), role(doc));
    // Buyers run Marketplace products without network (docs/contracts.md §6.1).
    req.insert("EnableNetworkIsolation".into(), json!(true));
    if svc
        .training_jobs()
        .describe(account, &names.training)
        .await
        .is_err()
    {
        svc.training_jobs()
            .create(account, req, Vec::new(), Origin::Validation)
            .await
            .map_err(|e| {
                StepFailed(format!(
                    "step 1 of {steps} (training): training job {} could not be created: {e}",
                    names.training
                ))
            })?;
    }
    let job = wait_training(svc, account, &names.training).await?;
    if job.record.status != job_status::COMPLETED {
        return Err(StepFailed(format!(
            "step 1 of {steps} (training): training job {} {}: {}",
            names.training,
            job.record.status,
            job.doc
                .state
                .failure_reason
                .as_deref()
                .unwrap_or("stopped before it completed")
        )));
    }
    if !has_transform {
        return Ok(());
    }
    let container = doc
        .pointer("/InferenceSpecification/Containers/0")
        .cloned()
        .unwrap_or(Value::Null);
    let mut primary = members(&container, &["Image", "Environment", "ContainerHostname"]);
    primary.insert(
        "ModelDataUrl".into(),
        json!(job.doc.state.model_artifacts.clone().unwrap_or_default()),
    );
    let model = json!({
        "ModelName": names.model,
        "PrimaryContainer": primary,
        "ExecutionRoleArn": role(doc),
        "EnableNetworkIsolation": true,
    });
    transform_step(svc, account, profile, &names, model, 2, steps).await
}

async fn package_profile(
    svc: &Service,
    account: &AccountId,
    record: &ResourceRecord,
    profile: &Value,
    name: &str,
) -> Result<(), StepFailed> {
    let names = JobNames::new(record, name);
    let doc: Value = crate::resources::decode(record).map_err(StepFailed::from)?;
    let model = json!({
        "ModelName": names.model,
        "PrimaryContainer": {"ModelPackageName": record.arn},
        "ExecutionRoleArn": role(&doc),
        "EnableNetworkIsolation": true,
    });
    transform_step(svc, account, profile, &names, model, 1, 1).await
}

async fn transform_step(
    svc: &Service,
    account: &AccountId,
    profile: &Value,
    names: &JobNames,
    model: Value,
    step: usize,
    steps: usize,
) -> Result<(), StepFailed> {
    let label = format!("step {step} of {steps} (batch transform)");
    if svc.models().describe(account, &names.model).await.is_err() {
        let Value::Object(model) = model else {
            return Err(StepFailed(format!(
                "{label}: internal error building the model"
            )));
        };
        svc.models()
            .create_for_validation(account, model)
            .await
            .map_err(|e| {
                StepFailed(format!(
                    "{label}: model {} could not be created: {e}",
                    names.model
                ))
            })?;
    }
    let def = profile
        .get("TransformJobDefinition")
        .cloned()
        .unwrap_or(Value::Null);
    let mut req = members(
        &def,
        &[
            "MaxConcurrentTransforms",
            "MaxPayloadInMB",
            "BatchStrategy",
            "Environment",
            "TransformInput",
            "TransformOutput",
            "TransformResources",
        ],
    );
    req.insert("TransformJobName".into(), json!(names.transform));
    req.insert("ModelName".into(), json!(names.model));
    if svc
        .transform_jobs()
        .describe(account, &names.transform)
        .await
        .is_err()
    {
        svc.transform_jobs()
            .create(account, req, Vec::new())
            .await
            .map_err(|e| {
                StepFailed(format!(
                    "{label}: transform job {} could not be created: {e}",
                    names.transform
                ))
            })?;
    }
    let job = wait_transform(svc, account, &names.transform).await?;
    if job.record.status != job_status::COMPLETED {
        return Err(StepFailed(format!(
            "{label}: transform job {} {}: {}",
            names.transform,
            job.record.status,
            job.doc
                .state
                .failure_reason
                .as_deref()
                .unwrap_or("stopped before it completed")
        )));
    }
    Ok(())
}

const POLL: Duration = Duration::from_millis(200);

async fn wait_training(
    svc: &Service,
    account: &AccountId,
    name: &str,
) -> Result<crate::jobs::training::TrainingJob, StepFailed> {
    loop {
        let job = svc.training_jobs().describe(account, name).await?;
        if job_status::is_terminal(&job.record.status) {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn wait_transform(
    svc: &Service,
    account: &AccountId,
    name: &str,
) -> Result<crate::jobs::batch_transform::TransformJob, StepFailed> {
    loop {
        let job = svc.transform_jobs().describe(account, name).await?;
        if job_status::is_terminal(&job.record.status) {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
    }
}
