//! The OCI distribution error table (see `oci_error`).

use axum::http::StatusCode;
use slipway_registry::RegistryError;

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
        // Only the ECR scan calls fail these ways; never a /v2/ request.
        R::UnsupportedImageType(_)
        | R::ScanLimitExceeded(_)
        | R::ScanNotFound(_)
        | R::InvalidParameter(_) => (StatusCode::BAD_REQUEST, "UNSUPPORTED"),
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
