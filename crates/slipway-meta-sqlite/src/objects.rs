//! `ObjectIndex` on SQLite: buckets, objects, multipart uploads and parts
//! (schema in `migrations/0002_objects.sql`). Writes share the store's
//! one-connection writer pool, so "check the parent, then write" inside a
//! transaction is race-free; commits are fsync'd (`synchronous=FULL`).

use crate::error::{to_i64, to_json};
use crate::fetch;
use crate::rows::objects::{
    part_blobs, segment_blobs, DbBucket, DbObject, DbPart, DbUpload, OBJECTS, OBJECT_COLUMNS,
};
use crate::{backend, SqliteStore};
use async_trait::async_trait;
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{
    BucketDelete, BucketRow, CompletedUpload, Freed, ObjectIndex, ObjectRow, PartRow, UploadRow,
};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::collections::HashSet;

pub(crate) async fn bucket_exists(
    tx: &mut Transaction<'_, Sqlite>,
    name: &str,
) -> Result<bool, MetaError> {
    Ok(sqlx::query("SELECT 1 FROM buckets WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?
        .is_some())
}

/// Removes (bucket, key) inside `tx`, returning the blobs it used.
pub(crate) async fn take_object(
    tx: &mut Transaction<'_, Sqlite>,
    bucket: &str,
    key: &str,
) -> Result<Option<Vec<BlobKey>>, MetaError> {
    let segments: Option<String> =
        sqlx::query_scalar("DELETE FROM objects WHERE bucket = ? AND key = ? RETURNING segments")
            .bind(bucket)
            .bind(key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(backend)?;
    let Some(segments) = segments else {
        return Ok(None);
    };
    Ok(Some(segment_blobs(OBJECTS, &segments)?))
}

pub(crate) async fn insert_object(
    tx: &mut Transaction<'_, Sqlite>,
    o: &ObjectRow,
) -> Result<(), MetaError> {
    sqlx::query(
        "INSERT INTO objects (bucket, key, size, etag, last_modified, meta, segments, inline) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&o.bucket)
    .bind(&o.key)
    .bind(to_i64(o.size)?)
    .bind(&o.etag)
    .bind(o.last_modified)
    .bind(to_json(&o.meta)?)
    .bind(to_json(&o.segments)?)
    .bind(o.inline.as_deref())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Removes an upload and its parts inside `tx`; `None` if it did not exist.
async fn take_upload(
    tx: &mut Transaction<'_, Sqlite>,
    upload_id: &str,
) -> Result<Option<Vec<BlobKey>>, MetaError> {
    let gone = sqlx::query("DELETE FROM uploads WHERE upload_id = ?")
        .bind(upload_id)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    if gone.rows_affected() == 0 {
        return Ok(None);
    }
    let blobs: Vec<String> =
        sqlx::query_scalar("DELETE FROM parts WHERE upload_id = ? RETURNING blob")
            .bind(upload_id)
            .fetch_all(&mut **tx)
            .await
            .map_err(backend)?;
    let mut blobs = part_blobs(&blobs)?;
    blobs.sort();
    Ok(Some(blobs))
}

#[async_trait]
impl ObjectIndex for SqliteStore {
    async fn create_bucket(&self, b: &BucketRow) -> Result<bool, MetaError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO buckets (name, owner, region, created) VALUES (?, ?, ?, ?)",
        )
        .bind(&b.name)
        .bind(b.owner.as_str())
        .bind(&b.region)
        .bind(b.created)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_bucket(&self, name: &str) -> Result<Option<BucketRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbBucket>(
                "SELECT name, owner, region, created FROM buckets WHERE name = ?",
            )
            .bind(name),
            &self.reader,
        )
        .await?)
    }

    async fn list_buckets(&self, owner: &AccountId) -> Result<Vec<BucketRow>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbBucket>(
                "SELECT name, owner, region, created FROM buckets WHERE owner = ? ORDER BY name",
            )
            .bind(owner.as_str()),
            &self.reader,
        )
        .await?)
    }

    async fn delete_bucket(&self, name: &str) -> Result<BucketDelete, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if !bucket_exists(&mut tx, name).await? {
            return Ok(BucketDelete::Missing);
        }
        // Unfinished uploads do not keep a bucket alive: S3 deletes them
        // with it (docs/s3.md).
        let busy = sqlx::query("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if busy.is_some() {
            return Ok(BucketDelete::NotEmpty);
        }
        let blobs = crate::uploads_done::take_bucket_uploads(&mut tx, name).await?;
        sqlx::query("DELETE FROM buckets WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(BucketDelete::Deleted(Freed { blobs }))
    }

    async fn put_object(&self, o: &ObjectRow) -> Result<Freed, MetaError> {
        self.puts.put(o).await
    }

    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbObject>(&format!(
                "SELECT {OBJECT_COLUMNS}, inline FROM objects WHERE bucket = ? AND key = ?"
            ))
            .bind(bucket)
            .bind(key),
            &self.reader,
        )
        .await?)
    }

    async fn get_objects(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<Vec<ObjectRow>, MetaError> {
        let mut out = Vec::with_capacity(keys.len());
        // Well under SQLite's limit of bound parameters per statement.
        for batch in keys.chunks(500) {
            let mut q = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {OBJECT_COLUMNS}, inline FROM objects WHERE bucket = "
            ));
            q.push_bind(bucket).push(" AND key IN (");
            let mut list = q.separated(", ");
            for k in batch {
                list.push_bind(k);
            }
            q.push(")");
            let rows: Vec<ObjectRow> =
                fetch::all(q.build_query_as::<DbObject>(), &self.reader).await?;
            out.extend(rows);
        }
        Ok(out)
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<Freed>, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let blobs = take_object(&mut tx, bucket, key).await?;
        tx.commit().await.map_err(backend)?;
        Ok(blobs.map(|blobs| Freed { blobs }))
    }

    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectRow>, MetaError> {
        // Keys with a prefix are contiguous in byte order from the prefix
        // on: scan from there and stop at the first key without it.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = sqlx::query_as::<_, DbObject>(&format!(
            "SELECT {OBJECT_COLUMNS} FROM objects WHERE bucket = ? AND key >= ? AND key > ? \
             ORDER BY key LIMIT ?"
        ))
        .bind(bucket)
        .bind(prefix)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        Ok(fetch::convert_while(rows, |r| r.key.starts_with(prefix))?)
    }

    async fn create_upload(&self, u: &UploadRow) -> Result<(), MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if !bucket_exists(&mut tx, &u.bucket).await? {
            return Err(MetaError::MissingParent(u.bucket.clone()));
        }
        sqlx::query(
            "INSERT INTO uploads (upload_id, bucket, key, initiated, meta) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&u.upload_id)
        .bind(&u.bucket)
        .bind(&u.key)
        .bind(u.initiated)
        .bind(to_json(&u.meta)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadRow>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbUpload>(
                "SELECT upload_id, bucket, key, initiated, meta FROM uploads WHERE upload_id = ?",
            )
            .bind(upload_id),
            &self.reader,
        )
        .await?)
    }

    async fn put_part(&self, p: &PartRow) -> Result<Freed, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let exists = sqlx::query("SELECT 1 FROM uploads WHERE upload_id = ?")
            .bind(&p.upload_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if exists.is_none() {
            return Err(MetaError::MissingParent(p.upload_id.clone()));
        }
        let old: Option<String> = sqlx::query_scalar(
            "DELETE FROM parts WHERE upload_id = ? AND part_number = ? RETURNING blob",
        )
        .bind(&p.upload_id)
        .bind(i64::from(p.part_number))
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let blobs = part_blobs(old.as_slice())?;
        sqlx::query(
            "INSERT INTO parts (upload_id, part_number, size, etag, blob, last_modified) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.upload_id)
        .bind(i64::from(p.part_number))
        .bind(to_i64(p.size)?)
        .bind(&p.etag)
        .bind(p.blob.as_str())
        .bind(p.last_modified)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(Freed { blobs })
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRow>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbPart>(
                "SELECT upload_id, part_number, size, etag, blob, last_modified FROM parts \
                 WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
            )
            .bind(upload_id)
            .bind(i64::from(after))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX)),
            &self.reader,
        )
        .await?)
    }

    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UploadRow>, MetaError> {
        // Without an upload-id marker S3 resumes after every upload of the
        // marker key; with one, after that upload of that key.
        let rows = sqlx::query_as::<_, DbUpload>(
            "SELECT upload_id, bucket, key, initiated, meta FROM uploads \
             WHERE bucket = ?1 AND key >= ?2 \
               AND (?3 IS NULL OR key > ?3 OR (key = ?3 AND ?4 IS NOT NULL AND upload_id > ?4)) \
             ORDER BY key, upload_id LIMIT ?5",
        )
        .bind(bucket)
        .bind(prefix)
        .bind(key_marker)
        .bind(upload_id_marker)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?;
        Ok(fetch::convert_while(rows, |r| r.key.starts_with(prefix))?)
    }

    async fn complete_upload(
        &self,
        upload_id: &str,
        o: &ObjectRow,
        done: &CompletedUpload,
        forget_before: Micros,
    ) -> Result<Freed, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let Some(part_blobs) = take_upload(&mut tx, upload_id).await? else {
            return Err(MetaError::MissingParent(upload_id.to_owned()));
        };
        if !bucket_exists(&mut tx, &o.bucket).await? {
            return Err(MetaError::MissingParent(o.bucket.clone()));
        }
        let mut blobs = take_object(&mut tx, &o.bucket, &o.key)
            .await?
            .unwrap_or_default();
        let used: HashSet<&BlobKey> = o.segments.iter().map(|s| &s.blob).collect();
        blobs.extend(part_blobs.into_iter().filter(|b| !used.contains(b)));
        insert_object(&mut tx, o).await?;
        crate::uploads_done::record(&mut tx, done, forget_before).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Freed { blobs })
    }

    async fn get_completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUpload>, MetaError> {
        crate::uploads_done::find(&self.reader, upload_id).await
    }

    async fn abort_upload(&self, upload_id: &str) -> Result<Option<Freed>, MetaError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let blobs = take_upload(&mut tx, upload_id).await?;
        tx.commit().await.map_err(backend)?;
        Ok(blobs.map(|blobs| Freed { blobs }))
    }

    async fn referenced_blobs(&self) -> Result<HashSet<BlobKey>, MetaError> {
        let segments: Vec<String> = sqlx::query_scalar("SELECT segments FROM objects")
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        let mut out = HashSet::new();
        for text in &segments {
            out.extend(segment_blobs(OBJECTS, text)?);
        }
        let parts: Vec<String> = sqlx::query_scalar("SELECT blob FROM parts")
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?;
        out.extend(part_blobs(&parts)?);
        Ok(out)
    }
}
