//! Validation (docs/contracts.md §6): a model package or algorithm created with a
//! ValidationSpecification is certified by really running its jobs — per
//! profile, a training job (algorithms) and a transform job on a model
//! built from the resource — and its status and per-profile
//! ValidationStatuses follow them.
//!
//! The jobs are ordinary jobs of the seller's account, named from the
//! resource, the profile and the resource's creation time, so a restarted
//! server finds them again by name and resumes waiting instead of running
//! them twice (`run.rs`).

mod checks;
mod run;

pub use checks::check_images;
pub use run::{JobNames, Target};

/// What runs once a validation has ended (its status is already stored
/// as Completed or Failed, so nothing here can change it): the readiness
/// report (`slipway-readiness`), which lives above this crate.
#[async_trait::async_trait]
pub trait AfterValidation: Send + Sync {
    async fn validated(&self, account: &AccountId, record: &ResourceRecord);
}

use crate::jobs::training::state::status as job_status;
use crate::{Result, Service};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

/// Resource statuses (AlgorithmStatus / ModelPackageStatus).
pub mod status {
    pub const PENDING: &str = "Pending";
    pub const IN_PROGRESS: &str = "InProgress";
    pub const COMPLETED: &str = "Completed";
    pub const FAILED: &str = "Failed";
}

/// Starts validating a freshly created resource (it must be Pending).
pub fn spawn(svc: &Service, record: &ResourceRecord) {
    let Some(target) = Target::of(record.kind) else {
        return;
    };
    // Without an engine the resource stays Pending for a start with one.
    let rt = svc.jobs.clone();
    if !rt.runs_jobs() {
        return;
    }
    let (svc, account, key) = (svc.clone(), record.account.clone(), record.key.clone());
    let task = tokio::spawn(async move {
        run::validate(svc, account, target, key).await;
    });
    rt.track(task.abort_handle());
}

/// Resumes every validation a previous process left Pending or InProgress.
pub async fn reconcile(svc: &Service) -> Result<usize> {
    if !svc.jobs.runs_jobs() {
        return Ok(0);
    }
    let mut n = 0;
    for kind in [ResourceKind::Algorithm, ResourceKind::ModelPackage] {
        let records = svc
            .store
            .find_by_status(kind, &[status::PENDING, status::IN_PROGRESS])
            .await?;
        n += records.len();
        for r in &records {
            spawn(svc, r);
        }
    }
    Ok(n)
}

/// Stops the validation jobs of a resource that is being deleted, so none
/// keeps running for a resource that no longer exists.
pub async fn stop_jobs(svc: &Service, account: &AccountId, record: &ResourceRecord) {
    let Some(target) = Target::of(record.kind) else {
        return;
    };
    let Ok(profiles) = run::profile_names(record, target) else {
        return;
    };
    for profile in profiles {
        let names = run::JobNames::new(record, &profile);
        if let Ok(job) = svc.training_jobs().describe(account, &names.training).await {
            if !job_status::is_terminal(&job.record.status) {
                let _ = svc.training_jobs().stop(account, &names.training).await;
            }
        }
        if let Ok(job) = svc
            .transform_jobs()
            .describe(account, &names.transform)
            .await
        {
            if !job_status::is_terminal(&job.record.status) {
                let _ = svc.transform_jobs().stop(account, &names.transform).await;
            }
        }
    }
}

#[cfg(test)]
mod tests;
