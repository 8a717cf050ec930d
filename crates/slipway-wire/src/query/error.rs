//! The query protocol's error table and its two XML encodings.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use slipway_botocore::InputError;
use slipway_service::Error as ServiceError;
use slipway_sigv4::AuthError;
use slipway_wire_core::error::xml_escape;

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
