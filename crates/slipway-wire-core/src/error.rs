//! The AWS JSON 1.1 error table, shared by the SageMaker, CloudWatch Logs
//! and ECR front ends and the router: codes, HTTP statuses and the
//! `__type` + `message` encoding. The other protocols keep their own
//! tables beside their code, since each names the same conditions its own
//! way: S3 XML in `slipway-wire-s3`, OCI `errors[]` in
//! `slipway-wire-registry`, the query protocol's XML in `slipway-wire`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use slipway_botocore::InputError;
use slipway_logs::LogsError;
use slipway_registry::RegistryError;
use slipway_service::Error as ServiceError;
use slipway_sigv4::AuthError;

/// An error as an AWS JSON 1.1 client expects it.
#[derive(Debug, Clone)]
pub struct AwsError {
    /// The HTTP status (400 for most client errors).
    pub status: StatusCode,
    /// The exception name, sent as `__type` and `x-amzn-ErrorType`.
    pub code: &'static str,
    /// The human-readable text clients show.
    pub message: String,
}

impl AwsError {
    /// An error with exactly this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// `ValidationException` (400): SageMaker's word for a bad request.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    /// `SerializationException` (400): a body that cannot be read.
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

    /// `InternalFailure` (500), whose message reveals nothing.
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

    /// A request refused by the SageMaker model check, in SageMaker's words.
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

    /// An authentication failure in the JSON services' words.
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
            R::Unsupported(_) | R::UnsupportedImageType(_) => "UnsupportedImageTypeException",
            R::ScanLimitExceeded(_) => "LimitExceededException",
            R::ScanNotFound(_) => "ScanNotFoundException",
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

/// Escapes XML element text (quotes need no escaping outside attributes);
/// for the S3 and query-protocol XML bodies, whose messages quote what the
/// client sent.
pub fn xml_escape(text: &str) -> String {
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
