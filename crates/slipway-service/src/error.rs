//! The service's one error type. Transport-agnostic: the wire crate maps
//! each variant to an AWS error code in one place.

use slipway_core::ports::metadata::MetaError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A named resource is absent (or belongs to another account, which
    /// callers must not be able to tell apart). `message` is the full text.
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    AlreadyExists { message: String },
    /// The request breaks a business rule; `field` names the member.
    #[error("{reason}")]
    Invalid { field: String, reason: String },
    /// The resource's state forbids the operation (e.g. deleting a group
    /// that still holds versions).
    #[error("{0}")]
    Conflict(String),
    /// The resource is busy (a job still running): SageMaker's
    /// `ResourceInUse`.
    #[error("{0}")]
    InUse(String),
    #[error("{0}")]
    LimitExceeded(String),
    /// An S3 condition (`slipway-objects`): its own vocabulary, because S3
    /// clients act on the exact code (NoSuchKey, PreconditionFailed, ...).
    /// Its conflicts and internal failures arrive as `Conflict` and
    /// `Internal` (see the `From` below).
    #[error(transparent)]
    Object(slipway_objects::ObjectError),
    /// A CloudWatch Logs condition (`slipway-logs`): Logs has its own codes
    /// (InvalidParameterException, ResourceNotFoundException, ...). Its
    /// internal failures arrive as `Internal` (see the `From` below).
    #[error(transparent)]
    Logs(slipway_logs::LogsError),
    /// An IAM or STS condition (NoSuchEntity, EntityAlreadyExists, ...).
    #[error(transparent)]
    Iam(#[from] crate::iam::IamError),
    /// A registry condition (`slipway-registry`: OCI distribution / ECR
    /// vocabulary), where a job's image is resolved. Its conflicts and
    /// internal failures arrive as `Conflict` and `Internal` (see the
    /// `From` below).
    #[error(transparent)]
    Registry(slipway_registry::RegistryError),
    #[error("internal error")]
    Internal {
        context: String,
        #[source]
        source: BoxError,
    },
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: source.into(),
        }
    }
}

impl From<MetaError> for Error {
    fn from(e: MetaError) -> Self {
        match e {
            MetaError::Conflict(what) => Self::Conflict(format!(
                "{what} was modified concurrently; retry the request"
            )),
            other => Self::internal("metadata store", other),
        }
    }
}

impl From<slipway_objects::ObjectError> for Error {
    fn from(e: slipway_objects::ObjectError) -> Self {
        use slipway_objects::ObjectError as O;
        match e {
            O::Conflict(message) => Self::Conflict(message),
            O::Internal { context, source } => Self::Internal { context, source },
            other => Self::Object(other),
        }
    }
}

impl From<slipway_logs::LogsError> for Error {
    fn from(e: slipway_logs::LogsError) -> Self {
        match e {
            slipway_logs::LogsError::Internal { context, source } => {
                Self::Internal { context, source }
            }
            other => Self::Logs(other),
        }
    }
}

impl From<slipway_registry::RegistryError> for Error {
    fn from(e: slipway_registry::RegistryError) -> Self {
        use slipway_registry::RegistryError as R;
        match e {
            R::Conflict(message) => Self::Conflict(message),
            R::Internal { context, source } => Self::Internal { context, source },
            other => Self::Registry(other),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
