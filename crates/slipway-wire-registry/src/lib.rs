//! The image registry's HTTP faces: the OCI distribution API under
//! `/v2/` (this crate's root, `blobs`, `manifests`; entry point
//! [`handle`]) and the ECR JSON API ([`ecr::handle`]), both over
//! `slipway-registry`. The router classifies; this crate answers
//! (docs/architecture.md "One process, one port").
//!
//! Authentication is ECR's: a client logs in with user `AWS` and the
//! password from GetAuthorizationToken, then sends it as Basic auth (or as
//! a Bearer token); a request without it gets 401 with
//! `WWW-Authenticate: Basic realm=...`, which is what makes `podman login`
//! and `docker login` send credentials.

mod blobs;
pub mod ecr;
mod error;
mod generated;
mod manifests;

use crate::error::oci_error;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures::TryStreamExt;
use slipway_core::ports::blob::ByteStream;
use slipway_core::AccountId;
use slipway_registry::RegistryError;
use slipway_service::Service;

/// What a `/v2/...` path names.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Base,
    Tags(&'a str),
    UploadStart(&'a str),
    Upload(&'a str, &'a str),
    Blob(&'a str, &'a str),
    Manifest(&'a str, &'a str),
    Referrers(&'a str, &'a str),
}

/// Splits `/v2/<name>/<kind>/<ref>`. The name may hold slashes, so the
/// suffix is found from the right; the name itself is validated later.
fn parse_route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix("/v2")?;
    if rest.is_empty() || rest == "/" {
        return Some(Route::Base);
    }
    let rest = rest.strip_prefix('/')?;
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Some(Route::Tags(name));
    }
    if let Some(name) = rest
        .strip_suffix("/blobs/uploads/")
        .or_else(|| rest.strip_suffix("/blobs/uploads"))
    {
        return Some(Route::UploadStart(name));
    }
    let split = |marker: &str| {
        rest.rfind(marker)
            .map(|i| (&rest[..i], &rest[i + marker.len()..]))
            .filter(|(n, r)| !n.is_empty() && !r.is_empty() && !r.contains('/'))
    };
    if let Some((name, id)) = split("/blobs/uploads/") {
        return Some(Route::Upload(name, id));
    }
    if let Some((name, d)) = split("/blobs/") {
        return Some(Route::Blob(name, d));
    }
    if let Some((name, r)) = split("/manifests/") {
        return Some(Route::Manifest(name, r));
    }
    if let Some((name, d)) = split("/referrers/") {
        return Some(Route::Referrers(name, d));
    }
    None
}

/// An OCI error response.
pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"errors": [{"code": code, "message": message, "detail": null}]});
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn service_error(e: RegistryError, host: &str) -> Response {
    let (status, code, message) = oci_error(e);
    let mut r = error_response(status, code, &message);
    if status == StatusCode::UNAUTHORIZED {
        add_challenge(&mut r, host);
    }
    r
}

fn add_challenge(r: &mut Response, host: &str) {
    let v = format!("Basic realm=\"http://{host}/\",service=\"ecr.amazonaws.com\"");
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().insert("www-authenticate", v);
    }
}

/// The account the request's registry credentials belong to.
fn authenticate(svc: &Service, headers: &HeaderMap) -> Result<AccountId, RegistryError> {
    let unauthorized = |m: &str| RegistryError::Unauthorized(m.to_owned());
    let value = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("log in with the password from GetAuthorizationToken"))?;
    let password = if let Some(b) = value.strip_prefix("Basic ") {
        let decoded = STANDARD
            .decode(b.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
        match decoded.split_once(':') {
            Some(("AWS", p)) => p.to_owned(),
            _ => return Err(unauthorized("the user name must be AWS")),
        }
    } else if let Some(t) = value.strip_prefix("Bearer ") {
        t.trim().to_owned()
    } else {
        return Err(unauthorized("unsupported authorization scheme"));
    };
    svc.registry().verify_token(&password)
}

/// A request body as the blob store reads it.
pub(crate) fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

pub(crate) fn header(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

pub(crate) fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Handles `/v2/...`. Every response carries the API version header
/// clients use to recognise a registry.
pub async fn handle(svc: &Service, req: Request<Body>) -> Response {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let mut resp = route(svc, req)
        .await
        .unwrap_or_else(|e| service_error(e, &host));
    resp.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    resp
}

async fn route(svc: &Service, req: Request<Body>) -> Result<Response, RegistryError> {
    // Handlers take the head by reference and the body by value: a
    // `&Request<Body>` is not `Send` across awaits.
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let Some(route) = parse_route(&path) else {
        return Ok(error_response(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            "no such registry path",
        ));
    };
    let account = authenticate(svc, &parts.headers)?;
    let method = parts.method.clone();
    let req = &parts;
    match (route, &method) {
        (Route::Base, &Method::GET | &Method::HEAD) => {
            let mut r = (StatusCode::OK, "{}").into_response();
            header(&mut r, "content-type", "application/json");
            Ok(r)
        }
        (Route::Tags(name), &Method::GET) => manifests::list_tags(svc, &account, name, req).await,
        (Route::UploadStart(name), &Method::POST) => {
            blobs::start_upload(svc, &account, name, req, body).await
        }
        (Route::Upload(name, id), m) => match *m {
            Method::PATCH => blobs::patch_upload(svc, &account, name, id, req, body).await,
            Method::PUT => blobs::put_upload(svc, &account, name, id, req, body).await,
            Method::GET => blobs::upload_status(svc, &account, name, id).await,
            Method::DELETE => blobs::cancel_upload(svc, &account, name, id).await,
            _ => Ok(unsupported_method()),
        },
        (Route::Blob(name, digest), m) => match *m {
            Method::GET | Method::HEAD => {
                blobs::get_blob(svc, &account, name, digest, req, *m == Method::HEAD).await
            }
            Method::DELETE => blobs::delete_blob(svc, &account, name, digest).await,
            _ => Ok(unsupported_method()),
        },
        (Route::Manifest(name, reference), m) => match *m {
            Method::GET | Method::HEAD => {
                manifests::get_manifest(svc, &account, name, reference, *m == Method::HEAD).await
            }
            Method::PUT => manifests::put_manifest(svc, &account, name, reference, req, body).await,
            Method::DELETE => manifests::delete_manifest(svc, &account, name, reference).await,
            _ => Ok(unsupported_method()),
        },
        (Route::Referrers(name, digest), &Method::GET) => {
            manifests::referrers(svc, &account, name, digest, req).await
        }
        _ => Ok(unsupported_method()),
    }
}

fn unsupported_method() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "UNSUPPORTED",
        "the operation is unsupported",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_split_names_with_slashes() {
        assert_eq!(parse_route("/v2/"), Some(Route::Base));
        assert_eq!(parse_route("/v2/a/b/tags/list"), Some(Route::Tags("a/b")));
        assert_eq!(
            parse_route("/v2/a/b/blobs/uploads/"),
            Some(Route::UploadStart("a/b"))
        );
        assert_eq!(
            parse_route("/v2/a/blobs/uploads/123"),
            Some(Route::Upload("a", "123"))
        );
        assert_eq!(
            parse_route("/v2/team/m/manifests/latest"),
            Some(Route::Manifest("team/m", "latest"))
        );
        assert_eq!(
            parse_route("/v2/m/blobs/sha256:ab"),
            Some(Route::Blob("m", "sha256:ab"))
        );
        assert_eq!(parse_route("/v2/m/manifests/"), None);
        assert_eq!(parse_route("/v2x"), None);
    }
}
