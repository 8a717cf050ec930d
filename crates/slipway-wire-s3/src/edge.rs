//! What the S3 front end does around s3s, at the HTTP level: the parts of
//! S3's behaviour s3s does not have and that no `s3s::S3` method can reach
//! (docs/s3.md lists them): request ids on every answer, a 304 without a
//! body, SigV2 bucket-level signatures and session tokens, CORS
//! preflights, and refusing customer-provided encryption keys.

use crate::error::s3_xml_error;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::Response;
use base64::Engine;
use http_body_util::BodyExt;
use slipway_wire_core::error::xml_escape;

/// Largest error body rewritten to carry the request id: S3 error
/// documents are a few hundred bytes; anything bigger is passed on as is.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// `x-amz-id-2` for a request id. S3's is an opaque base64 token that
/// support uses with the request id; ours only has to be stable and
/// distinct per request.
pub(crate) fn host_id(request_id: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(request_id.as_bytes())
}

/// Gives an S3 answer what S3 puts on every answer: the `x-amz-request-id`
/// and `x-amz-id-2` headers (botocore reads them into
/// `ResponseMetadata.RequestId` / `HostId`) and, in an error document,
/// `<RequestId>` and `<HostId>`. A 304 loses the XML body s3s writes for
/// it: HTTP forbids a body there, and S3 sends only the validators.
pub(crate) async fn finish(resp: Response, request_id: &str) -> Response {
    let host = host_id(request_id);
    let (mut parts, body) = resp.into_parts();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        parts.headers.insert("x-amz-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&host) {
        parts.headers.insert("x-amz-id-2", v);
    }
    if parts.status == StatusCode::NOT_MODIFIED {
        parts.headers.remove(http::header::CONTENT_TYPE);
        parts.headers.remove(http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    let is_xml = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("xml"));
    if parts.status.as_u16() < 400 || !is_xml {
        return Response::from_parts(parts, body);
    }
    let bytes = match http_body_util::Limited::new(body, MAX_ERROR_BODY)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            // Only a body over the limit or a failing one gets here; s3s
            // writes neither for an error. Say so rather than send half.
            tracing::error!(error = %e, "cannot read an S3 error body");
            return s3_xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "We encountered an internal error. Please try again.",
                None,
            );
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let body = match text.rfind("</Error>") {
        Some(at) if !text.contains("<RequestId>") => {
            let ids = format!(
                "<RequestId>{}</RequestId><HostId>{}</HostId>",
                xml_escape(request_id),
                xml_escape(&host)
            );
            let mut out = String::with_capacity(text.len() + ids.len());
            out.push_str(&text[..at]);
            out.push_str(&ids);
            out.push_str(&text[at..]);
            Body::from(out)
        }
        _ => Body::from(bytes),
    };
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}

/// A 304 with the validators S3 sends on it (`ETag`, `Last-Modified`),
/// so a cache can refresh its copy's freshness. s3s writes error headers
/// in place of its own; the body it writes is dropped at the edge
/// ([`finish`]), as a 304 has none.
pub(crate) fn not_modified(
    etag: &str,
    last_modified: slipway_core::time_util::Micros,
) -> s3s::S3Error {
    let mut e = s3s::S3Error::new(s3s::S3ErrorCode::NotModified);
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(http::header::ETAG, v);
    }
    let mut date = Vec::new();
    let t = crate::convert::timestamp(last_modified);
    if t.format(s3s::dto::TimestampFormat::HttpDate, &mut date)
        .is_ok()
    {
        if let Ok(v) = HeaderValue::from_bytes(&date) {
            headers.insert(http::header::LAST_MODIFIED, v);
        }
    }
    e.set_headers(headers);
    e
}

/// Whether the request is signed with SigV2 (header `AWS key:sig`, or a
/// presigned URL's `AWSAccessKeyId` and `Signature`).
fn is_sigv2(req: &Request<Body>) -> bool {
    if let Some(auth) = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return auth.starts_with("AWS ");
    }
    let Some(query) = req.uri().query() else {
        return false;
    };
    let mut key = false;
    let mut sig = false;
    for (k, _) in form_urlencoded::parse(query.as_bytes()) {
        key |= k == "AWSAccessKeyId";
        sig |= k == "Signature";
    }
    key && sig
}

/// SigV2 signs a bucket-level request's resource as `/bucket/` (trailing
/// slash: S3's canonicalized resource for a bucket, what botocore and the
/// AWS CLI sign) while the path sent is `/bucket`. s3s builds the string to
/// sign from the path as sent, so such requests never verified; the path
/// is given its slash before s3s sees it (s3s reads `/bucket/` as the same
/// bucket). Object paths already are their own resource.
pub(crate) fn sigv2_bucket_path(req: &mut Request<Body>) {
    let path = req.uri().path();
    let Some(bucket) = path.strip_prefix('/') else {
        return;
    };
    if bucket.is_empty() || bucket.contains('/') || !is_sigv2(req) {
        return;
    }
    let rebuilt = match req.uri().query() {
        Some(q) => format!("{path}/?{q}"),
        None => format!("{path}/"),
    };
    match rebuilt.parse::<Uri>() {
        Ok(uri) => *req.uri_mut() = uri,
        Err(e) => tracing::debug!(error = %e, "cannot add the bucket slash"),
    }
}

/// A SigV2 presigned URL of temporary credentials carries its session
/// token as the `x-amz-security-token` query parameter, and the signature
/// covers it as a canonical `x-amz-` header (botocore signs it so, as S3
/// verifies it). s3s canonicalises only real headers, so the parameter is
/// copied into one before s3s checks the signature.
pub(crate) fn sigv2_token_header(req: &mut Request<Body>) {
    let Some(query) = req.uri().query() else {
        return;
    };
    if req.headers().contains_key("x-amz-security-token") {
        return;
    }
    let mut v2 = false;
    let mut token = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "AWSAccessKeyId" => v2 = true,
            "x-amz-security-token" => token = Some(v.into_owned()),
            _ => {}
        }
    }
    if let (true, Some(t)) = (v2, token) {
        if let Ok(v) = HeaderValue::from_str(&t) {
            req.headers_mut().insert("x-amz-security-token", v);
        }
    }
}

/// A CORS preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`), answered as S3 answers it for a bucket
/// without a CORS configuration — every bucket here, since PutBucketCors
/// is refused (docs/s3.md). Preflights are unsigned (browsers send no
/// credentials), so the answer is the same whether or not the bucket
/// exists: it tells a caller nothing about other accounts' buckets.
pub(crate) fn cors_preflight(req: &Request<Body>) -> Option<Response> {
    if req.method() != Method::OPTIONS {
        return None;
    }
    let has = |h: &str| req.headers().get(h).is_some_and(|v| !v.is_empty());
    let (status, code, message) = if !has("origin") {
        (
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Insufficient information. Origin request header needed.",
        )
    } else if !has("access-control-request-method") {
        (
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid Access-Control-Request-Method: null",
        )
    } else {
        (
            StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: CORS is not enabled for this bucket.",
        )
    };
    Some(s3_xml_error(status, code, message, None))
}

/// Server-side encryption with a customer key (SSE-C) sends the key in
/// headers, and S3 refuses it over plain HTTP. Slipway speaks plain HTTP
/// and encrypts nothing, so it answers as S3 does there — rather than
/// store the object unencrypted while the client believes otherwise.
pub(crate) fn refuse_customer_keys(req: &Request<Body>) -> Option<Response> {
    const HEADERS: [&str; 2] = [
        "x-amz-server-side-encryption-customer-algorithm",
        "x-amz-copy-source-server-side-encryption-customer-algorithm",
    ];
    HEADERS.iter().any(|h| req.headers().contains_key(*h)).then(|| {
        s3_xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
            None,
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, auth: Option<&str>) -> Request<Body> {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_sigv2_bucket_paths_get_a_slash() {
        let cases = [
            ("/bkt", Some("AWS AKID:sig"), "/bkt/"),
            ("/bkt?acl", Some("AWS AKID:sig"), "/bkt/?acl"),
            (
                "/bkt?AWSAccessKeyId=a&Signature=s&Expires=1",
                None,
                "/bkt/?AWSAccessKeyId=a&Signature=s&Expires=1",
            ),
            ("/bkt/", Some("AWS AKID:sig"), "/bkt/"),
            ("/bkt/key", Some("AWS AKID:sig"), "/bkt/key"),
            ("/", Some("AWS AKID:sig"), "/"),
            ("/bkt", Some("AWS4-HMAC-SHA256 Credential=x"), "/bkt"),
            ("/bkt", None, "/bkt"),
        ];
        for (uri, auth, want) in cases {
            let mut r = req("GET", uri, auth);
            sigv2_bucket_path(&mut r);
            assert_eq!(r.uri().to_string(), want, "{uri} {auth:?}");
        }
    }

    #[tokio::test]
    async fn errors_carry_the_request_id_and_304s_no_body() {
        let resp = finish(
            s3_xml_error(StatusCode::NOT_FOUND, "NoSuchKey", "gone", None),
            "rid-1",
        )
        .await;
        assert_eq!(resp.headers()["x-amz-request-id"], "rid-1");
        assert_eq!(resp.headers()["x-amz-id-2"], host_id("rid-1").as_str());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.ends_with(&format!(
                "<Message>gone</Message><RequestId>rid-1</RequestId><HostId>{}</HostId></Error>",
                host_id("rid-1")
            )),
            "{text}"
        );
        let mut not_modified = s3_xml_error(StatusCode::NOT_MODIFIED, "NotModified", "", None);
        not_modified
            .headers_mut()
            .insert("etag", HeaderValue::from_static("\"abc\""));
        let resp = finish(not_modified, "rid-2").await;
        assert_eq!(resp.headers()["etag"], "\"abc\"");
        assert!(resp.headers().get("content-type").is_none());
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty());
    }
}
