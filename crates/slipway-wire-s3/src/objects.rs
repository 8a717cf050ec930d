//! Object operations: PutObject, GetObject, HeadObject, DeleteObject(s),
//! CopyObject.

use super::convert::{self, body_in, body_out, etag, etag_condition, micros, timestamp, MetaIn};
use super::{OrS3, SlipwayS3};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use slipway_objects::{Conditions, MetadataDirective, PutObject};

/// Sets the additional-checksum output fields from stored values.
macro_rules! set_checksums {
    ($out:expr, $sums:expr) => {{
        let sums: &std::collections::BTreeMap<String, String> = $sums;
        $out.checksum_crc32 = sums.get("CRC32").cloned();
        $out.checksum_crc32c = sums.get("CRC32C").cloned();
        $out.checksum_crc64nvme = sums.get("CRC64NVME").cloned();
        $out.checksum_sha1 = sums.get("SHA1").cloned();
        $out.checksum_sha256 = sums.get("SHA256").cloned();
    }};
}
pub(super) use set_checksums;

pub(super) async fn put_object(
    s3: &SlipwayS3,
    mut req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let account = s3.account(&req).await?;
    let trailer = convert::trailer(req.trailing_headers.take());
    let content_md5 = convert::content_md5(&req.headers, req.input.content_md5.take())?;
    let i = req.input;
    let compute = convert::compute(i.checksum_algorithm.as_ref())?;
    let put = PutObject {
        meta: MetaIn {
            content_type: i.content_type,
            content_encoding: i.content_encoding,
            content_disposition: i.content_disposition,
            content_language: i.content_language,
            cache_control: i.cache_control,
            expires: i.expires,
            metadata: i.metadata,
        }
        .into_meta(),
        checksums: convert::expected_checksums(
            i.checksum_crc32,
            i.checksum_crc32c,
            i.checksum_crc64nvme,
            i.checksum_sha1,
            i.checksum_sha256,
        ),
        compute,
        trailer,
        content_md5,
        size_hint: i.content_length.and_then(|n| u64::try_from(n).ok()),
        body: body_in(i.body),
        bucket: i.bucket,
        key: i.key,
    };
    let out = s3
        .service
        .objects()
        .put_object(&account, put)
        .await
        .or_s3()?;
    let mut o = PutObjectOutput {
        e_tag: Some(etag(&out.etag)),
        ..Default::default()
    };
    set_checksums!(o, &out.checksums);
    Ok(S3Response::new(o))
}

pub(super) fn conditions(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> Conditions {
    Conditions {
        if_match: if_match.map(etag_condition),
        if_none_match: if_none_match.map(etag_condition),
        if_modified_since: if_modified_since.map(micros),
        if_unmodified_since: if_unmodified_since.map(micros),
    }
}

fn checksum_mode(m: Option<&ChecksumMode>) -> bool {
    m.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

pub(super) async fn get_object(
    s3: &SlipwayS3,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    let account = s3.account(&req).await?;
    let i = &req.input;
    check_version(i.version_id.as_deref())?;
    if i.part_number.is_some() {
        return Err(s3s::s3_error!(
            NotImplemented,
            "GetObject with partNumber is not supported"
        ));
    }
    let cond = conditions(
        i.if_match.as_ref(),
        i.if_none_match.as_ref(),
        i.if_modified_since.as_ref(),
        i.if_unmodified_since.as_ref(),
    );
    let got = s3
        .service
        .objects()
        .get_object(
            &account,
            &i.bucket,
            &i.key,
            &cond,
            i.range.map(convert::range),
        )
        .await
        .or_s3()?;
    let o = &got.object;
    let m = &o.meta;
    let (content_length, content_range) = match got.range {
        Some(r) => (
            r.len(),
            Some(format!("bytes {}-{}/{}", r.start, r.end - 1, o.size)),
        ),
        None => (o.size, None),
    };
    let mut out = GetObjectOutput {
        accept_ranges: Some("bytes".into()),
        cache_control: m.cache_control.clone(),
        content_disposition: m.content_disposition.clone(),
        content_encoding: m.content_encoding.clone(),
        content_language: m.content_language.clone(),
        content_length: i64::try_from(content_length).ok(),
        content_range: content_range.clone(),
        content_type: m.content_type.clone(),
        e_tag: Some(etag(&o.etag)),
        expires: convert::expires_out(m),
        last_modified: Some(timestamp(o.last_modified)),
        metadata: convert::metadata_out(m),
        parts_count: parts_count(o),
        ..Default::default()
    };
    // Whole-object checksums only for whole-object reads.
    if checksum_mode(i.checksum_mode.as_ref()) && content_range.is_none() {
        set_checksums!(out, &m.checksums);
    }
    out.body = Some(body_out(got.body));
    Ok(S3Response::new(out))
}

fn parts_count(o: &slipway_core::ports::objects::ObjectRow) -> Option<i32> {
    o.etag.rsplit_once('-').and_then(|(_, n)| n.parse().ok())
}

pub(super) async fn head_object(
    s3: &SlipwayS3,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let account = s3.account(&req).await?;
    let i = &req.input;
    check_version(i.version_id.as_deref())?;
    let cond = conditions(
        i.if_match.as_ref(),
        i.if_none_match.as_ref(),
        i.if_modified_since.as_ref(),
        i.if_unmodified_since.as_ref(),
    );
    let o = s3
        .service
        .objects()
        .head_object(&account, &i.bucket, &i.key, &cond)
        .await
        .or_s3()?;
    let (content_length, content_range) = match i.range.map(convert::range) {
        Some(r) => {
            let r = r.resolve(o.size).map_err(crate::error::s3_object_error)?;
            (
                r.len(),
                Some(format!("bytes {}-{}/{}", r.start, r.end - 1, o.size)),
            )
        }
        None => (o.size, None),
    };
    let m = &o.meta;
    let mut out = HeadObjectOutput {
        accept_ranges: Some("bytes".into()),
        cache_control: m.cache_control.clone(),
        content_disposition: m.content_disposition.clone(),
        content_encoding: m.content_encoding.clone(),
        content_language: m.content_language.clone(),
        content_length: i64::try_from(content_length).ok(),
        content_range,
        content_type: m.content_type.clone(),
        e_tag: Some(etag(&o.etag)),
        expires: convert::expires_out(m),
        last_modified: Some(timestamp(o.last_modified)),
        metadata: convert::metadata_out(m),
        parts_count: parts_count(&o),
        ..Default::default()
    };
    if checksum_mode(i.checksum_mode.as_ref()) {
        set_checksums!(out, &m.checksums);
    }
    Ok(S3Response::new(out))
}

/// Buckets are never versioned here, so every object's one version is the
/// `null` version (docs/s3.md): `versionId=null` names the object itself,
/// and any other id names nothing that can exist.
pub(super) fn check_version(v: Option<&str>) -> S3Result<()> {
    match v {
        None | Some("null") => Ok(()),
        Some(_) => Err(s3s::s3_error!(
            InvalidArgument,
            "Invalid version id specified"
        )),
    }
}

pub(super) async fn delete_object(
    s3: &SlipwayS3,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let account = s3.account(&req).await?;
    check_version(req.input.version_id.as_deref())?;
    s3.service
        .objects()
        .delete_object(&account, &req.input.bucket, &req.input.key)
        .await
        .or_s3()?;
    Ok(S3Response::new(DeleteObjectOutput {
        version_id: req.input.version_id,
        ..Default::default()
    }))
}

/// Most keys one DeleteObjects may name (S3's limit).
const MAX_DELETE_KEYS: usize = 1000;

pub(super) async fn delete_objects(
    s3: &SlipwayS3,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let account = s3.account(&req).await?;
    let quiet = req.input.delete.quiet.unwrap_or(false);
    let objects = req.input.delete.objects;
    if objects.len() > MAX_DELETE_KEYS {
        // S3's schema allows at most 1000 <Object> elements, so more is a
        // document that does not validate.
        return Err(s3s::s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        ));
    }
    let mut errors = Vec::new();
    // Keys naming a version other than `null` are refused one by one, as
    // S3 reports per-key faults; the rest are deleted.
    let mut versions = std::collections::HashMap::new();
    let mut keys = Vec::with_capacity(objects.len());
    for o in objects {
        match check_version(o.version_id.as_deref()) {
            Ok(()) => {
                if let Some(v) = o.version_id {
                    versions.insert(o.key.clone(), v);
                }
                keys.push(o.key);
            }
            Err(e) => errors.push(Error {
                code: Some(e.code().as_str().to_owned()),
                key: Some(o.key),
                message: e.message().map(str::to_owned),
                version_id: o.version_id,
            }),
        }
    }
    let results = s3
        .service
        .objects()
        .delete_objects(&account, &req.input.bucket, keys)
        .await
        .or_s3()?;
    let mut deleted = Vec::new();
    for r in results {
        match r.error {
            None if !quiet => deleted.push(DeletedObject {
                version_id: versions.get(&r.key).cloned(),
                key: Some(r.key),
                ..Default::default()
            }),
            None => {}
            Some(e) => {
                let e = crate::error::s3_object_error(e);
                errors.push(Error {
                    code: Some(e.code().as_str().to_owned()),
                    version_id: versions.get(&r.key).cloned(),
                    key: Some(r.key),
                    message: e.message().map(str::to_owned),
                });
            }
        }
    }
    Ok(S3Response::new(DeleteObjectsOutput {
        deleted: Some(deleted),
        errors: (!errors.is_empty()).then_some(errors),
        ..Default::default()
    }))
}

/// The source of CopyObject / UploadPartCopy (its version, if named,
/// must be `null`).
pub(super) fn copy_source(src: &CopySource) -> S3Result<(String, String)> {
    match src {
        CopySource::Bucket {
            bucket,
            key,
            version_id,
        } => {
            check_version(version_id.as_deref())?;
            Ok((bucket.to_string(), key.to_string()))
        }
        _ => Err(s3s::s3_error!(
            NotImplemented,
            "Access points are not supported"
        )),
    }
}

pub(super) async fn copy_object(
    s3: &SlipwayS3,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let (src_bucket, src_key) = copy_source(&i.copy_source)?;
    let cond = conditions(
        i.copy_source_if_match.as_ref(),
        i.copy_source_if_none_match.as_ref(),
        i.copy_source_if_modified_since.as_ref(),
        i.copy_source_if_unmodified_since.as_ref(),
    );
    let replace = i
        .metadata_directive
        .as_ref()
        .is_some_and(|d| d.as_str().eq_ignore_ascii_case("REPLACE"));
    let directive = if replace {
        MetadataDirective::Replace(
            MetaIn {
                content_type: i.content_type,
                content_encoding: i.content_encoding,
                content_disposition: i.content_disposition,
                content_language: i.content_language,
                cache_control: i.cache_control,
                expires: i.expires,
                metadata: i.metadata,
            }
            .into_meta(),
        )
    } else {
        MetadataDirective::Copy
    };
    let row = s3
        .service
        .objects()
        .copy_object(
            &account,
            &src_bucket,
            &src_key,
            &cond,
            &i.bucket,
            &i.key,
            directive,
        )
        .await
        .or_s3()?;
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(CopyObjectResult {
            e_tag: Some(etag(&row.etag)),
            last_modified: Some(timestamp(row.last_modified)),
            ..Default::default()
        }),
        ..Default::default()
    }))
}
