//! The image-scan calls of `RegistryIndex` on SQLite (table `image_scans`,
//! `migrations/0009_image_scans.sql`); `registry.rs` delegates here.
//! Writes go through the one writer connection, so "check, then write"
//! inside a transaction is race-free.

use crate::error::to_json;
use crate::fetch;
use crate::rows::image_scans::{DbImageScan, DbScanFindings, IMAGE_SCAN_SELECT};
use crate::{backend, SqliteStore};
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::registry::{ImageScanRow, ScanFinding, ScanStatus, StartScan};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;

pub(crate) async fn start(
    store: &SqliteStore,
    scan: &ImageScanRow,
    not_before: Micros,
) -> Result<StartScan, MetaError> {
    let mut tx = store
        .writer
        .begin_with(crate::IMMEDIATE)
        .await
        .map_err(backend)?;
    let manifest =
        sqlx::query("SELECT 1 FROM manifests WHERE account = ? AND repo = ? AND digest = ?")
            .bind(scan.account.as_str())
            .bind(&scan.repo)
            .bind(&scan.digest)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    if manifest.is_none() {
        return Ok(StartScan::ImageMissing);
    }
    let previous: Option<ImageScanRow> = fetch::optional(
        sqlx::query_as::<_, DbImageScan>(&format!(
            "{IMAGE_SCAN_SELECT} WHERE account = ? AND repo = ? AND digest = ?"
        ))
        .bind(scan.account.as_str())
        .bind(&scan.repo)
        .bind(&scan.digest),
        &mut *tx,
    )
    .await?;
    if let Some(p) = previous {
        if p.status != ScanStatus::Failed && p.started >= not_before {
            return Ok(StartScan::Recent(p));
        }
    }
    sqlx::query(
        "INSERT OR REPLACE INTO image_scans (account, repo, digest, status, description, \
         started, completed, source_updated, severity_counts, findings) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]')",
    )
    .bind(scan.account.as_str())
    .bind(&scan.repo)
    .bind(&scan.digest)
    .bind(scan.status.as_str())
    .bind(&scan.description)
    .bind(scan.started)
    .bind(scan.completed)
    .bind(scan.source_updated)
    .bind(to_json(&scan.severity_counts)?)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    Ok(StartScan::Started)
}

pub(crate) async fn finish(
    store: &SqliteStore,
    scan: &ImageScanRow,
    findings: &[ScanFinding],
) -> Result<bool, MetaError> {
    let done = sqlx::query(
        "UPDATE image_scans SET status = ?, description = ?, completed = ?, source_updated = ?, \
         severity_counts = ?, findings = ? \
         WHERE account = ? AND repo = ? AND digest = ? AND started = ? AND status = 'IN_PROGRESS'",
    )
    .bind(scan.status.as_str())
    .bind(&scan.description)
    .bind(scan.completed)
    .bind(scan.source_updated)
    .bind(to_json(&scan.severity_counts)?)
    .bind(to_json(&findings)?)
    .bind(scan.account.as_str())
    .bind(&scan.repo)
    .bind(&scan.digest)
    .bind(scan.started)
    .execute(&store.writer)
    .await
    .map_err(backend)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn get(
    store: &SqliteStore,
    account: &AccountId,
    repo: &str,
    digest: &str,
) -> Result<Option<ImageScanRow>, MetaError> {
    Ok(fetch::optional(
        sqlx::query_as::<_, DbImageScan>(&format!(
            "{IMAGE_SCAN_SELECT} WHERE account = ? AND repo = ? AND digest = ?"
        ))
        .bind(account.as_str())
        .bind(repo)
        .bind(digest),
        &store.reader,
    )
    .await?)
}

pub(crate) async fn findings(
    store: &SqliteStore,
    account: &AccountId,
    repo: &str,
    digest: &str,
) -> Result<Vec<ScanFinding>, MetaError> {
    let found: Option<Vec<ScanFinding>> = fetch::optional(
        sqlx::query_as::<_, DbScanFindings>(
            "SELECT findings FROM image_scans WHERE account = ? AND repo = ? AND digest = ?",
        )
        .bind(account.as_str())
        .bind(repo)
        .bind(digest),
        &store.reader,
    )
    .await?;
    Ok(found.unwrap_or_default())
}

pub(crate) async fn in_progress(store: &SqliteStore) -> Result<Vec<ImageScanRow>, MetaError> {
    Ok(fetch::all(
        sqlx::query_as::<_, DbImageScan>(&format!(
            "{IMAGE_SCAN_SELECT} WHERE status = 'IN_PROGRESS' ORDER BY account, repo, digest"
        )),
        &store.reader,
    )
    .await?)
}
