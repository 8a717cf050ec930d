//! The registry index port: image-registry metadata (repositories, the
//! blobs each repository may serve, manifests, tags, upload sessions). The
//! bytes of blobs live in a `BlobStore` under random keys; a blob row maps
//! a content digest to the segments holding its bytes, so one layer pushed
//! to many repositories (of any account) is stored once.
//!
//! Repositories are scoped by account, as ECR scopes them by registry id:
//! `(account, name)` is the key everywhere, so no call on one account's
//! repository can reach another's.

use crate::ports::metadata::MetaError;
use crate::ports::objects::{Freed, Segment};
use crate::time_util::Micros;
use crate::AccountId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A repository and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryRow {
    pub account: AccountId,
    pub name: String,
    pub created: Micros,
    /// Tags may be moved to another manifest (`false`: ECR `IMMUTABLE`).
    pub tags_mutable: bool,
    /// Wildcard filters (`*` matches any run of characters) naming the tags
    /// that behave the other way from `tags_mutable` (ECR
    /// `IMMUTABLE_WITH_EXCLUSION` / `MUTABLE_WITH_EXCLUSION`). Empty: none.
    pub mutability_exclusions: Vec<String>,
    /// Start a vulnerability scan of every image manifest pushed (ECR
    /// `imageScanningConfiguration.scanOnPush`).
    pub scan_on_push: bool,
    /// ECR `encryptionConfiguration.encryptionType` (`AES256`, `KMS`,
    /// `KMS_DSSE`), stored and reported as set.
    pub encryption_type: String,
    /// ECR `encryptionConfiguration.kmsKey`, when one was named.
    pub kms_key: Option<String>,
}

impl RepositoryRow {
    /// Whether `tag` may be moved to another manifest: the repository's
    /// rule, turned round for a tag an exclusion filter matches.
    pub fn tag_mutable(&self, tag: &str) -> bool {
        let excluded = self
            .mutability_exclusions
            .iter()
            .any(|f| wildcard_match(f, tag));
        self.tags_mutable != excluded
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of
/// characters (also none) and every other character itself. Linear in
/// practice: backtracks only to the last `*`.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            // Let the last `*` take one more character and retry.
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        for (p, t) in [
            ("dev-*", "dev-1"),
            ("dev-*", "dev-"),
            ("*", ""),
            ("*", "anything"),
            ("latest", "latest"),
            ("a*b*c", "aXXbYYc"),
            ("*-rc*", "1.0-rc2"),
            ("a**", "a"),
        ] {
            assert!(wildcard_match(p, t), "{p} ~ {t}");
        }
        for (p, t) in [
            ("dev-*", "dev"),
            ("latest", "latest2"),
            ("latest", "Latest"),
            ("a*b*c", "aXXbYY"),
            ("", "x"),
        ] {
            assert!(!wildcard_match(p, t), "{p} !~ {t}");
        }
    }
}

/// Stored bytes of one content digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRow {
    /// `sha256:<64 hex>`.
    pub digest: String,
    pub size: u64,
    /// The blobs holding the bytes, in order (a chunked upload keeps each
    /// chunk as its own segment: no copy at the end).
    pub segments: Vec<Segment>,
}

/// A manifest (image manifest, index, Docker schema 2 or list) in one
/// repository. Bodies are small (bounded by the service) and kept here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    pub account: AccountId,
    pub repo: String,
    pub digest: String,
    pub media_type: String,
    /// The exact bytes pushed: their digest is `digest`.
    pub body: Vec<u8>,
    /// The `subject` manifest's digest, if this one refers to another.
    pub subject: Option<String>,
    /// Blob digests and child manifest digests this manifest names.
    pub references: Vec<String>,
    pub pushed: Micros,
    /// Tags pointing at this manifest, sorted (filled on reads only).
    pub tags: Vec<String>,
}

/// An in-progress blob upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobUploadRow {
    /// Random, unguessable (a UUID).
    pub id: String,
    pub account: AccountId,
    pub repo: String,
    pub started: Micros,
    /// Bytes received so far (sum of the segments).
    pub size: u64,
    pub segments: Vec<Segment>,
}

/// Outcome of appending a chunk to an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Append {
    /// The chunk is part of the upload, which now holds this many bytes.
    Appended(u64),
    /// The chunk did not start where the upload ends (it holds this many
    /// bytes); nothing changed.
    OutOfOrder(u64),
    /// The upload does not exist (finished, cancelled or never started).
    Missing,
}

/// Outcome of putting a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutManifest {
    Stored,
    /// The repository has immutable tags and the tag names another
    /// manifest; nothing changed.
    TagImmutable,
}

/// Outcome of deleting a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoDelete {
    Deleted,
    Missing,
    /// It still holds manifests and `force` was not given; nothing changed.
    NotEmpty,
}

/// Where an image's vulnerability scan stands (ECR `ImageScanStatus.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    InProgress,
    Complete,
    Failed,
}

impl ScanStatus {
    /// ECR's spelling, also the stored one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Complete => "COMPLETE",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "IN_PROGRESS" => Self::InProgress,
            "COMPLETE" => Self::Complete,
            "FAILED" => Self::Failed,
            _ => return None,
        })
    }
}

/// The latest vulnerability scan of one image (manifest digest) in one
/// repository. Its findings are read apart (`image_scan_findings`): a
/// listing of images needs only this summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageScanRow {
    pub account: AccountId,
    pub repo: String,
    pub digest: String,
    pub status: ScanStatus,
    /// Why a scan failed, or what a finished one says.
    pub description: Option<String>,
    /// When the scan was started: also what tells one run from the next.
    pub started: Micros,
    /// When it completed or failed.
    pub completed: Option<Micros>,
    /// When the scanner's vulnerability database was last updated, if it
    /// says.
    pub source_updated: Option<Micros>,
    /// Findings per ECR severity (`CRITICAL`, `HIGH`, …); only severities
    /// with findings appear.
    pub severity_counts: BTreeMap<String, u32>,
}

/// One vulnerability a scanner reported (ECR `ImageScanFinding`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanFinding {
    /// The vulnerability id (`CVE-…`).
    pub name: String,
    pub description: Option<String>,
    pub uri: Option<String>,
    /// One of ECR's severities.
    pub severity: String,
    /// `(key, value)` pairs in order: `package_name`, `package_version`, …
    pub attributes: Vec<(String, String)>,
}

/// Outcome of starting a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartScan {
    /// Recorded as in progress; the previous scan and its findings are gone.
    Started,
    /// The manifest does not exist (any more); nothing changed.
    ImageMissing,
    /// A scan that counts toward the once-per-period limit (in progress
    /// or complete) started at or after the given time; nothing changed.
    Recent(ImageScanRow),
}

/// Durable registry metadata. Every mutating call is committed (durable)
/// when it returns Ok.
#[async_trait]
pub trait RegistryIndex: Send + Sync + 'static {
    /// Creates a repository; `false` if the account already has one by
    /// that name.
    async fn create_repository(&self, repo: &RepositoryRow) -> Result<bool, MetaError>;
    async fn get_repository(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<RepositoryRow>, MetaError>;
    /// The account's repositories by name.
    async fn list_repositories(&self, account: &AccountId)
        -> Result<Vec<RepositoryRow>, MetaError>;
    /// Replaces the settings; `false` if the repository is gone.
    async fn update_repository(&self, repo: &RepositoryRow) -> Result<bool, MetaError>;
    /// Removes the repository with its manifests, tags, blob links and
    /// uploads (only when empty unless `force`). Blob bytes are not freed
    /// here: `collect_garbage` frees what no repository links any more.
    async fn delete_repository(
        &self,
        account: &AccountId,
        name: &str,
        force: bool,
    ) -> Result<RepoDelete, MetaError>;

    /// The blob if it exists anywhere (for deduplication and mounts).
    async fn get_blob(&self, digest: &str) -> Result<Option<BlobRow>, MetaError>;
    /// The blob only if `repo` links it (what the repository may serve).
    async fn repo_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<BlobRow>, MetaError>;
    /// Links an existing blob to a repository (cross-repository mount);
    /// `false` if the blob does not exist. `MissingParent` if the
    /// repository is gone.
    async fn link_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError>;
    /// Removes a repository's link to a blob; `false` if there was none.
    async fn unlink_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError>;

    /// Starts an upload. `MissingParent` if the repository is gone.
    async fn create_blob_upload(&self, upload: &BlobUploadRow) -> Result<(), MetaError>;
    async fn get_blob_upload(&self, id: &str) -> Result<Option<BlobUploadRow>, MetaError>;
    /// Appends a stored chunk if it starts at `offset` (the upload's size).
    async fn append_blob_upload(
        &self,
        id: &str,
        offset: u64,
        segment: &Segment,
    ) -> Result<Append, MetaError>;
    /// Removes an upload; its segments are returned to free. `None` if it
    /// did not exist.
    async fn delete_blob_upload(&self, id: &str) -> Result<Option<Freed>, MetaError>;
    /// In one transaction: removes the upload and makes `blob` (made of the
    /// upload's segments) exist and linked to the upload's repository. If
    /// the digest was already stored, the upload's segments are freed and
    /// the stored bytes kept (deduplication). `MissingParent` if the upload
    /// is gone.
    async fn finish_blob_upload(&self, id: &str, blob: &BlobRow) -> Result<Freed, MetaError>;

    /// Stores a manifest (a re-push of the same digest keeps the first
    /// row) and points `tag` at it. `MissingParent` if the repository is gone.
    async fn put_manifest(
        &self,
        manifest: &ManifestRow,
        tag: Option<&str>,
    ) -> Result<PutManifest, MetaError>;
    /// A manifest by digest, with its tags.
    async fn get_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<ManifestRow>, MetaError>;
    /// The digest a tag points at.
    async fn resolve_tag(
        &self,
        account: &AccountId,
        repo: &str,
        tag: &str,
    ) -> Result<Option<String>, MetaError>;
    /// Tags in lexical order, strictly after `after`, at most `limit`.
    async fn list_tags(
        &self,
        account: &AccountId,
        repo: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, MetaError>;
    /// Manifests by digest, strictly after `after`, at most `limit`, with
    /// their tags (bodies included).
    async fn list_manifests(
        &self,
        account: &AccountId,
        repo: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManifestRow>, MetaError>;
    /// Manifests in the repository whose `subject` is `digest` (referrers).
    async fn referrers(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Vec<ManifestRow>, MetaError>;
    /// Removes a manifest and every tag pointing at it; `false` if absent.
    async fn delete_manifest(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<bool, MetaError>;
    /// Removes one tag; `false` if absent.
    async fn delete_tag(
        &self,
        account: &AccountId,
        repo: &str,
        tag: &str,
    ) -> Result<bool, MetaError>;

    /// Records `scan` (status `IN_PROGRESS`) as the image's latest scan,
    /// replacing the previous one and its findings, unless an in-progress
    /// or complete scan of the image started at or after `not_before`.
    /// A failed scan never blocks a new one.
    async fn start_image_scan(
        &self,
        scan: &ImageScanRow,
        not_before: Micros,
    ) -> Result<StartScan, MetaError>;
    /// Records the outcome (status, description, times, counts) and the
    /// findings of the scan that started at `scan.started`; `false`, with
    /// nothing changed, when that scan is no longer the image's in-progress
    /// scan (the image was deleted, or the scan was failed at a restart).
    async fn finish_image_scan(
        &self,
        scan: &ImageScanRow,
        findings: &[ScanFinding],
    ) -> Result<bool, MetaError>;
    /// The image's latest scan. Deleting the manifest or its repository
    /// deletes its scan.
    async fn get_image_scan(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Option<ImageScanRow>, MetaError>;
    /// The findings of the image's latest scan, in the order recorded
    /// (empty while it runs or when there is none).
    async fn image_scan_findings(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<Vec<ScanFinding>, MetaError>;
    /// Every scan still in progress, of every account: what a restart
    /// must finish.
    async fn image_scans_in_progress(&self) -> Result<Vec<ImageScanRow>, MetaError>;

    /// Deletes blob rows no repository links and returns their segments
    /// to free.
    async fn collect_garbage(&self) -> Result<Freed, MetaError>;
    /// Every blob key a blob row or an upload uses (for the orphan sweep).
    async fn registry_blob_keys(&self) -> Result<HashSet<crate::ports::blob::BlobKey>, MetaError>;
}
