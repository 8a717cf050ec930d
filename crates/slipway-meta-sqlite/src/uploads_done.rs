//! Multipart bookkeeping beyond the upload itself (schema in
//! `migrations/0007_completed_uploads.sql`): the record a completion
//! leaves for retries, and what deleting a bucket removes with it.

use crate::backend;
use crate::error::to_json;
use crate::fetch;
use crate::rows::objects::{part_blobs, DbCompletedUpload};
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::CompletedUpload;
use slipway_core::time_util::Micros;
use sqlx::{Sqlite, SqlitePool, Transaction};

/// Records `done` inside the completing transaction, forgetting records
/// completed before `forget_before` (the index keeps the purge cheap).
pub(crate) async fn record(
    tx: &mut Transaction<'_, Sqlite>,
    done: &CompletedUpload,
    forget_before: Micros,
) -> Result<(), MetaError> {
    sqlx::query("DELETE FROM completed_uploads WHERE completed < ?")
        .bind(forget_before)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    let parts = to_json(&done.parts)?;
    sqlx::query(
        "INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, key, etag, parts, completed) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&done.upload_id)
    .bind(&done.bucket)
    .bind(&done.key)
    .bind(&done.etag)
    .bind(parts)
    .bind(done.completed)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

pub(crate) async fn find(
    reader: &SqlitePool,
    upload_id: &str,
) -> Result<Option<CompletedUpload>, MetaError> {
    Ok(fetch::optional(
        sqlx::query_as::<_, DbCompletedUpload>(
            "SELECT upload_id, bucket, key, etag, parts, completed FROM completed_uploads \
             WHERE upload_id = ?",
        )
        .bind(upload_id),
        reader,
    )
    .await?)
}

/// Removes, inside `tx`, a bucket's unfinished uploads, their parts and
/// its completion records; returns the parts' blobs, for the caller to
/// delete once the transaction is committed.
pub(crate) async fn take_bucket_uploads(
    tx: &mut Transaction<'_, Sqlite>,
    bucket: &str,
) -> Result<Vec<BlobKey>, MetaError> {
    let blobs: Vec<String> = sqlx::query_scalar(
        "DELETE FROM parts WHERE upload_id IN (SELECT upload_id FROM uploads WHERE bucket = ?) \
         RETURNING blob",
    )
    .bind(bucket)
    .fetch_all(&mut **tx)
    .await
    .map_err(backend)?;
    let mut blobs = part_blobs(&blobs)?;
    blobs.sort();
    for table in ["uploads", "completed_uploads"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE bucket = ?"))
            .bind(bucket)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(blobs)
}
