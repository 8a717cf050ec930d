//! One container deployed the way an endpoint deploys a variant — the
//! same model resolution, image, model mount, instance-type limits and
//! network isolation — but handed to the caller instead of a fleet: no
//! health loop takes it out of rotation and no start-up window ends it, so
//! the readiness report can *measure* what an endpoint would only pass or
//! fail (a `/ping` that takes 3 s, the largest body the server accepts).
//! Its output goes to the endpoint log group of its name, like an
//! endpoint's.

use crate::deploy::{self, Target, VariantPlan};
use crate::state::{VariantSpec, VariantState};
use crate::Hosting;
use slipway_core::AccountId;
use slipway_executor::inference::{self, InferenceContainer, LogTarget, Running};
use std::sync::Arc;
use std::time::Duration;

/// What to deploy.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// The endpoint-like name: container, log group and work directory
    /// are named from it.
    pub name: String,
    /// The ARN its container is labelled with (the resource it probes),
    /// so leftovers are found and removed with it.
    pub owner_arn: String,
    /// A model of the account (`CreateModel` name).
    pub model_name: String,
    pub instance_type: String,
    /// Run without network, as Marketplace buyers run every listing.
    pub network_isolated: bool,
}

/// A started probe container. End it with [`Probe::end`].
pub struct Probe {
    running: Running,
    /// The engine's container id, for inspecting it.
    pub container: slipway_core::ports::engine::ContainerId,
    pub base_url: String,
    pub log_group: String,
    pub log_stream: String,
    /// The image as specified and as resolved.
    pub image: crate::state::DeployedImage,
    work: std::path::PathBuf,
}

impl Hosting {
    /// Prepares and starts one probe container; it is started, not yet
    /// known to be ready. The error is worded like an endpoint's
    /// FailureReason.
    pub async fn start_probe(
        &self,
        account: &AccountId,
        spec: &ProbeSpec,
    ) -> Result<Probe, String> {
        let key = spec.name.to_ascii_lowercase();
        let variant = VariantState {
            spec: VariantSpec {
                variant_name: "AllTraffic".into(),
                model_name: spec.model_name.clone(),
                instance_type: spec.instance_type.clone(),
                initial_instance_count: 1,
                initial_variant_weight: 1.0,
                startup_timeout_seconds: None,
                model_download_timeout_seconds: None,
            },
            weight: 1.0,
            instance_count: 1,
            deployed_images: Vec::new(),
        };
        let target = Target {
            account,
            name: &spec.name,
            arn: &spec.owner_arn,
            key: &key,
        };
        deploy::remove_leftovers(self, &spec.owner_arn).await;
        let plan: VariantPlan =
            deploy::prepare(self, &target, 1, spec.network_isolated, &variant).await?;
        let svc = self.service();
        let engine = svc.job_runtime().engine().clone();
        let stream = format!(
            "AllTraffic/{}",
            inference::instance_id(&format!("{}/{}", spec.name, svc.now_micros()))
        );
        let container = InferenceContainer {
            name: format!("slipway-probe-{}-{key}", account.as_str()),
            image_id: plan.image_id.clone(),
            env: plan.environment.clone(),
            account: account.clone(),
            owner_arn: spec.owner_arn.clone(),
            model_dir: plan.model_dir.clone(),
            hostname: plan.hostname.clone(),
            nano_cpus: plan.nano_cpus,
            memory_bytes: plan.memory_bytes,
            network_isolated: plan.network_isolated,
            stop_grace: Duration::ZERO,
        };
        let log_group = deploy::log_group(&spec.name);
        let logs = LogTarget {
            group: log_group.clone(),
            stream: stream.clone(),
            account: account.clone(),
            job: key.clone(),
        };
        let work = deploy::work_dir(self, account, &key, 1);
        let running = match inference::start(engine, svc.log_store(), &container, logs).await {
            Ok(r) => r,
            Err(f) => {
                let _ = tokio::fs::remove_dir_all(&work).await;
                return Err(format!(
                    "The primary container for production variant AllTraffic could not be started: {}",
                    deploy::plain(&f.0)
                ));
            }
        };
        Ok(Probe {
            container: running.id().clone(),
            base_url: running.base_url().to_owned(),
            running,
            log_group,
            log_stream: stream,
            image: plan.image.clone(),
            work,
        })
    }
}

impl Probe {
    /// The last lines the container printed.
    pub fn said(&self, lines: usize) -> String {
        slipway_executor::logship::excerpt(self.running.tail(), lines)
    }

    /// Ends the container (its last lines shipped) and removes its model
    /// data.
    pub async fn end(self, hosting: &Hosting) {
        let engine: Arc<_> = hosting.service().job_runtime().engine().clone();
        self.running.end(&engine, Duration::ZERO).await;
        if !hosting.service().job_runtime().settings().keep_work_dirs {
            let _ = tokio::fs::remove_dir_all(&self.work).await;
        }
    }
}
