//! Decoding registry rows (schema in `migrations/0004_registry.sql` and
//! `0008_repository_settings.sql`).

use crate::objects::{corrupt, get, size};
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::Segment;
use slipway_core::ports::registry::{BlobRow, BlobUploadRow, ManifestRow, RepositoryRow};
use slipway_core::AccountId;
use sqlx::sqlite::SqliteRow;

pub(crate) fn account(r: &SqliteRow) -> Result<AccountId, MetaError> {
    let a: String = get(r, "account")?;
    AccountId::parse(&a).ok_or_else(|| corrupt(format!("account {a:?}")))
}

pub(crate) fn segments(r: &SqliteRow) -> Result<Vec<Segment>, MetaError> {
    let text: String = get(r, "segments")?;
    serde_json::from_str(&text).map_err(|e| corrupt(format!("segments: {e}")))
}

pub(crate) fn repo_row(r: &SqliteRow) -> Result<RepositoryRow, MetaError> {
    Ok(RepositoryRow {
        account: account(r)?,
        name: get(r, "name")?,
        created: get(r, "created")?,
        tags_mutable: get::<i64>(r, "tags_mutable")? != 0,
        mutability_exclusions: serde_json::from_str(&get::<String>(r, "mutability_exclusions")?)
            .map_err(|e| corrupt(format!("mutability_exclusions: {e}")))?,
        scan_on_push: get::<i64>(r, "scan_on_push")? != 0,
        encryption_type: get(r, "encryption_type")?,
        kms_key: get(r, "kms_key")?,
    })
}

pub(crate) fn blob_row(r: &SqliteRow) -> Result<BlobRow, MetaError> {
    Ok(BlobRow {
        digest: get(r, "digest")?,
        size: size(get(r, "size")?)?,
        segments: segments(r)?,
    })
}

pub(crate) fn upload_row(r: &SqliteRow) -> Result<BlobUploadRow, MetaError> {
    Ok(BlobUploadRow {
        id: get(r, "id")?,
        account: account(r)?,
        repo: get(r, "repo")?,
        started: get(r, "started")?,
        size: size(get(r, "size")?)?,
        segments: segments(r)?,
    })
}

pub(crate) fn manifest_row(r: &SqliteRow) -> Result<ManifestRow, MetaError> {
    let refs: String = get(r, "refs")?;
    let tags: Option<String> = get(r, "tags")?;
    let mut tags: Vec<String> = tags
        .map(|t| t.split('\n').map(str::to_owned).collect())
        .unwrap_or_default();
    tags.sort();
    Ok(ManifestRow {
        account: account(r)?,
        repo: get(r, "repo")?,
        digest: get(r, "digest")?,
        media_type: get(r, "media_type")?,
        body: get(r, "body")?,
        subject: get(r, "subject")?,
        references: serde_json::from_str(&refs).map_err(|e| corrupt(format!("refs: {e}")))?,
        pushed: get(r, "pushed")?,
        tags,
    })
}

/// Manifest columns plus its tags joined by newlines (tags cannot hold one).
pub(crate) const MANIFEST_SELECT: &str =
    "SELECT m.account, m.repo, m.digest, m.media_type, m.body, \
     m.subject, m.refs, m.pushed, (SELECT group_concat(t.tag, char(10)) FROM image_tags t \
     WHERE t.account = m.account AND t.repo = m.repo AND t.digest = m.digest) AS tags \
     FROM manifests m";
