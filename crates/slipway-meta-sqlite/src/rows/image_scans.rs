//! The rows of `image_scans` (schema in `migrations/0009_image_scans.sql`)
//! and their conversions into the `RegistryIndex` port's types.

use crate::error::{StoreError, Table};
use slipway_core::ports::registry::{ImageScanRow, ScanFinding, ScanStatus};

pub(crate) const IMAGE_SCANS: Table = Table("image_scans");

/// The summary columns of `image_scans` (everything but `findings`).
pub(crate) const IMAGE_SCAN_SELECT: &str = "SELECT account, repo, digest, status, description, \
     started, completed, source_updated, severity_counts FROM image_scans";

/// A row of `image_scans` without its findings.
#[derive(sqlx::FromRow)]
pub(crate) struct DbImageScan {
    account: String,
    repo: String,
    digest: String,
    status: String,
    description: Option<String>,
    started: i64,
    completed: Option<i64>,
    source_updated: Option<i64>,
    severity_counts: String,
}

impl TryFrom<DbImageScan> for ImageScanRow {
    type Error = StoreError;

    fn try_from(r: DbImageScan) -> Result<Self, StoreError> {
        Ok(ImageScanRow {
            account: IMAGE_SCANS.account("account", &r.account)?,
            status: ScanStatus::parse(&r.status)
                .ok_or_else(|| IMAGE_SCANS.corrupt(format!("status {:?}", r.status)))?,
            severity_counts: IMAGE_SCANS.json("severity_counts", &r.severity_counts)?,
            repo: r.repo,
            digest: r.digest,
            description: r.description,
            started: r.started,
            completed: r.completed,
            source_updated: r.source_updated,
        })
    }
}

/// The `findings` column of one scan.
#[derive(sqlx::FromRow)]
pub(crate) struct DbScanFindings {
    findings: String,
}

impl TryFrom<DbScanFindings> for Vec<ScanFinding> {
    type Error = StoreError;

    fn try_from(r: DbScanFindings) -> Result<Self, StoreError> {
        IMAGE_SCANS.json("findings", &r.findings)
    }
}
