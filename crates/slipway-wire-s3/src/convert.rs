//! Small translations between s3s DTOs and service types.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use s3s::dto::{
    ChecksumAlgorithm, ETag, ETagCondition, Metadata, Owner, Range, StreamingBlob, Timestamp,
    TimestampFormat,
};
use s3s::{S3Result, TrailingHeaders};
use slipway_core::ports::blob::ByteStream;
use slipway_core::ports::objects::ObjectMeta;
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use slipway_objects::{ChecksumAlgo, ExpectedChecksum, RangeSpec, TrailerChecksums};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

pub(crate) fn timestamp(m: Micros) -> Timestamp {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(m) * 1_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    Timestamp::from(t)
}

pub(crate) fn micros(t: &Timestamp) -> Micros {
    let t: time::OffsetDateTime = t.clone().into();
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn etag(hex: &str) -> ETag {
    ETag::Strong(hex.to_owned())
}

pub(crate) fn etag_condition(c: &ETagCondition) -> String {
    match c {
        ETagCondition::Any => "*".into(),
        ETagCondition::ETag(e) => e.value().to_owned(),
    }
}

pub(crate) fn owner(account: &AccountId) -> Owner {
    Owner {
        display_name: Some(account.to_string()),
        id: Some(account.to_string()),
    }
}

pub(crate) fn range(r: Range) -> RangeSpec {
    match r {
        Range::Int { first, last } => RangeSpec::FromTo { first, last },
        Range::Suffix { length } => RangeSpec::Suffix { length },
    }
}

/// The request body as the service's stream. Errors keep their source so
/// an s3s `S3Error` (bad payload hash, chunk signature) can be reported.
pub(crate) fn body_in(body: Option<StreamingBlob>) -> ByteStream {
    match body {
        Some(b) => Box::pin(b.map(|r| r.map_err(std::io::Error::other))),
        None => Box::pin(futures::stream::empty()),
    }
}

/// s3s wants a `Sync` stream; ours are `Send` only (they hold futures).
/// A mutex that is only ever locked by the one poller makes it `Sync`.
struct SyncBody(Mutex<ByteStream>);

impl Stream for SyncBody {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.get_mut().0.get_mut() {
            Ok(s) => s.as_mut().poll_next(cx),
            Err(poisoned) => poisoned.into_inner().as_mut().poll_next(cx),
        }
    }
}

pub(crate) fn body_out(body: ByteStream) -> StreamingBlob {
    StreamingBlob::wrap(SyncBody(Mutex::new(body)))
}

/// Content headers and user metadata, as PutObject / CreateMultipartUpload
/// / CopyObject (REPLACE) carry them.
pub(crate) struct MetaIn {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<Timestamp>,
    pub metadata: Option<Metadata>,
}

impl MetaIn {
    pub(crate) fn into_meta(self) -> ObjectMeta {
        let expires = self.expires.and_then(|t| {
            let mut buf = Vec::new();
            t.format(TimestampFormat::HttpDate, &mut buf).ok()?;
            String::from_utf8(buf).ok()
        });
        ObjectMeta {
            content_type: self.content_type,
            content_encoding: self.content_encoding.and_then(stored_encoding),
            content_disposition: self.content_disposition,
            content_language: self.content_language,
            cache_control: self.cache_control,
            expires,
            user: self
                .metadata
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
            checksums: Default::default(),
        }
    }
}

/// The Content-Encoding to store: `aws-chunked` only describes how this
/// request's body was framed (s3s has already decoded it), so S3 drops it
/// and keeps the rest — `aws-chunked,gzip` stores `gzip`, `aws-chunked`
/// alone stores nothing.
fn stored_encoding(v: String) -> Option<String> {
    let kept: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

/// `Content-MD5` as sent. s3s reads an empty header as none at all; S3
/// refuses it as a digest that is not valid.
pub(crate) fn content_md5(
    headers: &http::HeaderMap,
    parsed: Option<String>,
) -> S3Result<Option<String>> {
    if headers.get("content-md5").is_some_and(|v| v.is_empty()) {
        return Err(s3s::s3_error!(
            InvalidDigest,
            "The Content-MD5 you specified is not valid."
        ));
    }
    Ok(parsed)
}

pub(crate) fn expires_out(meta: &ObjectMeta) -> Option<Timestamp> {
    meta.expires
        .as_deref()
        .and_then(|s| Timestamp::parse(TimestampFormat::HttpDate, s).ok())
}

pub(crate) fn metadata_out(meta: &ObjectMeta) -> Option<Metadata> {
    (!meta.user.is_empty()).then(|| meta.user.clone().into_iter().collect())
}

/// Checksum headers sent with a body, as (algorithm, base64) pairs.
pub(crate) fn expected_checksums(
    crc32: Option<String>,
    crc32c: Option<String>,
    crc64nvme: Option<String>,
    sha1: Option<String>,
    sha256: Option<String>,
) -> Vec<ExpectedChecksum> {
    [
        (ChecksumAlgo::Crc32, crc32),
        (ChecksumAlgo::Crc32c, crc32c),
        (ChecksumAlgo::Crc64Nvme, crc64nvme),
        (ChecksumAlgo::Sha1, sha1),
        (ChecksumAlgo::Sha256, sha256),
    ]
    .into_iter()
    .filter_map(|(algo, v)| v.map(|value| ExpectedChecksum { algo, value }))
    .collect()
}

pub(crate) fn compute(algo: Option<&ChecksumAlgorithm>) -> S3Result<Vec<ChecksumAlgo>> {
    match algo {
        None => Ok(Vec::new()),
        Some(a) => ChecksumAlgo::from_name(a.as_str())
            .map(|a| vec![a])
            .ok_or_else(|| {
                s3s::s3_error!(
                    InvalidArgument,
                    "Unsupported checksum algorithm {}",
                    a.as_str()
                )
            }),
    }
}

/// The checksum headers an aws-chunked trailer carried, read after the
/// body has been consumed.
pub(crate) fn trailer(t: Option<TrailingHeaders>) -> Option<TrailerChecksums> {
    let t = t?;
    Some(Box::new(move || {
        let Some(h) = t.take() else { return Vec::new() };
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
        expected_checksums(
            get("x-amz-checksum-crc32"),
            get("x-amz-checksum-crc32c"),
            get("x-amz-checksum-crc64nvme"),
            get("x-amz-checksum-sha1"),
            get("x-amz-checksum-sha256"),
        )
    }))
}

/// `encoding-type=url`: keys, prefixes and markers in a listing are
/// percent-encoded (the AWS CLI always asks, then decodes with
/// `unquote_plus`, so `+` and space must be encoded too).
pub(crate) fn url_enc(on: bool, s: String) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    if on {
        utf8_percent_encode(&s, KEEP).to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::stored_encoding;

    #[test]
    fn aws_chunked_is_not_stored() {
        let enc = |s: &str| stored_encoding(s.to_owned());
        assert_eq!(enc("aws-chunked"), None);
        assert_eq!(enc("aws-chunked,gzip").as_deref(), Some("gzip"));
        assert_eq!(enc("gzip, aws-chunked").as_deref(), Some("gzip"));
        assert_eq!(enc("AWS-CHUNKED , br,gzip").as_deref(), Some("br,gzip"));
        assert_eq!(enc("gzip").as_deref(), Some("gzip"));
    }
}
