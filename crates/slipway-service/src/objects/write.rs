//! PutObject, CopyObject, DeleteObject(s). Every write stores the bytes as
//! a new blob first (durable on return), verifies what the client claimed
//! about them, and only then commits the row that makes them visible.

use super::digest::{self, BodyDigests};
use super::{blob_error, missing_parent, ChecksumAlgo, ExpectedChecksum, ObjectError, Objects};
use super::{Conditions, TrailerChecksums};
use crate::Result;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use md5::{Digest as _, Md5};
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

/// Objects up to this size keep their bytes in the index row instead of a
/// blob (see `ObjectRow::inline`). Large enough for the small files of a
/// typical job (records, predictions, manifests, configs); small enough
/// that a group commit of them stays a few MiB.
pub(crate) const INLINE_MAX: usize = 64 * 1024;

/// An object body, checked, and where it now lives.
enum StoredObject {
    Blob(StoredBody),
    Inline {
        bytes: Bytes,
        md5: [u8; 16],
        checksums: BTreeMap<String, String>,
    },
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

    /// A whole object's body: kept in hand when it ends within
    /// `INLINE_MAX` bytes (hashed and checked here, no blob), else streamed
    /// into a blob by `store_body`.
    async fn store_object_body(
        &self,
        mut body: ByteStream,
        content_md5: Option<&str>,
        checksums: &[ExpectedChecksum],
        compute: &[ChecksumAlgo],
        trailer: Option<TrailerChecksums>,
    ) -> Result<StoredObject> {
        let mut head: Vec<Bytes> = Vec::new();
        let mut len = 0usize;
        while len <= INLINE_MAX {
            match body.next().await {
                None => {
                    return self
                        .keep_inline(head, len, content_md5, checksums, compute, trailer)
                        .await
                }
                Some(Ok(chunk)) => {
                    len += chunk.len();
                    head.push(chunk);
                }
                Some(Err(e)) => return Err(ObjectError::Body(e).into()),
            }
        }
        let whole = futures::stream::iter(head.into_iter().map(Ok)).chain(body);
        let stored = self
            .store_body(Box::pin(whole), content_md5, checksums, compute, trailer)
            .await?;
        Ok(StoredObject::Blob(stored))
    }

    /// Checks a complete small body the way `store_body` checks a blob.
    async fn keep_inline(
        &self,
        chunks: Vec<Bytes>,
        len: usize,
        content_md5: Option<&str>,
        checksums: &[ExpectedChecksum],
        compute: &[ChecksumAlgo],
        trailer: Option<TrailerChecksums>,
    ) -> Result<StoredObject> {
        let claimed_md5 = content_md5.map(digest::parse_content_md5).transpose()?;
        let digests = BodyDigests::new(
            checksums
                .iter()
                .map(|c| c.algo)
                .chain(compute.iter().copied()),
        );
        let mut stream = digests.wrap(Box::pin(futures::stream::iter(chunks.into_iter().map(Ok))));
        let mut bytes = BytesMut::with_capacity(len);
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.map_err(ObjectError::Body)?);
        }
        let computed = digests.finish();
        let md5: [u8; 16] = Md5::digest(&bytes).into();
        let mut expected = checksums.to_vec();
        if let Some(t) = trailer {
            expected.extend(t());
        }
        match claimed_md5 {
            Some(m) if m != md5 => return Err(ObjectError::BadDigest.into()),
            _ => digest::verify(&expected, &computed)?,
        }
        Ok(StoredObject::Inline {
            bytes: bytes.freeze(),
            md5,
            checksums: computed,
        })
    }

    /// Commits a row for a stored body; a blob is discarded if the row
    /// cannot be written (bucket deleted meanwhile).
    async fn commit_single(
        &self,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
        body: StoredObject,
    ) -> Result<ObjectRow> {
        let (size, md5, segments, inline) = match &body {
            StoredObject::Blob(b) => (
                b.info.size,
                b.info.md5,
                vec![Segment {
                    blob: b.blob.clone(),
                    size: b.info.size,
                }],
                None,
            ),
            StoredObject::Inline { bytes, md5, .. } => {
                (bytes.len() as u64, *md5, Vec::new(), Some(bytes.clone()))
            }
        };
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size,
            etag: hex::encode(md5),
            last_modified: wall_micros(),
            meta,
            segments,
            inline,
        };
        match self.storage()?.index.put_object(&row).await {
            Ok(freed) => {
                self.free(freed).await;
                Ok(row)
            }
            Err(e) => {
                if let StoredObject::Blob(b) = &body {
                    self.discard(&b.blob).await;
                }
                Err(missing_parent(e, ObjectError::NoSuchBucket))
            }
        }
    }

    pub async fn put_object(&self, account: &AccountId, req: PutObject) -> Result<PutOutcome> {
        check_key(&req.key)?;
        self.owned_bucket(account, &req.bucket).await?;
        self.put_object_in_owned_bucket(req).await
    }

    /// PutObject into a bucket the caller has already found its account
    /// owns: a job writing thousands of outputs to one bucket checks once,
    /// not once per object. A bucket deleted since still fails the commit
    /// (`NoSuchBucket`).
    pub(crate) async fn put_object_in_owned_bucket(&self, req: PutObject) -> Result<PutOutcome> {
        check_key(&req.key)?;
        let body = self
            .store_object_body(
                req.body,
                req.content_md5.as_deref(),
                &req.checksums,
                &req.compute,
                req.trailer,
            )
            .await?;
        let checksums = match &body {
            StoredObject::Blob(b) => b.checksums.clone(),
            StoredObject::Inline { checksums, .. } => checksums.clone(),
        };
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
        let body = self
            .store_object_body(src.body, None, &[], &[], None)
            .await?;
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
