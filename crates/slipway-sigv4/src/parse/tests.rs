//! Shape checks of `parse`, one per malformed variant, with AWS's wording.

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use time::macros::datetime;

use super::*;
use crate::{PayloadHash, UriEncoding};

const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd";

fn headers(auth: Option<&str>, date: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("localhost"));
    if let Some(auth) = auth {
        h.insert("authorization", HeaderValue::from_str(auth).unwrap());
    }
    if let Some(date) = date {
        h.insert("x-amz-date", HeaderValue::from_str(date).unwrap());
    }
    h
}

/// The server's region in these tests; `GOOD` and `PRESIGNED` are scoped to it.
const REGION: &str = "us-east-1";

fn parts<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> RequestParts<'a> {
    RequestParts {
        method: "POST",
        raw_path: "/",
        raw_query: query,
        headers,
    }
}

fn parse_with(headers: &HeaderMap, query: Option<&str>) -> Result<ParsedAuth, AuthError> {
    parse(&parts(headers, query), REGION)
}

fn scope_with(headers: &HeaderMap, query: Option<&str>) -> Result<(), AuthError> {
    check_scope(&parts(headers, query), REGION)
}

fn parse_header(auth: &str) -> Result<ParsedAuth, AuthError> {
    parse_with(&headers(Some(auth), Some("20240101T000000Z")), None)
}

fn incomplete(msg: &str) -> Result<ParsedAuth, AuthError> {
    Err(AuthError::IncompleteSignature(msg.to_owned()))
}

fn invalid(msg: &str) -> Result<ParsedAuth, AuthError> {
    Err(AuthError::InvalidSignature(msg.to_owned()))
}

fn bad_expires<T>(msg: &str) -> Result<T, AuthError> {
    Err(AuthError::InvalidExpires(msg.to_owned()))
}

fn wrong_region<T>(found: &str, presigned: bool) -> Result<T, AuthError> {
    Err(AuthError::WrongRegion {
        found: found.to_owned(),
        expected: REGION.to_owned(),
        presigned,
    })
}

#[test]
fn a_well_formed_header_parses() {
    let auth = parse_header(GOOD).unwrap();
    assert_eq!(auth.access_key_id, "AKID");
    assert_eq!(auth.date, "20240101");
    assert_eq!(auth.region, "us-east-1");
    assert_eq!(auth.service, "sagemaker");
    assert_eq!(auth.signed_headers, vec!["host", "x-amz-date"]);
    assert_eq!(auth.signature, "abcd");
    assert_eq!(auth.request_time, datetime!(2024-01-01 00:00:00 UTC));
    assert_eq!(auth.form, AuthForm::Header);
}

#[test]
fn components_may_be_separated_by_commas_or_spaces_alone() {
    let commas = GOOD.replace(", ", ",");
    let spaces = GOOD.replace(", ", " ");
    assert_eq!(parse_header(&commas), parse_header(GOOD));
    assert_eq!(parse_header(&spaces), parse_header(GOOD));
}

#[test]
fn no_authorization_at_all_is_a_missing_token() {
    let err = parse_with(&headers(None, Some("20240101T000000Z")), None).unwrap_err();
    assert_eq!(err, AuthError::MissingAuthenticationToken);
    assert_eq!(err.message(), "Request is missing Authentication Token");
}

#[test]
fn another_scheme_is_a_missing_token() {
    for auth in ["Bearer eyJ0eXAi", "AWS AKID:c2lnbmF0dXJl", ""] {
        assert_eq!(
            parse_header(auth),
            Err(AuthError::MissingAuthenticationToken),
            "{auth}"
        );
    }
}

#[test]
fn each_missing_component_is_named() {
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sagemaker/aws4_request";
    assert_eq!(
        parse_header(auth),
        incomplete(&format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={auth}"
        ))
    );
    let auth = "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abcd";
    assert_eq!(
        parse_header(auth),
        incomplete(&format!(
            "Authorization header requires 'Credential' parameter. Authorization={auth}"
        ))
    );
    let auth = "AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=abcd";
    assert!(matches!(
        parse_header(auth),
        Err(AuthError::IncompleteSignature(m)) if m.starts_with("Authorization header requires 'Credential' parameter.")
    ));
}

#[test]
fn a_missing_date_is_reported_with_missing_components() {
    let err = parse_with(&headers(Some("AWS4-HMAC-SHA256"), None), None);
    assert_eq!(
        err,
        incomplete(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
        )
    );
    let err = parse_with(&headers(Some(GOOD), None), None);
    assert_eq!(
        err,
        incomplete(&format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={GOOD}"
        ))
    );
}

#[test]
fn the_date_header_is_a_fallback_for_x_amz_date() {
    let mut h = headers(Some(GOOD), None);
    h.insert(
        "date",
        HeaderValue::from_static("Mon, 01 Jan 2024 00:00:00 GMT"),
    );
    let auth = parse_with(&h, None).unwrap();
    assert_eq!(auth.request_time, datetime!(2024-01-01 00:00:00 UTC));
}

#[test]
fn a_badly_formatted_date_is_incomplete() {
    for date in [
        "2024-01-01T00:00:00Z",
        "20240101T000000",
        "20241301T000000Z",
        "20240101T250000Z",
        "2024010１T000000Z",
    ] {
        let err = parse_with(&headers(Some(GOOD), Some(date)), None);
        assert_eq!(
            err,
            incomplete(&format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )),
            "{date}"
        );
    }
}

#[test]
fn a_component_without_equal_sign_is_incomplete() {
    let auth = "AWS4-HMAC-SHA256 Credential AKID/20240101/us-east-1/sagemaker/aws4_request";
    assert_eq!(
        parse_header(auth),
        incomplete(&format!(
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
        ))
    );
}

#[test]
fn host_must_be_signed() {
    let auth = GOOD.replace("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date");
    assert_eq!(
        parse_header(&auth),
        invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    );
    let upper = GOOD.replace("SignedHeaders=host", "SignedHeaders=Host");
    assert!(parse_header(&upper).is_ok());
}

#[test]
fn only_hmac_sha256_is_supported() {
    let auth = GOOD.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256");
    assert_eq!(
        parse_header(&auth),
        incomplete(
            "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now)."
        )
    );
}

#[test]
fn the_credential_must_have_five_parts() {
    for cred in ["AKID/20240101/us-east-1/sagemaker", "AKID", "a/b/c/d/e/f"] {
        let auth = GOOD.replace("AKID/20240101/us-east-1/sagemaker/aws4_request", cred);
        assert_eq!(
            parse_header(&auth),
            incomplete(&format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'"
            ))
        );
    }
    let trailing = GOOD.replace("aws4_request", "aws4_request/");
    assert!(parse_header(&trailing).is_ok());
}

#[test]
fn the_scope_must_name_the_request_date_and_terminator() {
    let auth = GOOD.replace(
        "20240101/us-east-1/sagemaker/aws4_request",
        "20240102/us-east-1/sagemaker/aws4",
    );
    assert_eq!(
        parse_header(&auth),
        invalid(
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'."
        )
    );
    let auth = GOOD.replace("/us-east-1/", "//");
    assert_eq!(
        parse_header(&auth),
        invalid("Credential should be scoped to a valid region, not ''.")
    );
}

#[test]
fn the_scope_must_name_the_servers_region() {
    let auth = GOOD.replace("/us-east-1/", "/us-west-2/");
    assert_eq!(
        parse_header(&auth),
        invalid("Credential should be scoped to a valid region, not 'us-west-2'.")
    );
    // Reported with the other scope faults, in AWS's order.
    let auth = GOOD.replace(
        "20240101/us-east-1/sagemaker/aws4_request",
        "20240101/eu-west-1/sagemaker/aws4",
    );
    assert_eq!(
        parse_header(&auth),
        invalid(
            "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'."
        )
    );
    let presigned = PRESIGNED.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F");
    assert_eq!(
        parse_with(&headers(None, None), Some(&presigned)),
        invalid("Credential should be scoped to a valid region, not 'us-west-2'.")
    );
    // The region is compared exactly, as AWS compares it.
    let upper = GOOD.replace("/us-east-1/", "/US-EAST-1/");
    assert_eq!(
        parse_header(&upper),
        invalid("Credential should be scoped to a valid region, not 'US-EAST-1'.")
    );
}

const PRESIGNED: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd";

#[test]
fn a_well_formed_presigned_query_parses() {
    let auth = parse_with(&headers(None, None), Some(PRESIGNED)).unwrap();
    assert_eq!(auth.access_key_id, "AKID");
    assert_eq!(auth.service, "s3");
    assert_eq!(auth.form, AuthForm::Presigned { expires_secs: 3600 });
    assert_eq!(auth.security_token, None);
}

#[test]
fn both_forms_at_once_are_refused() {
    let err = parse_with(&headers(Some(GOOD), None), Some(PRESIGNED));
    assert_eq!(
        err,
        incomplete(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    );
}

#[test]
fn missing_presign_parameters_are_named() {
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z";
    assert_eq!(
        parse_with(&headers(None, None), Some(query)),
        incomplete(
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters."
        )
    );
}

const NOT_A_NUMBER: &str = "X-Amz-Expires should be a number";
const NEGATIVE: &str = "X-Amz-Expires must be non-negative";
const OVER_A_WEEK: &str = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";

/// `X-Amz-Expires` values and what S3 answers for each.
const EXPIRES_CASES: &[(&str, Option<&str>)] = &[
    ("0", None),
    ("1", None),
    ("604800", None),
    ("-0", None),
    ("604801", Some(OVER_A_WEEK)),
    ("99999999999999999999999", Some(OVER_A_WEEK)),
    ("-1", Some(NEGATIVE)),
    ("-604801", Some(NEGATIVE)),
    ("-99999999999999999999999", Some(NEGATIVE)),
    ("soon", Some(NOT_A_NUMBER)),
    ("1.5", Some(NOT_A_NUMBER)),
    ("+5", Some(NOT_A_NUMBER)),
    ("-", Some(NOT_A_NUMBER)),
    ("--1", Some(NOT_A_NUMBER)),
    ("%20", Some(NOT_A_NUMBER)),
];

#[test]
fn presign_expiry_must_be_whole_seconds_from_zero_to_a_week() {
    for (value, fault) in EXPIRES_CASES {
        let query = PRESIGNED.replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={value}"));
        let got = parse_with(&headers(None, None), Some(&query));
        match fault {
            None => assert!(got.is_ok(), "{value}: {got:?}"),
            Some(msg) => assert_eq!(got, bad_expires(msg), "{value}"),
        }
    }
}

// -- check_scope: what S3 checks before s3s verifies -------------------------------

#[test]
fn scope_check_passes_a_request_for_this_region() {
    assert_eq!(scope_with(&headers(Some(GOOD), None), None), Ok(()));
    assert_eq!(scope_with(&headers(None, None), Some(PRESIGNED)), Ok(()));
}

#[test]
fn scope_check_refuses_another_region_in_either_form() {
    let header = GOOD.replace("/us-east-1/", "/us-west-2/");
    assert_eq!(
        scope_with(&headers(Some(&header), None), None),
        wrong_region("us-west-2", false)
    );
    let query = PRESIGNED.replace("%2Fus-east-1%2F", "%2Fus-west-2%2F");
    assert_eq!(
        scope_with(&headers(None, None), Some(&query)),
        wrong_region("us-west-2", true)
    );
    let empty = GOOD.replace("/us-east-1/", "//");
    assert_eq!(
        scope_with(&headers(Some(&empty), None), None),
        wrong_region("", false)
    );
}

#[test]
fn scope_check_refuses_a_bad_presign_expiry() {
    for (value, fault) in EXPIRES_CASES {
        let query = PRESIGNED.replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={value}"));
        let got = scope_with(&headers(None, None), Some(&query));
        match fault {
            None => assert_eq!(got, Ok(()), "{value}"),
            Some(msg) => assert_eq!(got, bad_expires(msg), "{value}"),
        }
    }
    // The lifetime is judged before the region, as S3 reads the parameters.
    let both = PRESIGNED
        .replace("X-Amz-Expires=3600", "X-Amz-Expires=-1")
        .replace("%2Fus-east-1%2F", "%2Fus-west-2%2F");
    assert_eq!(
        scope_with(&headers(None, None), Some(&both)),
        bad_expires(NEGATIVE)
    );
}

#[test]
fn scope_check_reads_the_form_s3s_verifies() {
    // A presigned query wins over an Authorization header, as in s3s.
    let header = GOOD.replace("/us-east-1/", "/us-west-2/");
    assert_eq!(
        scope_with(&headers(Some(&header), None), Some(PRESIGNED)),
        Ok(())
    );
    let query = PRESIGNED.replace("%2Fus-east-1%2F", "%2Feu-west-1%2F");
    assert_eq!(
        scope_with(&headers(Some(GOOD), None), Some(&query)),
        wrong_region("eu-west-1", true)
    );
}

#[test]
fn scope_check_leaves_other_requests_to_the_verifier() {
    let cases: &[(Option<&str>, Option<&str>)] = &[
        // anonymous
        (None, None),
        (None, Some("list-type=2&prefix=a")),
        // SigV2 header and query forms carry no region
        (Some("AWS AKID:c2lnbmF0dXJl"), None),
        (
            None,
            Some("AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D"),
        ),
        // too malformed to read a region from
        (Some("AWS4-HMAC-SHA256 garbage"), None),
        (
            Some("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-west-2, Signature=ab"),
            None,
        ),
        (
            None,
            Some("X-Amz-Signature=abcd&X-Amz-Credential=AKID%2Fus-west-2"),
        ),
    ];
    for (auth, query) in cases {
        assert_eq!(
            scope_with(&headers(*auth, None), *query),
            Ok(()),
            "{auth:?} {query:?}"
        );
    }
}

#[test]
fn amz_dates_round_trip() {
    let t = parse_amz_date("20240229T235959Z").unwrap();
    assert_eq!(t, datetime!(2024-02-29 23:59:59 UTC));
    assert_eq!(format_amz_date(t), "20240229T235959Z");
    assert!(parse_amz_date("20230229T000000Z").is_err());
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_authorization(
        auth in "(AWS4-HMAC-SHA256 )?[ -~]{0,200}",
        date in proptest::option::of("[0-9TZ]{0,20}"),
    ) {
        if let Ok(value) = HeaderValue::from_str(&auth) {
            let mut h = HeaderMap::new();
            h.insert("authorization", value);
            if let Some(date) = date {
                h.insert("x-amz-date", HeaderValue::from_str(&date).unwrap());
            }
            let _ = parse_with(&h, None);
        }
    }

    #[test]
    fn parse_never_panics_on_structured_authorization(
        parts in proptest::collection::vec(
            prop_oneof![
                "Credential=[A-Za-z0-9/_%-]{0,60}",
                "SignedHeaders=[a-z;:-]{0,40}",
                "Signature=[0-9a-f]{0,70}",
                "[ -~]{0,20}",
            ],
            0..6,
        ),
        sep in prop_oneof![Just(", "), Just(","), Just(" ")],
    ) {
        let auth = format!("AWS4-HMAC-SHA256 {}", parts.join(sep));
        if let Ok(value) = HeaderValue::from_str(&auth) {
            let mut h = HeaderMap::new();
            h.insert("authorization", value);
            h.insert("x-amz-date", HeaderValue::from_static("20240101T000000Z"));
            let _ = parse_with(&h, None);
        }
    }

    #[test]
    fn parse_never_panics_on_arbitrary_queries(
        query in "[ -~]{0,300}",
        presign_keys in proptest::collection::vec(
            prop_oneof![
                Just("X-Amz-Algorithm=AWS4-HMAC-SHA256"),
                Just("X-Amz-Credential=AKID%2F20240101%2Fr%2Fs3%2Faws4_request"),
                Just("X-Amz-Signature=00"),
                Just("X-Amz-SignedHeaders=host"),
                Just("X-Amz-Date=20240101T000000Z"),
                Just("X-Amz-Expires=99999999999999999999999"),
                Just("X-Amz-Expires=10"),
                Just("X-Amz-Date=%FF%FE"),
            ],
            0..8,
        ),
    ) {
        let query = format!("{}&{query}", presign_keys.join("&"));
        let h = headers(None, None);
        let _ = parse_with(&h, Some(&query));
        let _ = scope_with(&h, Some(&query));
    }

    #[test]
    fn scope_check_never_panics_on_arbitrary_authorization(
        auth in "(AWS4-HMAC-SHA256 )?(Credential=)?[ -~]{0,200}",
    ) {
        if let Ok(value) = HeaderValue::from_str(&auth) {
            let mut h = HeaderMap::new();
            h.insert("authorization", value);
            let _ = scope_with(&h, None);
        }
    }

    #[test]
    fn verify_never_panics_on_arbitrary_paths_and_queries(
        path in "[ -~]{0,100}",
        query in proptest::option::of("[ -~]{0,100}"),
        date in "[0-9]{8}T[0-9]{6}Z",
        double in any::<bool>(),
    ) {
        let Ok(t) = parse_amz_date(&date) else { return Ok(()) };
        let auth = ParsedAuth {
            access_key_id: "AKID".into(),
            date: date[..8].to_owned(),
            region: "r".into(),
            service: "s".into(),
            signed_headers: vec!["host".into(), "Bad Name".into(), String::new()],
            signature: "00".into(),
            request_time: t,
            form: AuthForm::Presigned { expires_secs: u64::MAX },
            security_token: None,
        };
        let h = headers(None, None);
        let req = RequestParts { method: "GET", raw_path: &path, raw_query: query.as_deref(), headers: &h };
        let encoding = if double { UriEncoding::Double } else { UriEncoding::Single };
        let _ = auth.verify(&req, "s", PayloadHash::Body(b""), encoding, t);
        let header_form = ParsedAuth { form: AuthForm::Header, ..auth.clone() };
        let _ = header_form.verify(&req, "s", PayloadHash::Declared("x"), encoding, t);
    }
}
