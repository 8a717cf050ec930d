//! PutObject, CopyObject, DeleteObject(s). Every write stores the bytes as
//! a new blob first (durable on return), verifies what the client claimed
//! about them, and only then commits the row that makes them visible.

use super::digest::{self, BodyDigests};
use super::{blob_error, missing_parent, ChecksumAlgo, ExpectedChecksum, ObjectError, Objects};
use super::{Conditions, TrailerChecksums};
use crate::Result;
use slipway_core::ports::blob::{BlobInfo, BlobKey, ByteStream};
use slipway_core::ports::objects::{ObjectMeta, ObjectRow, Segment};
use slipway_core::time_util::wall_micros;
use slipway_core::AccountId;
use std::collections::BTreeMap;

/// A body and what the client claims about it.
pub struct PutObject {
    pub bucket: String,
    pub key: String,
    pub meta: ObjectMeta,
    pub body: ByteStream,
    /// `Content-MD5` as sent (base64).
    pub content_md5: Option<String>,
    /// `x-amz-checksum-*` values sent as headers.
    pub checksums: Vec<ExpectedChecksum>,
    /// Algorithms to compute even without a value in hand (a trailer will
    /// bring it, or the client only asked for it to be stored).
    pub compute: Vec<ChecksumAlgo>,
    pub trailer: Option<TrailerChecksums>,
}

/// What a stored body turned out to be.
#[derive(Debug, Clone)]
pub struct PutOutcome {
    /// Without quotes.
    pub etag: String,
    pub size: u64,
    /// Verified or computed additional checksums (`CRC32` → base64).
    pub checksums: BTreeMap<String, String>,
}

/// Where CopyObject's metadata comes from.
pub enum MetadataDirective {
    Copy,
    Replace(ObjectMeta),
}

/// One key's fate in DeleteObjects.
pub struct DeleteResult {
    pub key: String,
    pub error: Option<crate::Error>,
}

/// A body stored as a blob and checked.
pub(crate) struct StoredBody {
    pub blob: BlobKey,
    pub info: BlobInfo,
    pub checksums: BTreeMap<String, String>,
}

impl Objects<'_> {
    /// Streams `body` into a new blob and verifies Content-MD5 and the
    /// additional checksums; on any failure the blob is deleted.
    pub(crate) async fn store_body(
        &self,
        body: ByteStream,
        content_md5: Option<&str>,
        checksums: &[ExpectedChecksum],
        compute: &[ChecksumAlgo],
        trailer: Option<TrailerChecksums>,
    ) -> Result<StoredBody> {
        let md5 = content_md5.map(digest::parse_content_md5).transpose()?;
        let digests = BodyDigests::new(
            checksums
                .iter()
                .map(|c| c.algo)
                .chain(compute.iter().copied()),
        );
        let blob = BlobKey::random();
        let info = self
            .storage()?
            .blobs
            .put(&blob, digests.wrap(body))
            .await
            .map_err(blob_error)?;
        let computed = digests.finish();
        let mut expected = checksums.to_vec();
        if let Some(t) = trailer {
            expected.extend(t());
        }
        let verdict = match md5 {
            Some(m) if m != info.md5 => Err(ObjectError::BadDigest),
            _ => digest::verify(&expected, &computed),
        };
        if let Err(e) = verdict {
            self.discard(&blob).await;
            return Err(e.into());
        }
        Ok(StoredBody {
            blob,
            info,
            checksums: computed,
        })
    }

    /// Commits a row for a stored body; the blob is discarded if the row
    /// cannot be written (bucket deleted meanwhile).
    async fn commit_single(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        body: StoredBody,
    ) -> Result<ObjectRow> {
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: body.info.size,
            etag: hex::encode(body.info.md5),
            last_modified: wall_micros(),
            meta,
            segments: vec![Segment {
                blob: body.blob.clone(),
                size: body.info.size,
            }],
        };
        match self.storage()?.index.put_object(&row).await {
            Ok(freed) => {
                self.free(freed).await;
                Ok(row)
            }
            Err(e) => {
                self.discard(&body.blob).await;
                Err(missing_parent(e, ObjectError::NoSuchBucket))
            }
        }
    }

    pub async fn put_object(&self, account: &AccountId, req: PutObject) -> Result<PutOutcome> {
        check_key(&req.key)?;
        self.owned_bucket(account, &req.bucket).await?;
        let body = self
            .store_body(
                req.body,
                req.content_md5.as_deref(),
                &req.checksums,
                &req.compute,
                req.trailer,
            )
            .await?;
        let checksums = body.checksums.clone();
        let mut meta = req.meta;
        meta.checksums = checksums.clone();
        let row = self
            .commit_single(&req.bucket, &req.key, meta, body)
            .await?;
        Ok(PutOutcome {
            etag: row.etag,
            size: row.size,
            checksums,
        })
    }

    /// Copies by streaming the source into a new blob (objects never share
    /// blobs, so deleting one never affects another).
    #[allow(clippy::too_many_arguments)]
    pub async fn copy_object(
        &self,
        account: &AccountId,
        src_bucket: &str,
        src_key: &str,
        src_conditions: &Conditions,
        dst_bucket: &str,
        dst_key: &str,
        directive: MetadataDirective,
    ) -> Result<ObjectRow> {
        check_key(dst_key)?;
        self.owned_bucket(account, dst_bucket).await?;
        if src_bucket == dst_bucket
            && src_key == dst_key
            && matches!(directive, MetadataDirective::Copy)
        {
            return Err(ObjectError::InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.".into(),
            )
            .into());
        }
        let src = self
            .get_object(account, src_bucket, src_key, src_conditions, None)
            .await?;
        let meta = match directive {
            MetadataDirective::Copy => ObjectMeta {
                checksums: BTreeMap::new(),
                ..src.object.meta.clone()
            },
            MetadataDirective::Replace(m) => m,
        };
        let body = self.store_body(src.body, None, &[], &[], None).await?;
        self.commit_single(dst_bucket, dst_key, meta, body).await
    }

    /// Deletes an object; deleting a missing key succeeds, as on S3.
    pub async fn delete_object(&self, account: &AccountId, bucket: &str, key: &str) -> Result<()> {
        self.owned_bucket(account, bucket).await?;
        if let Some(freed) = self.storage()?.index.delete_object(bucket, key).await? {
            self.free(freed).await;
        }
        Ok(())
    }

    pub async fn delete_objects(
        &self,
        account: &AccountId,
        bucket: &str,
        keys: Vec<String>,
    ) -> Result<Vec<DeleteResult>> {
        self.owned_bucket(account, bucket).await?;
        let index = &self.storage()?.index;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let error = match index.delete_object(bucket, &key).await {
                Ok(Some(freed)) => {
                    self.free(freed).await;
                    None
                }
                Ok(None) => None,
                Err(e) => Some(e.into()),
            };
            out.push(DeleteResult { key, error });
        }
        Ok(out)
    }
}

/// Object keys: 1 to 1024 bytes of UTF-8. Anything else is allowed —
/// `../`, leading `/`, NUL — because keys never become file names.
pub(crate) fn check_key(key: &str) -> Result<(), ObjectError> {
    if key.is_empty() || key.len() > 1024 {
        return Err(ObjectError::InvalidArgument(
            "Object keys must be between 1 and 1024 bytes long".into(),
        ));
    }
    Ok(())
}
