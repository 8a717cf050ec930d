//! The control plane. Handlers in the wire crate call one method here per
//! operation; this crate owns every rule and state transition and reaches
//! storage only through the ports in `slipway-core`.

pub mod accounts;
pub mod checks;
pub mod error;
pub mod iam;
pub mod jobs;
pub mod listing;
pub mod marketplace;
pub mod reference;
pub mod resources;
pub mod sts;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod upgrade;
pub mod validation;

pub use error::{Error, Result};

use slipway_core::ports::blob::BlobStore;
use slipway_core::ports::clock::Clock;
use slipway_core::ports::engine::RegistryAuth;
use slipway_core::ports::identity::IdentityStore;
use slipway_core::ports::logs::LogStore;
use slipway_core::ports::metadata::MetadataStore;
use slipway_core::ports::metrics::MetricStore;
use slipway_core::ports::objects::ObjectIndex;
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

/// Every capability the control plane runs on, all required: a `Service`
/// cannot exist without one, so no operation finds a capability missing at
/// run time. What a machine may lack by configuration is modelled by the
/// capability itself: a job runtime without a container engine
/// ([`jobs::JobRuntime::without_engine`]) answers every job operation with
/// "This Slipway server runs no jobs: …".
pub struct Ports {
    /// Resources, jobs, accounts and keys.
    pub metadata: Arc<dyn MetadataStore>,
    /// Temporary credentials and IAM roles.
    pub identity: Arc<dyn IdentityStore>,
    /// S3 metadata.
    pub objects: Arc<dyn ObjectIndex>,
    /// S3 object bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Job logs (the CloudWatch Logs subset).
    pub logs: Arc<dyn LogStore>,
    /// Training jobs' metric points (the CloudWatch metrics subset).
    pub metrics: Arc<dyn MetricStore>,
    /// The image registry: its index, its own byte store (apart from the
    /// S3 one: each sweeps orphans against its own metadata) and settings.
    pub registry: slipway_registry::RegistryStorage,
    /// Training and transform jobs on the container engine.
    pub jobs: jobs::JobRuntime,
    /// Where every stored and shown time comes from (`SystemClock` in the
    /// binary, `TestClock` in tests). Sleeps and timeouts use `tokio::time`.
    pub clock: Arc<dyn Clock>,
}

/// The control plane, cheap to clone and shared by every request.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Arc<dyn MetadataStore>,
    pub(crate) config: Arc<ServiceConfig>,
    pub(crate) object_storage: Arc<slipway_objects::ObjectStorage>,
    pub(crate) jobs: Arc<jobs::JobRuntime>,
    pub(crate) logs: Arc<dyn LogStore>,
    pub(crate) metric_store: Arc<dyn MetricStore>,
    pub(crate) registry: Arc<slipway_registry::RegistryStorage>,
    pub(crate) identity: Arc<dyn IdentityStore>,
    pub(crate) clock: Arc<dyn Clock>,
    /// What runs after each validation ends (the readiness report, a
    /// crate above this one); set once at wiring.
    pub(crate) after_validation: Arc<std::sync::OnceLock<Arc<dyn validation::AfterValidation>>>,
    /// Who may read the marketplace's published copies (`slipway-marketplace`);
    /// set once at wiring. Without it, copies are only their account's.
    pub(crate) marketplace: Arc<std::sync::OnceLock<Arc<dyn marketplace::MarketplaceAccess>>>,
}

impl Service {
    pub fn new(ports: Ports, config: ServiceConfig) -> Self {
        Self {
            store: ports.metadata,
            config: Arc::new(config),
            object_storage: Arc::new(slipway_objects::ObjectStorage::new(
                ports.objects,
                ports.blobs,
            )),
            jobs: Arc::new(ports.jobs),
            logs: ports.logs,
            metric_store: ports.metrics,
            registry: Arc::new(ports.registry),
            identity: ports.identity,
            clock: ports.clock,
            after_validation: Arc::default(),
            marketplace: Arc::default(),
        }
    }

    /// Sets what runs after every validation ends, once (later calls are
    /// ignored): `slipway-readiness` produces its report there.
    pub fn set_after_validation(&self, follow_up: Arc<dyn validation::AfterValidation>) {
        let _ = self.after_validation.set(follow_up);
    }

    /// Sets who may read the marketplace's published copies, once.
    pub fn set_marketplace(&self, access: Arc<dyn marketplace::MarketplaceAccess>) {
        let _ = self.marketplace.set(access);
    }

    /// The account holding the marketplace's published copies, when a
    /// marketplace is installed.
    pub fn marketplace_account(&self) -> Option<AccountId> {
        self.marketplace.get().map(|m| m.account().clone())
    }

    /// The service's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Now, strictly increasing (creation times): see [`Clock::now_micros`].
    pub fn now_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.now_micros()
    }

    /// Now, on the wall clock: see [`Clock::wall_micros`].
    pub fn wall_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.wall_micros()
    }

    /// IAM roles.
    pub fn iam(&self) -> iam::Iam<'_> {
        iam::Iam { svc: self }
    }

    /// STS temporary credentials.
    pub fn sts(&self) -> sts::Sts<'_> {
        sts::Sts { svc: self }
    }

    /// The metadata store, for the capability crates built on the control
    /// plane (`slipway-hosting`): their resources are records like these.
    pub fn metadata(&self) -> &Arc<dyn MetadataStore> {
        &self.store
    }

    /// The log store, for code outside this crate that reads or appends
    /// directly (tests, tools).
    pub fn log_store(&self) -> Arc<dyn LogStore> {
        self.logs.clone()
    }

    /// The logs API operations, in this server's region and on its clock.
    pub fn logs(&self) -> slipway_logs::Logs<'_> {
        slipway_logs::Logs::new(self.logs.as_ref(), &self.config.region, self.clock.as_ref())
    }

    /// Training jobs' metrics: the series and latest values of a job
    /// (callable while it runs: points are stored at each log flush) and
    /// the CloudWatch metrics operations, on this server's clock.
    pub fn metrics(&self) -> slipway_metrics::Metrics<'_> {
        slipway_metrics::Metrics::new(self.metric_store.as_ref(), self.clock.as_ref())
    }

    /// The job runtime (whether it runs jobs: [`jobs::JobRuntime::runs_jobs`]).
    pub fn job_runtime(&self) -> Arc<jobs::JobRuntime> {
        self.jobs.clone()
    }

    pub fn transform_jobs(&self) -> jobs::transform_job::TransformJobs<'_> {
        jobs::transform_job::TransformJobs { svc: self }
    }

    pub fn training_jobs(&self) -> jobs::training::TrainingJobs<'_> {
        jobs::training::TrainingJobs { svc: self }
    }

    pub fn tuning_jobs(&self) -> jobs::tuning::TuningJobs<'_> {
        jobs::tuning::TuningJobs { svc: self }
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
        // A published copy's image lives in the marketplace's account; the
        // platform pulls it for an entitled caller (docs/marketplace.md).
        if let Some(access) = self.marketplace.get() {
            let uri = slipway_registry::ImageUri::parse(image);
            if let Some(uri) = uri.filter(|u| u.ecr_account().as_ref() == Some(access.account())) {
                if access.may_pull(account, &uri.repo).await {
                    let owner = access.account().clone();
                    if let Some(r) = self.registry().resolve_image(&owner, image).await? {
                        return Ok((r.pull_reference, Some(r.auth)));
                    }
                }
            }
        }
        match self.registry().resolve_image(account, image).await? {
            Some(r) => Ok((r.pull_reference, Some(r.auth))),
            None => Ok((image.to_owned(), None)),
        }
    }

    /// Picks up jobs a previous process left unfinished. A server without
    /// a container engine leaves them as they are, for a start with one.
    pub async fn reconcile_jobs(&self) -> Result<usize> {
        if !self.jobs.runs_jobs() {
            return Ok(0);
        }
        let training = jobs::training::reconcile::reconcile(self).await?;
        let transform = jobs::transform_job::reconcile::reconcile(self).await?;
        let validations = validation::reconcile(self).await?;
        let tuning = jobs::lifecycle::reconcile::<jobs::tuning::Tuning>(self).await?;
        Ok(training + transform + validations + tuning)
    }

    /// Object storage as jobs use it: an owned handle that download and
    /// upload tasks carry (`slipway_executor::transfer`).
    pub fn job_data(&self) -> slipway_executor::JobData {
        slipway_executor::JobData::new(
            self.object_storage.clone(),
            &self.config.region,
            self.clock.clone(),
        )
    }

    /// The image registry (OCI distribution and ECR), on this server's clock.
    pub fn registry(&self) -> slipway_registry::Registry<'_> {
        slipway_registry::Registry::new(&self.registry, &self.clock)
    }

    /// Buckets and objects (S3), in this server's region and on its clock.
    pub fn objects(&self) -> slipway_objects::Objects<'_> {
        slipway_objects::Objects::new(
            &self.object_storage,
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
