//! The object index port: S3 metadata (buckets, objects, multipart uploads
//! and their parts). The bytes live in a `BlobStore`; a row here names the
//! blobs that make up an object, so an object becomes visible only when its
//! row is committed — after its blobs are durable.

use crate::ports::blob::BlobKey;
use crate::ports::metadata::MetaError;
use crate::time_util::Micros;
use crate::AccountId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// A bucket and the account that owns it. Bucket names are global, as on
/// AWS: one account's bucket name is taken for every other account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRow {
    pub name: String,
    pub owner: AccountId,
    pub region: String,
    pub created: Micros,
}

/// One blob of an object, in order. A single-part object has one; an
/// object made by CompleteMultipartUpload keeps its parts' blobs (no copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    #[serde(with = "blob_key_serde")]
    pub blob: BlobKey,
    pub size: u64,
}

/// Headers S3 stores with an object and returns on GET/HEAD, plus user
/// metadata (`x-amz-meta-*`, names lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    /// `Expires`, kept as the client sent it (an HTTP date).
    pub expires: Option<String>,
    pub user: BTreeMap<String, String>,
    /// Additional checksums (`CRC32` → base64 value) a client sent and we
    /// verified; returned when asked with `x-amz-checksum-mode: ENABLED`.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

/// A visible object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Without quotes: hex MD5, or `hex-N` for a multipart object.
    pub etag: String,
    pub last_modified: Micros,
    pub meta: ObjectMeta,
    /// The blobs holding the bytes, in order; empty for an inline object.
    pub segments: Vec<Segment>,
    /// The bytes of a small object kept in the index itself rather than in
    /// a blob: a file (and its fsyncs) per tiny object would cost more than
    /// the object. `get_object` returns them; listings leave them out
    /// (`None`, with `segments` empty) to stay small.
    pub inline: Option<bytes::Bytes>,
}

/// An in-progress multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub initiated: Micros,
    pub meta: ObjectMeta,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRow {
    pub upload_id: String,
    pub part_number: u32,
    pub size: u64,
    /// Hex MD5 of the part, without quotes.
    pub etag: String,
    pub blob: BlobKey,
    pub last_modified: Micros,
}

/// The outcome of deleting a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketDelete {
    /// Gone, with the unfinished multipart uploads it held: their parts'
    /// blobs are freed.
    Deleted(Freed),
    Missing,
    /// It still holds objects; nothing changed.
    NotEmpty,
}

/// What a completed multipart upload answered, kept for a while so that a
/// client retrying CompleteMultipartUpload gets the same answer (S3 allows
/// the retry; the upload itself is gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedUpload {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    /// The object's ETag, without quotes.
    pub etag: String,
    /// The parts the completion named: (part number, ETag without quotes).
    pub parts: Vec<(u32, String)>,
    pub completed: Micros,
}

/// What replacing or removing rows freed: blobs no row references any
/// more, for the caller to delete once the change is committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freed {
    pub blobs: Vec<BlobKey>,
}

/// Durable S3 metadata. Every mutating call is committed (durable) when it
/// returns Ok. Keys order by their UTF-8 bytes, as S3 lists them.
#[async_trait]
pub trait ObjectIndex: Send + Sync + 'static {
    /// Creates a bucket; `false` when the name is taken (by anyone).
    async fn create_bucket(&self, bucket: &BucketRow) -> Result<bool, MetaError>;
    async fn get_bucket(&self, name: &str) -> Result<Option<BucketRow>, MetaError>;
    /// The owner's buckets by name.
    async fn list_buckets(&self, owner: &AccountId) -> Result<Vec<BucketRow>, MetaError>;
    /// Deletes a bucket only if it holds no objects; in the same
    /// transaction, its unfinished uploads, their parts and its
    /// completion records go too.
    async fn delete_bucket(&self, name: &str) -> Result<BucketDelete, MetaError>;

    /// Inserts or replaces (bucket, key); the replaced object's blobs are
    /// freed. `MissingParent` if the bucket is gone.
    async fn put_object(&self, object: &ObjectRow) -> Result<Freed, MetaError>;
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRow>, MetaError>;
    /// `get_object` for many keys of one bucket at once (a job reading
    /// thousands of small inputs asks once per batch, not once per object):
    /// the rows of those that exist, with their inline bytes, in any order.
    async fn get_objects(&self, bucket: &str, keys: &[String])
        -> Result<Vec<ObjectRow>, MetaError>;
    /// Removes the object; `None` if there was none.
    async fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<Freed>, MetaError>;
    /// Up to `limit` objects with `key` starting with `prefix` and greater
    /// than `after`, in key order.
    async fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ObjectRow>, MetaError>;

    /// `MissingParent` if the bucket is gone.
    async fn create_upload(&self, upload: &UploadRow) -> Result<(), MetaError>;
    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadRow>, MetaError>;
    /// Adds or replaces a part (the replaced part's blob is freed).
    /// `MissingParent` if the upload is gone (completed or aborted).
    async fn put_part(&self, part: &PartRow) -> Result<Freed, MetaError>;
    /// Parts with a number greater than `after`, ascending, up to `limit`.
    async fn list_parts(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRow>, MetaError>;
    /// Uploads in a bucket whose key starts with `prefix`, ordered by
    /// (key, upload id) — the service makes upload ids sort by initiation
    /// time, as S3 orders them — strictly after (`key_marker`,
    /// `upload_id_marker`) when given.
    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UploadRow>, MetaError>;
    /// In one transaction: removes the upload and its parts, inserts or
    /// replaces `object` (whose segments are some of the parts' blobs),
    /// records `done` and forgets records completed before
    /// `forget_before`. Frees the replaced object's blobs and those of
    /// parts the object does not use. `MissingParent` if the upload is gone.
    async fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectRow,
        done: &CompletedUpload,
        forget_before: Micros,
    ) -> Result<Freed, MetaError>;
    /// The record `complete_upload` kept, if not yet forgotten.
    async fn get_completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUpload>, MetaError>;
    /// Removes the upload and its parts; `None` if there was none.
    async fn abort_upload(&self, upload_id: &str) -> Result<Option<Freed>, MetaError>;

    /// Every blob a row references (objects and parts): what the orphan
    /// sweep must keep.
    async fn referenced_blobs(&self) -> Result<HashSet<BlobKey>, MetaError>;
}

mod blob_key_serde {
    use super::BlobKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(k: &BlobKey, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(k.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BlobKey, D::Error> {
        let s = String::deserialize(d)?;
        BlobKey::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("bad blob key {s:?}")))
    }
}
