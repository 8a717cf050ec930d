//! The one place that knows AWS error codes, HTTP statuses and encodings.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use slipway_botocore::InputError;
use slipway_logs::LogsError;
use slipway_objects::ObjectError;
use slipway_registry::RegistryError;
use slipway_service::Error as ServiceError;
use slipway_sigv4::AuthError;

mod s3;
pub(crate) use s3::{
    s3_auth_error, s3_auth_response, s3_error, s3_object_error, s3_xml_error, xml_escape,
};

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

    /// An operation of an extracted model subset that no handler serves yet
    /// (the default of every generated dispatch-trait method).
    pub fn not_implemented(api: &str, op: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Operation {op} is part of the {api} API but not implemented by this Slipway server."),
        )
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
            ServiceError::Registry(e) => Self::from_ecr(e),
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
                slipway_botocore::aws_message(&v),
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
            InputError::Constraints(v) => Self::validation(slipway_botocore::aws_message(&v)),
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

/// The OCI distribution error for a registry error: status, code and the
/// `{"errors":[{"code","message","detail"}]}` body registry clients read.
/// A third table beside the JSON and S3 ones: OCI names the same
/// conditions its own way (BLOB_UNKNOWN rather than NoSuchKey).
pub(crate) fn oci_error(e: RegistryError) -> (StatusCode, &'static str, String) {
    use RegistryError as R;
    let msg = e.to_string();
    let (status, code) = match e {
        R::BlobUnknown(_) => (StatusCode::NOT_FOUND, "BLOB_UNKNOWN"),
        R::BlobUploadInvalid(_) | R::Body(_) => (StatusCode::BAD_REQUEST, "BLOB_UPLOAD_INVALID"),
        R::BlobUploadUnknown => (StatusCode::NOT_FOUND, "BLOB_UPLOAD_UNKNOWN"),
        R::UploadOutOfOrder { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID"),
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
        R::Conflict(_) => (StatusCode::BAD_REQUEST, "UNSUPPORTED"),
        R::Denied(_) => (StatusCode::FORBIDDEN, "DENIED"),
        R::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
        R::RangeInvalid { .. } => (StatusCode::RANGE_NOT_SATISFIABLE, "BLOB_UNKNOWN"),
        R::Internal { context, source } => {
            tracing::error!(%context, error = %source, "internal error");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "UNKNOWN",
                "internal error".into(),
            );
        }
    };
    (status, code, msg)
}

impl AwsError {
    /// Maps a registry error for the ECR API, whose exceptions are named
    /// per condition (`RepositoryNotFoundException`, ...).
    pub fn from_ecr(e: RegistryError) -> Self {
        use RegistryError as R;
        let code = match &e {
            R::NameUnknown { .. } => "RepositoryNotFoundException",
            R::RepositoryAlreadyExists { .. } => "RepositoryAlreadyExistsException",
            R::RepositoryNotEmpty { .. } => "RepositoryNotEmptyException",
            R::ManifestUnknown(_) => "ImageNotFoundException",
            R::TagImmutable { .. } => "ImageTagAlreadyExistsException",
            R::DigestInvalid(_) => "ImageDigestDoesNotMatchException",
            R::ManifestBlobUnknown(_) => "LayersNotFoundException",
            R::Unsupported(_) => "UnsupportedImageTypeException",
            R::Denied(_) | R::Unauthorized(_) => "AccessDeniedException",
            R::Internal { context, source } => {
                tracing::error!(%context, error = %source, "internal error");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServerException",
                    "An internal error occurred. Try again.",
                );
            }
            _ => "InvalidParameterException",
        };
        Self::new(StatusCode::BAD_REQUEST, code, e.to_string())
    }
}
