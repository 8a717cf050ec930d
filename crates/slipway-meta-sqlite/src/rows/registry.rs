//! The rows of the registry tables (schema in `migrations/0004_registry.sql`
//! and `0008_repository_settings.sql`) and their conversions into the
//! `RegistryIndex` port's types.

use crate::error::{StoreError, Table};
use crate::rows::objects::segments;
use slipway_core::ports::registry::{BlobRow, BlobUploadRow, ManifestRow, RepositoryRow};

const REPOSITORIES: Table = Table("repositories");
pub(crate) const REGISTRY_BLOBS: Table = Table("registry_blobs");
pub(crate) const BLOB_UPLOADS: Table = Table("blob_uploads");
const MANIFESTS: Table = Table("manifests");

/// A row of `repositories` (`SELECT *`).
#[derive(sqlx::FromRow)]
pub(crate) struct DbRepository {
    account: String,
    name: String,
    created: i64,
    tags_mutable: i64,
    scan_on_push: i64,
    mutability_exclusions: String,
    encryption_type: String,
    kms_key: Option<String>,
}

impl TryFrom<DbRepository> for RepositoryRow {
    type Error = StoreError;

    fn try_from(r: DbRepository) -> Result<Self, StoreError> {
        Ok(RepositoryRow {
            account: REPOSITORIES.account("account", &r.account)?,
            mutability_exclusions: REPOSITORIES
                .json("mutability_exclusions", &r.mutability_exclusions)?,
            name: r.name,
            created: r.created,
            tags_mutable: r.tags_mutable != 0,
            scan_on_push: r.scan_on_push != 0,
            encryption_type: r.encryption_type,
            kms_key: r.kms_key,
        })
    }
}

/// A row of `registry_blobs`.
#[derive(sqlx::FromRow)]
pub(crate) struct DbBlob {
    digest: String,
    size: i64,
    segments: String,
}

impl TryFrom<DbBlob> for BlobRow {
    type Error = StoreError;

    fn try_from(r: DbBlob) -> Result<Self, StoreError> {
        Ok(BlobRow {
            size: REGISTRY_BLOBS.size("size", r.size)?,
            segments: segments(REGISTRY_BLOBS, &r.segments)?,
            digest: r.digest,
        })
    }
}

/// A row of `blob_uploads`.
#[derive(sqlx::FromRow)]
pub(crate) struct DbBlobUpload {
    id: String,
    account: String,
    repo: String,
    started: i64,
    size: i64,
    segments: String,
}

impl TryFrom<DbBlobUpload> for BlobUploadRow {
    type Error = StoreError;

    fn try_from(r: DbBlobUpload) -> Result<Self, StoreError> {
        Ok(BlobUploadRow {
            account: BLOB_UPLOADS.account("account", &r.account)?,
            size: BLOB_UPLOADS.size("size", r.size)?,
            segments: segments(BLOB_UPLOADS, &r.segments)?,
            id: r.id,
            repo: r.repo,
            started: r.started,
        })
    }
}

/// Manifest columns plus its tags joined by newlines (tags cannot hold one).
pub(crate) const MANIFEST_SELECT: &str =
    "SELECT m.account, m.repo, m.digest, m.media_type, m.body, \
     m.subject, m.refs, m.pushed, (SELECT group_concat(t.tag, char(10)) FROM image_tags t \
     WHERE t.account = m.account AND t.repo = m.repo AND t.digest = m.digest) AS tags \
     FROM manifests m";

/// A row of `manifests` with its tags, as `MANIFEST_SELECT` reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct DbManifest {
    account: String,
    repo: String,
    digest: String,
    media_type: String,
    body: Vec<u8>,
    subject: Option<String>,
    refs: String,
    pushed: i64,
    tags: Option<String>,
}

impl TryFrom<DbManifest> for ManifestRow {
    type Error = StoreError;

    fn try_from(r: DbManifest) -> Result<Self, StoreError> {
        let mut tags: Vec<String> = r
            .tags
            .map(|t| t.split('\n').map(str::to_owned).collect())
            .unwrap_or_default();
        tags.sort();
        Ok(ManifestRow {
            account: MANIFESTS.account("account", &r.account)?,
            references: MANIFESTS.json("refs", &r.refs)?,
            repo: r.repo,
            digest: r.digest,
            media_type: r.media_type,
            body: r.body,
            subject: r.subject,
            pushed: r.pushed,
            tags,
        })
    }
}
