//! Multipart uploads. Each part is its own durable blob; Complete commits
//! one row that lists the chosen parts' blobs in order (no copy), so a 1 GiB
//! upload completes in one metadata transaction.

use super::digest::multipart_etag;
use super::read::RangeSpec;
use super::write::{check_key, check_user_metadata, BodyClaims};
use super::{missing_parent, ChecksumAlgo, Conditions, ExpectedChecksum, ObjectError, Objects};
use super::{PutOutcome, TrailerChecksums};
use crate::Result;
use slipway_core::ports::blob::{BlobKey, ByteStream};
use slipway_core::ports::metadata::MetaError;
use slipway_core::ports::objects::{
    CompletedUpload, ObjectMeta, ObjectRow, PartRow, Segment, UploadRow,
};
use slipway_core::AccountId;

/// S3's minimum size of every part but the last.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: u32 = 10_000;
/// How long a completed upload still answers a retried completion: a day
/// covers any client's retries, and the records are a few hundred bytes.
const COMPLETION_KEPT_MICROS: i64 = 24 * 3600 * 1_000_000;

/// A part named in CompleteMultipartUpload.
#[derive(Debug, Clone)]
pub struct CompletePart {
    pub part_number: u32,
    /// As sent, quotes optional.
    pub etag: String,
}

/// A page of ListParts.
pub struct PartListing {
    pub upload: UploadRow,
    pub parts: Vec<PartRow>,
    pub is_truncated: bool,
    pub next_marker: Option<u32>,
}

/// A page of ListMultipartUploads.
pub struct UploadListing {
    pub uploads: Vec<UploadRow>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_upload_id_marker: Option<String>,
}

impl Objects<'_> {
    /// The upload, if it belongs to this bucket and key (after the bucket's
    /// access check).
    async fn upload(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        id: &str,
    ) -> Result<UploadRow> {
        self.owned_bucket(account, bucket).await?;
        match self.storage.index.get_upload(id).await? {
            Some(u) if u.bucket == bucket && u.key == key => Ok(u),
            _ => Err(ObjectError::NoSuchUpload(id.to_owned())),
        }
    }

    pub async fn create_multipart_upload(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        meta: ObjectMeta,
    ) -> Result<UploadRow> {
        check_key(key)?;
        check_user_metadata(&meta)?;
        self.owned_bucket(account, bucket).await?;
        let initiated = self.wall_micros();
        // Ids sort by initiation time, the order S3 lists uploads of a key in.
        let upload = UploadRow {
            upload_id: format!("{initiated:016x}{}", BlobKey::random()),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            initiated,
            meta,
        };
        self.storage
            .index
            .create_upload(&upload)
            .await
            .map_err(|e| missing_parent(e, ObjectError::NoSuchBucket))?;
        Ok(upload)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: ByteStream,
        content_md5: Option<&str>,
        checksums: &[ExpectedChecksum],
        compute: &[ChecksumAlgo],
        trailer: Option<TrailerChecksums>,
    ) -> Result<PutOutcome> {
        check_part_number(part_number)?;
        self.upload(account, bucket, key, upload_id).await?;
        let stored = self
            .store_body(
                body,
                BodyClaims {
                    content_md5,
                    checksums,
                    compute,
                    trailer,
                },
            )
            .await?;
        let part = PartRow {
            upload_id: upload_id.to_owned(),
            part_number,
            size: stored.info.size,
            etag: hex::encode(stored.info.md5),
            blob: stored.blob.clone(),
            last_modified: self.wall_micros(),
        };
        match self.storage.index.put_part(&part).await {
            Ok(freed) => self.free(freed).await,
            Err(e) => {
                self.discard(&stored.blob).await;
                return Err(missing_parent(e, ObjectError::NoSuchUpload));
            }
        }
        Ok(PutOutcome {
            etag: part.etag,
            size: part.size,
            checksums: stored.checksums,
        })
    }

    /// UploadPartCopy: a part streamed from (a range of) another object.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part_copy(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        src_bucket: &str,
        src_key: &str,
        src_conditions: &Conditions,
        src_range: Option<RangeSpec>,
    ) -> Result<PutOutcome> {
        check_part_number(part_number)?;
        self.upload(account, bucket, key, upload_id).await?;
        let src = self
            .get_object(account, src_bucket, src_key, src_conditions, src_range)
            .await
            .map_err(super::read::copy_source_error)?;
        // Unlike a GET's Range, a copy range is not clamped to the object:
        // its last byte must exist (S3 answers InvalidRange otherwise).
        if let Some(RangeSpec::FromTo {
            last: Some(last), ..
        }) = src_range
        {
            if last >= src.object.size {
                return Err(ObjectError::InvalidRange {
                    size: src.object.size,
                });
            }
        }
        self.upload_part(
            account,
            bucket,
            key,
            upload_id,
            part_number,
            src.body,
            None,
            &[],
            &[],
            None,
        )
        .await
    }

    pub async fn complete_multipart_upload(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletePart],
    ) -> Result<CompletedUpload> {
        let upload = match self.upload(account, bucket, key, upload_id).await {
            Err(ObjectError::NoSuchUpload(_)) => {
                return self.completed_before(bucket, key, upload_id, parts).await;
            }
            other => other?,
        };
        if parts.is_empty() {
            return Err(ObjectError::InvalidRequest(
                "You must specify at least one part".into(),
            ));
        }
        if parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(ObjectError::InvalidPartOrder);
        }
        let index = &self.storage.index;
        let stored = index
            .list_parts(upload_id, 0, MAX_PART_NUMBER as usize + 1)
            .await?;
        let mut chosen = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let Some(row) = stored.iter().find(|r| r.part_number == p.part_number) else {
                return Err(ObjectError::InvalidPart);
            };
            if row.etag != bare_etag(&p.etag) {
                return Err(ObjectError::InvalidPart);
            }
            if i + 1 < parts.len() && row.size < MIN_PART_SIZE {
                return Err(ObjectError::EntityTooSmall);
            }
            chosen.push(row);
        }
        let etags: Vec<&str> = chosen.iter().map(|r| r.etag.as_str()).collect();
        let object = ObjectRow {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: chosen.iter().map(|r| r.size).sum(),
            etag: multipart_etag(&etags),
            last_modified: self.wall_micros(),
            meta: upload.meta,
            segments: chosen
                .iter()
                .map(|r| Segment {
                    blob: r.blob.clone(),
                    size: r.size,
                })
                .collect(),
            inline: None,
        };
        let done = CompletedUpload {
            upload_id: upload_id.to_owned(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: object.etag.clone(),
            parts: parts
                .iter()
                .map(|p| (p.part_number, bare_etag(&p.etag).to_owned()))
                .collect(),
            completed: object.last_modified,
        };
        let forget_before = done.completed.saturating_sub(COMPLETION_KEPT_MICROS);
        match index
            .complete_upload(upload_id, &object, &done, forget_before)
            .await
        {
            Ok(freed) => self.free(freed).await,
            // Another request completed it first: answer as a retry.
            Err(MetaError::MissingParent(_)) => {
                return self.completed_before(bucket, key, upload_id, parts).await
            }
            Err(e) => return Err(e.into()),
        }
        Ok(done)
    }

    /// A CompleteMultipartUpload of an upload that is gone: S3 answers a
    /// retry of a completion that succeeded (same bucket, key and parts)
    /// with that completion's result, for a while; anything else is
    /// NoSuchUpload.
    async fn completed_before(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletePart],
    ) -> Result<CompletedUpload> {
        let gone = || ObjectError::NoSuchUpload(upload_id.to_owned());
        let Some(done) = self.storage.index.get_completed_upload(upload_id).await? else {
            return Err(gone());
        };
        let same_parts = done.parts.len() == parts.len()
            && done
                .parts
                .iter()
                .zip(parts)
                .all(|((n, etag), p)| *n == p.part_number && etag == bare_etag(&p.etag));
        let fresh = self.wall_micros().saturating_sub(done.completed) < COMPLETION_KEPT_MICROS;
        if done.bucket != bucket || done.key != key || !same_parts || !fresh {
            return Err(gone());
        }
        Ok(done)
    }

    pub async fn abort_multipart_upload(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<()> {
        self.upload(account, bucket, key, upload_id).await?;
        match self.storage.index.abort_upload(upload_id).await? {
            Some(freed) => {
                self.free(freed).await;
                Ok(())
            }
            None => Err(ObjectError::NoSuchUpload(upload_id.to_owned())),
        }
    }

    pub async fn list_parts(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after: u32,
        max_parts: usize,
    ) -> Result<PartListing> {
        let upload = self.upload(account, bucket, key, upload_id).await?;
        let max = max_parts.min(1000);
        let mut parts = self
            .storage
            .index
            .list_parts(upload_id, after, max + 1)
            .await?;
        let is_truncated = parts.len() > max;
        parts.truncate(max);
        let next_marker = is_truncated
            .then(|| parts.last().map(|p| p.part_number))
            .flatten();
        Ok(PartListing {
            upload,
            parts,
            is_truncated,
            next_marker,
        })
    }

    pub async fn list_multipart_uploads(
        &self,
        account: &AccountId,
        bucket: &str,
        prefix: &str,
        key_marker: Option<&str>,
        upload_id_marker: Option<&str>,
        max_uploads: usize,
    ) -> Result<UploadListing> {
        self.owned_bucket(account, bucket).await?;
        let max = max_uploads.min(1000);
        let mut uploads = self
            .storage
            .index
            .list_uploads(bucket, prefix, key_marker, upload_id_marker, max + 1)
            .await?;
        let is_truncated = uploads.len() > max;
        uploads.truncate(max);
        let last = uploads.last().filter(|_| is_truncated);
        Ok(UploadListing {
            next_key_marker: last.map(|u| u.key.clone()),
            next_upload_id_marker: last.map(|u| u.upload_id.clone()),
            uploads,
            is_truncated,
        })
    }
}

/// A part ETag as the client sent it, without quotes or spaces.
fn bare_etag(e: &str) -> &str {
    e.trim().trim_matches('"')
}

fn check_part_number(n: u32) -> Result<(), ObjectError> {
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(ObjectError::InvalidArgument(format!(
            "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        )));
    }
    Ok(())
}
