//! The one place that knows AWS error codes, HTTP statuses and encodings.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use slipway_logs::LogsError;
use slipway_model::InputError;
use slipway_objects::ObjectError;
use slipway_service::Error as ServiceError;
use slipway_sigv4::AuthError;

/// An error as an AWS JSON 1.1 client expects it.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl AwsError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "SerializationException", message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "An internal error occurred. Try again.",
        )
    }

    /// Maps a service error. SageMaker reports a missing resource on
    /// Describe/Delete/Update as `ValidationException` (docs/contracts.md §1.3),
    /// duplicate names as `ResourceInUse`, and state conflicts on the
    /// model-package and algorithm operations as `ConflictException`.
    pub fn from_service(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound { message } => Self::validation(message),
            ServiceError::AlreadyExists { message } => {
                Self::new(StatusCode::BAD_REQUEST, "ResourceInUse", message)
            }
            ServiceError::Invalid { reason, .. } => Self::validation(reason),
            ServiceError::Conflict(m) => Self::new(StatusCode::BAD_REQUEST, "ConflictException", m),
            ServiceError::InUse(m) => Self::new(StatusCode::BAD_REQUEST, "ResourceInUse", m),
            ServiceError::LimitExceeded(m) => {
                Self::new(StatusCode::BAD_REQUEST, "ResourceLimitExceeded", m)
            }
            ServiceError::Object(e) => Self::validation(e.to_string()),
            ServiceError::Logs(e) => Self::from_logs(e),
            // SageMaker never calls IAM; a condition here is a bad request.
            ServiceError::Iam(e) => Self::validation(e.to_string()),
            e @ ServiceError::Registry(_) => Self::from_ecr(e),
            ServiceError::Internal { context, source } => {
                tracing::error!(%context, error = %source, "internal error");
                Self::internal()
            }
        }
    }

    /// CloudWatch Logs has its own vocabulary: constraint violations and
    /// bad combinations are `InvalidParameterException`, missing and
    /// duplicate groups/streams `ResourceNotFoundException` and
    /// `ResourceAlreadyExistsException` (botocore's logs model).
    pub fn from_logs(e: LogsError) -> Self {
        let code = match &e {
            LogsError::InvalidParameter(_) => "InvalidParameterException",
            LogsError::GroupNotFound | LogsError::StreamNotFound => "ResourceNotFoundException",
            LogsError::GroupExists | LogsError::StreamExists => "ResourceAlreadyExistsException",
            LogsError::Internal { context, source } => {
                tracing::error!(%context, error = %source, "internal error");
                return Self::internal();
            }
        };
        Self::new(StatusCode::BAD_REQUEST, code, e.to_string())
    }

    /// A request refused by the logs model check: the same messages as
    /// SageMaker's, under the code CloudWatch Logs uses for them.
    pub fn from_logs_input(e: InputError) -> Self {
        match e {
            InputError::Constraints(v) => Self::new(
                StatusCode::BAD_REQUEST,
                "InvalidParameterException",
                slipway_model::aws_message(&v),
            ),
            other => Self::from_input(other),
        }
    }

    /// A request refused by the ECR model check. ECR words constraint
    /// violations its own way, one at a time, under
    /// `InvalidParameterException`: `Invalid parameter at 'repositoryName'
    /// failed to satisfy constraint: 'must satisfy regular expression
    /// '<pattern>''` (what the AWS SDKs show from ECR), not SageMaker's
    /// `1 validation error detected: Value ... at ...`.
    pub fn from_ecr_input(e: InputError) -> Self {
        match e {
            InputError::Constraints(v) => {
                let message = v.first().map_or_else(
                    || "Invalid parameter".to_owned(),
                    |v| {
                        let c = v
                            .constraint
                            .strip_prefix("Member ")
                            .unwrap_or(&v.constraint);
                        let c = match c.strip_prefix("must satisfy regular expression pattern: ") {
                            Some(p) => format!("must satisfy regular expression '{p}'"),
                            None => c.to_owned(),
                        };
                        format!(
                            "Invalid parameter at '{}' failed to satisfy constraint: '{c}'",
                            v.path
                        )
                    },
                );
                Self::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameterException",
                    message,
                )
            }
            other => Self::from_input(other),
        }
    }

    pub fn from_input(e: InputError) -> Self {
        match e {
            InputError::Serialization(m) => Self::serialization(m),
            InputError::Constraints(v) => Self::validation(slipway_model::aws_message(&v)),
            InputError::UnknownOperation(op) => Self::new(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                format!("Unknown operation {op}"),
            ),
        }
    }

    pub fn from_auth(e: &AuthError) -> Self {
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::FORBIDDEN);
        Self::new(status, e.code(), e.message())
    }
}

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        // Both `message` and `Message`: botocore reads the first, typed SDKs
        // fill the modeled `Message` member from the second.
        let body = serde_json::json!({
            "__type": self.code,
            "message": self.message,
            "Message": self.message,
        });
        let mut resp = (self.status, body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        h.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        resp
    }
}

/// An error of a query-protocol service (STS, IAM, or one Slipway does not
/// implement), answered as `<ErrorResponse>` XML (`<Response><Errors>` for
/// EC2), which botocore's query parsers read. A fourth table: STS and IAM
/// name conditions their own way (`InvalidClientTokenId`,
/// `NoSuchEntity`, `ValidationError`).
#[derive(Debug, Clone)]
pub struct QueryError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// Which query dialect an error is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryDialect {
    /// `<ErrorResponse xmlns=NS><Error><Type/><Code/><Message/></Error><RequestId/>`.
    Query(Option<&'static str>),
    /// EC2's `<Response><Errors><Error>…</Error></Errors><RequestID/>`.
    Ec2,
}

impl QueryError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    /// Authentication failures in STS's and IAM's words.
    pub fn from_auth(e: &AuthError) -> Self {
        let (status, code) = match e {
            AuthError::MissingAuthenticationToken => {
                (StatusCode::FORBIDDEN, "MissingAuthenticationToken")
            }
            AuthError::IncompleteSignature(_) | AuthError::InvalidExpires(_) => {
                (StatusCode::BAD_REQUEST, "IncompleteSignature")
            }
            AuthError::InvalidSignature(_)
            | AuthError::SignatureExpired(_)
            | AuthError::WrongRegion { .. } => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
            AuthError::UnrecognizedClient | AuthError::InvalidToken => {
                (StatusCode::FORBIDDEN, "InvalidClientTokenId")
            }
            AuthError::ExpiredToken => (StatusCode::FORBIDDEN, "ExpiredToken"),
            AuthError::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
        };
        Self::new(status, code, e.message())
    }

    pub fn from_input(e: InputError) -> Self {
        match e {
            InputError::UnknownOperation(op) => Self::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Could not find operation {op} for version NO_VERSION_SPECIFIED"),
            ),
            other => Self::validation(other.to_string()),
        }
    }

    pub fn from_service(e: ServiceError) -> Self {
        use slipway_service::iam::IamError as I;
        match e {
            ServiceError::Iam(i) => {
                let (status, code) = match &i {
                    I::NoSuchEntity(_) => (StatusCode::NOT_FOUND, "NoSuchEntity"),
                    I::EntityAlreadyExists(_) => (StatusCode::CONFLICT, "EntityAlreadyExists"),
                    I::DeleteConflict(_) => (StatusCode::CONFLICT, "DeleteConflict"),
                    I::MalformedPolicyDocument(_) => {
                        (StatusCode::BAD_REQUEST, "MalformedPolicyDocument")
                    }
                    I::InvalidInput(_) => (StatusCode::BAD_REQUEST, "InvalidInput"),
                    I::Validation(_) => (StatusCode::BAD_REQUEST, "ValidationError"),
                    I::AccessDenied(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
                };
                Self::new(status, code, i.to_string())
            }
            ServiceError::Internal { context, source } => {
                tracing::error!(%context, error = %source, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalFailure",
                    "An internal error occurred. Try again.",
                )
            }
            other => Self::validation(other.to_string()),
        }
    }

    /// The whole response, in `dialect`.
    pub fn render(&self, dialect: QueryDialect, request_id: &str) -> Response {
        let (code, message, id) = (
            xml_escape(self.code),
            xml_escape(&self.message),
            xml_escape(request_id),
        );
        let body = match dialect {
            QueryDialect::Query(ns) => {
                let kind = if self.status.is_server_error() {
                    "Receiver"
                } else {
                    "Sender"
                };
                let xmlns = ns.map(|n| format!(" xmlns=\"{n}\"")).unwrap_or_default();
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse{xmlns}><Error><Type>{kind}</Type>\
                     <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
                )
            }
            QueryDialect::Ec2 => format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
                 <Message>{message}</Message></Error></Errors><RequestID>{id}</RequestID></Response>"
            ),
        };
        let mut resp = (self.status, body).into_response();
        resp.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/xml"));
        resp
    }
}

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
        } => crate::s3_edge::not_modified(&etag, last_modified),
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

/// Escapes element text (quotes need no escaping outside attributes).
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The OCI distribution error for a service error: status, code and the
/// `{"errors":[{"code","message","detail"}]}` body registry clients read.
/// A third table beside the JSON and S3 ones: OCI names the same
/// conditions its own way (BLOB_UNKNOWN rather than NoSuchKey).
pub(crate) fn oci_error(e: ServiceError) -> (StatusCode, &'static str, String) {
    use slipway_service::registry::RegistryError as R;
    let msg = e.to_string();
    let (status, code) = match e {
        ServiceError::Registry(r) => match r {
            R::BlobUnknown(_) => (StatusCode::NOT_FOUND, "BLOB_UNKNOWN"),
            R::BlobUploadInvalid(_) | R::Body(_) => {
                (StatusCode::BAD_REQUEST, "BLOB_UPLOAD_INVALID")
            }
            R::BlobUploadUnknown => (StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN"),
            R::UploadOutOfOrder { .. } => {
                (StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID")
            }
            R::DigestInvalid(_) => (StatusCode::BAD_REQUEST, "DIGEST_INVALID"),
            R::ManifestBlobUnknown(_) => (StatusCode::BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN"),
            R::ManifestInvalid(_) => (StatusCode::BAD_REQUEST, "MANIFEST_INVALID"),
            R::ManifestTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "MANIFEST_INVALID"),
            R::ManifestUnknown(_) => (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN"),
            R::NameInvalid(_) => (StatusCode::BAD_REQUEST, "NAME_INVALID"),
            R::NameUnknown { .. } => (StatusCode::NOT_FOUND, "NAME_UNKNOWN"),
            R::TagInvalid(_) | R::TagImmutable { .. } => (StatusCode::BAD_REQUEST, "TAG_INVALID"),
            R::RepositoryAlreadyExists { .. } | R::RepositoryNotEmpty { .. } => {
                (StatusCode::CONFLICT, "DENIED")
            }
            R::Unsupported(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED"),
            R::Denied(_) => (StatusCode::FORBIDDEN, "DENIED"),
            R::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            R::RangeInvalid { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UNKNOWN"),
        },
        ServiceError::Internal { context, source } => {
            tracing::error!(%context, error = %source, "internal error");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN",
                "internal error".into(),
            );
        }
        ServiceError::NotFound { .. } => (StatusCode::NOT_FOUND, "NAME_UNKNOWN"),
        ServiceError::LimitExceeded(_) => (StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS"),
        _ => (StatusCode::BAD_REQUEST, "UNSUPPORTED"),
    };
    (status, code, msg)
}

impl AwsError {
    /// Maps a service error for the ECR API, whose exceptions are named
    /// per condition (`RepositoryNotFoundException`, ...).
    pub fn from_ecr(e: ServiceError) -> Self {
        use slipway_service::registry::RegistryError as R;
        let bad = StatusCode::BAD_REQUEST;
        let msg = e.to_string();
        match e {
            ServiceError::Registry(r) => {
                let code = match r {
                    R::NameUnknown { .. } => "RepositoryNotFoundException",
                    R::RepositoryAlreadyExists { .. } => "RepositoryAlreadyExistsException",
                    R::RepositoryNotEmpty { .. } => "RepositoryNotEmptyException",
                    R::ManifestUnknown(_) => "ImageNotFoundException",
                    R::TagImmutable { .. } => "ImageTagAlreadyExistsException",
                    R::DigestInvalid(_) => "ImageDigestDoesNotMatchException",
                    R::ManifestBlobUnknown(_) => "LayersNotFoundException",
                    R::Unsupported(_) => "UnsupportedImageTypeException",
                    R::Denied(_) | R::Unauthorized(_) => "AccessDeniedException",
                    _ => "InvalidParameterException",
                };
                Self::new(bad, code, msg)
            }
            ServiceError::Internal { context, source } => {
                tracing::error!(%context, error = %source, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServerException",
                    "An internal error occurred. Try again.",
                )
            }
            other => Self::new(bad, "InvalidParameterException", other.to_string()),
        }
    }
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
