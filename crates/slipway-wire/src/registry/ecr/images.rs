//! ECR image operations: listing and describing images, getting, putting
//! and deleting them, and layer availability.

use super::{err, id_json, image_id, page_size, Cx, Out};
use crate::error::AwsError;
use crate::json::{ts, Input};
use axum::http::StatusCode;
use serde_json::{json, Value};
use slipway_core::ports::registry::ManifestRow;
use slipway_registry::ImageId;

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

impl Cx<'_> {
    /// One page of manifests, for ListImages and DescribeImages.
    async fn manifests_page(
        &self,
        input: &Input,
        n: usize,
    ) -> Result<(Vec<ManifestRow>, Option<String>), AwsError> {
        let name = input.str("repositoryName").unwrap_or_default();
        let after = input.str("nextToken");
        let mut rows = self
            .registry()
            .list_images(self.account, &name, after.as_deref(), n + 1)
            .await
            .map_err(err)?;
        let next = (rows.len() > n).then(|| rows[n - 1].digest.clone());
        rows.truncate(n);
        let status = input
            .0
            .get("filter")
            .and_then(|f| f.get("tagStatus"))
            .and_then(Value::as_str)
            .unwrap_or("ANY")
            .to_owned();
        rows.retain(|m| match status.as_str() {
            "TAGGED" => !m.tags.is_empty(),
            "UNTAGGED" => m.tags.is_empty(),
            _ => true,
        });
        Ok((rows, next))
    }

    fn detail(&self, name: &str, m: &ManifestRow) -> Value {
        let mut d = json!({
            "registryId": self.account.as_str(),
            "repositoryName": name,
            "imageDigest": m.digest,
            "imageSizeInBytes": image_size(m),
            "imagePushedAt": ts(m.pushed),
            "imageManifestMediaType": m.media_type,
        });
        if !m.tags.is_empty() {
            d["imageTags"] = json!(m.tags);
        }
        if let Some(a) = serde_json::from_slice::<Value>(&m.body)
            .ok()
            .and_then(|v| v.pointer("/config/mediaType").cloned())
        {
            d["artifactMediaType"] = a;
        }
        d
    }

    pub(super) async fn describe_images(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let ids: Option<Vec<Value>> = input.typed("imageIds")?;
        if let Some(ids) = ids {
            let mut details = Vec::new();
            for id in &ids {
                let m = self
                    .registry()
                    .find_image(self.account, &name, &image_id(id))
                    .await
                    .map_err(err)?;
                details.push(self.detail(&name, &m));
            }
            return Ok(json!({"imageDetails": details}));
        }
        let (rows, next) = self.manifests_page(input, page_size(input, 100)).await?;
        let mut out =
            json!({"imageDetails": rows.iter().map(|m| self.detail(&name, m)).collect::<Vec<_>>()});
        if let Some(t) = next {
            out["nextToken"] = t.into();
        }
        Ok(out)
    }

    pub(super) async fn list_images(&self, input: &Input) -> Out {
        let (rows, next) = self.manifests_page(input, page_size(input, 100)).await?;
        let mut ids = Vec::new();
        for m in &rows {
            if m.tags.is_empty() {
                ids.push(json!({"imageDigest": m.digest}));
            }
            for t in &m.tags {
                ids.push(json!({"imageDigest": m.digest, "imageTag": t}));
            }
        }
        let mut out = json!({"imageIds": ids});
        if let Some(t) = next {
            out["nextToken"] = t.into();
        }
        Ok(out)
    }

    pub(super) async fn batch_get_image(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        self.registry()
            .repository(self.account, &name)
            .await
            .map_err(err)?;
        let ids: Vec<Value> = input.typed("imageIds")?.unwrap_or_default();
        let (mut images, mut failures) = (Vec::new(), Vec::new());
        for v in &ids {
            let id = image_id(v);
            match self.registry().find_image(self.account, &name, &id).await {
                Ok(m) => images.push(json!({
                    "registryId": self.account.as_str(),
                    "repositoryName": name,
                    "imageId": id_json(&ImageId { tag: id.tag.clone(), digest: Some(m.digest.clone()) }),
                    "imageManifest": String::from_utf8_lossy(&m.body),
                    "imageManifestMediaType": m.media_type,
                })),
                Err(e) => failures.push(failure(&id, e)),
            }
        }
        Ok(json!({"images": images, "failures": failures}))
    }

    pub(super) async fn batch_delete_image(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        self.registry()
            .repository(self.account, &name)
            .await
            .map_err(err)?;
        let ids: Vec<Value> = input.typed("imageIds")?.unwrap_or_default();
        let (mut deleted, mut failures) = (Vec::new(), Vec::new());
        for v in &ids {
            let id = image_id(v);
            let reg = self.registry();
            let result = match (&id.tag, &id.digest) {
                (Some(t), _) => reg
                    .delete_manifest(self.account, &name, t)
                    .await
                    .map(|()| id.clone()),
                (None, Some(d)) => reg
                    .delete_manifest(self.account, &name, d)
                    .await
                    .map(|()| id.clone()),
                (None, None) => Err(slipway_registry::RegistryError::ManifestUnknown(
                    String::new(),
                )),
            };
            match result {
                Ok(id) => deleted.push(id_json(&id)),
                Err(e) => failures.push(failure(&id, e)),
            }
        }
        Ok(json!({"imageIds": deleted, "failures": failures}))
    }

    pub(super) async fn batch_check_layer_availability(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let digests: Vec<String> = input.typed("layerDigests")?.unwrap_or_default();
        let (mut layers, mut failures) = (Vec::new(), Vec::new());
        for d in digests {
            match self.registry().stat_blob(self.account, &name, &d).await {
                Ok(b) => layers.push(json!({"layerDigest": d, "layerAvailability": "AVAILABLE", "layerSize": b.size})),
                Err(r @ slipway_registry::RegistryError::NameUnknown { .. }) => {
                    return Err(err(r))
                }
                Err(_) => failures.push(json!({"layerDigest": d, "failureCode": "MissingLayerDigest", "failureReason": "The layer is not in the repository"})),
            }
        }
        Ok(json!({"layers": layers, "failures": failures}))
    }

    /// PutImageTagMutability (`mutability`) or PutImageScanningConfiguration.
    pub(super) async fn put_image(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let manifest = input.str("imageManifest").unwrap_or_default();
        let media = input.str("imageManifestMediaType");
        let reference = input
            .str("imageTag")
            .or_else(|| input.str("imageDigest"))
            .unwrap_or_else(|| slipway_registry::sha256_digest(manifest.as_bytes()));
        let reg = self.registry();
        let pushed = reg
            .put_manifest(
                self.account,
                &name,
                &reference,
                media.as_deref(),
                manifest.as_bytes(),
            )
            .await
            .map_err(err)?;
        if let Some(d) = input.str("imageDigest") {
            if d != pushed.digest {
                return Err(AwsError::new(
                    StatusCode::BAD_REQUEST,
                    "ImageDigestDoesNotMatchException",
                    format!("the manifest has digest {}, not {d}", pushed.digest),
                ));
            }
        }
        let m = reg
            .get_manifest(self.account, &name, &pushed.digest)
            .await
            .map_err(err)?;
        Ok(json!({"image": {
            "registryId": self.account.as_str(),
            "repositoryName": name,
            "imageId": id_json(&ImageId { tag: input.str("imageTag"), digest: Some(m.digest.clone()) }),
            "imageManifest": manifest,
            "imageManifestMediaType": m.media_type,
        }}))
    }
}

/// An `ImageFailure` entry.
fn failure(id: &ImageId, e: slipway_registry::RegistryError) -> Value {
    use slipway_registry::RegistryError as R;
    let (code, reason) = match &e {
        R::ManifestUnknown(_) => ("ImageNotFound", "Requested image not found".to_owned()),
        R::DigestInvalid(m) => ("InvalidImageDigest", m.clone()),
        R::TagInvalid(m) => ("InvalidImageTag", m.clone()),
        R::Unsupported(m) => ("InvalidImageDigest", m.clone()),
        _ => ("UnknownError", e.to_string()),
    };
    json!({"imageId": id_json(id), "failureCode": code, "failureReason": reason})
}
