//! Blob and upload endpoints. Bodies stream straight into the service
//! (never buffered whole), so a 200 MB layer costs no memory.

use super::{body_stream, header, query_param};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use slipway_core::AccountId;
use slipway_service::objects::RangeSpec;
use slipway_service::registry::{RegistryError, UploadStatus};
use slipway_service::{Result, Service};

fn upload_location(name: &str, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

/// 202 with where the upload stands, as clients expect after POST/PATCH.
fn accepted(name: &str, st: &UploadStatus) -> Response {
    let mut r = StatusCode::ACCEPTED.into_response();
    header(&mut r, "location", &upload_location(name, &st.id));
    // An empty upload reports `0-0` (what the distribution registry sends).
    header(&mut r, "range", &format!("0-{}", st.size.saturating_sub(1)));
    header(&mut r, "docker-upload-uuid", &st.id);
    header(&mut r, "content-length", "0");
    r
}

fn created(name: &str, digest: &str) -> Response {
    let mut r = StatusCode::CREATED.into_response();
    header(&mut r, "location", &format!("/v2/{name}/blobs/{digest}"));
    header(&mut r, "docker-content-digest", digest);
    header(&mut r, "content-length", "0");
    r
}

/// POST: start an upload, mount a blob from another repository, or (with
/// `?digest=`) take the whole blob in one request.
pub(super) async fn start_upload(
    svc: &Service,
    account: &AccountId,
    name: &str,
    req: &Parts,
    body: Body,
) -> Result<Response> {
    let reg = svc.registry();
    let query = req.uri.query().map(str::to_owned);
    let query = query.as_deref();
    if let (Some(digest), Some(from)) = (query_param(query, "mount"), query_param(query, "from")) {
        if let Some(b) = reg.mount_blob(account, name, &digest, &from).await? {
            return Ok(created(name, &b.digest));
        }
    }
    let st = reg.start_upload(account, name).await?;
    if let Some(digest) = query_param(query, "digest") {
        let body = body_stream(body);
        let b = reg
            .finish_upload(account, name, &st.id, &digest, Some(body))
            .await?;
        return Ok(created(name, &b.digest));
    }
    Ok(accepted(name, &st))
}

/// `Content-Range: <start>-<end>` of a chunk (no `bytes ` unit in the
/// OCI spec; tolerated if present).
fn chunk_start(req: &Parts) -> Result<Option<u64>> {
    let Some(v) = req.headers.get("content-range") else {
        return Ok(None);
    };
    let bad = || RegistryError::BlobUploadInvalid("malformed Content-Range".into());
    let s = v.to_str().map_err(|_| bad())?;
    let s = s
        .trim()
        .trim_start_matches("bytes ")
        .trim_start_matches("bytes=");
    let (start, end) = s.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.parse().map_err(|_| bad())?;
    let end: u64 = end.parse().map_err(|_| bad())?;
    if end < start {
        return Err(bad().into());
    }
    Ok(Some(start))
}

pub(super) async fn patch_upload(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
    req: &Parts,
    body: Body,
) -> Result<Response> {
    let start = chunk_start(req)?;
    let body = body_stream(body);
    let st = svc
        .registry()
        .append_chunk(account, name, id, start, body)
        .await?;
    Ok(accepted(name, &st))
}

/// PUT `?digest=`: the last (possibly empty) chunk, then the digest check.
pub(super) async fn put_upload(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
    req: &Parts,
    body: Body,
) -> Result<Response> {
    let Some(digest) = query_param(req.uri.query(), "digest") else {
        return Err(RegistryError::DigestInvalid("PUT needs ?digest=".into()).into());
    };
    let empty = req
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    let body = (!empty).then(|| body_stream(body));
    let b = svc
        .registry()
        .finish_upload(account, name, id, &digest, body)
        .await?;
    Ok(created(name, &b.digest))
}

pub(super) async fn upload_status(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
) -> Result<Response> {
    let st = svc.registry().upload_status(account, name, id).await?;
    let mut r = accepted(name, &st);
    *r.status_mut() = StatusCode::NO_CONTENT;
    Ok(r)
}

pub(super) async fn cancel_upload(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
) -> Result<Response> {
    svc.registry().cancel_upload(account, name, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` (one range).
fn range(req: &Parts) -> Option<RangeSpec> {
    let v = req.headers.get("range")?.to_str().ok()?;
    let spec = v.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if a.is_empty() {
        return Some(RangeSpec::Suffix {
            length: b.parse().ok()?,
        });
    }
    Some(RangeSpec::FromTo {
        first: a.parse().ok()?,
        last: if b.is_empty() {
            None
        } else {
            Some(b.parse().ok()?)
        },
    })
}

pub(super) async fn get_blob(
    svc: &Service,
    account: &AccountId,
    name: &str,
    digest: &str,
    req: &Parts,
    head_only: bool,
) -> Result<Response> {
    let reg = svc.registry();
    if head_only {
        let b = reg.stat_blob(account, name, digest).await?;
        let mut r = StatusCode::OK.into_response();
        header(&mut r, "content-length", &b.size.to_string());
        header(&mut r, "docker-content-digest", &b.digest);
        header(&mut r, "content-type", "application/octet-stream");
        header(&mut r, "accept-ranges", "bytes");
        return Ok(r);
    }
    let got = match reg.read_blob(account, name, digest, range(req)).await {
        Err(slipway_service::Error::Registry(RegistryError::RangeInvalid { size })) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            header(&mut r, "content-range", &format!("bytes */{size}"));
            return Ok(r);
        }
        other => other?,
    };
    let (status, len) = match got.range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len()),
        None => (StatusCode::OK, got.size),
    };
    let mut resp = (status, Body::from_stream(got.body)).into_response();
    header(&mut resp, "content-length", &len.to_string());
    header(&mut resp, "docker-content-digest", &got.digest);
    header(&mut resp, "content-type", "application/octet-stream");
    header(&mut resp, "accept-ranges", "bytes");
    if let Some(r) = got.range {
        header(
            &mut resp,
            "content-range",
            &format!("bytes {}-{}/{}", r.start, r.end.saturating_sub(1), got.size),
        );
    }
    Ok(resp)
}

pub(super) async fn delete_blob(
    svc: &Service,
    account: &AccountId,
    name: &str,
    digest: &str,
) -> Result<Response> {
    svc.registry().delete_blob(account, name, digest).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
