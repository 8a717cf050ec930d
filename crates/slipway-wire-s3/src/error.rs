//! S3's error table: S3 names conditions its own way (NoSuchKey rather
//! than ValidationException) and answers them as `<Error>` XML, written by
//! s3s or, for requests refused before they reach it, here.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use slipway_objects::ObjectError;
use slipway_service::Error as ServiceError;
use slipway_sigv4::AuthError;
use slipway_wire_core::error::xml_escape;

/// Maps a service error to an S3 XML error. S3 has its own codes for the
/// same conditions the JSON services name differently (NoSuchKey rather
/// than ValidationException), so this is a second table, keyed by the
/// S3 condition.
pub(crate) fn s3_error(e: ServiceError) -> s3s::S3Error {
    use s3s::S3ErrorCode as C;
    let with = |code: C, msg: String| s3s::S3Error::with_message(code, msg);
    match e {
        ServiceError::Object(o) => s3_object_error(o),
        ServiceError::NotFound { message } => with(C::NoSuchKey, message),
        ServiceError::Logs(e) => with(C::InvalidRequest, e.to_string()),
        ServiceError::Iam(e) => with(C::InvalidRequest, e.to_string()),
        ServiceError::Invalid { reason, .. } => with(C::InvalidArgument, reason),
        ServiceError::AlreadyExists { message }
        | ServiceError::Conflict(message)
        | ServiceError::InUse(message) => with(C::OperationAborted, message),
        ServiceError::LimitExceeded(m) => with(C::TooManyBuckets, m),
        // The S3 API never calls the registry; a registry condition here
        // is a request S3 cannot express.
        ServiceError::Registry(r) => with(C::InvalidRequest, r.to_string()),
        ServiceError::Internal { context, source } => {
            tracing::error!(%context, error = %source, "internal error");
            with(
                C::InternalError,
                "We encountered an internal error. Please try again.".into(),
            )
        }
    }
}

/// Maps an object storage condition (`slipway-objects`) to its S3 error.
pub(crate) fn s3_object_error(o: ObjectError) -> s3s::S3Error {
    use s3s::S3ErrorCode as C;
    use ObjectError as O;
    let with = |code: C, msg: String| s3s::S3Error::with_message(code, msg);
    let msg = o.to_string();
    match o {
        O::NoSuchBucket(_) => with(C::NoSuchBucket, msg),
        O::NoSuchKey(_) => with(C::NoSuchKey, msg),
        O::NoSuchUpload(_) => with(C::NoSuchUpload, msg),
        O::AccessDenied => with(C::AccessDenied, msg),
        O::BucketAlreadyExists(_) => with(C::BucketAlreadyExists, msg),
        O::BucketAlreadyOwnedByYou(_) => with(C::BucketAlreadyOwnedByYou, msg),
        O::BucketNotEmpty(_) => with(C::BucketNotEmpty, msg),
        O::InvalidBucketName(_) => with(C::InvalidBucketName, msg),
        O::PreconditionFailed => with(C::PreconditionFailed, msg),
        O::NotModified {
            etag,
            last_modified,
        } => crate::edge::not_modified(&etag, last_modified),
        O::InvalidRange { .. } => with(C::InvalidRange, msg),
        O::BadDigest => with(C::BadDigest, msg),
        O::BadChecksum(_) => with(C::BadDigest, msg),
        O::InvalidDigest => with(C::InvalidDigest, msg),
        O::InvalidArgument(_) => with(C::InvalidArgument, msg),
        O::InvalidRequest(_) => with(C::InvalidRequest, msg),
        O::InvalidPart => with(C::InvalidPart, msg),
        O::InvalidPartOrder => with(C::InvalidPartOrder, msg),
        O::EntityTooSmall => with(C::EntityTooSmall, msg),
        O::MetadataTooLarge => with(C::MetadataTooLarge, msg),
        O::Conflict(_) => with(C::OperationAborted, msg),
        O::Internal { context, source } => {
            tracing::error!(%context, error = %source, "internal error");
            with(
                C::InternalError,
                "We encountered an internal error. Please try again.".into(),
            )
        }
        O::Body(io) => {
            // s3s reports a bad payload hash or chunk signature as
            // an S3Error inside the body stream: surface it as is.
            let inner = io
                .get_ref()
                .and_then(|e| e.downcast_ref::<s3s::S3Error>())
                .map(|e| with(e.code().clone(), e.message().unwrap_or_default().to_owned()));
            inner.unwrap_or_else(|| {
                with(
                    C::IncompleteBody,
                    format!("The request body could not be read: {io}"),
                )
            })
        }
    }
}

/// S3's code and message for an authorization refused before s3s verified
/// it (`slipway_sigv4::check_scope`). S3 names these apart from the JSON
/// services' `IncompleteSignatureException` / `InvalidSignatureException`:
/// a bad presigned parameter is `AuthorizationQueryParametersError`, a scope
/// for another region `AuthorizationHeaderMalformed` (header form), both 400.
fn s3_auth_code(e: &AuthError) -> (s3s::S3ErrorCode, String) {
    use s3s::S3ErrorCode as C;
    match e {
        AuthError::InvalidExpires(m) => (C::AuthorizationQueryParametersError, m.clone()),
        AuthError::WrongRegion {
            found,
            expected,
            presigned: true,
        } => (
            C::AuthorizationQueryParametersError,
            format!("Error parsing the X-Amz-Credential parameter; the region '{found}' is wrong; expecting '{expected}'"),
        ),
        AuthError::WrongRegion {
            found,
            expected,
            presigned: false,
        } => (
            C::AuthorizationHeaderMalformed,
            format!("The authorization header is malformed; the region '{found}' is wrong; expecting '{expected}'"),
        ),
        // `check_scope` returns none of these; S3's names for them, so the
        // table is whole should it ever.
        AuthError::AccessDenied(m) => (C::AccessDenied, m.clone()),
        AuthError::InvalidToken => (
            C::InvalidToken,
            "The provided token is malformed or otherwise invalid.".to_owned(),
        ),
        AuthError::ExpiredToken => (C::ExpiredToken, "The provided token has expired.".to_owned()),
        AuthError::MissingAuthenticationToken => (C::AccessDenied, e.message()),
        AuthError::UnrecognizedClient => (
            C::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.".to_owned(),
        ),
        AuthError::IncompleteSignature(m) => (C::AuthorizationHeaderMalformed, m.clone()),
        AuthError::InvalidSignature(m) => (C::SignatureDoesNotMatch, m.clone()),
        AuthError::SignatureExpired(m) => (C::RequestTimeTooSkewed, m.clone()),
    }
}

/// [`s3_auth_code`] as an error an s3s handler returns.
pub(crate) fn s3_auth_error(e: &AuthError) -> s3s::S3Error {
    let (code, message) = s3_auth_code(e);
    s3s::S3Error::with_message(code, message)
}

/// [`s3_auth_code`] as a whole S3 XML response, for a request refused
/// before it reaches s3s. A wrong region also carries the right one, in
/// `<Region>` and `x-amz-bucket-region`, as S3 sends it: botocore reads
/// either to sign again for that region (so a boto3 client configured for
/// another region works, after one refused request, as it does on AWS).
pub(crate) fn s3_auth_response(e: &AuthError) -> Response {
    let (code, message) = s3_auth_code(e);
    let status = code.status_code().unwrap_or(StatusCode::BAD_REQUEST);
    let region = match e {
        AuthError::WrongRegion { expected, .. } => Some(expected.as_str()),
        _ => None,
    };
    let mut resp = s3_xml_error(status, code.as_str(), &message, region);
    if let Some(v) = region.and_then(|r| HeaderValue::from_str(r).ok()) {
        resp.headers_mut().insert("x-amz-bucket-region", v);
    }
    resp
}

/// An S3 XML error body written here rather than by s3s, for requests
/// that never reach it: `<Error>` with `Code`, `Message` and, when given,
/// `Region`. Text is escaped: messages quote what the client sent.
pub(crate) fn s3_xml_error(
    status: StatusCode,
    code: &str,
    message: &str,
    region: Option<&str>,
) -> Response {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
        xml_escape(code),
        xml_escape(message)
    );
    if let Some(region) = region {
        body.push_str(&format!("<Region>{}</Region>", xml_escape(region)));
    }
    body.push_str("</Error>");
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/xml"));
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests {
    use super::*;

    async fn body(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_wrong_region_names_the_right_one() {
        let resp = s3_auth_response(&AuthError::WrongRegion {
            found: "us-west-2".into(),
            expected: "us-east-1".into(),
            presigned: false,
        });
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()["x-amz-bucket-region"], "us-east-1");
        assert_eq!(resp.headers()["content-type"], "application/xml");
        assert_eq!(
            body(resp).await,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code>\
             <Message>The authorization header is malformed; the region 'us-west-2' is wrong; expecting 'us-east-1'</Message>\
             <Region>us-east-1</Region></Error>"
        );
    }

    #[tokio::test]
    async fn presigned_faults_are_query_parameter_errors() {
        let resp = s3_auth_response(&AuthError::WrongRegion {
            found: "<eu>&".into(),
            expected: "us-east-1".into(),
            presigned: true,
        });
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let text = body(resp).await;
        assert!(
            text.contains("<Code>AuthorizationQueryParametersError</Code><Message>Error parsing the X-Amz-Credential parameter; the region '&lt;eu&gt;&amp;' is wrong; expecting 'us-east-1'</Message>"),
            "{text}"
        );
        let resp = s3_auth_response(&AuthError::InvalidExpires(
            "X-Amz-Expires must be non-negative".into(),
        ));
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get("x-amz-bucket-region").is_none());
        let text = body(resp).await;
        assert!(
            text.ends_with("<Error><Code>AuthorizationQueryParametersError</Code><Message>X-Amz-Expires must be non-negative</Message></Error>"),
            "{text}"
        );
    }
}
