//! ECR image operations: listing and describing images, getting, putting
//! and deleting them, and layer availability.

use super::{err, identifier, image_id, page_size, registry};
use crate::generated::ecr::*;
use axum::http::StatusCode;
use serde_json::Value;
use slipway_core::ports::registry::ManifestRow;
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_registry::{ImageId, RegistryError};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

/// Sum of the config and layer sizes, as ECR reports `imageSizeInBytes`.
fn image_size(m: &ManifestRow) -> i64 {
    let Ok(v) = serde_json::from_slice::<Value>(&m.body) else {
        return 0;
    };
    let size = |d: &Value| d.get("size").and_then(Value::as_i64).unwrap_or(0);
    let layers: i64 = v
        .get("layers")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(size).sum())
        .unwrap_or(0);
    layers + v.get("config").map(size).unwrap_or(0)
}

/// One page of manifests, for ListImages and DescribeImages, keeping the
/// ones whose tags match `tag_status` (`TAGGED`, `UNTAGGED`, `ANY`).
async fn manifests_page(
    cx: &Cx<'_>,
    name: &str,
    after: Option<&str>,
    n: usize,
    tag_status: Option<&str>,
) -> Result<(Vec<ManifestRow>, Option<String>), AwsError> {
    let mut rows = registry(cx)
        .list_images(cx.account, name, after, n + 1)
        .await
        .map_err(err)?;
    let next = (rows.len() > n).then(|| rows[n - 1].digest.clone());
    rows.truncate(n);
    rows.retain(|m| match tag_status.unwrap_or("ANY") {
        "TAGGED" => !m.tags.is_empty(),
        "UNTAGGED" => m.tags.is_empty(),
        _ => true,
    });
    Ok((rows, next))
}

async fn detail(cx: &Cx<'_>, name: &str, m: &ManifestRow) -> Result<ImageDetail, AwsError> {
    let artifact_media_type = serde_json::from_slice::<Value>(&m.body)
        .ok()
        .and_then(|v| v.pointer("/config/mediaType").cloned())
        .and_then(|v| v.as_str().map(str::to_owned));
    let scan = registry(cx)
        .scan_summary(cx.account, name, &m.digest)
        .await
        .map_err(err)?;
    let (image_scan_status, image_scan_findings_summary) = super::scans::summary(scan.as_ref());
    Ok(ImageDetail {
        registry_id: Some(cx.account.as_str().to_owned()),
        repository_name: Some(name.to_owned()),
        image_digest: Some(m.digest.clone()),
        image_tags: (!m.tags.is_empty()).then(|| m.tags.clone()),
        image_size_in_bytes: Some(image_size(m)),
        image_pushed_at: Some(micros_to_epoch_seconds(m.pushed)),
        image_manifest_media_type: Some(m.media_type.clone()),
        artifact_media_type,
        image_scan_status,
        image_scan_findings_summary,
        ..ImageDetail::default()
    })
}

pub(super) async fn describe_images(
    cx: &Cx<'_>,
    input: DescribeImagesRequest,
) -> Result<DescribeImagesResponse, AwsError> {
    let name = input.repository_name;
    if let Some(ids) = input.image_ids {
        let mut details = Vec::new();
        for id in ids {
            let m = registry(cx)
                .find_image(cx.account, &name, &image_id(id))
                .await
                .map_err(err)?;
            details.push(detail(cx, &name, &m).await?);
        }
        return Ok(DescribeImagesResponse {
            image_details: Some(details),
            next_token: None,
        });
    }
    let tag_status = input.filter.and_then(|f| f.tag_status);
    let (rows, next_token) = manifests_page(
        cx,
        &name,
        input.next_token.as_deref(),
        page_size(input.max_results, 100),
        tag_status.as_deref(),
    )
    .await?;
    let mut details = Vec::with_capacity(rows.len());
    for m in &rows {
        details.push(detail(cx, &name, m).await?);
    }
    Ok(DescribeImagesResponse {
        image_details: Some(details),
        next_token,
    })
}

pub(super) async fn list_images(
    cx: &Cx<'_>,
    input: ListImagesRequest,
) -> Result<ListImagesResponse, AwsError> {
    let tag_status = input.filter.and_then(|f| f.tag_status);
    let (rows, next_token) = manifests_page(
        cx,
        &input.repository_name,
        input.next_token.as_deref(),
        page_size(input.max_results, 100),
        tag_status.as_deref(),
    )
    .await?;
    let mut ids = Vec::new();
    for m in rows {
        if m.tags.is_empty() {
            ids.push(ImageIdentifier {
                image_digest: Some(m.digest.clone()),
                image_tag: None,
            });
        }
        for t in m.tags {
            ids.push(ImageIdentifier {
                image_digest: Some(m.digest.clone()),
                image_tag: Some(t),
            });
        }
    }
    Ok(ListImagesResponse {
        image_ids: Some(ids),
        next_token,
    })
}

pub(super) async fn batch_get_image(
    cx: &Cx<'_>,
    input: BatchGetImageRequest,
) -> Result<BatchGetImageResponse, AwsError> {
    let name = input.repository_name;
    registry(cx)
        .repository(cx.account, &name)
        .await
        .map_err(err)?;
    let (mut images, mut failures) = (Vec::new(), Vec::new());
    for id in input.image_ids {
        let id = image_id(id);
        match registry(cx).find_image(cx.account, &name, &id).await {
            Ok(m) => images.push(Image {
                registry_id: Some(cx.account.as_str().to_owned()),
                repository_name: Some(name.clone()),
                image_id: Some(ImageIdentifier {
                    image_digest: Some(m.digest.clone()),
                    image_tag: id.tag.clone(),
                }),
                image_manifest: Some(String::from_utf8_lossy(&m.body).into_owned()),
                image_manifest_media_type: Some(m.media_type),
            }),
            Err(e) => failures.push(failure(&id, e)),
        }
    }
    Ok(BatchGetImageResponse {
        images: Some(images),
        failures: Some(failures),
    })
}

pub(super) async fn batch_delete_image(
    cx: &Cx<'_>,
    input: BatchDeleteImageRequest,
) -> Result<BatchDeleteImageResponse, AwsError> {
    let name = input.repository_name;
    let reg = registry(cx);
    reg.repository(cx.account, &name).await.map_err(err)?;
    let (mut deleted, mut failures) = (Vec::new(), Vec::new());
    for id in input.image_ids {
        let id = image_id(id);
        let result = match id.tag.as_ref().or(id.digest.as_ref()) {
            Some(reference) => reg.delete_manifest(cx.account, &name, reference).await,
            None => Err(RegistryError::ManifestUnknown(String::new())),
        };
        match result {
            Ok(()) => deleted.push(identifier(&id)),
            Err(e) => failures.push(failure(&id, e)),
        }
    }
    Ok(BatchDeleteImageResponse {
        image_ids: Some(deleted),
        failures: Some(failures),
    })
}

pub(super) async fn batch_check_layer_availability(
    cx: &Cx<'_>,
    input: BatchCheckLayerAvailabilityRequest,
) -> Result<BatchCheckLayerAvailabilityResponse, AwsError> {
    let name = input.repository_name;
    let (mut layers, mut failures) = (Vec::new(), Vec::new());
    for d in input.layer_digests {
        match registry(cx).stat_blob(cx.account, &name, &d).await {
            Ok(b) => layers.push(Layer {
                layer_digest: Some(d),
                layer_availability: Some("AVAILABLE".to_owned()),
                layer_size: i64::try_from(b.size).ok(),
                media_type: None,
            }),
            Err(r @ RegistryError::NameUnknown { .. }) => return Err(err(r)),
            Err(_) => failures.push(LayerFailure {
                layer_digest: Some(d),
                failure_code: Some("MissingLayerDigest".to_owned()),
                failure_reason: Some("The layer is not in the repository".to_owned()),
            }),
        }
    }
    Ok(BatchCheckLayerAvailabilityResponse {
        layers: Some(layers),
        failures: Some(failures),
    })
}

/// PutImage: stores the manifest under its tag (or digest) and checks a
/// given digest against the manifest's.
pub(super) async fn put_image(
    cx: &Cx<'_>,
    input: PutImageRequest,
) -> Result<PutImageResponse, AwsError> {
    let name = input.repository_name;
    let manifest = input.image_manifest;
    let reference = input
        .image_tag
        .clone()
        .or_else(|| input.image_digest.clone())
        .unwrap_or_else(|| slipway_registry::sha256_digest(manifest.as_bytes()));
    let reg = registry(cx);
    let pushed = reg
        .put_manifest(
            cx.account,
            &name,
            &reference,
            input.image_manifest_media_type.as_deref(),
            manifest.as_bytes(),
        )
        .await
        .map_err(err)?;
    if let Some(d) = input.image_digest {
        if d != pushed.digest {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "ImageDigestDoesNotMatchException",
                format!("the manifest has digest {}, not {d}", pushed.digest),
            ));
        }
    }
    let m = reg
        .get_manifest(cx.account, &name, &pushed.digest)
        .await
        .map_err(err)?;
    Ok(PutImageResponse {
        image: Some(Image {
            registry_id: Some(cx.account.as_str().to_owned()),
            repository_name: Some(name),
            image_id: Some(ImageIdentifier {
                image_digest: Some(m.digest),
                image_tag: input.image_tag,
            }),
            image_manifest: Some(manifest),
            image_manifest_media_type: Some(m.media_type),
        }),
    })
}

/// An `ImageFailure` entry.
fn failure(id: &ImageId, e: slipway_registry::RegistryError) -> ImageFailure {
    use RegistryError as R;
    let (code, reason) = match &e {
        R::ManifestUnknown(_) => ("ImageNotFound", "Requested image not found".to_owned()),
        R::DigestInvalid(m) => ("InvalidImageDigest", m.clone()),
        R::TagInvalid(m) => ("InvalidImageTag", m.clone()),
        R::Unsupported(m) => ("InvalidImageDigest", m.clone()),
        _ => ("UnknownError", e.to_string()),
    };
    ImageFailure {
        image_id: Some(identifier(id)),
        failure_code: Some(code.to_owned()),
        failure_reason: Some(reason),
    }
}
