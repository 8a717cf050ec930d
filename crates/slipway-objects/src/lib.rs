//! S3 semantics, on the `ObjectIndex` and `BlobStore` ports of
//! `slipway-core`: buckets, objects, multipart uploads, checksums and
//! ETags, listing. Knows no HTTP (the wire crate maps [`ObjectError`] to S3
//! codes) and no SQL, and nothing of the control plane, which reads and
//! writes job data through [`Objects`] like any S3 client
//! (docs/architecture.md, "Layers").
//!
//! Object storage (S3) rules: buckets belong to an account and every
//! operation on a bucket or its objects by another account is
//! `AccessDenied`; a non-empty bucket cannot be deleted; bytes are durable
//! in the `BlobStore` before the metadata row that makes them visible is
//! committed, so no reader ever sees a partial object and a crash can only
//! leave unreferenced blobs, which `sweep_orphans` collects.

mod digest;
mod list;
mod multipart;
mod read;
mod rechunk;
mod write;

pub use digest::{ChecksumAlgo, ExpectedChecksum, TrailerChecksums};
pub use list::{ListObjects, Listing};
pub use multipart::{CompletePart, PartListing, UploadListing};
pub use read::{segments_stream, Conditions, GotObject, RangeSpec};
pub use write::INLINE_MAX;
pub use write::{DeleteResult, MetadataDirective, PutObject, PutOutcome, MAX_USER_METADATA};

use slipway_core::ports::blob::{BlobError, BlobKey, BlobStore};
use slipway_core::ports::clock::Clock;
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{BucketDelete, BucketRow, Freed, ObjectIndex};
use slipway_core::AccountId;
use std::sync::Arc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// This crate's results.
pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

/// The region whose CreateBucket keeps S3's legacy idempotent answer.
const US_EAST_1: &str = "us-east-1";

/// The two ports object storage runs on.
pub struct ObjectStorage {
    pub(crate) index: Arc<dyn ObjectIndex>,
    pub(crate) blobs: Arc<dyn BlobStore>,
}

impl ObjectStorage {
    /// S3 metadata in `index`, bytes in `blobs`.
    pub fn new(index: Arc<dyn ObjectIndex>, blobs: Arc<dyn BlobStore>) -> Self {
        Self { index, blobs }
    }
}

/// S3 conditions a client acts on. The wire crate maps each to its S3
/// error code and status; messages are AWS's where AWS has one.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("The specified bucket does not exist")]
    NoSuchBucket(String),
    #[error("The specified key does not exist.")]
    NoSuchKey(String),
    #[error("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")]
    NoSuchUpload(String),
    #[error("Access Denied")]
    AccessDenied,
    #[error("The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")]
    BucketAlreadyExists(String),
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou(String),
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty(String),
    #[error("The specified bucket is not valid: {0}")]
    InvalidBucketName(String),
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// The validators go back with the 304.
    #[error("Not Modified")]
    NotModified {
        etag: String,
        last_modified: slipway_core::time_util::Micros,
    },
    #[error("The requested range is not satisfiable")]
    InvalidRange { size: u64 },
    #[error("The Content-MD5 you specified did not match what we received.")]
    BadDigest,
    #[error("The {0} you specified did not match the calculated checksum.")]
    BadChecksum(String),
    #[error("The Content-MD5 you specified is not valid.")]
    InvalidDigest,
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")]
    InvalidPart,
    #[error("The list of parts was not in ascending order. Parts must be ordered by part number.")]
    InvalidPartOrder,
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    /// User metadata over [`MAX_USER_METADATA`] bytes.
    #[error("Your metadata headers exceed the maximum allowed metadata size.")]
    MetadataTooLarge,
    /// The request body failed while streaming (client went away, bad
    /// aws-chunked framing, a payload signature or SHA-256 that did not
    /// match); the wire crate may find its own error inside.
    #[error("request body: {0}")]
    Body(std::io::Error),
    /// The row changed under a read-modify-write; the client may retry.
    #[error("{0}")]
    Conflict(String),
    /// A store failed; nothing a client can act on.
    #[error("internal error")]
    Internal {
        context: String,
        #[source]
        source: BoxError,
    },
}

impl ObjectError {
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: source.into(),
        }
    }
}

impl From<MetaError> for ObjectError {
    fn from(e: MetaError) -> Self {
        match e {
            MetaError::Conflict(what) => Self::Conflict(format!(
                "{what} was modified concurrently; retry the request"
            )),
            other => Self::internal("metadata store", other),
        }
    }
}

pub(crate) fn blob_error(e: BlobError) -> ObjectError {
    match e {
        BlobError::Body(io) => ObjectError::Body(io),
        other => ObjectError::internal("blob store", other),
    }
}

/// S3 operations, one method per operation family: a view of the ports,
/// the region buckets are created in, and the clock every stored time
/// comes from.
pub struct Objects<'a> {
    storage: &'a ObjectStorage,
    region: &'a str,
    clock: &'a dyn Clock,
}

/// Bucket naming rules (general purpose buckets): 3–63 characters of
/// lowercase letters, digits, dots and hyphens, starting and ending with a
/// letter or digit, no `..`, not shaped like an IP address.
pub fn check_bucket_name(name: &str) -> std::result::Result<(), ObjectError> {
    let bad = |why: &str| Err(ObjectError::InvalidBucketName(format!("{name:?}: {why}")));
    if !(3..=63).contains(&name.len()) {
        return bad("must be between 3 and 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return bad("only lowercase letters, digits, dots and hyphens are allowed");
    }
    let first_last_ok =
        |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !first_last_ok(name.bytes().next()) || !first_last_ok(name.bytes().last()) {
        return bad("must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return bad("must not contain two adjacent periods");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return bad("must not be formatted as an IP address");
    }
    Ok(())
}

impl<'a> Objects<'a> {
    pub fn new(storage: &'a ObjectStorage, region: &'a str, clock: &'a dyn Clock) -> Self {
        Self {
            storage,
            region,
            clock,
        }
    }

    /// Now, on the wall clock: every time object storage stores.
    pub(crate) fn wall_micros(&self) -> slipway_core::time_util::Micros {
        self.clock.wall_micros()
    }

    /// The bucket, if `account` owns it: `NoSuchBucket` when absent,
    /// `AccessDenied` when someone else's (as AWS answers).
    pub async fn owned_bucket(&self, account: &AccountId, name: &str) -> Result<BucketRow> {
        let b = self
            .storage
            .index
            .get_bucket(name)
            .await?
            .ok_or_else(|| ObjectError::NoSuchBucket(name.to_owned()))?;
        if &b.owner != account {
            return Err(ObjectError::AccessDenied);
        }
        Ok(b)
    }

    /// Deletes blobs a committed change freed. Failures only leave
    /// orphans for the sweep, so they are logged, not returned.
    pub(crate) async fn free(&self, freed: Freed) {
        let st = self.storage;
        for b in freed.blobs {
            if let Err(e) = st.blobs.delete(&b).await {
                tracing::warn!(blob = %b, error = %e, "cannot delete freed blob; the sweep will");
            }
        }
    }

    /// Deletes a blob written for a request that then failed.
    pub(crate) async fn discard(&self, blob: &BlobKey) {
        self.free(Freed {
            blobs: vec![blob.clone()],
        })
        .await;
    }

    pub async fn create_bucket(&self, account: &AccountId, name: &str) -> Result<BucketRow> {
        check_bucket_name(name)?;
        let row = BucketRow {
            name: name.to_owned(),
            owner: account.clone(),
            region: self.region.to_owned(),
            created: self.wall_micros(),
        };
        let st = self.storage;
        if st.index.create_bucket(&row).await? {
            return Ok(row);
        }
        match st.index.get_bucket(name).await? {
            // S3 keeps a legacy answer in us-east-1 only: re-creating a
            // bucket you own there succeeds (200) and changes nothing;
            // every other region says BucketAlreadyOwnedByYou.
            Some(b) if &b.owner == account && b.region == US_EAST_1 => Ok(b),
            Some(b) if &b.owner == account => {
                Err(ObjectError::BucketAlreadyOwnedByYou(name.into()))
            }
            _ => Err(ObjectError::BucketAlreadyExists(name.into())),
        }
    }

    pub async fn head_bucket(&self, account: &AccountId, name: &str) -> Result<BucketRow> {
        self.owned_bucket(account, name).await
    }

    pub async fn list_buckets(&self, account: &AccountId) -> Result<Vec<BucketRow>> {
        Ok(self.storage.index.list_buckets(account).await?)
    }

    pub async fn delete_bucket(&self, account: &AccountId, name: &str) -> Result<()> {
        self.owned_bucket(account, name).await?;
        match self.storage.index.delete_bucket(name).await? {
            // Unfinished uploads go with the bucket, as on S3 (docs/s3.md);
            // their parts' blobs are deleted now that the rows are gone (a
            // crash before that leaves orphans the start-up sweep deletes).
            BucketDelete::Deleted(freed) => {
                self.free(freed).await;
                Ok(())
            }
            BucketDelete::Missing => Err(ObjectError::NoSuchBucket(name.into())),
            BucketDelete::NotEmpty => Err(ObjectError::BucketNotEmpty(name.into())),
        }
    }

    /// Deletes blobs no row references that were last modified before
    /// `older_than`: what a crash between "blob durable" and "row
    /// committed" leaves. Run at start-up, before serving. Returns how
    /// many were deleted.
    pub async fn sweep_orphans(&self, older_than: i64) -> Result<usize> {
        let st = self.storage;
        // Safe against concurrent puts only because callers pass a cut-off
        // before any in-flight upload began (start-up time, before serving).
        let blobs = st.blobs.list().await.map_err(blob_error)?;
        let referenced = st.index.referenced_blobs().await?;
        let mut n = 0;
        for b in blobs {
            if b.modified < older_than && !referenced.contains(&b.key) {
                st.blobs.delete(&b.key).await.map_err(blob_error)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Maps "the parent vanished" from the index to the S3 condition.
pub(crate) fn missing_parent(
    e: MetaError,
    gone: impl FnOnce(String) -> ObjectError,
) -> ObjectError {
    match e {
        MetaError::MissingParent(what) => gone(what),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::check_bucket_name;

    #[test]
    fn bucket_names_follow_the_aws_rules() {
        for ok in ["abc", "my-bucket.v2", "a".repeat(63).as_str(), "1bucket"] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Upper",
            "-start",
            "end-",
            "a..b",
            "192.168.0.1",
            "under_score",
            &"a".repeat(64),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
