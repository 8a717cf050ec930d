//! The rows of the object tables (schema in `migrations/0002_objects.sql`,
//! `0005_inline_objects.sql` and `0007_completed_uploads.sql`) and their
//! conversions into the `ObjectIndex` port's types.

use crate::error::{StoreError, Table};
use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::objects::{
    BucketRow, CompletedUpload, ObjectMeta, ObjectRow, PartRow, Segment, UploadRow,
};

const BUCKETS: Table = Table("buckets");
pub(crate) const OBJECTS: Table = Table("objects");
const UPLOADS: Table = Table("uploads");
pub(crate) const PARTS: Table = Table("parts");
const COMPLETED_UPLOADS: Table = Table("completed_uploads");

/// The columns of `objects` a listing reads (`DbObject` without `inline`).
pub(crate) const OBJECT_COLUMNS: &str = "bucket, key, size, etag, last_modified, meta, segments";

#[derive(sqlx::FromRow)]
pub(crate) struct DbBucket {
    name: String,
    owner: String,
    region: String,
    created: i64,
}

impl TryFrom<DbBucket> for BucketRow {
    type Error = StoreError;

    fn try_from(r: DbBucket) -> Result<Self, StoreError> {
        Ok(BucketRow {
            owner: BUCKETS.account("owner", &r.owner)?,
            name: r.name,
            region: r.region,
            created: r.created,
        })
    }
}

/// A row of `objects`. Listings leave the `inline` bytes out
/// (`OBJECT_COLUMNS`); the object then has none.
#[derive(sqlx::FromRow)]
pub(crate) struct DbObject {
    bucket: String,
    pub(crate) key: String,
    size: i64,
    etag: String,
    last_modified: i64,
    meta: String,
    segments: String,
    #[sqlx(default)]
    inline: Option<Vec<u8>>,
}

impl TryFrom<DbObject> for ObjectRow {
    type Error = StoreError;

    fn try_from(r: DbObject) -> Result<Self, StoreError> {
        Ok(ObjectRow {
            size: OBJECTS.size("size", r.size)?,
            meta: OBJECTS.json("meta", &r.meta)?,
            segments: segments(OBJECTS, &r.segments)?,
            bucket: r.bucket,
            key: r.key,
            etag: r.etag,
            last_modified: r.last_modified,
            inline: r.inline.map(bytes::Bytes::from),
        })
    }
}

/// A `segments` column: the JSON list of {blob, size}.
pub(crate) fn segments(table: Table, text: &str) -> Result<Vec<Segment>, StoreError> {
    table.json("segments", text)
}

/// The blobs a `segments` column names, in order.
pub(crate) fn segment_blobs(table: Table, text: &str) -> Result<Vec<BlobKey>, StoreError> {
    Ok(segments(table, text)?.into_iter().map(|s| s.blob).collect())
}

/// `blob` columns of `parts`, as keys.
pub(crate) fn part_blobs(columns: &[String]) -> Result<Vec<BlobKey>, StoreError> {
    columns.iter().map(|b| PARTS.blob("blob", b)).collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct DbUpload {
    upload_id: String,
    bucket: String,
    pub(crate) key: String,
    initiated: i64,
    meta: String,
}

impl TryFrom<DbUpload> for UploadRow {
    type Error = StoreError;

    fn try_from(r: DbUpload) -> Result<Self, StoreError> {
        let meta: ObjectMeta = UPLOADS.json("meta", &r.meta)?;
        Ok(UploadRow {
            upload_id: r.upload_id,
            bucket: r.bucket,
            key: r.key,
            initiated: r.initiated,
            meta,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DbPart {
    upload_id: String,
    part_number: i64,
    size: i64,
    etag: String,
    blob: String,
    last_modified: i64,
}

impl TryFrom<DbPart> for PartRow {
    type Error = StoreError;

    fn try_from(r: DbPart) -> Result<Self, StoreError> {
        Ok(PartRow {
            part_number: u32::try_from(r.part_number)
                .map_err(|_| PARTS.corrupt(format!("part {}", r.part_number)))?,
            size: PARTS.size("size", r.size)?,
            blob: PARTS.blob("blob", &r.blob)?,
            upload_id: r.upload_id,
            etag: r.etag,
            last_modified: r.last_modified,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DbCompletedUpload {
    upload_id: String,
    bucket: String,
    key: String,
    etag: String,
    parts: String,
    completed: i64,
}

impl TryFrom<DbCompletedUpload> for CompletedUpload {
    type Error = StoreError;

    fn try_from(r: DbCompletedUpload) -> Result<Self, StoreError> {
        Ok(CompletedUpload {
            parts: COMPLETED_UPLOADS.json("parts", &r.parts)?,
            upload_id: r.upload_id,
            bucket: r.bucket,
            key: r.key,
            etag: r.etag,
            completed: r.completed,
        })
    }
}
