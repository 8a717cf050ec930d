//! GetObject / HeadObject: conditional headers, byte ranges, and reading
//! an object that spans several blobs (multipart) as one stream.

use super::{blob_error, ObjectError, Objects};
use crate::Result;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use slipway_core::ports::blob::{BlobKey, BlobStore, ByteRange, ByteStream};
use slipway_core::ports::objects::{ObjectRow, Segment};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use std::sync::Arc;

/// A `Range: bytes=` request as S3 accepts it (one range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `first-` or `first-last` (inclusive).
    FromTo { first: u64, last: Option<u64> },
    /// `-n`: the last n bytes.
    Suffix { length: u64 },
}

impl RangeSpec {
    /// The bytes to serve, or `InvalidRange` when none of the object is
    /// in range (S3 answers 416).
    pub fn resolve(self, size: u64) -> Result<ByteRange, ObjectError> {
        let r = match self {
            Self::FromTo { first, last } => {
                if first >= size || last.is_some_and(|l| l < first) {
                    return Err(ObjectError::InvalidRange { size });
                }
                let end = last.map_or(size, |l| l.saturating_add(1).min(size));
                ByteRange { start: first, end }
            }
            Self::Suffix { length } => {
                if length == 0 {
                    return Err(ObjectError::InvalidRange { size });
                }
                ByteRange {
                    start: size.saturating_sub(length),
                    end: size,
                }
            }
        };
        Ok(r)
    }
}

/// `If-*` request headers. Times are microseconds (HTTP dates carry whole
/// seconds; comparisons truncate the object's time to seconds too).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<Micros>,
    pub if_unmodified_since: Option<Micros>,
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|t| {
        let t = t.strip_prefix("W/").unwrap_or(t);
        t == "*" || t.trim_matches('"') == etag
    })
}

impl Conditions {
    /// RFC 7232 §6 as S3 applies it: If-Match beats If-Unmodified-Since,
    /// If-None-Match beats If-Modified-Since.
    pub fn check(&self, etag: &str, last_modified: Micros) -> Result<(), ObjectError> {
        let secs = |m: Micros| m.div_euclid(1_000_000);
        let modified = secs(last_modified);
        // A 304 carries the object's validators, as S3 sends them.
        let not_modified = || ObjectError::NotModified {
            etag: etag.to_owned(),
            last_modified,
        };
        match &self.if_match {
            Some(m) if !etag_matches(m, etag) => return Err(ObjectError::PreconditionFailed),
            Some(_) => {}
            None => {
                if self.if_unmodified_since.is_some_and(|t| modified > secs(t)) {
                    return Err(ObjectError::PreconditionFailed);
                }
            }
        }
        match &self.if_none_match {
            Some(m) if etag_matches(m, etag) => return Err(not_modified()),
            Some(_) => {}
            None => {
                if self.if_modified_since.is_some_and(|t| modified <= secs(t)) {
                    return Err(not_modified());
                }
            }
        }
        Ok(())
    }
}

/// A copy source's `x-amz-copy-source-if-*` verdict: the same tests as a
/// GET's, but a source that "has not been modified" is a failed
/// precondition (412) — a copy has no cached copy to keep, so S3 never
/// answers it 304.
pub(crate) fn copy_source_error(e: ObjectError) -> ObjectError {
    match e {
        ObjectError::NotModified { .. } => ObjectError::PreconditionFailed,
        other => other,
    }
}

/// An object being read: its row, the range served (if any) and the bytes.
pub struct GotObject {
    pub object: ObjectRow,
    pub range: Option<ByteRange>,
    pub body: ByteStream,
}

/// Streams `range` of an object made of `segments`, opening each blob only
/// when the previous one is exhausted (memory stays flat).
pub fn segments_stream(
    blobs: Arc<dyn BlobStore>,
    segments: &[Segment],
    range: ByteRange,
) -> ByteStream {
    let mut plan = Vec::new();
    let mut offset = 0u64;
    for s in segments {
        let (seg_start, seg_end) = (offset, offset + s.size);
        offset = seg_end;
        let start = range.start.max(seg_start);
        let end = range.end.min(seg_end);
        if start >= end {
            continue;
        }
        let sub = (start != seg_start || end != seg_end).then_some(ByteRange {
            start: start - seg_start,
            end: end - seg_start,
        });
        plan.push((s.blob.clone(), sub));
    }
    let stream = futures::stream::iter(plan)
        .then(move |(blob, sub)| {
            let blobs = blobs.clone();
            async move {
                blobs
                    .get(&blob, sub)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))
            }
        })
        .try_flatten();
    Box::pin(stream)
}

/// The bytes `range` covers of an object kept inline.
fn inline_stream(bytes: &Bytes, range: ByteRange) -> ByteStream {
    let end = usize::try_from(range.end).map_or(bytes.len(), |e| e.min(bytes.len()));
    let start = usize::try_from(range.start).map_or(end, |s| s.min(end));
    let chunk = bytes.slice(start..end);
    Box::pin(futures::stream::iter(
        (!chunk.is_empty()).then_some(Ok(chunk)),
    ))
}

impl Objects<'_> {
    /// The bytes of a single-blob object as its owner's listing saw it,
    /// without looking the object up again: jobs list their inputs once,
    /// then read thousands of them. Fails when the blob is gone (the object
    /// was overwritten or deleted after the listing); the caller then reads
    /// the object the usual way. Blob keys are random and never reused, so
    /// a listed blob holds that listed version or nothing.
    pub async fn read_listed_blob(&self, blob: &BlobKey) -> Result<ByteStream> {
        let blobs = self.storage.blobs.clone();
        blobs.get(blob, None).await.map_err(blob_error)
    }

    /// The bytes of small objects its owner's listing saw, for many keys of
    /// one bucket in one lookup: key → bytes for those still stored inline
    /// (others were changed since, or live in blobs, and are read one by
    /// one).
    pub async fn read_listed_inline(
        &self,
        bucket: &str,
        keys: &[String],
    ) -> Result<std::collections::HashMap<String, Bytes>> {
        let rows = self.storage.index.get_objects(bucket, keys).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.inline.map(|b| (r.key, b)))
            .collect())
    }

    /// The object's row, after the access and condition checks.
    pub async fn head_object(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        conditions: &Conditions,
    ) -> Result<ObjectRow> {
        self.owned_bucket(account, bucket).await?;
        let o = self
            .storage
            .index
            .get_object(bucket, key)
            .await?
            .ok_or_else(|| ObjectError::NoSuchKey(key.to_owned()))?;
        conditions.check(&o.etag, o.last_modified)?;
        Ok(o)
    }

    pub async fn get_object(
        &self,
        account: &AccountId,
        bucket: &str,
        key: &str,
        conditions: &Conditions,
        range: Option<RangeSpec>,
    ) -> Result<GotObject> {
        let object = self.head_object(account, bucket, key, conditions).await?;
        let range = range.map(|r| r.resolve(object.size)).transpose()?;
        let whole = ByteRange {
            start: 0,
            end: object.size,
        };
        let blobs = self.storage.blobs.clone();
        // A single-segment whole read goes straight to the blob, so a
        // missing blob is an error now rather than mid-stream.
        let body = match (&object.inline, object.segments.as_slice(), range) {
            (Some(bytes), _, r) => inline_stream(bytes, r.unwrap_or(whole)),
            (None, [one], None) => blobs.get(&one.blob, None).await.map_err(blob_error)?,
            (None, segs, r) => segments_stream(blobs, segs, r.unwrap_or(whole)),
        };
        Ok(GotObject {
            object,
            range,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_s3() {
        let r = |first, last| RangeSpec::FromTo { first, last }.resolve(100);
        assert_eq!(r(0, Some(9)).unwrap(), ByteRange { start: 0, end: 10 });
        assert_eq!(
            r(90, Some(500)).unwrap(),
            ByteRange {
                start: 90,
                end: 100
            }
        );
        assert_eq!(r(5, None).unwrap(), ByteRange { start: 5, end: 100 });
        assert!(r(100, None).is_err());
        assert_eq!(
            RangeSpec::Suffix { length: 10 }.resolve(100).unwrap(),
            ByteRange {
                start: 90,
                end: 100
            }
        );
        assert_eq!(
            RangeSpec::Suffix { length: 1000 }.resolve(100).unwrap(),
            ByteRange { start: 0, end: 100 }
        );
    }

    #[test]
    fn conditions_follow_rfc_7232() {
        let t = 1_700_000_000_000_000;
        let c = |m: Option<&str>, n: Option<&str>, ims: Option<i64>, ius: Option<i64>| {
            Conditions {
                if_match: m.map(Into::into),
                if_none_match: n.map(Into::into),
                if_modified_since: ims,
                if_unmodified_since: ius,
            }
            .check("abc", t)
        };
        assert!(c(Some("\"abc\""), None, None, None).is_ok());
        assert!(matches!(
            c(Some("\"x\""), None, None, None),
            Err(ObjectError::PreconditionFailed)
        ));
        assert!(matches!(
            c(None, Some("\"abc\""), None, None),
            Err(ObjectError::NotModified { .. })
        ));
        assert!(matches!(
            c(None, None, Some(t), None),
            Err(ObjectError::NotModified { .. })
        ));
        assert!(c(None, None, Some(t - 1_000_000), None).is_ok());
        assert!(matches!(
            c(None, None, None, Some(t - 1_000_000)),
            Err(ObjectError::PreconditionFailed)
        ));
        // If-Match wins over If-Unmodified-Since.
        assert!(c(Some("abc"), None, None, Some(t - 1_000_000)).is_ok());
        assert!(c(None, Some("*"), None, None).is_err());
    }
}
