//! Bucket operations.

use super::convert::{owner, timestamp};
use super::{OrS3, SlipwayS3};
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

pub(super) async fn list_buckets(
    s3: &SlipwayS3,
    req: S3Request<ListBucketsInput>,
) -> S3Result<S3Response<ListBucketsOutput>> {
    let account = s3.account(&req).await?;
    let prefix = req.input.prefix.clone().unwrap_or_default();
    let buckets = s3
        .service
        .objects()
        .list_buckets(&account)
        .await
        .or_s3()?
        .into_iter()
        .filter(|b| b.name.starts_with(&prefix))
        .map(|b| Bucket {
            bucket_region: Some(b.region),
            creation_date: Some(timestamp(b.created)),
            name: Some(b.name),
        })
        .collect();
    Ok(S3Response::new(ListBucketsOutput {
        buckets: Some(buckets),
        owner: Some(owner(&account)),
        prefix: req.input.prefix,
        continuation_token: None,
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
