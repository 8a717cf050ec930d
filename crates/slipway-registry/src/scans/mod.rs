//! Image vulnerability scans (ECR StartImageScan, DescribeImageScanFindings,
//! scan on push). Slipway has no scanner of its own: the operator names a
//! command (`[registry] scanner`, `SLIPWAY_IMAGE_SCANNER`) that reads an
//! OCI image-layout archive and prints Trivy or Grype JSON.
//!
//! A scan is recorded `IN_PROGRESS` before StartImageScan answers, then
//! runs in a task of its own: at most `max_concurrent` at once, each
//! bounded by `timeout`, the archive written to a temporary directory that
//! is removed afterwards. Its outcome (COMPLETE with findings, or FAILED
//! with a description) is written only if the scan is still the image's
//! current one. A scan a stopped server left in progress is failed at the
//! next start ([`Registry::fail_interrupted_scans`]), so none stays in
//! progress for ever. As on ECR, an image is scanned at most once per 24
//! hours (scans on push included); a failed scan does not count.

mod archive;
mod report;
mod run;

use crate::manifests::{describe, MediaType};
use crate::{ImageId, Registry, RegistryError, Result};
use slipway_core::ports::blob::BlobStore;
use slipway_core::ports::clock::Clock;
use slipway_core::ports::registry::{
    ImageScanRow, ManifestRow, RegistryIndex, RepositoryRow, ScanFinding, ScanStatus, StartScan,
};
use slipway_core::AccountId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tracing::Instrument;

/// The description of every scan on a server without a scanner.
pub const NO_SCANNER_MESSAGE: &str = "This Slipway server has no vulnerability scanner configured: set SLIPWAY_IMAGE_SCANNER (or [registry] scanner) to a Trivy- or Grype-compatible command";

/// The description of a scan that completed, as ECR words it.
const COMPLETE_MESSAGE: &str = "The scan was completed successfully.";

/// How often one image may be scanned: once per 24 hours, as ECR's basic
/// scanning.
const SCAN_PERIOD_MICROS: i64 = 24 * 3600 * 1_000_000;

/// How image scans run.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    /// The scanner's command line, split into words (no shell runs it);
    /// `{archive}` in a word is replaced by the path of the image's OCI
    /// archive. `None`: no scanner, every scan fails with
    /// [`NO_SCANNER_MESSAGE`].
    pub command: Option<Vec<String>>,
    /// Where archives are written while their scan runs. Default: the
    /// system's temporary directory (the binary uses `DATA_DIR/scans`).
    pub work_dir: PathBuf,
    /// Longest a scan may take, archive included. Default 10 minutes.
    pub timeout: Duration,
    /// Scans running at once; more wait their turn. Default 2.
    pub max_concurrent: usize,
    /// Largest report read from the scanner's stdout. Default 64 MiB.
    pub max_output_bytes: usize,
}

impl Default for ScanSettings {
    fn default() -> Self {
        Self {
            command: None,
            work_dir: std::env::temp_dir(),
            timeout: Duration::from_secs(600),
            max_concurrent: 2,
            max_output_bytes: 64 * 1024 * 1024,
        }
    }
}

impl ScanSettings {
    /// Splits a scanner command line into words the way a POSIX shell
    /// would (quotes, backslashes), without running one. It must name
    /// `{archive}`, where the archive's path goes.
    pub fn parse_command(line: &str) -> std::result::Result<Vec<String>, String> {
        let words = shell_words::split(line)
            .map_err(|e| format!("the scanner command {line:?} cannot be split into words: {e}"))?;
        if words.is_empty() {
            return Err("the scanner command is empty".into());
        }
        if !words.iter().any(|w| w.contains("{archive}")) {
            return Err(format!(
                "the scanner command {line:?} must contain {{archive}}, which is replaced by the path of the image's OCI archive"
            ));
        }
        Ok(words)
    }
}

/// The settings and the permits scans share.
pub(crate) struct ScanRuntime {
    settings: ScanSettings,
    permits: Arc<Semaphore>,
}

impl ScanRuntime {
    pub(crate) fn new(settings: ScanSettings) -> Self {
        let permits = Arc::new(Semaphore::new(settings.max_concurrent.max(1)));
        Self { settings, permits }
    }
}

/// An image's latest scan, as ECR reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageScan {
    /// `IN_PROGRESS`, `COMPLETE` or `FAILED`.
    pub status: String,
    /// Why it failed, or that it completed.
    pub description: Option<String>,
    /// When it completed or failed (epoch seconds).
    pub completed_at: Option<i64>,
    /// When the scanner's vulnerability database was built (epoch
    /// seconds), if its report says.
    pub vulnerability_source_updated_at: Option<i64>,
    /// Findings per ECR severity (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`,
    /// `INFORMATIONAL`, `UNDEFINED`); only severities found appear.
    pub severity_counts: BTreeMap<String, u32>,
}

fn seconds(micros: i64) -> i64 {
    micros.div_euclid(1_000_000)
}

impl From<&ImageScanRow> for ImageScan {
    fn from(r: &ImageScanRow) -> Self {
        Self {
            status: r.status.as_str().to_owned(),
            description: r.description.clone(),
            completed_at: r.completed.map(seconds),
            vulnerability_source_updated_at: r.source_updated.map(seconds),
            severity_counts: r.severity_counts.clone(),
        }
    }
}

/// A scan just started.
#[derive(Debug, Clone)]
pub struct StartedScan {
    pub digest: String,
    /// The tag the request named, if any.
    pub tag: Option<String>,
    pub scan: ImageScan,
}

/// One page of a scan's findings.
#[derive(Debug, Clone)]
pub struct FindingsPage {
    pub digest: String,
    pub tag: Option<String>,
    pub scan: ImageScan,
    pub findings: Vec<ScanFinding>,
    /// Where the next page starts, if there is one.
    pub next_token: Option<String>,
}

/// Whether an image of this manifest can be scanned; why not otherwise.
fn scannable(m: &ManifestRow) -> std::result::Result<(), String> {
    match MediaType::parse(&m.media_type) {
        Some(MediaType::OciManifest | MediaType::DockerManifest) => {}
        Some(MediaType::OciIndex | MediaType::DockerList) => {
            return Err(format!(
                "The image {} is an image index (manifest list): scan one of the images it lists.",
                m.digest
            ))
        }
        None => {
            return Err(format!(
                "The image {} has manifest media type {}, which cannot be scanned.",
                m.digest, m.media_type
            ))
        }
    }
    let config = serde_json::from_slice::<serde_json::Value>(&m.body)
        .ok()
        .and_then(|v| v.pointer("/config/mediaType").cloned());
    match config.as_ref().and_then(|v| v.as_str()) {
        None
        | Some("application/vnd.oci.image.config.v1+json")
        | Some("application/vnd.docker.container.image.v1+json") => Ok(()),
        Some(other) => Err(format!(
            "The image {} is an artifact (config media type {other}), not a container image, and cannot be scanned.",
            m.digest
        )),
    }
}

impl Registry<'_> {
    /// Starts a scan of the image `id` names (ECR StartImageScan): it is
    /// `IN_PROGRESS` when this returns and ends COMPLETE or FAILED on its
    /// own. `ScanLimitExceeded` if the image was scanned in the last 24
    /// hours; `UnsupportedImageType` for an image index or an artifact.
    pub async fn start_image_scan(
        &self,
        account: &AccountId,
        repo: &str,
        id: &ImageId,
    ) -> Result<StartedScan> {
        let manifest = self.find_image(account, repo, id).await?;
        scannable(&manifest).map_err(RegistryError::UnsupportedImageType)?;
        let row = self.begin_scan(&manifest).await?;
        Ok(StartedScan {
            digest: manifest.digest,
            tag: id.tag.clone(),
            scan: ImageScan::from(&row),
        })
    }

    /// Records a scan of `manifest` as in progress and spawns it.
    async fn begin_scan(&self, manifest: &ManifestRow) -> Result<ImageScanRow> {
        let now = self.clock.now_micros();
        let row = ImageScanRow {
            account: manifest.account.clone(),
            repo: manifest.repo.clone(),
            digest: manifest.digest.clone(),
            status: ScanStatus::InProgress,
            description: None,
            started: now,
            completed: None,
            source_updated: None,
            severity_counts: BTreeMap::new(),
        };
        let index = &self.storage.index;
        match index
            .start_image_scan(&row, now.saturating_sub(SCAN_PERIOD_MICROS))
            .await?
        {
            StartScan::Started => {}
            StartScan::ImageMissing => {
                return Err(RegistryError::ManifestUnknown(manifest.digest.clone()))
            }
            StartScan::Recent(_) => {
                return Err(RegistryError::ScanLimitExceeded(
                    "The scan quota per image has been exceeded. Wait and try again.".into(),
                ))
            }
        }
        let job = ScanJob {
            index: index.clone(),
            blobs: self.storage.blobs.clone(),
            clock: self.clock.clone(),
            runtime: self.storage.scans.clone(),
            scan: row.clone(),
            manifest: manifest.clone(),
        };
        let span = tracing::info_span!("image_scan", account = %row.account, repository = %row.repo, digest = %row.digest);
        tokio::spawn(job.run().instrument(span));
        Ok(row)
    }

    /// Starts a scan of a manifest just pushed when its repository scans on
    /// push. Index manifests and artifacts are skipped, and so is an image
    /// scanned in the last 24 hours (ECR counts scans on push too); a
    /// failure to start is logged, never the push's failure.
    pub(crate) async fn scan_on_push(&self, repo: &RepositoryRow, manifest: &ManifestRow) {
        if !repo.scan_on_push || scannable(manifest).is_err() {
            return;
        }
        match self.begin_scan(manifest).await {
            Ok(_) | Err(RegistryError::ScanLimitExceeded(_)) => {}
            Err(e) => {
                tracing::warn!(repository = %repo.name, digest = %manifest.digest, error = %e, "cannot start the scan on push")
            }
        }
    }

    /// The latest scan of an image, for code that reports on images (the
    /// readiness report): `None` if it was never scanned.
    /// `NameUnknown` / `ManifestUnknown` if the repository or image is
    /// missing.
    pub async fn image_scan(
        &self,
        account: &AccountId,
        repository: &str,
        digest: &str,
    ) -> Result<Option<ImageScan>> {
        self.get_manifest(account, repository, digest).await?;
        self.scan_summary(account, repository, digest).await
    }

    /// The latest scan of an image already looked up (DescribeImages):
    /// no existence checks.
    pub async fn scan_summary(
        &self,
        account: &AccountId,
        repository: &str,
        digest: &str,
    ) -> Result<Option<ImageScan>> {
        let row = self
            .storage
            .index
            .get_image_scan(account, repository, digest)
            .await?;
        Ok(row.as_ref().map(ImageScan::from))
    }

    /// One page of the findings of the image `id` names (ECR
    /// DescribeImageScanFindings): `limit` findings from `next_token` (an
    /// earlier page's). `ScanNotFound` if the image was never scanned.
    pub async fn image_scan_findings(
        &self,
        account: &AccountId,
        repo: &str,
        id: &ImageId,
        next_token: Option<&str>,
        limit: usize,
    ) -> Result<FindingsPage> {
        let manifest = self.find_image(account, repo, id).await?;
        let index = &self.storage.index;
        let Some(row) = index
            .get_image_scan(account, repo, &manifest.digest)
            .await?
        else {
            return Err(RegistryError::ScanNotFound(format!(
                "Image scan does not exist for the image with '{}' in the repository with name '{repo}' in the registry with id '{account}'",
                describe(id)
            )));
        };
        let start = match next_token {
            None => 0,
            Some(t) => t
                .parse::<usize>()
                .map_err(|_| RegistryError::InvalidParameter("Invalid parameter at 'nextToken': the token does not come from an earlier page".into()))?,
        };
        let mut findings = index
            .image_scan_findings(account, repo, &manifest.digest)
            .await?;
        let limit = limit.max(1);
        let total = findings.len();
        let end = start.saturating_add(limit).min(total);
        let page: Vec<ScanFinding> = if start < total {
            findings.drain(start..end).collect()
        } else {
            Vec::new()
        };
        Ok(FindingsPage {
            digest: manifest.digest,
            tag: id.tag.clone(),
            scan: ImageScan::from(&row),
            findings: page,
            next_token: (end < total).then(|| end.to_string()),
        })
    }

    /// Fails every scan left in progress by a server that stopped (run at
    /// start-up, before requests). Returns how many.
    pub async fn fail_interrupted_scans(&self) -> Result<usize> {
        let index = &self.storage.index;
        let mut n = 0;
        for mut row in index.image_scans_in_progress().await? {
            row.status = ScanStatus::Failed;
            row.completed = Some(self.clock.wall_micros());
            row.description = Some(
                "The scan was interrupted because the Slipway server stopped; start a new scan."
                    .into(),
            );
            if index.finish_image_scan(&row, &[]).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Everything one scan needs after the request that started it is gone.
struct ScanJob {
    index: Arc<dyn RegistryIndex>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    runtime: Arc<ScanRuntime>,
    scan: ImageScanRow,
    manifest: ManifestRow,
}

impl ScanJob {
    async fn run(self) {
        let outcome = self.outcome().await;
        let mut row = self.scan.clone();
        row.completed = Some(self.clock.wall_micros());
        let findings = match outcome {
            Ok(report) => {
                row.status = ScanStatus::Complete;
                row.description = Some(COMPLETE_MESSAGE.into());
                row.severity_counts = report.counts;
                row.source_updated = report.source_updated;
                report.findings
            }
            Err(why) => {
                tracing::info!(reason = %why, "image scan failed");
                row.status = ScanStatus::Failed;
                row.description = Some(why);
                Vec::new()
            }
        };
        match self.index.finish_image_scan(&row, &findings).await {
            Ok(true) => tracing::info!(status = row.status.as_str(), "image scan finished"),
            Ok(false) => tracing::info!(
                "image scan finished after its image was deleted or rescanned; result dropped"
            ),
            // Left in progress: the next start fails it.
            Err(e) => tracing::error!(error = %e, "cannot record the image scan's result"),
        }
    }

    /// Waits for a permit, then scans within the timeout. The scan itself
    /// runs in a task of its own, so a panic in it fails the scan rather
    /// than leaving it in progress.
    async fn outcome(&self) -> std::result::Result<report::Report, String> {
        let settings = &self.runtime.settings;
        let Some(command) = settings.command.clone() else {
            return Err(NO_SCANNER_MESSAGE.into());
        };
        let _permit = self
            .runtime
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "The server is shutting down.".to_owned())?;
        let task = tokio::spawn(scan_image(
            self.index.clone(),
            self.blobs.clone(),
            self.manifest.clone(),
            command,
            settings.work_dir.clone(),
            settings.max_output_bytes,
        ));
        let abort = task.abort_handle();
        match tokio::time::timeout(settings.timeout, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Err(format!("The scan stopped unexpectedly: {e}")),
            Err(_) => {
                // Dropping the scan kills the scanner and removes the archive.
                abort.abort();
                Err(format!(
                    "The scan did not finish within {} seconds.",
                    settings.timeout.as_secs()
                ))
            }
        }
    }
}

/// Writes the image's archive, runs the scanner on it and reads its report.
async fn scan_image(
    index: Arc<dyn RegistryIndex>,
    blobs: Arc<dyn BlobStore>,
    manifest: ManifestRow,
    command: Vec<String>,
    work_dir: PathBuf,
    max_output: usize,
) -> std::result::Result<report::Report, String> {
    let dir = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&work_dir)?;
        tempfile::Builder::new()
            .prefix("scan-")
            .tempdir_in(&work_dir)
    })
    .await
    .map_err(|e| format!("Slipway could not prepare the scan: {e}"))?
    .map_err(|e| format!("Slipway could not prepare the scan: {e}"))?;
    let path = dir.path().join("image.tar");
    archive::write(index.as_ref(), &blobs, &manifest, &path)
        .await
        .map_err(|e| format!("Slipway could not write the image's archive: {e}"))?;
    let out = run::run_scanner(&command, &path, max_output).await?;
    report::parse(&out.stdout)
        .map_err(|why| format!("{why} {}", run::quote_stderr(&out.stderr_tail)))
}
