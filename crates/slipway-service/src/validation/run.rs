//! One validation run: profile by profile, the jobs docs/contracts.md §6.1 names,
//! each awaited; the resource's status and ValidationStatuses follow.

use super::status;
use crate::jobs::record;
use crate::jobs::training::create::Origin;
use crate::jobs::training::state::status as job_status;
use crate::resources::algorithms::AlgorithmDocument;
use crate::resources::model_packages::ModelPackageDocument;
use crate::resources::models::{ContainerSpec, ModelSpec};
use crate::{Error, Result, Service};
use slipway_core::spec::{
    InferenceSpec, StatusDetails, TrainingAlgorithm, TrainingJobSpec, TransformJobSpec,
    ValidationProfile,
};
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

    pub fn kind(self) -> ResourceKind {
        match self {
            Self::Algorithm => ResourceKind::Algorithm,
            Self::ModelPackage => ResourceKind::ModelPackage,
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
    /// The readiness report's real-time check (an endpoint-like deployment).
    pub realtime: String,
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
            realtime: format!("{stem}-rt"),
        }
    }
}

/// What a validation runs, read from the resource's stored spec.
struct Plan {
    profiles: Vec<ValidationProfile>,
    role: String,
    inference: Option<InferenceSpec>,
}

fn plan(record: &ResourceRecord, target: Target) -> Result<Plan> {
    let (validation, inference) = match target {
        Target::Algorithm => {
            let doc: AlgorithmDocument = crate::resources::decode(record)?;
            (doc.spec.validation, doc.spec.inference)
        }
        Target::ModelPackage => {
            let doc: ModelPackageDocument = crate::resources::decode(record)?;
            (doc.validation, doc.inference)
        }
    };
    let validation = validation.unwrap_or_default();
    Ok(Plan {
        profiles: validation.validation_profiles,
        role: validation.validation_role,
        inference,
    })
}

/// The profiles' names, in order.
pub fn profile_names(record: &ResourceRecord, target: Target) -> Result<Vec<String>> {
    Ok(plan(record, target)?
        .profiles
        .into_iter()
        .map(|p| p.profile_name)
        .collect())
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
        return;
    }
    let Some(follow_up) = svc.after_validation.get().cloned() else {
        return;
    };
    if let Ok(Some(record)) = svc.store.get(&account, target.kind(), &key).await {
        follow_up.validated(&account, &record).await;
    }
}

/// A profile's new status: its index, status and failure reason.
type ProfileState<'a> = (usize, &'a str, Option<&'a str>);

async fn set_state(
    svc: &Service,
    account: &AccountId,
    target: Target,
    key: &str,
    resource_status: Option<&str>,
    profile: Option<ProfileState<'_>>,
) -> Result<ResourceRecord> {
    let change = |st: &mut String, details: &mut StatusDetails| {
        if st == status::COMPLETED || st == status::FAILED {
            return false;
        }
        if let Some(s) = resource_status {
            *st = s.to_owned();
        }
        if let Some((i, s, reason)) = profile {
            if let Some(item) = details.validation_statuses.get_mut(i) {
                item.status = s.to_owned();
                item.failure_reason = reason.map(record::clip_reason);
            }
        }
        true
    };
    let kind = target.kind();
    let record = match target {
        Target::Algorithm => {
            record::mutate::<AlgorithmDocument, _>(svc, account, kind, key, None, |st, doc| {
                Ok(change(st, &mut doc.status_details))
            })
            .await?
            .0
        }
        Target::ModelPackage => {
            record::mutate::<ModelPackageDocument, _>(svc, account, kind, key, None, |st, doc| {
                Ok(change(st, &mut doc.status_details))
            })
            .await?
            .0
        }
    };
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
    let plan = plan(&record, target)?;
    for (i, profile) in plan.profiles.iter().enumerate() {
        let name = profile.profile_name.clone();
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
            Target::Algorithm => algorithm_profile(svc, account, &record, &plan, profile).await,
            Target::ModelPackage => package_profile(svc, account, &record, &plan, profile).await,
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

async fn algorithm_profile(
    svc: &Service,
    account: &AccountId,
    record: &ResourceRecord,
    plan: &Plan,
    profile: &ValidationProfile,
) -> Result<(), StepFailed> {
    let names = JobNames::new(record, &profile.profile_name);
    let steps = if profile.transform_job_definition.is_some() {
        2
    } else {
        1
    };
    let def = profile.training_job_definition.clone().unwrap_or_default();
    let mode = if def.training_input_mode.is_empty() {
        "File".to_owned()
    } else {
        def.training_input_mode
    };
    let spec = TrainingJobSpec {
        training_job_name: names.training.clone(),
        hyper_parameters: def.hyper_parameters,
        algorithm_specification: TrainingAlgorithm {
            algorithm_name: Some(record.arn.clone()),
            training_input_mode: mode,
            ..TrainingAlgorithm::default()
        },
        role_arn: plan.role.clone(),
        input_data_config: def.input_data_config,
        output_data_config: def.output_data_config,
        resource_config: def.resource_config,
        stopping_condition: def.stopping_condition,
        // Buyers run Marketplace products without network (docs/contracts.md §6.1).
        enable_network_isolation: Some(true),
        environment: Default::default(),
        checkpoint_config: None,
        enable_managed_spot_training: None,
    };
    if svc
        .training_jobs()
        .describe(account, &names.training)
        .await
        .is_err()
    {
        svc.training_jobs()
            .create(account, spec, None, Vec::new(), Origin::Validation)
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
    let Some(definition) = &profile.transform_job_definition else {
        return Ok(());
    };
    let container = plan
        .inference
        .as_ref()
        .and_then(|i| i.containers.first())
        .cloned()
        .unwrap_or_default();
    let model = ModelSpec {
        model_name: names.model.clone(),
        primary_container: Some(ContainerSpec {
            container_hostname: container.container_hostname,
            image: Some(container.image).filter(|i| !i.is_empty()),
            model_data_url: Some(job.doc.state.model_artifacts.clone().unwrap_or_default()),
            environment: container.environment,
            model_package_name: None,
        }),
        containers: None,
        execution_role_arn: Some(plan.role.clone()),
        enable_network_isolation: Some(true),
    };
    transform_step(svc, account, definition, &names, model, 2, steps).await
}

async fn package_profile(
    svc: &Service,
    account: &AccountId,
    record: &ResourceRecord,
    plan: &Plan,
    profile: &ValidationProfile,
) -> Result<(), StepFailed> {
    let names = JobNames::new(record, &profile.profile_name);
    let model = ModelSpec {
        model_name: names.model.clone(),
        primary_container: Some(ContainerSpec {
            model_package_name: Some(record.arn.clone()),
            ..ContainerSpec::default()
        }),
        containers: None,
        execution_role_arn: Some(plan.role.clone()),
        enable_network_isolation: Some(true),
    };
    let definition = profile.transform_job_definition.clone().unwrap_or_default();
    transform_step(svc, account, &definition, &names, model, 1, 1).await
}

async fn transform_step(
    svc: &Service,
    account: &AccountId,
    def: &slipway_core::spec::TransformJobDefinition,
    names: &JobNames,
    model: ModelSpec,
    step: usize,
    steps: usize,
) -> Result<(), StepFailed> {
    let label = format!("step {step} of {steps} (batch transform)");
    if svc.models().describe(account, &names.model).await.is_err() {
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
    let def = def.clone();
    let spec = TransformJobSpec {
        transform_job_name: names.transform.clone(),
        model_name: names.model.clone(),
        max_concurrent_transforms: def.max_concurrent_transforms,
        model_client_config: None,
        max_payload_in_mb: def.max_payload_in_mb,
        batch_strategy: def.batch_strategy,
        environment: def.environment,
        transform_input: def.transform_input,
        transform_output: def.transform_output,
        transform_resources: def.transform_resources,
        data_processing: None,
    };
    if svc
        .transform_jobs()
        .describe(account, &names.transform)
        .await
        .is_err()
    {
        svc.transform_jobs()
            .create(account, spec, None, Vec::new())
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
) -> Result<crate::jobs::transform_job::TransformJob, StepFailed> {
    loop {
        let job = svc.transform_jobs().describe(account, name).await?;
        if job_status::is_terminal(&job.record.status) {
            return Ok(job);
        }
        tokio::time::sleep(POLL).await;
    }
}
