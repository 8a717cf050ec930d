//! Manifest, tag-list and referrers endpoints.

use super::{header, query_param};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use slipway_core::AccountId;
use slipway_registry::RegistryError;
use slipway_registry::Result;
use slipway_service::Service;

/// Largest page of tags one request returns.
const MAX_TAGS_PAGE: usize = 1000;

pub(super) async fn put_manifest(
    svc: &Service,
    account: &AccountId,
    name: &str,
    reference: &str,
    req: &Parts,
    body: Body,
) -> Result<Response> {
    let reg = svc.registry();
    let limit = reg.max_manifest_bytes();
    let content_type = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let declared = req
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = |size| RegistryError::ManifestTooLarge { size, limit };
    if let Some(n) = declared.filter(|n| *n > limit) {
        return Err(too_large(n));
    }
    let body = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|_| too_large(limit + 1))?
        .to_bytes();
    let pushed = reg
        .put_manifest(account, name, reference, content_type.as_deref(), &body)
        .await?;
    let mut r = StatusCode::CREATED.into_response();
    header(
        &mut r,
        "location",
        &format!("/v2/{name}/manifests/{}", pushed.digest),
    );
    header(&mut r, "docker-content-digest", &pushed.digest);
    if let Some(s) = &pushed.subject {
        header(&mut r, "oci-subject", s);
    }
    header(&mut r, "content-length", "0");
    Ok(r)
}

pub(super) async fn get_manifest(
    svc: &Service,
    account: &AccountId,
    name: &str,
    reference: &str,
    head_only: bool,
) -> Result<Response> {
    let m = svc
        .registry()
        .get_manifest(account, name, reference)
        .await?;
    let len = m.body.len();
    let mut r = if head_only {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, m.body).into_response()
    };
    header(&mut r, "content-type", &m.media_type);
    header(&mut r, "content-length", &len.to_string());
    header(&mut r, "docker-content-digest", &m.digest);
    Ok(r)
}

pub(super) async fn delete_manifest(
    svc: &Service,
    account: &AccountId,
    name: &str,
    reference: &str,
) -> Result<Response> {
    svc.registry()
        .delete_manifest(account, name, reference)
        .await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `GET /v2/<name>/tags/list?n=&last=`, with a `Link` header when more
/// tags follow.
pub(super) async fn list_tags(
    svc: &Service,
    account: &AccountId,
    name: &str,
    req: &Parts,
) -> Result<Response> {
    let q = req.uri.query();
    let n = match query_param(q, "n") {
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| RegistryError::TagInvalid(format!("n={v} is not a number")))?,
        None => MAX_TAGS_PAGE,
    }
    .min(MAX_TAGS_PAGE);
    let last = query_param(q, "last");
    // One more than asked tells whether another page follows.
    let mut tags = svc
        .registry()
        .list_tags(account, name, last.as_deref(), n + 1)
        .await?;
    let more = tags.len() > n;
    tags.truncate(n);
    let body = serde_json::json!({"name": name, "tags": tags});
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    header(&mut r, "content-type", "application/json");
    if let (true, Some(last)) = (more, tags.last()) {
        header(
            &mut r,
            "link",
            &format!("</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\""),
        );
    }
    Ok(r)
}

/// The referrers API: an image index of the manifests whose subject is
/// `digest`, each described by its `artifactType` (the manifest's own, else
/// its config's media type) and `annotations`, as the distribution spec
/// requires. `?artifactType=` keeps only that type, and the response then
/// says so in `OCI-Filters-Applied`.
pub(super) async fn referrers(
    svc: &Service,
    account: &AccountId,
    name: &str,
    digest: &str,
    req: &Parts,
) -> Result<Response> {
    let wanted = query_param(req.uri.query(), "artifactType");
    let found = svc.registry().referrers(account, name, digest).await?;
    let manifests: Vec<_> = found
        .iter()
        .filter_map(|m| {
            let doc = serde_json::from_slice::<serde_json::Value>(&m.body).ok();
            let doc = doc.as_ref();
            let artifact = doc
                .and_then(|v| {
                    v.get("artifactType")
                        .or_else(|| v.pointer("/config/mediaType"))
                })
                .and_then(|t| t.as_str());
            if wanted.as_deref().is_some_and(|w| artifact != Some(w)) {
                return None;
            }
            let mut d = serde_json::json!({
                "mediaType": m.media_type,
                "digest": m.digest,
                "size": m.body.len(),
            });
            if let Some(obj) = d.as_object_mut() {
                if let Some(a) = artifact {
                    obj.insert("artifactType".into(), a.into());
                }
                if let Some(a) = doc
                    .and_then(|v| v.get("annotations"))
                    .filter(|a| a.as_object().is_some_and(|o| !o.is_empty()))
                {
                    obj.insert("annotations".into(), a.clone());
                }
            }
            Some(d)
        })
        .collect();
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    });
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    header(
        &mut r,
        "content-type",
        "application/vnd.oci.image.index.v1+json",
    );
    if wanted.is_some() {
        header(&mut r, "oci-filters-applied", "artifactType");
    }
    Ok(r)
}
