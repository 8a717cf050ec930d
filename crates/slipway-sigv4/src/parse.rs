//! Reading the authorization out of a request without any secret: enough to
//! route by the scope's service and to look up the access key.
//!
//! Checks run in the order DynamoDB (another "Coral" JSON service) was
//! observed to run them, so a request with several faults gets the error AWS
//! would give: both forms present; no authorization; missing components;
//! date format; `host` signed; algorithm; credential shape; scope contents.
//! The clock check needs `now` and so happens in `verify`.
//!
//! [`check_scope`] is the part of this an S3 front end needs when another
//! implementation (s3s) verifies its signatures: the presigned lifetime and
//! the region, which s3s does not check.

use http::HeaderMap;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::canonical::{query_pairs, ALGORITHM};
use crate::{AuthError, AuthForm, ParsedAuth, RequestParts};

/// Longest lifetime AWS allows for a presigned URL: seven days.
const MAX_PRESIGN_SECS: u64 = 604_800;

const Q_ALGORITHM: &str = "X-Amz-Algorithm";
const Q_CREDENTIAL: &str = "X-Amz-Credential";
const Q_SIGNATURE: &str = "X-Amz-Signature";
const Q_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
const Q_DATE: &str = "X-Amz-Date";
const Q_EXPIRES: &str = "X-Amz-Expires";
const Q_SECURITY_TOKEN: &str = "X-Amz-Security-Token";

/// Reads the SigV4 authorization of a request, header form or presigned
/// query form, and checks its shape. Verifying the signature needs the
/// secret, which the caller finds from `access_key_id`; see
/// [`ParsedAuth::verify`].
///
/// `region` is the server's: AWS answers for one region per endpoint, so a
/// credential scope naming any other is refused with the scope's faults.
pub fn parse(req: &RequestParts<'_>, region: &str) -> Result<ParsedAuth, AuthError> {
    let header = req.headers.get(http::header::AUTHORIZATION);
    let query: Vec<(String, String)> = query_pairs(req.raw_query.unwrap_or(""))
        .into_iter()
        .map(|(k, v)| lossy(k, v))
        .collect();
    let presigned = query
        .iter()
        .any(|(k, _)| k == Q_ALGORITHM || k == Q_CREDENTIAL || k == Q_SIGNATURE);
    match (header, presigned) {
        (Some(_), true) => Err(AuthError::IncompleteSignature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
                .to_owned(),
        )),
        (None, false) => Err(AuthError::MissingAuthenticationToken),
        (Some(value), false) => parse_header(
            &String::from_utf8_lossy(value.as_bytes()),
            req.headers,
            region,
        ),
        (None, true) => parse_presigned(&query, region),
    }
}

/// The checks S3 makes on a SigV4 authorization before it looks at the
/// signature, for a front end whose signatures another implementation
/// verifies: a presigned URL's `X-Amz-Expires` must be whole seconds from 0
/// to a week, and the credential scope must name `region`.
///
/// The form checked is the one s3s verifies: the presigned query when
/// `X-Amz-Signature` is in it, else the `Authorization` header. A request
/// without SigV4 (anonymous, SigV2), or one too malformed to read a region
/// from, passes: the verifier refuses it with its own error.
pub fn check_scope(req: &RequestParts<'_>, region: &str) -> Result<(), AuthError> {
    let query: Vec<(String, String)> = query_pairs(req.raw_query.unwrap_or(""))
        .into_iter()
        .map(|(k, v)| lossy(k, v))
        .collect();
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (credential, presigned) = if get(Q_SIGNATURE).is_some() {
        if let Some(expires) = get(Q_EXPIRES) {
            presign_expires(expires)?;
        }
        (get(Q_CREDENTIAL).map(str::to_owned), true)
    } else if let Some(value) = req.headers.get(http::header::AUTHORIZATION) {
        let auth = String::from_utf8_lossy(value.as_bytes());
        let auth = auth.trim();
        if !auth.starts_with("AWS4-") {
            return Ok(());
        }
        let rest = auth.split_once([' ', '\t']).map_or("", |(_, rest)| rest);
        let credential = components(rest).find_map(|c| c.strip_prefix("Credential="));
        (credential.map(str::to_owned), false)
    } else {
        return Ok(());
    };
    let Some(found) = credential.as_deref().and_then(scope_region) else {
        return Ok(());
    };
    if found == region {
        return Ok(());
    }
    Err(AuthError::WrongRegion {
        found: found.to_owned(),
        expected: region.to_owned(),
        presigned,
    })
}

/// The region of a credential `keyid/date/region/service/aws4_request`, if
/// it has that shape (AWS ignores trailing slashes).
fn scope_region(credential: &str) -> Option<&str> {
    let parts: Vec<&str> = credential.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [_, _, region, _, _] => Some(region),
        _ => None,
    }
}

/// The `key=value` components after the algorithm: botocore writes
/// "k=v, k=v"; other clients omit the spaces or the commas.
fn components(rest: &str) -> impl Iterator<Item = &str> {
    rest.split([',', ' ', '\t']).filter(|c| !c.is_empty())
}

/// A presigned URL's `X-Amz-Expires`: whole seconds from 0 to a week. Each
/// fault is worded as S3 words it; "-0" is zero, as AWS's number parsing has it.
fn presign_expires(value: &str) -> Result<u64, AuthError> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::InvalidExpires(
            "X-Amz-Expires should be a number".to_owned(),
        ));
    }
    if digits.len() < value.len() && digits.bytes().any(|b| b != b'0') {
        return Err(AuthError::InvalidExpires(
            "X-Amz-Expires must be non-negative".to_owned(),
        ));
    }
    // All digits: the only parse failure left is overflow, far over a week.
    match digits.parse::<u64>() {
        Ok(secs) if secs <= MAX_PRESIGN_SECS => Ok(secs),
        _ => Err(AuthError::InvalidExpires(format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_PRESIGN_SECS} seconds"
        ))),
    }
}

fn lossy(k: Vec<u8>, v: Vec<u8>) -> (String, String) {
    (
        String::from_utf8_lossy(&k).into_owned(),
        String::from_utf8_lossy(&v).into_owned(),
    )
}

/// The fields both forms carry, before their checks.
struct Raw<'a> {
    algorithm: &'a str,
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
    /// The date string as sent and the time it names.
    amz_date: String,
    request_time: OffsetDateTime,
}

fn parse_header(auth: &str, headers: &HeaderMap, region: &str) -> Result<ParsedAuth, AuthError> {
    let auth = auth.trim();
    if !auth.starts_with("AWS4-") {
        // AWS treats any other scheme (Bearer, SigV2 "AWS …") as no SigV4 at all.
        return Err(AuthError::MissingAuthenticationToken);
    }
    let (algorithm, rest) = auth.split_once([' ', '\t']).unwrap_or((auth, ""));
    let (mut credential, mut signed_headers, mut signature) = ("", "", "");
    for component in components(rest) {
        let Some((key, value)) = component.split_once('=') else {
            return Err(AuthError::IncompleteSignature(format!(
                "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
            )));
        };
        match key {
            "Credential" => credential = value,
            "SignedHeaders" => signed_headers = value,
            "Signature" => signature = value,
            _ => {}
        }
    }

    let x_amz_date = header_str(headers, "x-amz-date");
    let date_header = header_str(headers, "date");
    // X-Amz-Date wins over Date; the string to sign uses the basic format either way.
    let when = match (x_amz_date, date_header) {
        (Some(v), _) => Some(parse_amz_date(&v).map(|t| (v, t))),
        (None, Some(v)) => Some(parse_http_date(&v).map(|t| (format_amz_date(t), t))),
        (None, None) => None,
    };
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_empty() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if when.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let Some(when) = when.filter(|_| missing.is_empty()) else {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Authorization={auth}"
        )));
    };
    let (amz_date, request_time) = when?;
    let raw = Raw {
        algorithm,
        credential,
        signed_headers,
        signature,
        amz_date,
        request_time,
    };
    let security_token = header_str(headers, "x-amz-security-token");
    finish(raw, AuthForm::Header, security_token, region)
}

fn parse_presigned(query: &[(String, String)], region: &str) -> Result<ParsedAuth, AuthError> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let mut missing = String::new();
    for name in [
        Q_ALGORITHM,
        Q_CREDENTIAL,
        Q_SIGNATURE,
        Q_SIGNED_HEADERS,
        Q_DATE,
        Q_EXPIRES,
    ] {
        if get(name).is_none() {
            missing.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(signed_headers),
        Some(date),
        Some(expires),
    ) = (
        get(Q_ALGORITHM),
        get(Q_CREDENTIAL),
        get(Q_SIGNATURE),
        get(Q_SIGNED_HEADERS),
        get(Q_DATE),
        get(Q_EXPIRES),
    )
    else {
        return Err(AuthError::IncompleteSignature(format!(
            "{missing}Re-examine the query-string parameters."
        )));
    };
    let expires_secs = presign_expires(expires)?;
    let raw = Raw {
        algorithm,
        credential,
        signed_headers,
        signature,
        amz_date: date.to_owned(),
        request_time: parse_amz_date(date)?,
    };
    let security_token = get(Q_SECURITY_TOKEN).map(str::to_owned);
    finish(
        raw,
        AuthForm::Presigned { expires_secs },
        security_token,
        region,
    )
}

/// The checks both forms share, after the date parsed. `expected_region`
/// is the server's.
fn finish(
    raw: Raw<'_>,
    form: AuthForm,
    security_token: Option<String>,
    expected_region: &str,
) -> Result<ParsedAuth, AuthError> {
    let signed_headers: Vec<String> = raw.signed_headers.split(';').map(str::to_owned).collect();
    if !signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host") || h == ":authority")
    {
        return Err(AuthError::InvalidSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    if raw.algorithm != ALGORITHM {
        return Err(AuthError::IncompleteSignature(format!(
            "Unsupported AWS 'algorithm': '{}' (only {ALGORITHM} for now).",
            raw.algorithm
        )));
    }
    // AWS ignores trailing slashes here.
    let parts: Vec<&str> = raw.credential.trim_end_matches('/').split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
        return Err(AuthError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            raw.credential
        )));
    };
    let mut scope_errors = Vec::new();
    // An empty region is the case AWS was observed to word this way; any
    // region but the server's is just as invalid here.
    if *region != expected_region {
        scope_errors.push(format!(
            "Credential should be scoped to a valid region, not '{region}'."
        ));
    }
    if *terminator != "aws4_request" {
        scope_errors.push(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        ));
    }
    let request_day = raw.amz_date.get(..8).unwrap_or("");
    if *date != request_day {
        scope_errors.push(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{request_day}', from '{}'.",
            raw.amz_date
        ));
    }
    if !scope_errors.is_empty() {
        return Err(AuthError::InvalidSignature(scope_errors.join(" ")));
    }
    Ok(ParsedAuth {
        access_key_id: (*access_key_id).to_owned(),
        date: (*date).to_owned(),
        region: (*region).to_owned(),
        service: (*service).to_owned(),
        signed_headers,
        signature: raw.signature.to_owned(),
        request_time: raw.request_time,
        form,
        security_token,
    })
}

/// A header as text, if present; non-UTF-8 octets become U+FFFD so that a
/// broken value fails a later check instead of vanishing.
fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
}

fn bad_date(value: &str) -> AuthError {
    AuthError::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// Parses `yyyymmddTHHMMSSZ`, exactly, as the SDKs send `X-Amz-Date`.
pub(crate) fn parse_amz_date(value: &str) -> Result<OffsetDateTime, AuthError> {
    let b = value.as_bytes();
    let well_formed = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit);
    if !well_formed {
        return Err(bad_date(value));
    }
    let num = |range: std::ops::Range<usize>| -> u32 {
        b[range]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let month = u8::try_from(num(4..6))
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| bad_date(value))?;
    let to_u8 = |n: u32| u8::try_from(n).map_err(|_| bad_date(value));
    let year = i32::try_from(num(0..4)).map_err(|_| bad_date(value))?;
    let date =
        Date::from_calendar_date(year, month, to_u8(num(6..8))?).map_err(|_| bad_date(value))?;
    let time = Time::from_hms(to_u8(num(9..11))?, to_u8(num(11..13))?, to_u8(num(13..15))?)
        .map_err(|_| bad_date(value))?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

/// Parses an HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// fallback SigV4 allows when `X-Amz-Date` is absent.
fn parse_http_date(value: &str) -> Result<OffsetDateTime, AuthError> {
    OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|_| bad_date(value))
}

/// Formats a time as `yyyymmddTHHMMSSZ` (UTC), the form the string to sign uses.
pub(crate) fn format_amz_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests;
