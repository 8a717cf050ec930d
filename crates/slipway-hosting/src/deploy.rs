//! Putting a deployment's variants into containers: resolve each model,
//! pull its image, download and unpack its model data once per variant,
//! start the instances and wait for their GET /ping (docs/contracts.md
//! §4.1–4.2). Failure reasons say which variant, which instance and what
//! happened, in words a seller can act on.

use crate::fleet::{Fleet, Instance, Variant};
use crate::state::{DeployedImage, Deployment, VariantState};
use crate::Hosting;
use slipway_core::ports::engine::LABEL_JOB_ARN;
use slipway_core::AccountId;
use slipway_executor::inference::{self, InferenceContainer, LogTarget, Running};
use slipway_executor::logship::excerpt;
use slipway_service::resources::models::Model;
use slipway_service::Service;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The CloudWatch log group of an endpoint.
pub(crate) fn log_group(endpoint_name: &str) -> String {
    format!("/aws/sagemaker/Endpoints/{endpoint_name}")
}

/// Everything needed to start (or restart) one instance of a variant.
pub(crate) struct VariantPlan {
    pub(crate) variant: String,
    pub(crate) account: AccountId,
    pub(crate) endpoint_name: String,
    pub(crate) endpoint_arn: String,
    pub(crate) endpoint_key: String,
    pub(crate) generation: u64,
    pub(crate) image_id: String,
    pub(crate) image: DeployedImage,
    pub(crate) environment: BTreeMap<String, String>,
    pub(crate) hostname: Option<String>,
    pub(crate) model_dir: Option<PathBuf>,
    pub(crate) nano_cpus: i64,
    pub(crate) memory_bytes: i64,
    pub(crate) network_isolated: bool,
    /// ContainerStartupHealthCheckTimeoutInSeconds, or the server's default.
    pub(crate) startup: Duration,
    pub(crate) instance_type: String,
    /// The published copy this variant's use is metered against.
    pub(crate) metered: Option<String>,
}

impl VariantPlan {
    fn container_name(&self, slot: usize) -> String {
        use sha2::Digest;
        let v = hex::encode(sha2::Sha256::digest(self.variant.as_bytes()));
        format!(
            "slipway-ep-{}-{}-g{}-{}-{slot}",
            self.account.as_str(),
            self.endpoint_key,
            self.generation,
            &v[..8]
        )
    }
}

/// Where an endpoint's deployments keep their model data.
pub(crate) fn work_dir(h: &Hosting, account: &AccountId, key: &str, generation: u64) -> PathBuf {
    h.service()
        .job_runtime()
        .settings()
        .work_root
        .join(account.as_str())
        .join("endpoints")
        .join(key)
        .join(format!("g{generation}"))
}

/// The endpoint a deployment belongs to.
pub(crate) struct Target<'a> {
    pub(crate) account: &'a AccountId,
    pub(crate) name: &'a str,
    pub(crate) arn: &'a str,
    pub(crate) key: &'a str,
}

/// Prepares every variant and starts all instances, failing on the first
/// variant that cannot serve. On success the fleet serves; on failure
/// whatever was started is ended.
pub(crate) async fn deploy(
    h: &Hosting,
    ep: &Target<'_>,
    dep: &mut Deployment,
) -> Result<Arc<Fleet>, String> {
    let mut plans = Vec::new();
    for v in dep.variants.iter_mut() {
        let plan = prepare(h, ep, dep.generation, dep.network_isolation, v).await?;
        v.deployed_images = vec![plan.image.clone()];
        plans.push((Arc::new(plan), v.weight));
    }
    let fleet = Arc::new(Fleet::new(
        ep.arn.to_owned(),
        ep.name.to_owned(),
        ep.account.clone(),
        dep.generation,
        plans,
    ));
    let counts: Vec<usize> = dep
        .variants
        .iter()
        .map(|v| v.instance_count.max(1) as usize)
        .collect();
    let starts = fleet
        .variants
        .iter()
        .zip(counts)
        .flat_map(|(v, n)| (0..n).map(move |slot| (v.clone(), slot, n)))
        .map(|(v, slot, n)| {
            let h = h.clone();
            async move {
                let instance = Arc::new(Instance::new(slot));
                v.add(instance.clone());
                start_instance(&h, &v, &instance)
                    .await
                    .map_err(|why| why.for_variant(&v.plan.variant, slot + 1, n))
            }
        });
    if let Err(reason) = futures::future::try_join_all(starts).await {
        end_fleet(h, &fleet).await;
        return Err(reason);
    }
    crate::meter::begin(h, &fleet).await;
    Ok(fleet)
}

/// Resolves a variant's model and readies what its instances share.
pub(crate) async fn prepare(
    h: &Hosting,
    ep: &Target<'_>,
    generation: u64,
    config_isolation: bool,
    v: &VariantState,
) -> Result<VariantPlan, String> {
    let svc = h.service();
    let name = &v.spec.variant_name;
    let fail = |what: String| format!("Production variant {name}: {}", plain(&what));
    let model = svc
        .models()
        .describe(ep.account, &v.spec.model_name)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let resolved = svc
        .models()
        .resolve(ep.account, &model)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let image =
        slipway_service::jobs::lifecycle::pull_image(svc, ep.account, &resolved.image, "inference")
            .await
            .map_err(|f| fail(f.0))?;
    let resolved_ref = image
        .repo_digests
        .first()
        .cloned()
        .unwrap_or_else(|| image.id.clone());
    let work = work_dir(h, ep.account, ep.key, generation).join(sanitize(name));
    let model_dir = match &resolved.model_data_url {
        Some(url) => {
            let window = v
                .spec
                .model_download_timeout_seconds
                .map(|s| Duration::from_secs(s.max(1) as u64))
                .unwrap_or(h.settings().model_download_timeout);
            let _ = tokio::fs::remove_dir_all(&work).await;
            tokio::fs::create_dir_all(&work).await.map_err(|e| {
                fail(format!(
                    "InternalServerError: preparing {}: {e}",
                    work.display()
                ))
            })?;
            let data = svc.job_data();
            // A published copy's artifacts are read as the marketplace.
            let reader = svc.model_data_reader(ep.account, url).await;
            let download = inference::download_model(&data, &reader, url, &work);
            match tokio::time::timeout(window, download).await {
                Ok(Ok(dir)) => Some(dir),
                Ok(Err(f)) => return Err(fail(f.0)),
                Err(_) => {
                    return Err(fail(format!(
                        "downloading and extracting the model data {url} took longer than ModelDataDownloadTimeoutInSeconds ({} s).",
                        window.as_secs()
                    )))
                }
            }
        }
        None => None,
    };
    let rt = svc.job_runtime();
    let limits = slipway_executor::instance_types::resolve(&v.spec.instance_type)
        .limits(rt.settings().host_cpus, rt.settings().memory_cap_bytes);
    Ok(VariantPlan {
        variant: name.clone(),
        account: ep.account.clone(),
        endpoint_name: ep.name.to_owned(),
        endpoint_arn: ep.arn.to_owned(),
        endpoint_key: ep.key.to_owned(),
        generation,
        image_id: image.id,
        image: DeployedImage {
            specified: resolved.image.clone(),
            resolved: Some(resolved_ref),
            resolution_time: Some(svc.wall_micros()),
        },
        environment: resolved.environment,
        hostname: resolved.hostname,
        model_dir,
        nano_cpus: limits.nano_cpus,
        memory_bytes: limits.memory_bytes,
        network_isolated: resolved.network_isolation || config_isolation,
        instance_type: v.spec.instance_type.clone(),
        metered: resolved.metered.filter(|c| svc.is_marketplace_arn(c)),
        startup: v
            .spec
            .startup_timeout_seconds
            .map(|s| Duration::from_secs(s.max(1) as u64))
            .unwrap_or(h.settings().startup_timeout),
    })
}

/// Why an instance did not start.
pub(crate) enum StartFailure {
    /// Could not be created or started (image, engine).
    Start(String),
    Exited {
        code: i64,
        said: String,
    },
    NotReady {
        window: Duration,
        last: String,
        said: String,
    },
}

impl StartFailure {
    pub(crate) fn for_variant(&self, variant: &str, instance: usize, of: usize) -> String {
        let which = if of > 1 {
            format!(" (instance {instance} of {of})")
        } else {
            String::new()
        };
        match self {
            Self::Start(why) => format!(
                "The primary container for production variant {variant}{which} could not be started: {}",
                plain(why)
            ),
            Self::Exited { code, said } => format!(
                "The primary container for production variant {variant}{which} exited with code {code} before passing the ping health check. The container printed: {said}"
            ),
            Self::NotReady { window, last, said } => format!(
                "The primary container for production variant {variant}{which} did not pass the ping health check within {} seconds (the last GET /ping {last}). Please check CloudWatch logs for this endpoint. The container printed: {said}",
                window.as_secs()
            ),
        }
    }
}

/// Starts (or restarts) one instance's container and waits for its first
/// 200 on GET /ping; it then serves.
pub(crate) async fn start_instance(
    h: &Hosting,
    variant: &Variant,
    instance: &Instance,
) -> Result<(), StartFailure> {
    let plan = &variant.plan;
    let svc = h.service();
    let engine = svc.job_runtime().engine().clone();
    let name = plan.container_name(instance.slot);
    // Every start is a new instance, with a log stream of its own.
    let stream = format!(
        "{}/{}",
        plan.variant,
        inference::instance_id(&format!("{name}/{}", svc.now_micros()))
    );
    let container = InferenceContainer {
        name,
        image_id: plan.image_id.clone(),
        env: plan.environment.clone(),
        account: plan.account.clone(),
        owner_arn: plan.endpoint_arn.clone(),
        model_dir: plan.model_dir.clone(),
        hostname: plan.hostname.clone(),
        nano_cpus: plan.nano_cpus,
        memory_bytes: plan.memory_bytes,
        network_isolated: plan.network_isolated,
        stop_grace: Duration::ZERO,
    };
    let target = LogTarget {
        group: log_group(&plan.endpoint_name),
        stream: stream.clone(),
        account: plan.account.clone(),
        job: plan.endpoint_key.clone(),
    };
    let running = inference::start(engine.clone(), svc.log_store(), &container, target)
        .await
        .map_err(|f| StartFailure::Start(f.0))?;
    match wait_ready(h, plan, &running).await {
        Ok(()) => {
            instance.serve(running, stream, variant).await;
            Ok(())
        }
        Err(not_ready) => {
            // End the container first: the shipper then reads its output
            // to the end, so the reason quotes what it printed last.
            let tail = running.tail().clone();
            running.end(&engine, Duration::ZERO).await;
            let said = match excerpt(&tail, 5) {
                s if s.is_empty() => "nothing".to_owned(),
                s => s,
            };
            Err(match not_ready {
                NotReady::Exited(code) => StartFailure::Exited { code, said },
                NotReady::Window(last) => StartFailure::NotReady {
                    window: plan.startup,
                    last,
                    said,
                },
            })
        }
    }
}

enum NotReady {
    Exited(i64),
    /// The window passed; how the last GET /ping went.
    Window(String),
}

/// Polls GET /ping (each attempt bounded by the ping time-out) until a
/// 200, the container's exit, or the end of the start-up window; the
/// container is ended on failure.
async fn wait_ready(h: &Hosting, plan: &VariantPlan, running: &Running) -> Result<(), NotReady> {
    let engine = h.service().job_runtime().engine().clone();
    let deadline = Instant::now() + plan.startup;
    let ping = format!("{}/ping", running.base_url());
    let mut last;
    loop {
        let answer = h
            .inner
            .client
            .get(&ping)
            .timeout(h.settings().ping_timeout)
            .send()
            .await;
        match answer {
            Ok(r) if r.status().as_u16() == 200 => return Ok(()),
            Ok(r) => last = format!("answered HTTP {}", r.status().as_u16()),
            Err(e) if e.is_timeout() => {
                last = format!(
                    "did not answer within {} s",
                    h.settings().ping_timeout.as_secs()
                )
            }
            Err(e) => last = format!("failed: {}", connect_error(&e)),
        }
        let state = engine.inspect(running.id()).await.ok();
        if let Some(code) = state.filter(|s| !s.running).and_then(|s| s.exit_code) {
            return Err(NotReady::Exited(code));
        }
        if Instant::now() >= deadline {
            return Err(NotReady::Window(last));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ends every container of a fleet (SIGTERM, the grace, SIGKILL, removal).
pub(crate) async fn end_fleet(h: &Hosting, fleet: &Fleet) {
    fleet.retire();
    let ends = fleet
        .variants
        .iter()
        .flat_map(|v| v.instances())
        .map(|i| async move { end_instance(h, &i).await });
    futures::future::join_all(ends).await;
    // Billing ends once the containers have (a fleet that never served
    // was never metered).
    crate::meter::checkpoint(h, fleet).await;
    let dir = work_dir(h, &fleet.account, endpoint_key_of(fleet), fleet.generation);
    if !h.service().job_runtime().settings().keep_work_dirs {
        let _ = tokio::fs::remove_dir_all(dir).await;
    }
}

fn endpoint_key_of(fleet: &Fleet) -> &str {
    fleet
        .variants
        .first()
        .map(|v| v.plan.endpoint_key.as_str())
        .unwrap_or("")
}

pub(crate) async fn end_instance(h: &Hosting, instance: &Instance) {
    instance.set_unhealthy();
    let running = instance.running.lock().await.take();
    if let Some(r) = running {
        let engine = h.service().job_runtime().engine().clone();
        r.end(&engine, h.settings().stop_grace).await;
    }
}

/// Removes every container labelled with the endpoint's ARN (what a
/// previous process, or a cancelled deployment, left behind).
pub(crate) async fn remove_leftovers(h: &Hosting, arn: &str) {
    let engine = h.service().job_runtime().engine().clone();
    match engine.list_by_label(LABEL_JOB_ARN, Some(arn)).await {
        Ok(list) => {
            for c in list {
                let _ = engine.stop(&c.id, h.settings().stop_grace).await;
                let _ = engine.remove(&c.id, true).await;
            }
        }
        Err(e) => {
            tracing::warn!(endpoint = arn, error = %e, "listing leftover endpoint containers")
        }
    }
}

/// The instance types a model's package (or its algorithm) lists for
/// real-time inference, with the ARN that lists them; `None` for a model
/// made straight from an image (any type is allowed).
pub(crate) async fn supported_realtime_types(
    svc: &Service,
    account: &AccountId,
    model: &Model,
) -> slipway_service::Result<Option<(String, Vec<String>)>> {
    let Some(pkg_name) = model
        .doc
        .spec
        .container_list()
        .into_iter()
        .find_map(|c| c.model_package_name.clone())
    else {
        return Ok(None);
    };
    let pkg = svc.model_packages().describe(account, &pkg_name).await?;
    if let Some(spec) = &pkg.doc.inference {
        return Ok(spec
            .supported_realtime_inference_instance_types
            .clone()
            .map(|t| (pkg.record.arn.clone(), t)));
    }
    let Some(algo) = pkg.doc.source_algorithms.first() else {
        return Ok(None);
    };
    let algorithm = svc
        .algorithms()
        .describe(account, &algo.algorithm_name)
        .await?;
    Ok(algorithm
        .doc
        .spec
        .inference
        .as_ref()
        .and_then(|s| s.supported_realtime_inference_instance_types.clone())
        .map(|t| (algorithm.record.arn.clone(), t)))
}

/// A reason without the batch prefixes (`ClientError: `…), which
/// endpoint failure reasons do not carry.
pub(crate) fn plain(reason: &str) -> &str {
    ["ClientError: ", "InternalServerError: ", "AlgorithmError: "]
        .iter()
        .find_map(|p| reason.strip_prefix(p))
        .unwrap_or(reason)
}

/// A variant name as a directory name (names are `[a-zA-Z0-9-]`, but a
/// stored document is not trusted with paths).
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The root cause of a failed connection, without reqwest's URL prefix.
pub(crate) fn connect_error(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}
