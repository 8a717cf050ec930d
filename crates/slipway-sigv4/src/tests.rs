//! Round trips: requests signed by the real `aws-sigv4` signer (header and
//! presigned forms, JSON and S3 rules) must verify, and any change to what
//! was signed must not.

use std::time::Duration as StdDuration;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, HeaderValue};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;

mod botocore;

const AKID: &str = "AKIDSLIPWAYTEST";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ";
const T0: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);
/// The region every request here is signed for, and the server's.
const REGION: &str = "us-west-2";
const JSON_BODY: &[u8] = br#"{"MaxResults": 10, "NameContains": "demo"}"#;

/// A request as the server receives it.
struct Wire {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
}

impl Wire {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            raw_path: &self.path,
            raw_query: self.query.as_deref(),
            headers: &self.headers,
        }
    }

    fn verify(
        &self,
        secret: &str,
        payload: PayloadHash<'_>,
        encoding: UriEncoding,
        now: OffsetDateTime,
    ) -> Result<ParsedAuth, AuthError> {
        let auth = parse(&self.parts(), REGION)?;
        auth.verify(&self.parts(), secret, payload, encoding, now)?;
        Ok(auth)
    }
}

/// Signs `req` with aws-sigv4 at `time` and returns what goes on the wire.
fn sign_with(
    req: http::Request<()>,
    body: SignableBody<'_>,
    service: &str,
    settings: SigningSettings,
    token: Option<&str>,
    time: OffsetDateTime,
) -> Wire {
    let identity = Credentials::new(AKID, SECRET, token.map(str::to_owned), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(service)
        .time(time.into())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    let signable = SignableRequest::new(
        req.method().as_str(),
        req.uri().to_string(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        body,
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = req;
    instructions.apply_to_request_http1x(&mut req);
    Wire {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        headers: req.headers().clone(),
    }
}

/// A SageMaker control-plane call as boto3 makes it (JSON 1.1, path `/`).
fn sagemaker_call(token: Option<&str>, time: OffsetDateTime) -> Wire {
    let req = http::Request::post("http://localhost:8080/")
        .header("host", "localhost:8080")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "SageMaker.ListTrainingJobs")
        .header("user-agent", "Boto3/1.34.0")
        .body(())
        .unwrap();
    let body = SignableBody::Bytes(JSON_BODY);
    sign_with(
        req,
        body,
        "sagemaker",
        SigningSettings::default(),
        token,
        time,
    )
}

fn verify_json(wire: &Wire, body: &[u8], now: OffsetDateTime) -> Result<ParsedAuth, AuthError> {
    wire.verify(SECRET, PayloadHash::Body(body), UriEncoding::Double, now)
}

fn s3_settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings
}

fn s3_put(path: &str, body: SignableBody<'_>) -> Wire {
    let req = http::Request::put(format!("http://localhost:8080{path}"))
        .header("host", "localhost:8080")
        .header("content-type", "application/octet-stream")
        .body(())
        .unwrap();
    sign_with(req, body, "s3", s3_settings(), None, T0)
}

fn verify_s3(wire: &Wire) -> Result<ParsedAuth, AuthError> {
    let declared = wire.headers["x-amz-content-sha256"].to_str().unwrap();
    wire.verify(
        SECRET,
        PayloadHash::Declared(declared),
        UriEncoding::Single,
        T0,
    )
}

fn presigned_get(path_and_query: &str, token: Option<&str>, expires_secs: u64) -> Wire {
    let mut settings = s3_settings();
    settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(StdDuration::from_secs(expires_secs));
    let req = http::Request::get(format!("http://localhost:8080{path_and_query}"))
        .header("host", "localhost:8080")
        .body(())
        .unwrap();
    sign_with(
        req,
        SignableBody::UnsignedPayload,
        "s3",
        settings,
        token,
        T0,
    )
}

fn verify_presigned(wire: &Wire, now: OffsetDateTime) -> Result<ParsedAuth, AuthError> {
    wire.verify(
        SECRET,
        PayloadHash::Declared("UNSIGNED-PAYLOAD"),
        UriEncoding::Single,
        now,
    )
}

fn assert_mismatch(result: Result<ParsedAuth, AuthError>) {
    match result {
        Err(e @ AuthError::InvalidSignature(_)) => {
            assert_eq!(e.code(), "InvalidSignatureException");
            assert_eq!(e.http_status(), 403);
            assert!(e.message().starts_with(MISMATCH), "{}", e.message());
            assert!(e
                .message()
                .contains("The Canonical String for this request"));
        }
        other => panic!("expected a signature mismatch, got {other:?}"),
    }
}

#[test]
fn header_form_json_call_verifies() {
    let wire = sagemaker_call(None, T0);
    let auth = verify_json(&wire, JSON_BODY, T0).unwrap();
    assert_eq!(auth.access_key_id, AKID);
    assert_eq!(auth.date, "20240101");
    assert_eq!(auth.region, "us-west-2");
    assert_eq!(auth.service, "sagemaker");
    assert_eq!(auth.form, AuthForm::Header);
    assert_eq!(auth.request_time, T0);
    assert_eq!(auth.security_token, None);
    assert!(auth.signed_headers.iter().any(|h| h == "x-amz-target"));
    assert!(!auth.signed_headers.iter().any(|h| h == "user-agent"));
}

#[test]
fn header_form_with_session_token_verifies() {
    let wire = sagemaker_call(Some(TOKEN), T0);
    let auth = verify_json(&wire, JSON_BODY, T0).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some(TOKEN));
    assert!(auth
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-security-token"));
    assert!(
        !format!("{auth:?}").contains(TOKEN),
        "token leaks into Debug"
    );
}

#[test]
fn runtime_paths_use_double_encoding() {
    for path in [
        "/endpoints/my-ep/invocations",
        "/endpoints/my%20ep%2Fx/invocations",
        "/endpoints/a/./b/../my-ep//invocations",
    ] {
        let req = http::Request::post(format!("http://localhost:8080{path}"))
            .header("host", "localhost:8080")
            .header("content-type", "text/csv")
            .body(())
            .unwrap();
        let wire = sign_with(
            req,
            SignableBody::Bytes(b"1,2,3"),
            "sagemaker",
            SigningSettings::default(),
            None,
            T0,
        );
        assert_eq!(wire.path, path);
        verify_json(&wire, b"1,2,3", T0).unwrap_or_else(|e| panic!("{path}: {e}"));
        // The same request checked with S3 rules must fail where they differ.
        if path.contains('%') {
            assert_mismatch(wire.verify(
                SECRET,
                PayloadHash::Body(b"1,2,3"),
                UriEncoding::Single,
                T0,
            ));
        }
    }
}

#[test]
fn s3_unsigned_payload_verifies() {
    let wire = s3_put("/bucket/key.txt", SignableBody::UnsignedPayload);
    assert_eq!(wire.headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
    let auth = verify_s3(&wire).unwrap();
    assert_eq!(auth.service, "s3");
}

#[test]
fn s3_declared_hex_payload_verifies_and_a_different_hash_does_not() {
    let hash = canonical::sha256_hex(b"hello");
    let wire = s3_put("/bucket/key.txt", SignableBody::Precomputed(hash.clone()));
    verify_s3(&wire).unwrap();
    let other = canonical::sha256_hex(b"hellO");
    assert_mismatch(wire.verify(
        SECRET,
        PayloadHash::Declared(&other),
        UriEncoding::Single,
        T0,
    ));
}

#[test]
fn s3_keys_with_spaces_unicode_and_odd_shapes_verify() {
    for path in [
        "/bucket/my%20dir/na%C3%AFve%20caf%C3%A9%20%E2%9C%93.txt",
        "/bucket/a%2Bb%3Dc%26d",
        // S3 keys are not normalised: these segments are part of the key.
        "/bucket/x//y/../z/./w",
        // A client that did not encode '!' and '$' signed them raw.
        "/bucket/a!b$c",
    ] {
        let wire = s3_put(path, SignableBody::UnsignedPayload);
        assert_eq!(wire.path, path);
        verify_s3(&wire).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

#[test]
fn s3_query_parameters_are_signed() {
    let wire = s3_put(
        "/bucket/key?partNumber=1&uploadId=a%2Fb%20c",
        SignableBody::UnsignedPayload,
    );
    verify_s3(&wire).unwrap();
    let mut tampered = Wire {
        query: Some("partNumber=2&uploadId=a%2Fb%20c".to_owned()),
        ..wire
    };
    assert_mismatch(verify_s3(&tampered));
    tampered.query = Some("uploadId=a%2Fb%20c&partNumber=1".to_owned());
    verify_s3(&tampered).expect("order of query parameters does not matter");
}

#[test]
fn presigned_url_verifies_until_it_expires() {
    let wire = presigned_get("/bucket/my%20key.bin?versionId=3", None, 3600);
    let query = wire.query.as_deref().unwrap();
    assert!(query.contains("X-Amz-Signature="), "{query}");
    assert!(!wire.headers.contains_key("authorization"));

    let auth = verify_presigned(&wire, T0).unwrap();
    assert_eq!(auth.form, AuthForm::Presigned { expires_secs: 3600 });
    assert_eq!(auth.signed_headers, vec!["host"]);
    verify_presigned(&wire, T0 + Duration::seconds(3600)).unwrap();

    let err = verify_presigned(&wire, T0 + Duration::seconds(3601)).unwrap_err();
    assert_eq!(err, AuthError::AccessDenied("Request has expired".into()));
    assert_eq!(err.code(), "AccessDenied");
    assert_eq!(err.http_status(), 403);

    let err = verify_presigned(&wire, T0 - Duration::minutes(16)).unwrap_err();
    assert_eq!(
        err,
        AuthError::AccessDenied("Request is not valid yet".into())
    );
}

#[test]
fn presigned_url_with_session_token_verifies() {
    let wire = presigned_get("/bucket/key", Some(TOKEN), 60);
    let auth = verify_presigned(&wire, T0).unwrap();
    assert_eq!(auth.security_token.as_deref(), Some(TOKEN));
}

#[test]
fn presigned_url_with_a_changed_parameter_fails() {
    let wire = presigned_get("/bucket/key", None, 60);
    let query = wire
        .query
        .clone()
        .unwrap()
        .replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    assert_mismatch(verify_presigned(
        &Wire {
            query: Some(query),
            ..wire
        },
        T0,
    ));
}

#[test]
fn a_flipped_body_byte_fails() {
    let wire = sagemaker_call(None, T0);
    let mut body = JSON_BODY.to_vec();
    body[5] ^= 1;
    assert_mismatch(verify_json(&wire, &body, T0));
}

#[test]
fn a_flipped_signature_byte_fails() {
    let mut wire = sagemaker_call(None, T0);
    let auth = wire.headers["authorization"].to_str().unwrap().to_owned();
    let last = auth.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    let auth = format!("{}{flipped}", &auth[..auth.len() - 1]);
    wire.headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert_mismatch(verify_json(&wire, JSON_BODY, T0));
}

#[test]
fn a_changed_signed_header_fails_and_an_unsigned_one_does_not_matter() {
    let mut wire = sagemaker_call(None, T0);
    wire.headers
        .insert("user-agent", HeaderValue::from_static("curl/8"));
    wire.headers
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    verify_json(&wire, JSON_BODY, T0).unwrap();

    wire.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("SageMaker.DeleteTrainingJob"),
    );
    assert_mismatch(verify_json(&wire, JSON_BODY, T0));
}

#[test]
fn a_changed_method_or_path_fails() {
    let wire = sagemaker_call(None, T0);
    let put = Wire {
        method: "PUT".into(),
        ..sagemaker_call(None, T0)
    };
    assert_mismatch(verify_json(&put, JSON_BODY, T0));
    let moved = Wire {
        path: "/other".into(),
        ..wire
    };
    assert_mismatch(verify_json(&moved, JSON_BODY, T0));
}

#[test]
fn a_wrong_secret_fails() {
    let wire = sagemaker_call(None, T0);
    assert_mismatch(wire.verify(
        "not-the-secret",
        PayloadHash::Body(JSON_BODY),
        UriEncoding::Double,
        T0,
    ));
}

#[test]
fn request_time_more_than_15_minutes_off_is_expired() {
    let past = sagemaker_call(None, T0 - Duration::minutes(16));
    let err = verify_json(&past, JSON_BODY, T0).unwrap_err();
    assert_eq!(
        err,
        AuthError::SignatureExpired(
            "Signature expired: 20231231T234400Z is now earlier than 20231231T234500Z (20240101T000000Z - 15 min.)".into()
        )
    );
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.http_status(), 403);

    let future = sagemaker_call(None, T0 + Duration::minutes(16));
    let err = verify_json(&future, JSON_BODY, T0).unwrap_err();
    assert_eq!(
        err,
        AuthError::SignatureExpired(
            "Signature not yet current: 20240101T001600Z is still later than 20240101T001500Z (20240101T000000Z + 15 min.)".into()
        )
    );
    assert_eq!(err.code(), "InvalidSignatureException");
}

#[test]
fn the_expiry_message_is_worded_as_aws_words_it() {
    let wire = sagemaker_call(None, T0);
    let err = verify_json(&wire, JSON_BODY, T0 + Duration::minutes(30)).unwrap_err();
    assert!(err.message().starts_with(
        "Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"
    ));
}

#[test]
fn request_time_within_15_minutes_verifies() {
    for offset in [-14, 14] {
        let wire = sagemaker_call(None, T0 + Duration::minutes(offset));
        verify_json(&wire, JSON_BODY, T0).unwrap_or_else(|e| panic!("{offset} min: {e}"));
    }
}

#[test]
fn no_authorization_is_a_missing_token() {
    let mut wire = sagemaker_call(None, T0);
    wire.headers.remove("authorization");
    let err = verify_json(&wire, JSON_BODY, T0).unwrap_err();
    assert_eq!(err, AuthError::MissingAuthenticationToken);
    assert_eq!(err.code(), "MissingAuthenticationTokenException");
    assert_eq!(err.http_status(), 403);
}

#[test]
fn a_signature_that_is_not_hex_is_a_mismatch() {
    let mut wire = sagemaker_call(None, T0);
    let auth = wire.headers["authorization"].to_str().unwrap();
    let (head, _) = auth.split_once("Signature=").unwrap();
    let auth = format!("{head}Signature=zz-not-hex");
    wire.headers
        .insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert_mismatch(verify_json(&wire, JSON_BODY, T0));
}

#[test]
fn a_correct_signature_for_another_region_is_refused() {
    // Signed correctly, with the right secret, but for us-west-2: the
    // server answers for one region, as AWS does.
    let wire = sagemaker_call(None, T0);
    let err = parse(&wire.parts(), "eu-central-1").unwrap_err();
    assert_eq!(
        err,
        AuthError::InvalidSignature(
            "Credential should be scoped to a valid region, not 'us-west-2'.".into()
        )
    );
    assert_eq!(err.code(), "InvalidSignatureException");
    assert_eq!(err.http_status(), 403);

    let presigned = presigned_get("/bucket/key", None, 300);
    assert_eq!(
        check_scope(&presigned.parts(), "eu-central-1"),
        Err(AuthError::WrongRegion {
            found: REGION.into(),
            expected: "eu-central-1".into(),
            presigned: true,
        })
    );
    assert_eq!(check_scope(&presigned.parts(), REGION), Ok(()));
    let put = s3_put("/bucket/key", SignableBody::UnsignedPayload);
    assert_eq!(
        check_scope(&put.parts(), "eu-central-1"),
        Err(AuthError::WrongRegion {
            found: REGION.into(),
            expected: "eu-central-1".into(),
            presigned: false,
        })
    );
    assert_eq!(check_scope(&put.parts(), REGION), Ok(()));
}
