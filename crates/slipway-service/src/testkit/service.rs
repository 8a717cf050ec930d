//! [`TestService`]: the whole control plane on a temporary directory — a
//! SQLite store (metadata, objects, logs, identity), a file blob store, the
//! job runtime on a [`SimEngine`], a [`TestClock`] — with one account, and
//! helpers to put S3 objects and wait for a job or resource to settle.

use super::engine::SimEngine;
use super::held::{held, HeldStore};
use crate::jobs::{JobRuntime, JobSettings};
use crate::{Ports, Service, ServiceConfig};
use bytes::Bytes;
use futures::StreamExt;
use slipway_blob::FsBlobStore;
use slipway_core::ports::clock::TestClock;
use slipway_core::ports::objects::ObjectMeta;
use slipway_core::AccountId;
use slipway_meta_sqlite::SqliteStore;
use slipway_objects::{Conditions, PutObject};
use slipway_registry::{RegistryConfig, RegistryStorage};
use std::sync::Arc;
use std::time::Duration;

/// How long (virtual time) the waits give a job or resource to settle.
const SETTLE_LIMIT: Duration = Duration::from_secs(6 * 3600);
/// How often (virtual time) the waits look.
const POLL: Duration = Duration::from_millis(100);

/// A running control plane for tests; see the module documentation.
pub struct TestService {
    pub svc: Service,
    pub engine: SimEngine,
    pub clock: Arc<TestClock>,
    /// The account every helper acts as; its default execution role exists.
    pub account: AccountId,
    /// `arn:aws:iam::<account>:role/SlipwayExecutionRole`.
    pub role_arn: String,
    store: Arc<HeldStore>,
    blobs: Arc<FsBlobStore>,
    settings: JobSettings,
    dir: tempfile::TempDir,
}

impl TestService {
    /// A service with the default job settings but short stop grace.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A service whose job settings `tune` adjusts first.
    pub async fn start_with(tune: impl FnOnce(&mut JobSettings)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let sqlite = held(SqliteStore::open(dir.path()))
            .await
            .expect("the SQLite store opens");
        let store = Arc::new(HeldStore(Arc::new(sqlite)));
        let blobs = Arc::new(FsBlobStore::open(&dir.path().join("blobs")).expect("blob store"));
        let clock = Arc::new(TestClock::default());
        let engine = SimEngine::new(clock.clone());
        let mut settings = JobSettings::new(dir.path().join("jobs"));
        settings.stop_grace = Duration::from_secs(30);
        settings.host_cpus = 2;
        tune(&mut settings);
        let svc = build(&store, &blobs, &clock, &engine, &settings);
        let key = svc
            .accounts()
            .create("test")
            .await
            .expect("the account is created");
        let account = key.account;
        let role_arn = format!(
            "arn:aws:iam::{account}:role/{}",
            crate::iam::DEFAULT_ROLE_NAME
        );
        let t = Self {
            svc,
            engine,
            clock,
            account,
            role_arn,
            store,
            blobs,
            settings,
            dir,
        };
        t.svc
            .objects()
            .create_bucket(&t.account, "bucket")
            .await
            .expect("the bucket is created");
        t
    }

    /// The data directory.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A server restart: [`TestService::crash`], then [`TestService::recover`].
    pub async fn restart(&mut self) -> usize {
        self.crash();
        self.recover().await
    }

    /// Every task of this service ends at once, as if the process were
    /// killed: nothing is cleaned up; the engine's containers live on.
    pub fn crash(&self) {
        self.svc.job_runtime().crash();
    }

    /// A new service on the same store and engine, which reconciles what
    /// the crashed one left. Returns how many jobs and validations it
    /// picked up.
    pub async fn recover(&mut self) -> usize {
        self.svc = build(
            &self.store,
            &self.blobs,
            &self.clock,
            &self.engine,
            &self.settings,
        );
        self.svc
            .reconcile_jobs()
            .await
            .expect("reconciliation runs")
    }

    /// Stores a row exactly as given: a document as an earlier release
    /// wrote it, for the tests of `Service::upgrade_documents`.
    pub async fn insert_row(&self, record: &slipway_core::ResourceRecord) {
        slipway_core::ports::metadata::MetadataStore::insert(&*self.store, record, &[])
            .await
            .expect("the row is stored");
    }

    /// A restart of the binary: the crash, then a new service that first
    /// upgrades the stored documents through `legacy`, then reconciles.
    /// Returns how many rows were upgraded.
    pub async fn restart_upgrading(
        &mut self,
        legacy: &dyn crate::upgrade::LegacyDocuments,
    ) -> usize {
        self.crash();
        self.svc = build(
            &self.store,
            &self.blobs,
            &self.clock,
            &self.engine,
            &self.settings,
        );
        let upgraded = self
            .svc
            .upgrade_documents(legacy)
            .await
            .expect("the upgrade runs");
        self.svc
            .reconcile_jobs()
            .await
            .expect("reconciliation runs");
        upgraded
    }

    /// Puts an object into `bucket` (the account's bucket is `bucket`).
    pub async fn put(&self, bucket: &str, key: &str, body: impl Into<Bytes>) {
        let body: Bytes = body.into();
        let size = body.len() as u64;
        let stream: slipway_core::ports::blob::ByteStream =
            Box::pin(futures::stream::once(async move { Ok(body) }));
        self.svc
            .objects()
            .put_object(
                &self.account,
                PutObject {
                    bucket: bucket.into(),
                    key: key.into(),
                    meta: ObjectMeta::default(),
                    body: stream,
                    content_md5: None,
                    checksums: Vec::new(),
                    compute: Vec::new(),
                    trailer: None,
                    size_hint: Some(size),
                },
            )
            .await
            .expect("the object is stored");
    }

    /// An object's bytes; `None` if there is no such object.
    pub async fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let got = self
            .svc
            .objects()
            .get_object(&self.account, bucket, key, &Conditions::default(), None)
            .await
            .ok()?;
        let mut out = Vec::new();
        let mut body = got.body;
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.ok()?);
        }
        Some(out)
    }

    /// Keys under `prefix` in `bucket`.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        use slipway_core::ports::objects::ObjectIndex;
        let rows = ObjectIndex::list_objects(&*self.store, bucket, prefix, None, 1000)
            .await
            .expect("objects are listed");
        rows.into_iter().map(|r| r.key).collect()
    }

    /// Polls (in virtual time) until `done` says yes; panics after
    /// [`SETTLE_LIMIT`] of virtual time with the last value seen.
    pub async fn wait_for<T: std::fmt::Debug, F, Fut>(
        &self,
        what: &str,
        mut read: F,
        done: impl Fn(&T) -> bool,
    ) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let deadline = tokio::time::Instant::now() + SETTLE_LIMIT;
        loop {
            let v = read().await;
            if done(&v) {
                return v;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("{what} did not settle; last seen: {v:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls `describe` (in virtual time) until the status `status_of`
    /// reads from its answer satisfies `done`; panics on an error or after
    /// [`SETTLE_LIMIT`].
    async fn until_status<T, F, Fut>(
        &self,
        what: String,
        mut describe: F,
        status_of: impl Fn(&T) -> &str,
        done: impl Fn(&str) -> bool,
    ) -> T
    where
        T: std::fmt::Debug,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = crate::Result<T>>,
    {
        let found = self
            .wait_for(
                &what,
                || {
                    let read = describe();
                    async move { read.await.map_err(|e| e.to_string()) }
                },
                |r| r.as_ref().is_ok_and(|v| done(status_of(v))),
            )
            .await;
        found.unwrap_or_else(|e| panic!("{e}"))
    }

    /// The training job once its status is `status`.
    pub async fn training_in(
        &self,
        name: &str,
        status: &str,
    ) -> crate::jobs::training::TrainingJob {
        self.until_status(
            format!("training job {name} reaching {status}"),
            || async { self.svc.training_jobs().describe(&self.account, name).await },
            |j| &j.record.status,
            |s| s == status,
        )
        .await
    }

    /// The training job once it has ended (Completed, Failed or Stopped).
    pub async fn training_done(&self, name: &str) -> crate::jobs::training::TrainingJob {
        self.until_status(
            format!("training job {name} ending"),
            || async { self.svc.training_jobs().describe(&self.account, name).await },
            |j| &j.record.status,
            crate::jobs::training::state::status::is_terminal,
        )
        .await
    }

    /// The transform job once it has ended.
    pub async fn transform_done(&self, name: &str) -> crate::jobs::transform_job::TransformJob {
        self.until_status(
            format!("transform job {name} ending"),
            || async {
                self.svc
                    .transform_jobs()
                    .describe(&self.account, name)
                    .await
            },
            |j| &j.record.status,
            crate::jobs::training::state::status::is_terminal,
        )
        .await
    }

    /// An algorithm once its validation has ended (Completed or Failed).
    pub async fn algorithm_done(&self, name: &str) -> crate::resources::algorithms::Algorithm {
        self.until_status(
            format!("algorithm {name} validating"),
            || async { self.svc.algorithms().describe(&self.account, name).await },
            |a| &a.record.status,
            validation_ended,
        )
        .await
    }

    /// A model package once its validation has ended.
    pub async fn model_package_done(
        &self,
        name: &str,
    ) -> crate::resources::model_packages::ModelPackage {
        self.until_status(
            format!("model package {name} validating"),
            || async {
                self.svc
                    .model_packages()
                    .describe(&self.account, name)
                    .await
            },
            |p| &p.record.status,
            validation_ended,
        )
        .await
    }

    /// Log lines of one stream, in order.
    pub async fn log_lines(&self, group: &str, stream: &str) -> Vec<String> {
        use slipway_core::ports::logs::{Direction, TimeRange};
        let logs = self.svc.log_store();
        logs.read_stream(
            &self.account,
            group,
            stream,
            TimeRange::default(),
            Direction::Forward { after: None },
            10_000,
        )
        .await
        .map(|events| events.into_iter().map(|e| e.message).collect())
        .unwrap_or_default()
    }
}

fn build(
    store: &Arc<HeldStore>,
    blobs: &Arc<FsBlobStore>,
    clock: &Arc<TestClock>,
    engine: &SimEngine,
    settings: &JobSettings,
) -> Service {
    let ports = Ports {
        metadata: store.clone(),
        identity: store.clone(),
        objects: store.clone(),
        blobs: blobs.clone(),
        logs: store.clone(),
        metrics: store.clone(),
        // The registry's bytes share the object store's directory: the
        // test kit never sweeps orphans, which is why the binary keeps
        // them apart.
        registry: RegistryStorage::new(store.0.clone(), blobs.clone(), test_registry_config()),
        jobs: JobRuntime::new(Arc::new(engine.clone()), settings.clone()),
        clock: clock.clone(),
    };
    Service::new(ports, ServiceConfig::new("us-east-1"))
}

/// Registry settings for tests: a fixed token key, ECR's defaults.
pub fn test_registry_config() -> RegistryConfig {
    RegistryConfig {
        token_secret: b"slipway-test-kit-registry-token-key".to_vec(),
        token_ttl_seconds: RegistryConfig::DEFAULT_TOKEN_TTL_SECONDS,
        max_manifest_bytes: RegistryConfig::DEFAULT_MAX_MANIFEST_BYTES,
    }
}

/// Every port on one SQLite store in `dir` (bytes under `dir/blobs` and
/// `dir/registry-blobs`), with `jobs` and the system clock: for tests that
/// need a whole `Service` but not the simulated engine.
pub async fn sqlite_ports(dir: &std::path::Path, jobs: JobRuntime) -> Ports {
    let store = Arc::new(
        SqliteStore::open(dir)
            .await
            .expect("the SQLite store opens"),
    );
    let blobs = Arc::new(FsBlobStore::open(&dir.join("blobs")).expect("blob store"));
    let registry_blobs =
        Arc::new(FsBlobStore::open(&dir.join("registry-blobs")).expect("registry blob store"));
    Ports {
        metadata: store.clone(),
        identity: store.clone(),
        objects: store.clone(),
        blobs,
        logs: store.clone(),
        metrics: store.clone(),
        registry: RegistryStorage::new(store, registry_blobs, test_registry_config()),
        jobs,
        clock: Arc::new(slipway_core::ports::clock::SystemClock),
    }
}

/// A gzipped tar of `files` (path → bytes), as a `model.tar.gz`.
pub fn model_tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, *bytes)
            .expect("appending to an in-memory tar");
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .expect("finishing an in-memory tar.gz")
}

/// Whether a validated resource's status is final.
fn validation_ended(status: &str) -> bool {
    matches!(status, "Completed" | "Failed")
}
