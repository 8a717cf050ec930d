//! Multipart upload operations.

use super::convert::{self, body_in, etag, owner, timestamp, url_enc, MetaIn};
use super::objects::{conditions, copy_source, set_checksums};
use super::{OrS3, SlipwayS3};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use slipway_objects::{CompletePart, RangeSpec};

fn part_number(n: i32) -> S3Result<u32> {
    u32::try_from(n).map_err(|_| {
        s3s::s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        )
    })
}

pub(super) async fn create_multipart_upload(
    s3: &SlipwayS3,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let meta = MetaIn {
        content_type: i.content_type,
        content_encoding: i.content_encoding,
        content_disposition: i.content_disposition,
        content_language: i.content_language,
        cache_control: i.cache_control,
        expires: i.expires,
        metadata: i.metadata,
    }
    .into_meta();
    let u = s3
        .service
        .objects()
        .create_multipart_upload(&account, &i.bucket, &i.key, meta)
        .await
        .or_s3()?;
    Ok(S3Response::new(CreateMultipartUploadOutput {
        bucket: Some(u.bucket),
        key: Some(u.key),
        upload_id: Some(u.upload_id),
        ..Default::default()
    }))
}

pub(super) async fn upload_part(
    s3: &SlipwayS3,
    mut req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let account = s3.account(&req).await?;
    let trailer = convert::trailer(req.trailing_headers.take());
    let content_md5 = convert::content_md5(&req.headers, req.input.content_md5.take())?;
    let i = req.input;
    let compute = convert::compute(i.checksum_algorithm.as_ref())?;
    let expected = convert::expected_checksums(
        i.checksum_crc32,
        i.checksum_crc32c,
        i.checksum_crc64nvme,
        i.checksum_sha1,
        i.checksum_sha256,
    );
    let out = s3
        .service
        .objects()
        .upload_part(
            &account,
            &i.bucket,
            &i.key,
            &i.upload_id,
            part_number(i.part_number)?,
            body_in(i.body),
            content_md5.as_deref(),
            &expected,
            &compute,
            trailer,
        )
        .await
        .or_s3()?;
    let mut o = UploadPartOutput {
        e_tag: Some(etag(&out.etag)),
        ..Default::default()
    };
    set_checksums!(o, &out.checksums);
    Ok(S3Response::new(o))
}

/// `x-amz-copy-source-range: bytes=first-last` (both required by S3).
fn copy_range(r: Option<&str>) -> S3Result<Option<RangeSpec>> {
    let Some(r) = r else { return Ok(None) };
    let bad = || {
        s3s::s3_error!(
            InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last"
        )
    };
    let (first, last) = r
        .strip_prefix("bytes=")
        .and_then(|s| s.split_once('-'))
        .ok_or_else(bad)?;
    let first = first.trim().parse().map_err(|_| bad())?;
    let last = last.trim().parse().map_err(|_| bad())?;
    Ok(Some(RangeSpec::FromTo {
        first,
        last: Some(last),
    }))
}

pub(super) async fn upload_part_copy(
    s3: &SlipwayS3,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let (src_bucket, src_key) = copy_source(&i.copy_source)?;
    let cond = conditions(
        i.copy_source_if_match.as_ref(),
        i.copy_source_if_none_match.as_ref(),
        i.copy_source_if_modified_since.as_ref(),
        i.copy_source_if_unmodified_since.as_ref(),
    );
    let out = s3
        .service
        .objects()
        .upload_part_copy(
            &account,
            &i.bucket,
            &i.key,
            &i.upload_id,
            part_number(i.part_number)?,
            &src_bucket,
            &src_key,
            &cond,
            copy_range(i.copy_source_range.as_deref())?,
        )
        .await
        .or_s3()?;
    Ok(S3Response::new(UploadPartCopyOutput {
        copy_part_result: Some(CopyPartResult {
            e_tag: Some(etag(&out.etag)),
            last_modified: Some(timestamp(slipway_core::time_util::wall_micros())),
            ..Default::default()
        }),
        ..Default::default()
    }))
}

pub(super) async fn complete_multipart_upload(
    s3: &SlipwayS3,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let parts = i
        .multipart_upload
        .and_then(|m| m.parts)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            Ok(CompletePart {
                part_number: part_number(p.part_number.unwrap_or(0))?,
                etag: p.e_tag.map(ETag::into_value).unwrap_or_default(),
            })
        })
        .collect::<S3Result<Vec<_>>>()?;
    let o = s3
        .service
        .objects()
        .complete_multipart_upload(&account, &i.bucket, &i.key, &i.upload_id, &parts)
        .await
        .or_s3()?;
    Ok(S3Response::new(CompleteMultipartUploadOutput {
        location: Some(format!("/{}/{}", o.bucket, o.key)),
        bucket: Some(o.bucket),
        key: Some(o.key),
        e_tag: Some(etag(&o.etag)),
        ..Default::default()
    }))
}

pub(super) async fn abort_multipart_upload(
    s3: &SlipwayS3,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let account = s3.account(&req).await?;
    let i = &req.input;
    s3.service
        .objects()
        .abort_multipart_upload(&account, &i.bucket, &i.key, &i.upload_id)
        .await
        .or_s3()?;
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

pub(super) async fn list_parts(
    s3: &SlipwayS3,
    req: S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let after = match i.part_number_marker {
        None => 0,
        Some(m) => u32::try_from(m)
            .map_err(|_| s3s::s3_error!(InvalidArgument, "Invalid part-number-marker"))?,
    };
    let max = usize::try_from(i.max_parts.unwrap_or(1000)).unwrap_or(1000);
    let l = s3
        .service
        .objects()
        .list_parts(&account, &i.bucket, &i.key, &i.upload_id, after, max)
        .await
        .or_s3()?;
    let parts = l
        .parts
        .into_iter()
        .map(|p| Part {
            e_tag: Some(etag(&p.etag)),
            last_modified: Some(timestamp(p.last_modified)),
            part_number: i32::try_from(p.part_number).ok(),
            size: i64::try_from(p.size).ok(),
            ..Default::default()
        })
        .collect();
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(i.bucket),
        key: Some(i.key),
        upload_id: Some(i.upload_id),
        is_truncated: Some(l.is_truncated),
        max_parts: i32::try_from(max.min(1000)).ok(),
        next_part_number_marker: l.next_marker.and_then(|n| i32::try_from(n).ok()),
        part_number_marker: i.part_number_marker,
        owner: Some(owner(&account)),
        parts: Some(parts),
        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
        ..Default::default()
    }))
}

pub(super) async fn list_multipart_uploads(
    s3: &SlipwayS3,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let enc = i
        .encoding_type
        .as_ref()
        .is_some_and(|e| e.as_str().eq_ignore_ascii_case("url"));
    let max = usize::try_from(i.max_uploads.unwrap_or(1000)).unwrap_or(1000);
    let prefix = i.prefix.clone().unwrap_or_default();
    let l = s3
        .service
        .objects()
        .list_multipart_uploads(
            &account,
            &i.bucket,
            &prefix,
            i.key_marker.as_deref().filter(|m| !m.is_empty()),
            i.upload_id_marker.as_deref().filter(|m| !m.is_empty()),
            max,
        )
        .await
        .or_s3()?;
    let uploads = l
        .uploads
        .into_iter()
        .map(|u| MultipartUpload {
            initiated: Some(timestamp(u.initiated)),
            key: Some(url_enc(enc, u.key)),
            upload_id: Some(u.upload_id),
            owner: Some(owner(&account)),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            ..Default::default()
        })
        .collect();
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(i.bucket),
        prefix: Some(url_enc(enc, prefix)),
        is_truncated: Some(l.is_truncated),
        key_marker: i.key_marker.map(|k| url_enc(enc, k)),
        upload_id_marker: i.upload_id_marker,
        max_uploads: i32::try_from(max.min(1000)).ok(),
        next_key_marker: l.next_key_marker.map(|k| url_enc(enc, k)),
        next_upload_id_marker: l.next_upload_id_marker,
        uploads: Some(uploads),
        encoding_type: i.encoding_type,
        delimiter: i.delimiter,
        ..Default::default()
    }))
}
