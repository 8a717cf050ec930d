//! Bucket operations.

use super::convert::{owner, timestamp};
use super::{OrS3, SlipwayS3};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

pub(super) async fn create_bucket(
    s3: &SlipwayS3,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let account = s3.account(&req).await?;
    let b = s3
        .service
        .objects()
        .create_bucket(&account, &req.input.bucket)
        .await
        .or_s3()?;
    Ok(S3Response::new(CreateBucketOutput {
        location: Some(format!("/{}", b.name)),
    }))
}

pub(super) async fn head_bucket(
    s3: &SlipwayS3,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    let account = s3.account(&req).await?;
    let b = s3
        .service
        .objects()
        .head_bucket(&account, &req.input.bucket)
        .await
        .or_s3()?;
    Ok(S3Response::new(HeadBucketOutput {
        bucket_region: Some(b.region),
        ..Default::default()
    }))
}

/// ListBuckets pages: S3's default page when a page is asked for without
/// `max-buckets`, and the most it returns at once.
const MAX_BUCKETS: usize = 10_000;

pub(super) async fn list_buckets(
    s3: &SlipwayS3,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let account = s3.account(&req).await?;
    let i = req.input;
    let max = match i.max_buckets {
        None => MAX_BUCKETS,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_BUCKETS).contains(n))
            .ok_or_else(|| {
                s3s::s3_error!(
                    InvalidArgument,
                    "max-buckets must be an integer between 1 and 10000"
                )
            })?,
    };
    // The token is the last name returned, opaque to clients as S3's is.
    let after = match i.continuation_token.as_deref().filter(|t| !t.is_empty()) {
        None => None,
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
    };
    let prefix = i.prefix.clone().unwrap_or_default();
    // Every bucket is in the server's region: asking for another lists none.
    let other_region = i
        .bucket_region
        .as_deref()
        .is_some_and(|r| r != s3.service.region());
    let mut rows: Vec<_> = s3
        .service
        .objects()
        .list_buckets(&account)
        .await
        .or_s3()?
        .into_iter()
        .filter(|b| !other_region && b.name.starts_with(&prefix))
        .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
        .collect();
    let continuation_token = (rows.len() > max).then(|| B64.encode(&rows[max - 1].name));
    rows.truncate(max);
    let buckets = rows
        .into_iter()
        .map(|b| Bucket {
            bucket_region: Some(b.region),
            creation_date: Some(timestamp(b.created)),
            name: Some(b.name),
        })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner(&account)),
        prefix: i.prefix,
        continuation_token,
    }))
}

pub(super) async fn delete_bucket(
    s3: &SlipwayS3,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let account = s3.account(&req).await?;
    s3.service
        .objects()
        .delete_bucket(&account, &req.input.bucket)
        .await
        .or_s3()?;
    Ok(S3Response::new(DeleteBucketOutput {}))
}

pub(super) async fn get_bucket_location(
    s3: &SlipwayS3,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let account = s3.account(&req).await?;
    let b = s3
        .service
        .objects()
        .head_bucket(&account, &req.input.bucket)
        .await
        .or_s3()?;
    // us-east-1 is reported as an empty constraint, as AWS does.
    let location_constraint =
        (b.region != "us-east-1").then(|| BucketLocationConstraint::from(b.region));
    Ok(S3Response::new(GetBucketLocationOutput {
        location_constraint,
    }))
}

/// Buckets are never versioned (docs/s3.md), and S3 answers a bucket that
/// never had versioning on with an empty configuration: no `Status`.
pub(super) async fn get_bucket_versioning(
    s3: &SlipwayS3,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    let account = s3.account(&req).await?;
    s3.service
        .objects()
        .head_bucket(&account, &req.input.bucket)
        .await
        .or_s3()?;
    Ok(S3Response::new(GetBucketVersioningOutput::default()))
}
