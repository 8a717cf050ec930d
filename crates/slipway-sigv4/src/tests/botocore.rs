//! Requests signed by botocore 1.43 (boto3's engine, the client Slipway
//! serves first), captured at `before-send` with the clock frozen at
//! 2024-01-01T00:00:00Z and the secret of `super::SECRET`. aws-sigv4 covers
//! the same ground in `super`; botocore differs from it in details (it signs
//! `content-type`, sends `X-Amz-Content-SHA256` in mixed case, collapses
//! header whitespace itself), so both are checked.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::{REGION, SECRET, T0};
use crate::{parse, PayloadHash, RequestParts, UriEncoding};

struct Vector {
    method: &'static str,
    path: &'static str,
    query: Option<&'static str>,
    headers: &'static [(&'static str, &'static str)],
}

fn check(v: Vector, payload: PayloadHash<'_>, encoding: UriEncoding) {
    let mut headers = HeaderMap::new();
    for (k, val) in v.headers {
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(val).unwrap(),
        );
    }
    let req = RequestParts {
        method: v.method,
        raw_path: v.path,
        raw_query: v.query,
        headers: &headers,
    };
    let auth = parse(&req, REGION).unwrap();
    auth.verify(&req, SECRET, payload, encoding, T0).unwrap();
    auth.verify(&req, "wrong", payload, encoding, T0)
        .unwrap_err();
}

#[test]
fn sagemaker_list_training_jobs_with_session_token() {
    check(
        Vector {
            method: "POST",
            path: "/",
            query: None,
            headers: &[
            ("host", "localhost:8080"),
            ("X-Amz-Target", "SageMaker.ListTrainingJobs"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Date", "20240101T000000Z"),
            ("X-Amz-Security-Token", "TOKEN/with+chars="),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSLIPWAYTEST/20240101/us-west-2/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=5ac251084ae5b989dd0814f11443d729607991999e82e31fd5cf5060a05fc2fe"),
            ("Content-Length", "42"),
            ],
        },
        PayloadHash::Body("{\"MaxResults\": 10, \"NameContains\": \"demo\"}".as_bytes()),
        UriEncoding::Double,
    );
}
#[test]
fn runtime_invoke_endpoint() {
    check(
        Vector {
            method: "POST",
            path: "/endpoints/my-ep/invocations",
            query: None,
            headers: &[
            ("host", "localhost:8080"),
            ("Content-Type", "text/csv"),
            ("X-Amz-Date", "20240101T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSLIPWAYTEST/20240101/us-west-2/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=9b9a228e4330ea810592afef5ec2f044671dd66bae5ff0c0ff0adef1c65bcd61"),
            ("Content-Length", "5"),
            ],
        },
        PayloadHash::Body("1,2,3".as_bytes()),
        UriEncoding::Double,
    );
}
#[test]
fn runtime_invoke_endpoint_with_padded_custom_attributes() {
    check(
        Vector {
            method: "POST",
            path: "/endpoints/my-ep/invocations",
            query: None,
            headers: &[
            ("host", "localhost:8080"),
            ("Content-Type", "text/csv"),
            ("X-Amzn-SageMaker-Custom-Attributes", "  x   y  "),
            ("X-Amz-Date", "20240101T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSLIPWAYTEST/20240101/us-west-2/sagemaker/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amzn-sagemaker-custom-attributes, Signature=65c2a66703d8e4ade4424c8b291b6b4de33bdd910355f0d5cc0d6b912d201b18"),
            ("Content-Length", "5"),
            ],
        },
        PayloadHash::Body("1,2,3".as_bytes()),
        UriEncoding::Double,
    );
}
#[test]
fn s3_put_object_with_unicode_key() {
    check(
        Vector {
            method: "PUT",
            path: "/bucket/my%20dir/na%C3%AFve%20caf%C3%A9%20%E2%9C%93%20%281%29%2B%21.txt",
            query: None,
            headers: &[
            ("host", "localhost:8080"),
            ("x-amz-checksum-crc32", "NhCmhg=="),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("X-Amz-Date", "20240101T000000Z"),
            ("X-Amz-Content-SHA256", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSLIPWAYTEST/20240101/us-west-2/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=462b4f1872733588023270e6e0102512ed9170d208aa5039be8a0a122271d503"),
            ("Content-Length", "5"),
            ],
        },
        PayloadHash::Declared("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        UriEncoding::Single,
    );
}
#[test]
fn s3_list_objects_v2_with_encoded_prefix() {
    check(
        Vector {
            method: "GET",
            path: "/bucket",
            query: Some("list-type=2&prefix=a%20b%2Bc%2F%C3%A9~%2A&delimiter=%2F&encoding-type=url"),
            headers: &[
            ("host", "localhost:8080"),
            ("X-Amz-Date", "20240101T000000Z"),
            ("X-Amz-Content-SHA256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSLIPWAYTEST/20240101/us-west-2/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=362b6fa39919f635fa1cdd3ce7c7a61f8acdfbc124cba9ae4b9524d6823e1813"),
            ],
        },
        PayloadHash::Declared("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        UriEncoding::Single,
    );
}
#[test]
fn s3_presigned_get_object() {
    check(
        Vector {
            method: "GET",
            path: "/bucket/my%20key%20%C3%A9.bin",
            query: Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDSLIPWAYTEST%2F20240101%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=7c1a76c612a8c30414cb1dae057ad3e53665efa468e8bb3f7c4dc344791d4718"),
            headers: &[
            ("host", "localhost:8080"),
            ],
        },
        PayloadHash::Declared("UNSIGNED-PAYLOAD"),
        UriEncoding::Single,
    );
}
