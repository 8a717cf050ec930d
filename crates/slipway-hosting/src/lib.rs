//! Real-time hosting (docs/contracts.md §2.7, §4): endpoint configs and
//! endpoints as SageMaker resources, the inference containers that serve
//! them, health checks and replacement, and the InvokeEndpoint data plane
//! (docs/endpoints.md).
//!
//! Built on the control plane (`slipway-service`: records, models, IAM,
//! images) and the executor (`slipway-executor`: starting inference
//! containers, model downloads, log shipping). The wire crate calls
//! [`Hosting`] for the SageMaker endpoint operations and the runtime.

pub mod configs;
mod deploy;
pub mod endpoints;
mod fleet;
mod health;
pub mod invoke;
pub mod meter;
pub mod probe;
mod reconcile;
mod runner;
pub mod state;

#[cfg(test)]
mod tests;

use fleet::Fleet;
use slipway_core::AccountId;
use slipway_service::Service;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How endpoints run on this server.
#[derive(Debug, Clone)]
pub struct HostingSettings {
    /// Longest a container may take to answer one InvokeEndpoint (AWS: 60 s).
    pub invocation_timeout: Duration,
    /// How often every container is pinged once it serves.
    pub health_interval: Duration,
    /// Each GET /ping's own time-out (AWS: 2 s).
    pub ping_timeout: Duration,
    /// Failed pings in a row that take a container out of rotation and
    /// replace it (a container that has exited is replaced at once).
    pub unhealthy_after: u32,
    /// The start-up window when a variant sets no
    /// `ContainerStartupHealthCheckTimeoutInSeconds`.
    pub startup_timeout: Duration,
    /// The model download window when a variant sets no
    /// `ModelDataDownloadTimeoutInSeconds`.
    pub model_download_timeout: Duration,
    /// SIGTERM → SIGKILL grace when containers go (AWS: 30 s).
    pub stop_grace: Duration,
    /// Largest request and response body of InvokeEndpoint (6 MB).
    pub max_payload: usize,
    /// How often endpoints serving a Marketplace product report their
    /// usage (what a crash can lose at most).
    pub metering_interval: Duration,
}

impl Default for HostingSettings {
    fn default() -> Self {
        Self {
            invocation_timeout: Duration::from_secs(60),
            health_interval: Duration::from_secs(2),
            ping_timeout: Duration::from_secs(2),
            unhealthy_after: 3,
            startup_timeout: Duration::from_secs(240),
            model_download_timeout: Duration::from_secs(3600),
            stop_grace: Duration::from_secs(30),
            max_payload: 6_291_456,
            metering_interval: Duration::from_secs(60),
        }
    }
}

/// The hosting capability: cheap to clone, one per server.
#[derive(Clone)]
pub struct Hosting {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) svc: Service,
    pub(crate) settings: HostingSettings,
    /// The fleets this process runs, by (account, endpoint key). Read on
    /// every invocation, written when an endpoint starts or goes.
    pub(crate) fleets: RwLock<HashMap<(AccountId, String), Arc<Fleet>>>,
    /// The endpoint runners of this process, by (account, endpoint key):
    /// told about updates and deletes.
    pub(crate) runners: Mutex<HashMap<(AccountId, String), runner::Handle>>,
    /// Forwards invocations and pings (keeps connections to containers).
    pub(crate) client: reqwest::Client,
}

impl Hosting {
    pub fn new(svc: Service, settings: HostingSettings) -> Self {
        // No proxy from the environment: containers are on this machine.
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                svc,
                settings,
                fleets: RwLock::new(HashMap::new()),
                runners: Mutex::new(HashMap::new()),
                client,
            }),
        }
    }

    pub fn service(&self) -> &Service {
        &self.inner.svc
    }

    pub fn settings(&self) -> &HostingSettings {
        &self.inner.settings
    }

    pub fn endpoint_configs(&self) -> configs::EndpointConfigs<'_> {
        configs::EndpointConfigs { hosting: self }
    }

    pub fn endpoints(&self) -> endpoints::Endpoints<'_> {
        endpoints::Endpoints { hosting: self }
    }

    /// After a restart: picks up every endpoint that was being created,
    /// updated, served or deleted (`reconcile.rs`). Returns how many.
    pub async fn reconcile(&self) -> slipway_service::Result<usize> {
        reconcile::run(self).await
    }

    /// Server shutdown: every runner lets its containers go (they are
    /// started again, or found again, after the restart) within `bound`.
    pub async fn shutdown(&self, bound: Duration) {
        runner::shutdown_all(self, bound).await
    }

    pub(crate) fn fleet(&self, account: &AccountId, key: &str) -> Option<Arc<Fleet>> {
        let fleets = self.inner.fleets.read().unwrap_or_else(|p| p.into_inner());
        fleets.get(&(account.clone(), key.to_owned())).cloned()
    }
}
