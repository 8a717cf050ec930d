//! PutObject, CopyObject, DeleteObject(s). Every write stores the bytes as
//! a new blob first (durable on return), verifies what the client claimed
//! about them, and only then commits the row that makes them visible.

use super::digest::{self, hash_on_thread, BodyDigests};
use super::rechunk::rechunk;
use super::{blob_error, missing_parent, ChecksumAlgo, ExpectedChecksum, ObjectError, Objects};
use super::{Conditions, TrailerChecksums};
use crate::Result;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use md5::{Digest as _, Md5};
use slipway_core::ports::blob::{BlobInfo, BlobKey, ByteStream};
use slipway_core::ports::objects::{ObjectMeta, ObjectRow, Segment};
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
    /// The body's length when the request declared it (Content-Length):
    /// chooses how the ETag is computed (see `MD5_ETAG_MAX`).
    pub size_hint: Option<u64>,
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
    pub error: Option<ObjectError>,
}

/// What a client claims about a body it sends: checked once the body has
/// been stored, before it becomes visible.
pub(crate) struct BodyClaims<'a> {
    /// `Content-MD5` as sent (base64).
    pub content_md5: Option<&'a str>,
    /// `x-amz-checksum-*` values sent as headers.
    pub checksums: &'a [ExpectedChecksum],
    /// Algorithms to compute without a value in hand.
    pub compute: &'a [ChecksumAlgo],
    pub trailer: Option<TrailerChecksums>,
}

impl BodyClaims<'_> {
    /// No claims: a copy of bytes already stored.
    pub(crate) fn none() -> Self {
        BodyClaims {
            content_md5: None,
            checksums: &[],
            compute: &[],
            trailer: None,
        }
    }
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
pub const INLINE_MAX: usize = 64 * 1024;

/// The largest single-request body whose ETag is its MD5 when the client
/// did not send `Content-MD5`. A larger one gets the ETag
/// `<first 128 bits of its BLAKE3 hash>-1`, in the multipart form AWS also
/// gives objects whose ETag is not their MD5 (tools such as rclone and
/// s3cmd then skip comparing it with an MD5; S3 documents that an ETag
/// may or may not be an MD5). Why: MD5 cannot be split across cores and
/// runs at ~0.6–0.76 GB/s, which bounded a 1 GiB PUT to under half of
/// what the disk takes; BLAKE3 is a cryptographic hash several times as
/// fast on one core (SIMD). A client that sends `Content-MD5` has asked for
/// the MD5 to be checked anyway and gets it as the ETag, as do all objects
/// up to this size; multipart uploads keep AWS's `md5-of-part-md5s-N`.
pub(crate) const MD5_ETAG_MAX: u64 = 16 * 1024 * 1024;

/// An object body, checked, and where it now lives.
enum StoredObject {
    Blob {
        body: StoredBody,
        etag: String,
    },
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
        claims: BodyClaims<'_>,
    ) -> Result<StoredBody> {
        let md5 = claims
            .content_md5
            .map(digest::parse_content_md5)
            .transpose()?;
        let digests = BodyDigests::for_request(claims.checksums, claims.compute);
        let blob = BlobKey::random();
        let info = self
            .storage
            .blobs
            .put(&blob, digests.wrap(body))
            .await
            .map_err(blob_error)?;
        let computed = digests.finish();
        let expected = digest::with_trailer(claims.checksums, claims.trailer);
        let verdict = match md5 {
            Some(m) if m != info.md5 => Err(ObjectError::BadDigest),
            _ => digest::verify(&expected, &computed),
        };
        if let Err(e) = verdict {
            self.discard(&blob).await;
            return Err(e);
        }
        Ok(StoredBody {
            blob,
            info,
            checksums: computed,
        })
    }

    /// A whole object's body: kept in hand when it ends within
    /// `INLINE_MAX` bytes (hashed and checked here, no blob), else streamed
    /// into a blob by `store_body` (or `store_large`, see `MD5_ETAG_MAX`).
    async fn store_object_body(
        &self,
        mut body: ByteStream,
        claims: BodyClaims<'_>,
        size_hint: Option<u64>,
    ) -> Result<StoredObject> {
        if claims.content_md5.is_none() && size_hint.is_some_and(|n| n > MD5_ETAG_MAX) {
            return self.store_large(body, claims).await;
        }
        let mut head: Vec<Bytes> = Vec::new();
        let mut len = 0usize;
        while len <= INLINE_MAX {
            match body.next().await {
                None => return self.keep_inline(head, len, claims).await,
                Some(Ok(chunk)) => {
                    len += chunk.len();
                    head.push(chunk);
                }
                Some(Err(e)) => return Err(ObjectError::Body(e)),
            }
        }
        let whole = futures::stream::iter(head.into_iter().map(Ok)).chain(body);
        let stored = self.store_body(Box::pin(whole), claims).await?;
        let etag = hex::encode(stored.info.md5);
        Ok(StoredObject::Blob { body: stored, etag })
    }

    /// A large body without `Content-MD5`: stored without an MD5, its ETag
    /// taken from a BLAKE3 hash computed as it streams (`MD5_ETAG_MAX`).
    async fn store_large(&self, body: ByteStream, claims: BodyClaims<'_>) -> Result<StoredObject> {
        let digests = BodyDigests::for_request(claims.checksums, claims.compute);
        let hashers = (digests.clone(), blake3::Hasher::new());
        let (body, hashing) = hash_on_thread(rechunk(body), hashers, |(d, b3), chunk| {
            d.update(chunk);
            b3.update(chunk);
        });
        let blob = BlobKey::random();
        let size = self.storage.blobs.put_unhashed(&blob, body).await;
        let hashed = hashing.await;
        let size = size.map_err(blob_error)?;
        let Ok((_, b3)) = hashed else {
            self.discard(&blob).await;
            return Err(ObjectError::internal(
                "object store",
                "the body's hasher failed",
            ));
        };
        let computed = digests.finish();
        let expected = digest::with_trailer(claims.checksums, claims.trailer);
        if let Err(e) = digest::verify(&expected, &computed) {
            self.discard(&blob).await;
            return Err(e);
        }
        let etag = format!("{}-1", hex::encode(&b3.finalize().as_bytes()[..16]));
        Ok(StoredObject::Blob {
            body: StoredBody {
                blob,
                info: BlobInfo { size, md5: [0; 16] },
                checksums: computed,
            },
            etag,
        })
    }

    /// Checks a complete small body the way `store_body` checks a blob.
    async fn keep_inline(
        &self,
        chunks: Vec<Bytes>,
        len: usize,
        claims: BodyClaims<'_>,
    ) -> Result<StoredObject> {
        let claimed_md5 = claims
            .content_md5
            .map(digest::parse_content_md5)
            .transpose()?;
        let digests = BodyDigests::for_request(claims.checksums, claims.compute);
        let mut stream = digests.wrap(Box::pin(futures::stream::iter(chunks.into_iter().map(Ok))));
        let mut bytes = BytesMut::with_capacity(len);
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.map_err(ObjectError::Body)?);
        }
        let computed = digests.finish();
        let md5: [u8; 16] = Md5::digest(&bytes).into();
        let expected = digest::with_trailer(claims.checksums, claims.trailer);
        match claimed_md5 {
            Some(m) if m != md5 => return Err(ObjectError::BadDigest),
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
        let (size, etag, segments, inline) = match &body {
            StoredObject::Blob { body: b, etag } => (
                b.info.size,
                etag.clone(),
                vec![Segment {
                    blob: b.blob.clone(),
                    size: b.info.size,
                }],
                None,
            ),
            StoredObject::Inline { bytes, md5, .. } => (
                bytes.len() as u64,
                hex::encode(md5),
                Vec::new(),
                Some(bytes.clone()),
            ),
        };
        let row = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size,
            etag,
            last_modified: self.wall_micros(),
            meta,
            segments,
            inline,
        };
        match self.storage.index.put_object(&row).await {
            Ok(freed) => {
                self.free(freed).await;
                Ok(row)
            }
            Err(e) => {
                if let StoredObject::Blob { body: b, .. } = &body {
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
    pub async fn put_object_in_owned_bucket(&self, req: PutObject) -> Result<PutOutcome> {
        check_key(&req.key)?;
        check_user_metadata(&req.meta)?;
        let body = self
            .store_object_body(
                req.body,
                BodyClaims {
                    content_md5: req.content_md5.as_deref(),
                    checksums: &req.checksums,
                    compute: &req.compute,
                    trailer: req.trailer,
                },
                req.size_hint,
            )
            .await?;
        let checksums = match &body {
            StoredObject::Blob { body: b, .. } => b.checksums.clone(),
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
        if let MetadataDirective::Replace(meta) = &directive {
            check_user_metadata(meta)?;
        }
        self.owned_bucket(account, dst_bucket).await?;
        if src_bucket == dst_bucket
            && src_key == dst_key
            && matches!(directive, MetadataDirective::Copy)
        {
            return Err(ObjectError::InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.".into(),
            ));
        }
        let src = self
            .get_object(account, src_bucket, src_key, src_conditions, None)
            .await
            .map_err(super::read::copy_source_error)?;
        let meta = match directive {
            MetadataDirective::Copy => ObjectMeta {
                checksums: BTreeMap::new(),
                ..src.object.meta.clone()
            },
            MetadataDirective::Replace(m) => m,
        };
        let body = self
            .store_object_body(src.body, BodyClaims::none(), Some(src.object.size))
            .await?;
        self.commit_single(dst_bucket, dst_key, meta, body).await
    }

    /// Deletes an object; deleting a missing key succeeds, as on S3.
    pub async fn delete_object(&self, account: &AccountId, bucket: &str, key: &str) -> Result<()> {
        self.owned_bucket(account, bucket).await?;
        if let Some(freed) = self.storage.index.delete_object(bucket, key).await? {
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
        let index = &self.storage.index;
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

/// Most bytes of user metadata (`x-amz-meta-*`) an object may carry: 2 KB,
/// S3's limit. Every HEAD and GET sends it back as headers.
pub const MAX_USER_METADATA: usize = 2048;

/// User metadata is measured as S3 measures it: the UTF-8 bytes of each
/// key (the name after `x-amz-meta-`) and each value, summed.
pub(crate) fn check_user_metadata(meta: &ObjectMeta) -> Result<(), ObjectError> {
    let size: usize = meta.user.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(ObjectError::MetadataTooLarge);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            user: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..ObjectMeta::default()
        }
    }

    fn too_large(m: &ObjectMeta) -> bool {
        matches!(check_user_metadata(m), Err(ObjectError::MetadataTooLarge))
    }

    #[test]
    fn user_metadata_up_to_2_kb_of_keys_and_values_is_accepted() {
        assert!(check_user_metadata(&meta(&[])).is_ok());
        // 1 + 2047 bytes: exactly the limit.
        assert!(check_user_metadata(&meta(&[("k", &"v".repeat(2047))])).is_ok());
        // Keys count as well as values, without the x-amz-meta- prefix:
        // 1000 + 1000 + 2 + 46 = 2048.
        let (k, v) = ("k".repeat(1000), "v".repeat(1000));
        assert!(check_user_metadata(&meta(&[(&k, &v), ("ab", &"x".repeat(46))])).is_ok());
    }

    #[test]
    fn user_metadata_over_2_kb_is_too_large() {
        assert!(too_large(&meta(&[("k", &"v".repeat(2048))])));
        let (k, v) = ("k".repeat(1000), "v".repeat(1000));
        assert!(too_large(&meta(&[(&k, &v), ("ab", &"x".repeat(47))])));
        // Bytes, not characters: 683 three-byte characters are 2049 bytes.
        assert!(too_large(&meta(&[("", &"\u{20ac}".repeat(683))])));
    }

    #[test]
    fn other_headers_do_not_count() {
        let mut m = meta(&[("k", &"v".repeat(2047))]);
        m.content_type = Some("x".repeat(4096));
        m.cache_control = Some("x".repeat(4096));
        assert!(check_user_metadata(&m).is_ok());
    }
}
