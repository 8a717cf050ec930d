//! Server-side AWS Signature Version 4: checks that a request really was
//! signed by the holder of an access key, the way AWS front ends do, so
//! boto3 and the AWS CLI work against Slipway unchanged.
//!
//! Verification is two steps because the secret depends on the request:
//! [`parse`] reads the authorization (header form or presigned query form)
//! and yields the access key and scope, which the caller uses to route and to
//! look up the secret; [`ParsedAuth::verify`] then recomputes the signature.
//! [`check_scope`] is the S3 front end's share of [`parse`]: s3s verifies
//! S3 signatures but neither bounds a presigned URL's lifetime nor checks
//! the region.
//!
//! The signature is computed here by hand with `hmac`/`sha2`. The
//! `aws-sigv4` crate is a *signer*: it builds the canonical request from an
//! outgoing request it controls, adds the headers itself and has no way to
//! check a signature someone else made over headers and raw bytes as they
//! arrived. It is used in this crate's tests, to produce real signed
//! requests to verify.

mod canonical;
mod error;
mod parse;

use time::{Duration, OffsetDateTime};

pub use error::AuthError;
pub use parse::{check_scope, parse};

use canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uris, sha256_hex,
    signature_matches, signing_key, string_to_sign, CanonicalParts,
};
use parse::format_amz_date;

/// How far the request time may be from the server clock, either way,
/// before a header-signed request is refused (AWS uses 15 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(15);

/// What the request looks like on the wire. Path and query are RAW as
/// received (not percent-decoded): the client signed those bytes, and
/// decoding first would lose the difference between, say, `%2F` and `/`.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The HTTP method, as sent (the SDKs send upper case).
    pub method: &'a str,
    /// The path exactly as in the request line, e.g. `/bucket/my%20key`.
    pub raw_path: &'a str,
    /// The query string without the `?`, exactly as sent; `None` if absent.
    pub raw_query: Option<&'a str>,
    /// All request headers. `host` must be present: every signer signs it.
    pub headers: &'a http::HeaderMap,
}

/// Where the signature travelled, which decides how time is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthForm {
    /// `Authorization` header: valid within [`MAX_CLOCK_SKEW`] of its time.
    Header,
    /// Presigned URL (`X-Amz-Signature` in the query): valid from its
    /// `X-Amz-Date` for `expires_secs` seconds (at most a week).
    Presigned {
        /// `X-Amz-Expires`.
        expires_secs: u64,
    },
}

/// The parsed, not-yet-verified authorization: enough to route (service
/// from the scope) and to look up the secret (access key).
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// The access key id from the credential scope.
    pub access_key_id: String,
    /// The scope date, `yyyymmdd`; already checked to be the request's date.
    pub date: String,
    /// The scope region; already checked to be the server's (AWS answers
    /// for one region per endpoint).
    pub region: String,
    /// The scope service (signing name): `sagemaker`, `s3`, `ecr`, `logs`.
    pub service: String,
    /// Signed header names as the client listed them; includes `host`.
    pub signed_headers: Vec<String>,
    /// The signature as sent (hex).
    pub signature: String,
    /// The request time from `X-Amz-Date` (or `Date`), in UTC.
    pub request_time: OffsetDateTime,
    /// Header or presigned form.
    pub form: AuthForm,
    /// `X-Amz-Security-Token` (header or query), for temporary credentials.
    /// It is part of the signature when signed; whether the token itself is
    /// valid for the key is for the caller to decide.
    pub security_token: Option<String>,
}

/// Hides the session token, a bearer credential, from logs.
impl std::fmt::Debug for ParsedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedAuth")
            .field("access_key_id", &self.access_key_id)
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .field("request_time", &self.request_time)
            .field("form", &self.form)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Where the payload hash of the canonical request comes from; it differs
/// by service, so the caller says.
#[derive(Debug, Clone, Copy)]
pub enum PayloadHash<'a> {
    /// JSON services: the server computes the SHA-256 of the body it received.
    Body(&'a [u8]),
    /// S3: the `x-amz-content-sha256` header value as sent (a hex hash,
    /// `UNSIGNED-PAYLOAD`, or a `STREAMING-…` marker), or `UNSIGNED-PAYLOAD`
    /// for presigned URLs. Checking the body against a declared hash is the
    /// caller's job, once the body has streamed through.
    Declared(&'a str),
}

/// How the canonical URI is formed from the path; it differs by service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriEncoding {
    /// Non-S3 services: the path is normalised and each segment URI-encoded twice.
    Double,
    /// S3: each segment encoded once, and no normalisation (`a//b/../c` is a key).
    Single,
}

/// The message AWS sends when the signature does not match; the canonical
/// request and string to sign follow it, as they do from AWS, because they
/// are what a client author needs to find the difference.
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl ParsedAuth {
    /// Checks the request time against `now`, then recomputes the signature
    /// with `secret_access_key` and compares it in constant time.
    ///
    /// `now` is a parameter so tests and a fake clock can drive expiry.
    pub fn verify(
        &self,
        req: &RequestParts<'_>,
        secret_access_key: &str,
        payload: PayloadHash<'_>,
        encoding: UriEncoding,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        self.check_time(now)?;

        let payload_hash = match payload {
            PayloadHash::Body(body) => sha256_hex(body),
            PayloadHash::Declared(declared) => declared.to_owned(),
        };
        let skip = match self.form {
            AuthForm::Header => None,
            AuthForm::Presigned { .. } => Some("X-Amz-Signature"),
        };
        let query = canonical_query(req.raw_query, skip);
        let headers = canonical_headers(req.headers, &self.signed_headers);
        let signed_headers = self.signed_headers.join(";");
        let parts = CanonicalParts {
            method: req.method,
            query: &query,
            headers: &headers,
            signed_headers: &signed_headers,
            payload_hash: &payload_hash,
        };
        let amz_date = format_amz_date(self.request_time);
        let scope = format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        );
        let key = signing_key(secret_access_key, &self.date, &self.region, &self.service);
        // Non-hex text can match nothing; it decodes to nothing and fails the
        // comparison like any other wrong signature (its length is no secret).
        let provided = hex::decode(&self.signature).unwrap_or_default();

        let mut first = None;
        for uri in canonical_uris(req.raw_path, encoding) {
            let creq = canonical_request(&parts, &uri);
            let sts = string_to_sign(&amz_date, &scope, &creq);
            if signature_matches(&key, &sts, &provided) {
                return Ok(());
            }
            first.get_or_insert((creq, sts));
        }
        let detail = first
            .map(|(creq, sts)| {
                format!(
                    "\n\nThe Canonical String for this request should have been\n'{}'\n\nThe String-to-Sign should have been\n'{sts}'\n",
                    String::from_utf8_lossy(&creq)
                )
            })
            .unwrap_or_default();
        Err(AuthError::InvalidSignature(format!("{MISMATCH}{detail}")))
    }

    fn check_time(&self, now: OffsetDateTime) -> Result<(), AuthError> {
        let t = self.request_time;
        match self.form {
            AuthForm::Header => {
                if t < now - MAX_CLOCK_SKEW {
                    return Err(AuthError::SignatureExpired(format!(
                        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                        format_amz_date(t),
                        format_amz_date(now - MAX_CLOCK_SKEW),
                        format_amz_date(now)
                    )));
                }
                if t > now + MAX_CLOCK_SKEW {
                    return Err(AuthError::SignatureExpired(format!(
                        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                        format_amz_date(t),
                        format_amz_date(now + MAX_CLOCK_SKEW),
                        format_amz_date(now)
                    )));
                }
            }
            AuthForm::Presigned { expires_secs } => {
                if t > now + MAX_CLOCK_SKEW {
                    return Err(AuthError::AccessDenied(
                        "Request is not valid yet".to_owned(),
                    ));
                }
                let expires = Duration::seconds(i64::try_from(expires_secs).unwrap_or(i64::MAX));
                if t.checked_add(expires).is_none_or(|end| now > end) {
                    return Err(AuthError::AccessDenied("Request has expired".to_owned()));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests;
