//! The Marketplace readiness report (docs/readiness.md): produced beside
//! every validation, once its AWS-shaped status is final, and never
//! changing it. It checks what AWS's validation does not — the image
//! (platform, registry, ENTRYPOINT, user), what the containers tried to
//! reach under network isolation, a real-time deployment (start-up,
//! GET /ping, record-by-record invocations, the largest body), batch
//! limits, listing blockers and vulnerability scans — and names each
//! finding with its evidence and fix.
//!
//! This crate sits above `slipway-hosting` (the real-time check deploys
//! like an endpoint) and is called by the control plane through
//! [`slipway_service::validation::AfterValidation`].

pub mod checks;
mod produce;
pub mod report;
mod store;
pub mod subject;

pub use report::{Category, Finding, Report, ReportStatus, Severity};

use slipway_core::{AccountId, ResourceRecord};
use slipway_hosting::Hosting;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use subject::Subject;
use tokio::sync::Semaphore;

/// Reports produced at once: each may start containers.
const CONCURRENT_REPORTS: usize = 2;

/// The readiness capability: cheap to clone, one per server.
#[derive(Clone)]
pub struct Readiness {
    hosting: Hosting,
    running: Arc<Semaphore>,
    client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadinessError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Service(#[from] slipway_service::Error),
}

impl Readiness {
    pub fn new(hosting: Hosting) -> Self {
        // No proxy from the environment: containers are on this machine.
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap_or_default();
        Self {
            hosting,
            running: Arc::new(Semaphore::new(CONCURRENT_REPORTS)),
            client,
        }
    }

    /// Registers with the control plane: a report after every validation.
    pub fn install(&self) {
        self.hosting
            .service()
            .set_after_validation(Arc::new(self.clone()));
    }

    /// The report of the model package or algorithm `resource` (a name or
    /// ARN; `kind_hint` from the ARN when it is one).
    pub async fn describe(
        &self,
        account: &AccountId,
        resource_arn: &str,
    ) -> Result<Report, ReadinessError> {
        store::describe(self.hosting.service(), account, resource_arn).await
    }

    /// Produces the report of `record` now (awaited).
    pub async fn produce(&self, account: &AccountId, record: &ResourceRecord) {
        let Ok(_permit) = self.running.acquire().await else {
            return;
        };
        produce::run(self, account, record).await;
    }

    /// Resumes the reports a previous process left InProgress, and makes
    /// the ones a crash lost between a validation's end and its report.
    pub async fn reconcile(&self) -> Result<usize, ReadinessError> {
        let svc = self.hosting.service();
        if !svc.job_runtime().runs_jobs() {
            return Ok(0);
        }
        let owed = store::owed(svc).await?;
        let n = owed.len();
        for (account, record) in owed {
            let me = self.clone();
            let task = tokio::spawn(async move { me.produce(&account, &record).await });
            svc.job_runtime().track(task.abort_handle());
        }
        Ok(n)
    }
}

#[async_trait::async_trait]
impl slipway_service::validation::AfterValidation for Readiness {
    async fn validated(&self, account: &AccountId, record: &ResourceRecord) {
        self.produce(account, record).await;
    }
}

/// What the checks of one report share.
pub struct Ctx {
    pub hosting: Hosting,
    pub account: AccountId,
    pub subject: Subject,
    pub client: reqwest::Client,
    /// Images found in the seller's registry: image → (repository, digest).
    registry_images: Mutex<HashMap<String, (String, String)>>,
    /// What each pulled image's configuration says, by image as named.
    pulled: Mutex<HashMap<String, slipway_core::ports::engine::ImageInfo>>,
}

impl Ctx {
    fn note_registry_image(&self, image: &str, repository: &str, digest: &str) {
        if let Ok(mut m) = self.registry_images.lock() {
            m.insert(image.to_owned(), (repository.to_owned(), digest.to_owned()));
        }
    }

    fn registry_image(&self, image: &str) -> Option<(String, String)> {
        self.registry_images.lock().ok()?.get(image).cloned()
    }

    fn note_pulled(&self, image: &str, info: &slipway_core::ports::engine::ImageInfo) {
        if let Ok(mut m) = self.pulled.lock() {
            m.insert(image.to_owned(), info.clone());
        }
    }

    fn pulled(&self, image: &str) -> Option<slipway_core::ports::engine::ImageInfo> {
        self.pulled.lock().ok()?.get(image).cloned()
    }

    /// A short, name-safe key of the resource, for container names.
    fn short_key(&self) -> String {
        self.subject
            .record
            .key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect()
    }
}
