//! Builds the application from configuration. The only place that
//! chooses adapters.

use crate::blob_config::BlobConfig;
use crate::config::Config;
use anyhow::Context;
use slipway_blob::{FsBlobStore, S3BlobStore, S3Settings};
use slipway_core::ports::blob::BlobStore;
use slipway_core::{AccessKey, AccountId};
use slipway_engine_docker::DockerEngine;
use slipway_hosting::{Hosting, HostingSettings};
use slipway_meta_sqlite::SqliteStore;
use slipway_registry::{RegistryConfig, RegistryStorage, ScanSettings};
use slipway_service::jobs::{JobRuntime, JobSettings};
use slipway_service::{Ports, Service, ServiceConfig};
use slipway_wire::WireConfig;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A built server, ready to serve on a listener.
pub struct App {
    pub service: Service,
    pub hosting: Hosting,
    /// The readiness reports of validations (docs/readiness.md).
    pub readiness: slipway_readiness::Readiness,
    pub router: axum::Router,
    /// The default account's key (created on first start).
    pub default_key: AccessKey,
    pub created_default: bool,
    /// The default account's execution role, when it has one (created
    /// with the account: `slipway_service::iam::DEFAULT_ROLE_NAME`).
    pub default_role_arn: Option<String>,
    pub region: String,
}

/// Opens the stores, registers configured accounts and builds the router.
pub async fn build(config: &Config) -> anyhow::Result<App> {
    let config = &absolute_paths(config)?;
    let jobs = job_runtime(config).await;
    let (ports, sweep_grace, registry_grace) = ports(config, jobs).await?;
    let service = Service::new(
        ports,
        ServiceConfig {
            accept_any_role_arn: config.iam.accept_any_role_arn,
            session_lifetime_cap: config.iam.session_lifetime_cap,
            ..ServiceConfig::new(config.region.clone())
        },
    );
    // Rows an earlier release stored in its layout, before anything reads
    // them (docs/architecture.md, "Stored documents").
    match service
        .upgrade_documents(&slipway_wire::LegacyDocuments)
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "stored documents upgraded to this release's layout"),
        Err(e) => return Err(e).context("upgrading stored documents"),
    }
    // Blobs a crash left between "bytes durable" and "row committed".
    let cutoff = slipway_core::time_util::wall_micros() - sweep_grace;
    match service.objects().sweep_orphans(cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "deleted orphan blobs left by an interrupted upload"),
        Err(e) => tracing::warn!(error = %e, "orphan blob sweep failed"),
    }
    let registry_cutoff = slipway_core::time_util::wall_micros() - registry_grace;
    match service.registry().sweep_orphans(registry_cutoff).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            n,
            "deleted orphan registry blobs left by an interrupted push"
        ),
        Err(e) => tracing::warn!(error = %e, "registry orphan sweep failed"),
    }
    // Scans the previous process left running: failed, so none stays in
    // progress for ever (the image may be scanned again at once).
    match service.registry().fail_interrupted_scans().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "image scans interrupted by the last stop marked FAILED"),
        Err(e) => return Err(e).context("failing interrupted image scans"),
    }
    for a in &config.accounts {
        let account = AccountId::parse(&a.account_id).with_context(|| {
            format!("configured account id {:?} is not 12 digits", a.account_id)
        })?;
        let key = AccessKey {
            access_key_id: a.access_key_id.clone(),
            secret_access_key: a.secret_access_key.clone(),
            account,
        };
        service.accounts().ensure(&key, &a.name).await?;
    }
    let (default_key, created_default) = service.accounts().default_key().await?;
    let default_role_arn = service
        .iam()
        .get_role(
            &default_key.account,
            slipway_service::iam::DEFAULT_ROLE_NAME,
        )
        .await
        .ok()
        .map(|r| r.arn);
    // The marketplace (docs/marketplace.md): who may read published
    // copies, and change sets a previous run left running. Installed
    // before jobs and endpoints resume: they pull copies' images through
    // it, and meter what they used of them.
    let marketplace =
        slipway_marketplace::Marketplace::new(service.clone(), marketplace_settings(config)?);
    match marketplace.install().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "resumed marketplace change sets a previous run left"),
        Err(e) => tracing::error!(error = %e, "reconciling marketplace change sets failed"),
    }
    let hosting = Hosting::new(service.clone(), hosting_settings(config)?);
    // Installed before validations resume, so each that ends gets its
    // readiness report (docs/readiness.md).
    let readiness = slipway_readiness::Readiness::new(hosting.clone());
    if config.readiness {
        readiness.install();
    }
    match service.reconcile_jobs().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "resumed jobs a previous run left unfinished"),
        Err(e) => tracing::error!(error = %e, "reconciling unfinished jobs failed"),
    }
    match if config.readiness {
        readiness.reconcile().await
    } else {
        Ok(0)
    } {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "resumed readiness reports a previous run left"),
        Err(e) => tracing::error!(error = %e, "reconciling readiness reports failed"),
    }
    match hosting.reconcile().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(n, "resumed endpoints a previous run left"),
        Err(e) => tracing::error!(error = %e, "reconciling endpoints failed"),
    }
    // The web console sits in front of the API router (its requests are
    // unsigned browser GETs, docs/console.md); only this crate depends on
    // its embedded assets, so rebuilding them relinks the binary alone.
    let router = slipway_wire::router(
        service.clone(),
        hosting.clone(),
        readiness.clone(),
        marketplace,
        WireConfig {
            max_json_body: config.max_json_body,
        },
    )
    .layer(axum::middleware::from_fn_with_state(
        slipway_console::Region(config.region.clone().into()),
        slipway_console::middleware,
    ));
    Ok(App {
        service,
        hosting,
        readiness,
        router,
        default_key,
        created_default,
        default_role_arn,
        region: config.region.clone(),
    })
}

/// The marketplace's settings from `SLIPWAY_MARKETPLACE_*` variables
/// (README "Configuration").
fn marketplace_settings(config: &Config) -> anyhow::Result<slipway_marketplace::MarketplaceConfig> {
    let mut m = slipway_marketplace::MarketplaceConfig::new(&config.region);
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned());
    let number = |name: &str, v: &str| -> anyhow::Result<u64> {
        v.parse::<u64>()
            .with_context(|| format!("{name}={v:?} is not a whole number"))
    };
    if let Some(v) = var("SLIPWAY_MARKETPLACE_ACCOUNT") {
        m.account = AccountId::parse(&v)
            .with_context(|| format!("SLIPWAY_MARKETPLACE_ACCOUNT={v:?} is not 12 digits"))?;
    }
    if let Some(v) = var("SLIPWAY_MARKETPLACE_MAX_PRODUCTS") {
        m.max_products_per_account = number("SLIPWAY_MARKETPLACE_MAX_PRODUCTS", &v)? as usize;
    }
    if let Some(v) = var("SLIPWAY_MARKETPLACE_MAX_OPEN_CHANGE_SETS") {
        m.max_open_change_sets = number("SLIPWAY_MARKETPLACE_MAX_OPEN_CHANGE_SETS", &v)? as usize;
    }
    if let Some(v) = var("SLIPWAY_MARKETPLACE_PREPARING_MS") {
        m.preparing_delay =
            std::time::Duration::from_millis(number("SLIPWAY_MARKETPLACE_PREPARING_MS", &v)?);
    }
    Ok(m)
}

/// How endpoints run: the start-up window is the jobs' ready timeout
/// (one setting for every inference container); the rest from
/// `SLIPWAY_ENDPOINT_*` variables (README "Endpoints").
fn hosting_settings(config: &Config) -> anyhow::Result<HostingSettings> {
    let mut s = HostingSettings::default();
    if let Some(t) = config.jobs.ready_timeout {
        s.startup_timeout = t;
    }
    let secs = |name: &str| -> anyhow::Result<Option<std::time::Duration>> {
        match std::env::var(name) {
            Ok(v) => {
                let n: u64 = v
                    .trim()
                    .parse()
                    .with_context(|| format!("{name}={v:?} is not a whole number of seconds"))?;
                Ok(Some(std::time::Duration::from_secs(n)))
            }
            Err(_) => Ok(None),
        }
    };
    if let Some(t) = secs("SLIPWAY_ENDPOINT_INVOCATION_TIMEOUT_SECONDS")? {
        s.invocation_timeout = t.max(std::time::Duration::from_secs(1));
    }
    if let Some(t) = secs("SLIPWAY_ENDPOINT_STOP_GRACE_SECONDS")? {
        s.stop_grace = t;
    }
    if let Some(t) = secs("SLIPWAY_ENDPOINT_HEALTH_INTERVAL_SECONDS")? {
        s.health_interval = t.max(std::time::Duration::from_secs(1));
    }
    if let Some(t) = secs("SLIPWAY_MARKETPLACE_METERING_SECONDS")? {
        s.metering_interval = t.max(std::time::Duration::from_secs(1));
    }
    Ok(s)
}

/// Every port the control plane runs on, as configured, with `jobs`; and
/// how old unreferenced S3 and registry blobs must be before the start-up
/// sweeps delete them (microseconds).
pub async fn ports(config: &Config, jobs: JobRuntime) -> anyhow::Result<(Ports, i64, i64)> {
    let store = Arc::new(SqliteStore::open(&config.data_dir).await?);
    let (blobs, sweep_grace) = blob_store(&config.blob, &config.data_dir)?;
    let (registry_blobs, registry_grace) = registry_blob_store(config)?;
    let registry = RegistryStorage::new(
        store.clone(),
        registry_blobs,
        RegistryConfig {
            token_secret: registry_key(&config.data_dir)?,
            token_ttl_seconds: config.registry.token_ttl_seconds,
            max_manifest_bytes: config.registry.max_manifest_bytes,
        },
    )
    .with_scanning(ScanSettings {
        command: config.registry.scanner.clone(),
        work_dir: config.data_dir.join("scans"),
        timeout: std::time::Duration::from_secs(config.registry.scan_timeout_seconds),
        ..ScanSettings::default()
    });
    let ports = Ports {
        metadata: store.clone(),
        identity: store.clone(),
        objects: store.clone(),
        blobs,
        logs: store.clone(),
        metrics: store,
        registry,
        jobs,
        // The host's clock; tests use slipway_core::ports::clock::TestClock.
        clock: Arc::new(slipway_core::ports::clock::SystemClock),
    };
    Ok((ports, sweep_grace, registry_grace))
}

/// The job runtime over the configured container engine; without one
/// (turned off, or none answers: with a warning) a runtime that runs no
/// jobs: the API still serves everything else, and job creation says why
/// it cannot run.
async fn job_runtime(config: &Config) -> JobRuntime {
    let without_engine =
        || JobRuntime::without_engine(JobSettings::new(config.data_dir.join("jobs")));
    if !config.jobs.enabled {
        tracing::info!("jobs are disabled by configuration (SLIPWAY_JOBS=off)");
        return without_engine();
    }
    let engine = match DockerEngine::connect(config.jobs.docker_host.as_deref()).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "no container engine: jobs are disabled");
            eprintln!("warning: no container engine ({e}); training and transform jobs are disabled. Start one with scripts/podman-service.sh and set DOCKER_HOST.");
            return without_engine();
        }
    };
    tracing::info!(host = engine.host(), api = %engine.api_version(), "container engine connected");
    let mut settings = JobSettings::new(config.data_dir.join("jobs"));
    if let Some(g) = config.jobs.stop_grace {
        settings.stop_grace = g;
    }
    settings.memory_cap_bytes = config.jobs.memory_cap_bytes;
    settings.keep_work_dirs = config.jobs.keep_work_dirs;
    if let Some(t) = config.jobs.ready_timeout {
        settings.ready_timeout = t;
    }
    let cap = |var: &str, current: usize| match std::env::var(var) {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                tracing::warn!(value = %v, "{var} is not a positive whole number; using {current}");
                current
            }
        },
        Err(_) => current,
    };
    settings.max_training_containers = cap(
        "SLIPWAY_MAX_TRAINING_CONTAINERS",
        settings.max_training_containers,
    );
    settings.max_transform_containers = cap(
        "SLIPWAY_MAX_TRANSFORM_CONTAINERS",
        settings.max_transform_containers,
    );
    JobRuntime::new(Arc::new(engine), settings)
}

/// `config` with its directories created and canonical: job work
/// directories become the engine's bind-mount sources, and an engine
/// resolves a relative source against its *own* working directory (so a
/// relative `--data-dir` failed every job, or mounted another directory).
fn absolute_paths(config: &Config) -> anyhow::Result<Config> {
    let mut config = config.clone();
    let canonical = |dir: &std::path::Path| -> anyhow::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::canonicalize(dir).with_context(|| format!("resolving {}", dir.display()))
    };
    config.data_dir = canonical(&config.data_dir)?;
    if let BlobConfig::Fs { path: Some(p) } = &mut config.blob {
        *p = canonical(p)?;
    }
    Ok(config)
}

/// The `BlobStore` the config names, and how old an unreferenced blob
/// must be before the start-up sweep deletes it (microseconds): none for a
/// local directory only this process writes, an hour for an external
/// bucket other replicas may be writing to.
pub fn blob_store(
    cfg: &BlobConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<(Arc<dyn BlobStore>, i64)> {
    Ok(match cfg {
        BlobConfig::Fs { path } => {
            let root = path.clone().unwrap_or_else(|| data_dir.join("blobs"));
            let store = FsBlobStore::open(&root)
                .with_context(|| format!("opening blob store {}", root.display()))?;
            (Arc::new(store), 0)
        }
        BlobConfig::S3(s) => {
            let store = S3BlobStore::new(&S3Settings {
                endpoint: s.endpoint.clone(),
                bucket: s.bucket.clone(),
                prefix: s.prefix.clone(),
                region: s.region.clone(),
                access_key_id: s.access_key_id.clone(),
                secret_access_key: s.secret_access_key.clone(),
            })
            .context("configuring the S3 blob store")?;
            (Arc::new(store), 3_600_000_000)
        }
    })
}

/// The registry's own byte store, apart from the S3 one: each sweeps
/// orphans against its own metadata, so they must not share a namespace.
/// An external OCI registry when configured (other replicas may write to
/// it: an hour's grace before the sweep); else `DATA_DIR/registry-blobs`
/// on local disk, or `PREFIX + "registry/"` in S3.
fn registry_blob_store(config: &Config) -> anyhow::Result<(Arc<dyn BlobStore>, i64)> {
    if let Some(ext) = &config.registry.external {
        let store = slipway_blob::OciBlobStore::new(slipway_blob::OciSettings {
            url: ext.url.clone(),
            repository: ext.repository.clone(),
            username: ext.username.clone(),
            password: ext.password.clone(),
        })
        .context("configuring the external OCI registry")?;
        return Ok((Arc::new(store), 3_600_000_000));
    }
    let data_dir = &config.data_dir;
    let cfg = match &config.blob {
        BlobConfig::Fs { .. } => BlobConfig::Fs {
            path: Some(data_dir.join("registry-blobs")),
        },
        BlobConfig::S3(s) => {
            let mut s = s.clone();
            s.prefix = format!("{}registry/", s.prefix);
            BlobConfig::S3(s)
        }
    };
    blob_store(&cfg, data_dir)
}

/// The key that signs registry tokens: `DATA_DIR/registry-token.key`,
/// made on first start (owner-only), so tokens survive a restart.
fn registry_key(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("registry-token.key");
    match std::fs::read_to_string(&path) {
        Ok(k) if k.trim().len() >= 64 => return Ok(k.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("{} is too short to be a key", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    // Two random 128-bit keys: 256 bits of secret, as hex.
    let key = format!(
        "{}{}",
        slipway_core::ports::blob::BlobKey::random(),
        slipway_core::ports::blob::BlobKey::random()
    );
    let tmp = data_dir.join("registry-token.key.tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(key.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(key.into_bytes())
}

/// How long a shutdown waits for job runners to reach a point the next
/// start can pick up from.
const JOB_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl App {
    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Pull references for the container engine point at this address;
        // a wildcard bind is reached on loopback.
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        self.service.registry().set_listen_addr(&addr.to_string());
        let served = crate::http_server::serve(
            listener,
            self.router,
            crate::http_server::HEADER_READ_TIMEOUT,
            shutdown,
        )
        .await;
        // Runners leave their jobs at a point the next start reconciles
        // (training containers keep running for a re-attach), rather than
        // being cut off wherever they are.
        let left = self
            .service
            .job_runtime()
            .shutdown(JOB_SHUTDOWN_GRACE)
            .await;
        if left > 0 {
            tracing::warn!(
                left,
                "job runners still busy after the shutdown grace; the next start reconciles them"
            );
        }
        // Endpoint containers go with the server; the next start deploys
        // the endpoints again (slipway-hosting's reconcile).
        self.hosting.shutdown(ENDPOINT_SHUTDOWN_GRACE).await;
        served
    }
}

/// How long a shutdown waits for endpoint runners to let their containers go.
const ENDPOINT_SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);
