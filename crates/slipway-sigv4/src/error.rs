//! The one enum of authentication failures, with the code, status and text
//! AWS JSON ("Coral") services answer for each, so every front end maps an
//! authentication failure the same way.

/// Why a request failed authentication. Each variant is something a client
/// can act on: sign at all, sign correctly, fix its clock, or use another key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Neither an `Authorization: AWS4-…` header nor a presigned query string.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The authorization is malformed: a component is missing or unparsable.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The signature does not match, or the scope/signed headers are unacceptable.
    #[error("{0}")]
    InvalidSignature(String),
    /// The request time is more than 15 minutes away from the server clock.
    /// AWS reports it as `InvalidSignatureException`; botocore recognises clock
    /// skew by the message, which starts "Signature expired" or "Signature not yet current".
    #[error("{0}")]
    SignatureExpired(String),
    /// The access key is unknown. Produced by the caller after the key lookup;
    /// it lives here so the mapping to AWS codes is in one place.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// Temporary credentials (an STS `ASIA…` key) sent with a session token
    /// that is not theirs, or a token sent with a long-term key. Produced by
    /// the caller after the key lookup, like `UnrecognizedClient`.
    #[error("The security token included in the request is invalid.")]
    InvalidToken,
    /// Temporary credentials past their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// A presigned URL that is expired or not yet valid.
    #[error("{0}")]
    AccessDenied(String),
    /// A presigned URL's `X-Amz-Expires` is not whole seconds from 0 to a
    /// week: the lifetime a signature may claim is bounded, so a leaked URL
    /// stops working.
    #[error("{0}")]
    InvalidExpires(String),
    /// The credential scope names another region than the server's. AWS
    /// answers for one region per endpoint; a signature for another is not
    /// one for this server. Only [`crate::check_scope`] returns it:
    /// [`crate::parse`] reports the region among the other scope faults, as
    /// the JSON services do.
    #[error("Credential should be scoped to a valid region, not '{found}'.")]
    WrongRegion {
        /// The region the client signed for.
        found: String,
        /// The server's region.
        expected: String,
        /// Whether the scope came from a presigned URL's `X-Amz-Credential`
        /// rather than the `Authorization` header (S3 words the two apart).
        presigned: bool,
    },
}

impl AuthError {
    /// The AWS error code (`__type` for JSON services).
    ///
    /// `AccessDenied` only arises from presigned URLs, which in practice are S3
    /// URLs, so it carries S3's code `AccessDenied` rather than the JSON
    /// services' `AccessDeniedException`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) | AuthError::InvalidExpires(_) => {
                "IncompleteSignatureException"
            }
            AuthError::InvalidSignature(_)
            | AuthError::SignatureExpired(_)
            | AuthError::WrongRegion { .. } => "InvalidSignatureException",
            AuthError::UnrecognizedClient | AuthError::InvalidToken => {
                "UnrecognizedClientException"
            }
            AuthError::ExpiredToken => "ExpiredTokenException",
            AuthError::AccessDenied(_) => "AccessDenied",
        }
    }

    /// The HTTP status AWS uses for this failure (docs/contracts.md §1.3). Never 5xx:
    /// botocore retries those, and these failures are deterministic.
    pub fn http_status(&self) -> u16 {
        match self {
            // The JSON services answer an expired session token as a client
            // error (400), not as a refused signature.
            AuthError::IncompleteSignature(_)
            | AuthError::InvalidExpires(_)
            | AuthError::ExpiredToken => 400,
            AuthError::MissingAuthenticationToken
            | AuthError::InvalidSignature(_)
            | AuthError::WrongRegion { .. }
            | AuthError::SignatureExpired(_)
            | AuthError::UnrecognizedClient
            | AuthError::InvalidToken
            | AuthError::AccessDenied(_) => 403,
        }
    }

    /// The client-facing message, worded as AWS words it.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_the_contract() {
        let cases = [
            (
                AuthError::MissingAuthenticationToken,
                "MissingAuthenticationTokenException",
                403,
            ),
            (
                AuthError::IncompleteSignature("x".into()),
                "IncompleteSignatureException",
                400,
            ),
            (
                AuthError::InvalidSignature("x".into()),
                "InvalidSignatureException",
                403,
            ),
            (
                AuthError::SignatureExpired("x".into()),
                "InvalidSignatureException",
                403,
            ),
            (
                AuthError::UnrecognizedClient,
                "UnrecognizedClientException",
                403,
            ),
            (AuthError::AccessDenied("x".into()), "AccessDenied", 403),
            (AuthError::InvalidToken, "UnrecognizedClientException", 403),
            (AuthError::ExpiredToken, "ExpiredTokenException", 400),
            (
                AuthError::InvalidExpires("x".into()),
                "IncompleteSignatureException",
                400,
            ),
            (
                AuthError::WrongRegion {
                    found: "us-west-2".into(),
                    expected: "us-east-1".into(),
                    presigned: false,
                },
                "InvalidSignatureException",
                403,
            ),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code);
            assert_eq!(err.http_status(), status);
        }
        assert_eq!(
            AuthError::ExpiredToken.message(),
            "The security token included in the request is expired"
        );
        assert_eq!(
            AuthError::UnrecognizedClient.message(),
            "The security token included in the request is invalid."
        );
        assert_eq!(
            AuthError::WrongRegion {
                found: "us-west-2".into(),
                expected: "us-east-1".into(),
                presigned: true,
            }
            .message(),
            "Credential should be scoped to a valid region, not 'us-west-2'."
        );
    }
}
