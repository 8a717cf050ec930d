//! S3 (path-style REST-XML) on the shared port. The protocol — routing,
//! XML, SigV4 header/presigned (and SigV2 presigned) checks, aws-chunked
//! bodies — is the `s3s` crate's; this crate only translates its DTOs to
//! service calls and back (one function per operation in the modules),
//! tells s3s the secret keys of our accounts, and adds at the HTTP level
//! what S3 does and s3s does not (`edge`). The router hands every request
//! it does not give another protocol to [`S3Front::handle`]
//! (docs/architecture.md "One process, one port").

mod buckets;
mod convert;
mod edge;
mod error;
mod list;
mod multipart;
mod objects;

use crate::error::{s3_auth_error, s3_auth_response, s3_error, s3_object_error, s3_xml_error};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};
use slipway_core::AccountId;
use slipway_service::Service;
use slipway_sigv4::{AuthError, RequestParts};
use slipway_wire_core::auth::KeyCache;
use std::sync::Arc;

/// The S3 front end: the s3s service over `Service::objects()` and the
/// edge fixes around it.
#[derive(Clone)]
pub struct S3Front {
    service: Service,
    s3: s3s::service::S3Service,
}

impl S3Front {
    /// The front end of `service`, sharing the router's credential cache.
    pub fn new(service: Service, keys: Arc<KeyCache>) -> Self {
        Self {
            s3: s3_service(service.clone(), keys),
            service,
        }
    }

    /// Answers one S3 request, with `request_id` in its headers and, for
    /// an error, in its XML.
    pub async fn handle(&self, req: Request<Body>, request_id: &str) -> Response {
        let resp = self.answer(req).await;
        edge::finish(resp, request_id).await
    }

    /// S3 requests go to s3s, which answers every error as S3 XML itself; a
    /// failure of the service machinery becomes an S3 `InternalError`.
    ///
    /// s3s verifies S3 signatures but bounds neither a presigned URL's
    /// lifetime nor the region a credential is scoped to, so those are
    /// checked first, as S3 checks them: before the signature is looked at.
    async fn answer(&self, mut req: Request<Body>) -> Response {
        use tower::ServiceExt;
        if let Some(resp) = edge::cors_preflight(&req) {
            return resp;
        }
        if let Some(resp) = edge::refuse_customer_keys(&req) {
            return resp;
        }
        edge::sigv2_token_header(&mut req);
        edge::sigv2_bucket_path(&mut req);
        let parts = RequestParts {
            method: req.method().as_str(),
            raw_path: req.uri().path(),
            raw_query: req.uri().query(),
            headers: req.headers(),
        };
        if let Err(e) = slipway_sigv4::check_scope(&parts, self.service.region()) {
            return s3_auth_response(&e);
        }
        match self.s3.clone().oneshot(req).await {
            Ok(resp) => resp.map(Body::new),
            Err(e) => {
                tracing::error!(error = ?e, "s3 service failed");
                s3_xml_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                    None,
                )
            }
        }
    }
}

/// The `s3s::S3` implementation: a thin layer over `Service::objects()`.
#[derive(Clone)]
pub(crate) struct SlipwayS3 {
    service: Service,
    keys: Arc<KeyCache>,
}

/// Gives s3s the secret of an access key so it can check signatures.
struct AccountAuth {
    service: Service,
    keys: Arc<KeyCache>,
}

#[async_trait]
impl s3s::auth::S3Auth for AccountAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<s3s::auth::SecretKey> {
        match self.keys.find(&self.service, access_key).await {
            Ok(Some(c)) => Ok(c.key.secret_access_key.into()),
            Ok(None) => Err(s3s::s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
            Err(e) => {
                tracing::error!(error = ?e, "access key lookup failed");
                Err(s3s::s3_error!(InternalError))
            }
        }
    }
}

/// Builds the s3s service answering every S3 request.
fn s3_service(service: Service, keys: Arc<KeyCache>) -> s3s::service::S3Service {
    let mut b = s3s::service::S3ServiceBuilder::new(SlipwayS3 {
        service: service.clone(),
        keys: keys.clone(),
    });
    b.set_auth(AccountAuth { service, keys });
    b.build()
}

impl SlipwayS3 {
    /// The account that signed the request. s3s has verified the
    /// signature; anonymous requests never get this far (its default
    /// access check denies them).
    async fn account<T>(&self, req: &S3Request<T>) -> S3Result<AccountId> {
        let Some(cred) = &req.credentials else {
            return Err(s3s::s3_error!(
                AccessDenied,
                "Anonymous access is not allowed"
            ));
        };
        // The router refused a header or presigned scope for another region
        // before s3s saw it; this also covers the form it cannot read
        // cheaply (a POST upload's policy fields, inside the body).
        if let Some(region) = &req.region {
            let expected = self.service.region();
            if region.as_str() != expected {
                return Err(s3_auth_error(&AuthError::WrongRegion {
                    found: region.as_str().to_owned(),
                    expected: expected.to_owned(),
                    presigned: false,
                }));
            }
        }
        match self.keys.find(&self.service, &cred.access_key).await {
            Ok(Some(c)) => {
                slipway_wire_core::auth::check_token(
                    &self.service,
                    &c,
                    security_token(&req.headers, &req.uri).as_deref(),
                )
                .map_err(|e| s3_auth_error(&e))?;
                Ok(c.key.account)
            }
            Ok(None) => Err(s3s::s3_error!(InvalidAccessKeyId)),
            Err(_) => Err(s3s::s3_error!(InternalError)),
        }
    }
}

/// The session token of temporary credentials: the `X-Amz-Security-Token`
/// header, or the query parameter of a presigned URL (SigV4 spells it
/// `X-Amz-Security-Token`, boto3's SigV2 URLs `x-amz-security-token`).
/// s3s has checked the signature, which covers it when it was sent.
fn security_token(headers: &http::HeaderMap, uri: &http::Uri) -> Option<String> {
    if let Some(v) = headers.get("x-amz-security-token") {
        return v.to_str().ok().map(str::to_owned);
    }
    let query = uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(_, v)| v.into_owned())
}

/// Service result → S3 result.
pub(crate) trait OrS3<T> {
    fn or_s3(self) -> S3Result<T>;
}

impl<T> OrS3<T> for slipway_service::Result<T> {
    fn or_s3(self) -> S3Result<T> {
        self.map_err(s3_error)
    }
}

impl<T> OrS3<T> for Result<T, slipway_objects::ObjectError> {
    fn or_s3(self) -> S3Result<T> {
        self.map_err(s3_object_error)
    }
}

#[async_trait]
impl s3s::S3 for SlipwayS3 {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        buckets::create_bucket(self, req).await
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        buckets::head_bucket(self, req).await
    }
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        buckets::list_buckets(self, req).await
    }
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        buckets::delete_bucket(self, req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        buckets::get_bucket_location(self, req).await
    }
    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        buckets::get_bucket_versioning(self, req).await
    }
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        objects::put_object(self, req).await
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        objects::get_object(self, req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        objects::head_object(self, req).await
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        objects::delete_object(self, req).await
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        objects::delete_objects(self, req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        objects::copy_object(self, req).await
    }
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        list::list_objects(self, req).await
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        list::list_objects_v2(self, req).await
    }
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        list::list_object_versions(self, req).await
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        multipart::create_multipart_upload(self, req).await
    }
    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        multipart::upload_part(self, req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        multipart::upload_part_copy(self, req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        multipart::complete_multipart_upload(self, req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        multipart::abort_multipart_upload(self, req).await
    }
    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        multipart::list_parts(self, req).await
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        multipart::list_multipart_uploads(self, req).await
    }
}
