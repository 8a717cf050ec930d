//! The control plane. Handlers in the wire crate call one method here per
//! operation; this crate owns every rule and state transition and reaches
//! storage only through the ports in `slipway-core`.

pub mod accounts;
pub mod checks;
pub mod error;
pub mod iam;
pub mod jobs;
pub mod listing;
pub mod reference;
pub mod registry;
pub mod resources;
pub mod sts;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod upgrade;
pub mod validation;

pub use error::{Error, Result};

use slipway_core::ports::clock::{Clock, SystemClock};
use slipway_core::ports::engine::RegistryAuth;
use slipway_core::ports::identity::IdentityStore;
use slipway_core::ports::logs::LogStore;
use slipway_core::ports::metadata::MetadataStore;
use slipway_core::AccountId;
use std::sync::Arc;

/// Settings the control plane needs (not how it is reached).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The region in every ARN this server hands out.
    pub region: String,
    /// Accept any well-formed role ARN where SageMaker takes a role
    /// (`RoleArn`, `ExecutionRoleArn`, `ValidationRole`) instead of
    /// requiring a role of the caller's account that trusts SageMaker: for
    /// scripts written against AWS role names.
    pub accept_any_role_arn: bool,
    /// Test-only: temporary credentials expire after at most this many
    /// seconds, whatever DurationSeconds asked for.
    pub session_lifetime_cap: Option<i64>,
}

impl ServiceConfig {
    /// Defaults for `region`: roles checked, no lifetime cap.
    pub fn new(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            accept_any_role_arn: false,
            session_lifetime_cap: None,
        }
    }
}

/// The control plane, cheap to clone and shared by every request.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Arc<dyn MetadataStore>,
    pub(crate) config: Arc<ServiceConfig>,
    /// Object storage (S3), when the binary wired it (`with_object_storage`).
    pub(crate) object_storage: Option<Arc<slipway_objects::ObjectStorage>>,
    /// The job runtime, when a container engine is configured.
    pub(crate) jobs: Option<Arc<jobs::JobRuntime>>,
    /// Job logs (CloudWatch Logs), when configured.
    pub(crate) logs: Option<Arc<dyn LogStore>>,
    /// The image registry, when the binary wired it (`with_registry`).
    pub(crate) registry: Option<Arc<registry::RegistryStorage>>,
    /// Temporary credentials and IAM roles (`with_identity`). Without it
    /// no role exists, so role checks refuse unless `accept_any_role_arn`.
    pub(crate) identity: Option<Arc<dyn IdentityStore>>,
    /// Where every stored and shown time comes from (`with_clock`; the
    /// system clock by default). Sleeps and timeouts use `tokio::time`.
    pub(crate) clock: Arc<dyn Clock>,
}

impl Service {
    pub fn new(store: Arc<dyn MetadataStore>, config: ServiceConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            object_storage: None,
            jobs: None,
            logs: None,
            registry: None,
            identity: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Replaces the clock (tests: `slipway_core::ports::clock::TestClock`).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The service's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Now, strictly increasing (creation times): see [`Clock::now_micros`].
    pub(crate) fn now_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.now_micros()
    }

    /// Now, on the wall clock: see [`Clock::wall_micros`].
    pub(crate) fn wall_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.wall_micros()
    }

    /// Adds STS credentials and IAM roles.
    pub fn with_identity(mut self, store: Arc<dyn IdentityStore>) -> Self {
        self.identity = Some(store);
        self
    }

    /// IAM roles.
    pub fn iam(&self) -> iam::Iam<'_> {
        iam::Iam { svc: self }
    }

    /// STS temporary credentials.
    pub fn sts(&self) -> sts::Sts<'_> {
        sts::Sts { svc: self }
    }

    /// Adds job logs (the CloudWatch Logs subset).
    pub fn with_logs(mut self, store: Arc<dyn LogStore>) -> Self {
        self.logs = Some(store);
        self
    }

    /// The log store, for code outside this crate that appends directly
    /// (tests, tools); `None` when logs are not wired.
    pub fn log_store(&self) -> Option<Arc<dyn LogStore>> {
        self.logs.clone()
    }

    /// The logs API operations, in this server's region and on its clock.
    pub fn logs(&self) -> slipway_logs::Logs<'_> {
        slipway_logs::Logs::new(
            self.logs.as_deref(),
            &self.config.region,
            self.clock.as_ref(),
        )
    }

    /// Adds object storage: S3 metadata in `index`, bytes in `blobs`.
    pub fn with_object_storage(
        mut self,
        index: Arc<dyn slipway_core::ports::objects::ObjectIndex>,
        blobs: Arc<dyn slipway_core::ports::blob::BlobStore>,
    ) -> Self {
        self.object_storage = Some(Arc::new(slipway_objects::ObjectStorage::new(index, blobs)));
        self
    }

    /// Adds the job runtime (training and transform jobs).
    pub fn with_jobs(mut self, runtime: jobs::JobRuntime) -> Self {
        self.jobs = Some(Arc::new(runtime));
        self
    }

    pub fn job_runtime(&self) -> Option<Arc<jobs::JobRuntime>> {
        self.jobs.clone()
    }

    pub fn transform_jobs(&self) -> jobs::batch_transform::TransformJobs<'_> {
        jobs::batch_transform::TransformJobs { svc: self }
    }

    pub fn training_jobs(&self) -> jobs::training::TrainingJobs<'_> {
        jobs::training::TrainingJobs { svc: self }
    }

    /// The reference a job's container engine pulls for `image`, with
    /// credentials when the image lives in this server's registry (an
    /// ECR-form URI or `HOST:PORT/repo`): then by digest, so what runs is
    /// what was resolved. Other references go to the engine unchanged.
    pub async fn image_for_job(
        &self,
        account: &AccountId,
        image: &str,
    ) -> Result<(String, Option<RegistryAuth>)> {
        if self.registry.is_none() {
            return Ok((image.to_owned(), None));
        }
        match self.registry().resolve_image(account, image).await? {
            Some(r) => Ok((r.pull_reference, Some(r.auth))),
            None => Ok((image.to_owned(), None)),
        }
    }

    /// Picks up jobs a previous process left unfinished.
    pub async fn reconcile_jobs(&self) -> Result<usize> {
        if self.jobs.is_none() {
            return Ok(0);
        }
        let training = jobs::training::reconcile::reconcile(self).await?;
        let transform = jobs::batch_transform::reconcile::reconcile(self).await?;
        let validations = validation::reconcile(self).await?;
        Ok(training + transform + validations)
    }

    /// Buckets and objects (S3), in this server's region and on its clock.
    pub fn objects(&self) -> slipway_objects::Objects<'_> {
        slipway_objects::Objects::new(
            self.object_storage.as_deref(),
            &self.config.region,
            self.clock.as_ref(),
        )
    }

    pub fn region(&self) -> &str {
        &self.config.region
    }

    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts { svc: self }
    }

    pub fn algorithms(&self) -> resources::algorithms::Algorithms<'_> {
        resources::algorithms::Algorithms { svc: self }
    }

    pub fn model_packages(&self) -> resources::model_packages::ModelPackages<'_> {
        resources::model_packages::ModelPackages { svc: self }
    }

    pub fn model_package_groups(&self) -> resources::model_package_groups::ModelPackageGroups<'_> {
        resources::model_package_groups::ModelPackageGroups { svc: self }
    }

    pub fn models(&self) -> resources::models::Models<'_> {
        resources::models::Models { svc: self }
    }

    pub fn tags(&self) -> resources::tags::Tags<'_> {
        resources::tags::Tags { svc: self }
    }
}
