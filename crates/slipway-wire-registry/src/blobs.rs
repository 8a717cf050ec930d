//! Blob and upload endpoints. Bodies stream straight into the service
//! (never buffered whole), so a 200 MB layer costs no memory.

use super::{body_stream, header, query_param};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use slipway_core::AccountId;
use slipway_objects::RangeSpec;
use slipway_registry::Result;
use slipway_registry::{ChunkRange, DigestAlgorithm, RegistryError, UploadStatus};
use slipway_service::Service;

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
    // end-4c: the algorithm the client will name at the end. Any we support
    // needs nothing now (a sha512 digest is computed when the upload
    // finishes); one we do not is refused before any byte is sent.
    if let Some(algorithm) = query_param(query, "digest-algorithm") {
        DigestAlgorithm::parse(&algorithm)?;
    }
    let digest = query_param(query, "digest");
    if let Some(d) = &digest {
        // Refused before an upload exists to be cleaned up.
        slipway_registry::check_digest(d)?;
    }
    let st = reg.start_upload(account, name).await?;
    if let Some(digest) = digest {
        let body = body_stream(body);
        let b = reg
            .finish_upload(account, name, &st.id, &digest, Some((None, body)))
            .await?;
        return Ok(created(name, &b.digest));
    }
    Ok(accepted(name, &st))
}

/// `Content-Range: <start>-<end>` of a chunk (no `bytes ` unit in the
/// OCI spec; tolerated if present). `Err(())` when it is no such range.
fn chunk_range(req: &Parts) -> std::result::Result<Option<ChunkRange>, ()> {
    let Some(v) = req.headers.get("content-range") else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| ())?;
    let s = s
        .trim()
        .trim_start_matches("bytes ")
        .trim_start_matches("bytes=");
    let (start, end) = s.split_once('-').ok_or(())?;
    let start: u64 = start.parse().map_err(|_| ())?;
    let end: u64 = end.parse().map_err(|_| ())?;
    if end < start {
        return Err(());
    }
    Ok(Some(ChunkRange { start, end }))
}

/// The distribution spec's answer to a chunk the upload cannot take (a
/// malformed `Content-Range`, or one that is not where the upload ends):
/// 416 with where the upload stands, so the client can resume from there.
async fn range_refused(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
) -> Result<Response> {
    let st = svc.registry().upload_status(account, name, id).await?;
    let mut r = super::error_response(
        StatusCode::RANGE_NOT_SATISFIABLE,
        "BLOB_UPLOAD_INVALID",
        &format!(
            "the chunk does not continue the upload, which holds {} bytes",
            st.size
        ),
    );
    header(&mut r, "location", &upload_location(name, &st.id));
    header(&mut r, "range", &format!("0-{}", st.size.saturating_sub(1)));
    header(&mut r, "docker-upload-uuid", &st.id);
    Ok(r)
}

/// Maps `UploadOutOfOrder` to [`range_refused`]; other outcomes pass.
async fn or_range_refused(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
    outcome: Result<Response>,
) -> Result<Response> {
    match outcome {
        Err(RegistryError::UploadOutOfOrder { .. }) => range_refused(svc, account, name, id).await,
        other => other,
    }
}

pub(super) async fn patch_upload(
    svc: &Service,
    account: &AccountId,
    name: &str,
    id: &str,
    req: &Parts,
    body: Body,
) -> Result<Response> {
    let Ok(range) = chunk_range(req) else {
        return range_refused(svc, account, name, id).await;
    };
    let body = body_stream(body);
    let outcome = svc
        .registry()
        .append_chunk(account, name, id, range, body)
        .await
        .map(|st| accepted(name, &st));
    or_range_refused(svc, account, name, id, outcome).await
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
        return Err(RegistryError::DigestInvalid("PUT needs ?digest=".into()));
    };
    let empty = req
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0");
    // A Content-Range claims bytes: on an empty body it cannot hold.
    let range = match chunk_range(req) {
        Ok(r) if !(empty && r.is_some()) => r,
        _ => return range_refused(svc, account, name, id).await,
    };
    let body = (!empty).then(|| (range, body_stream(body)));
    let outcome = svc
        .registry()
        .finish_upload(account, name, id, &digest, body)
        .await
        .map(|b| created(name, &b.digest));
    or_range_refused(svc, account, name, id, outcome).await
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
        Err(RegistryError::RangeInvalid { size }) => {
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
