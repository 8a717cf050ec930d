//! ListObjects (v1) and ListObjectsV2 over one service listing.

use super::convert::{etag, owner, timestamp, url_enc};
use super::{OrS3, SlipwayS3};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use slipway_objects::{ListObjects, Listing};

fn max_keys(m: Option<i32>) -> S3Result<usize> {
    match m {
        None => Ok(1000),
        Some(n) => usize::try_from(n)
            .map_err(|_| s3s::s3_error!(InvalidArgument, "max-keys must be non-negative")),
    }
}

fn url_encoding(e: Option<&EncodingType>) -> bool {
    e.is_some_and(|e| e.as_str().eq_ignore_ascii_case("url"))
}

/// The delimiter as the request gave it, if it gave one: an empty
/// `delimiter=` means none, and S3 does not echo it.
fn delimiter(d: Option<Delimiter>) -> Option<Delimiter> {
    d.filter(|d| !d.is_empty())
}

/// `owner`: whether each object carries its `<Owner>` (always in v1; in
/// v2 only with `fetch-owner=true`, as S3 answers).
fn contents(
    l: &mut Listing,
    enc: bool,
    account: &slipway_core::AccountId,
    with_owner: bool,
) -> (Vec<Object>, Vec<CommonPrefix>) {
    let objects = std::mem::take(&mut l.objects)
        .into_iter()
        .map(|o| Object {
            e_tag: Some(etag(&o.etag)),
            last_modified: Some(timestamp(o.last_modified)),
            size: i64::try_from(o.size).ok(),
            storage_class: Some(ObjectStorageClass::from_static(
                ObjectStorageClass::STANDARD,
            )),
            owner: with_owner.then(|| owner(account)),
            key: Some(url_enc(enc, o.key)),
            ..Default::default()
        })
        .collect();
    let prefixes = std::mem::take(&mut l.common_prefixes)
        .into_iter()
        .map(|p| CommonPrefix {
            prefix: Some(url_enc(enc, p)),
        })
        .collect();
    (objects, prefixes)
}

/// One page of the service's listing: what the three list operations
/// share once each has worked out where the page starts.
async fn page(
    s3: &SlipwayS3,
    account: &slipway_core::AccountId,
    bucket: &str,
    prefix: Option<&str>,
    delimiter: Option<&Delimiter>,
    after: Option<String>,
    max: Option<i32>,
) -> S3Result<(ListObjects, Listing)> {
    let q = ListObjects {
        bucket: bucket.to_owned(),
        prefix: prefix.unwrap_or_default().to_owned(),
        delimiter: delimiter.cloned(),
        after,
        max_keys: max_keys(max)?,
    };
    let l = s3
        .service
        .objects()
        .list_objects(account, &q)
        .await
        .or_s3()?;
    Ok((q, l))
}

pub(super) async fn list_objects(
    s3: &SlipwayS3,
    req: S3Request<ListObjectsInput>,
) -> S3Result<S3Response<ListObjectsOutput>> {
    let account = s3.account(&req).await?;
    let mut i = req.input;
    i.delimiter = delimiter(i.delimiter);
    let enc = url_encoding(i.encoding_type.as_ref());
    let (q, mut l) = page(
        s3,
        &account,
        &i.bucket,
        i.prefix.as_deref(),
        i.delimiter.as_ref(),
        i.marker.clone().filter(|m| !m.is_empty()),
        i.max_keys,
    )
    .await?;
    let (objects, prefixes) = contents(&mut l, enc, &account, true);
    // AWS returns NextMarker only with a delimiter; clients without one
    // resume from the last key.
    let next_marker = l
        .next_marker
        .filter(|_| i.delimiter.is_some())
        .map(|m| url_enc(enc, m));
    Ok(S3Response::new(ListObjectsOutput {
        name: Some(i.bucket),
        prefix: Some(url_enc(enc, q.prefix)),
        marker: Some(url_enc(enc, i.marker.unwrap_or_default())),
        max_keys: i32::try_from(q.max_keys.min(1000)).ok(),
        is_truncated: Some(l.is_truncated),
        contents: Some(objects),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: i.delimiter.map(|d| url_enc(enc, d)),
        next_marker,
        encoding_type: i.encoding_type,
        request_charged: None,
    }))
}

pub(super) async fn list_objects_v2(
    s3: &SlipwayS3,
    req: S3Request<ListObjectsV2Input>,
) -> S3Result<S3Response<ListObjectsV2Output>> {
    let account = s3.account(&req).await?;
    let mut i = req.input;
    i.delimiter = delimiter(i.delimiter);
    let enc = url_encoding(i.encoding_type.as_ref());
    // The continuation token is the last key or prefix returned; it wins
    // over start-after, as on S3.
    let after = match &i.continuation_token {
        Some(t) => Some(
            B64.decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    s3s::s3_error!(
                        InvalidArgument,
                        "The continuation token provided is incorrect"
                    )
                })?,
        ),
        None => i.start_after.clone().filter(|s| !s.is_empty()),
    };
    let (q, mut l) = page(
        s3,
        &account,
        &i.bucket,
        i.prefix.as_deref(),
        i.delimiter.as_ref(),
        after,
        i.max_keys,
    )
    .await?;
    let (objects, prefixes) = contents(&mut l, enc, &account, i.fetch_owner == Some(true));
    let key_count = i32::try_from(objects.len() + prefixes.len()).ok();
    Ok(S3Response::new(ListObjectsV2Output {
        name: Some(i.bucket),
        prefix: Some(url_enc(enc, q.prefix)),
        max_keys: i32::try_from(q.max_keys.min(1000)).ok(),
        key_count,
        continuation_token: i.continuation_token,
        is_truncated: Some(l.is_truncated),
        next_continuation_token: l.next_marker.map(|m| B64.encode(m)),
        contents: Some(objects),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: i.delimiter.map(|d| url_enc(enc, d)),
        encoding_type: i.encoding_type,
        start_after: i.start_after.map(|s| url_enc(enc, s)),
        request_charged: None,
    }))
}

/// ListObjectVersions of a bucket that is never versioned: each object is
/// its own one version, `null` and latest, and there are no delete
/// markers — what S3 answers for a bucket that never had versioning on.
/// Tools list versions to empty a bucket, so this must work everywhere.
pub(super) async fn list_object_versions(
    s3: &SlipwayS3,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let account = s3.account(&req).await?;
    let mut i = req.input;
    i.delimiter = delimiter(i.delimiter);
    let enc = url_encoding(i.encoding_type.as_ref());
    // One version per key: after any version of the key marker comes the
    // next key.
    let (q, mut l) = page(
        s3,
        &account,
        &i.bucket,
        i.prefix.as_deref(),
        i.delimiter.as_ref(),
        i.key_marker.clone().filter(|m| !m.is_empty()),
        i.max_keys,
    )
    .await?;
    let (objects, prefixes) = contents(&mut l, enc, &account, true);
    let versions = objects
        .into_iter()
        .map(|o| ObjectVersion {
            e_tag: o.e_tag,
            is_latest: Some(true),
            key: o.key,
            last_modified: o.last_modified,
            owner: o.owner,
            size: o.size,
            storage_class: Some(ObjectVersionStorageClass::from_static(
                ObjectVersionStorageClass::STANDARD,
            )),
            version_id: Some("null".to_owned()),
            ..Default::default()
        })
        .collect();
    // A page that ends on a common prefix resumes after it by key alone.
    let next_version_id_marker = l
        .next_marker
        .as_ref()
        .map(|m| url_enc(enc, m.clone()))
        .filter(|m| !prefixes.iter().any(|p| p.prefix.as_ref() == Some(m)))
        .map(|_| "null".to_owned());
    Ok(S3Response::new(ListObjectVersionsOutput {
        name: Some(i.bucket),
        prefix: Some(url_enc(enc, q.prefix)),
        key_marker: Some(url_enc(enc, i.key_marker.unwrap_or_default())),
        version_id_marker: Some(i.version_id_marker.unwrap_or_default()),
        max_keys: i32::try_from(q.max_keys.min(1000)).ok(),
        is_truncated: Some(l.is_truncated),
        next_key_marker: l.next_marker.map(|m| url_enc(enc, m)),
        next_version_id_marker,
        versions: Some(versions),
        common_prefixes: (!prefixes.is_empty()).then_some(prefixes),
        delimiter: i.delimiter.map(|d| url_enc(enc, d)),
        encoding_type: i.encoding_type,
        ..Default::default()
    }))
}
