//! The ECR API (AWS JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.<Op>`,
//! SigV4 scope `ecr`). Requests are checked against the botocore ECR model
//! first; handlers translate shapes and call the registry service.
//!
//! The registry id is the account: a request naming another account's
//! `registryId` is refused, so one account never sees another's images.

use crate::auth::Caller;
use crate::error::AwsError;
use crate::json::{ok, ts, Input, Reply};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_core::ports::registry::{ManifestRow, RepositoryRow};
use slipway_core::AccountId;
use slipway_service::registry::{ImageId, RepositorySettings};
use slipway_service::Service;

/// The target prefix of ECR operations.
pub(crate) const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

const OPERATIONS: [&str; 12] = [
    "GetAuthorizationToken",
    "CreateRepository",
    "DescribeRepositories",
    "DeleteRepository",
    "DescribeImages",
    "ListImages",
    "BatchGetImage",
    "BatchDeleteImage",
    "BatchCheckLayerAvailability",
    "PutImageTagMutability",
    "PutImageScanningConfiguration",
    "PutImage",
];

type Out = Result<Value, AwsError>;

/// Decodes, checks against the ECR model, and runs one operation.
pub(crate) async fn handle(
    svc: &Service,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    if !OPERATIONS.contains(&op) {
        let message = if slipway_model::ecr().operation(op).is_some() {
            format!(
                "Operation {op} is part of the ECR API but not implemented by this Slipway server."
            )
        } else {
            format!("Unknown operation {TARGET_PREFIX}{op}")
        };
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            message,
        ));
    }
    let input = Input::decode(body)?;
    // Operations outside the extracted subset were refused above.
    slipway_model::ecr()
        .check_input(op, &input.as_value())
        .map_err(AwsError::from_input)?;
    let account = &caller.account;
    if let Some(id) = input.str("registryId") {
        if id != account.as_str() {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "AccessDeniedException",
                format!("User in account {account} is not authorized to access registry {id}"),
            ));
        }
    }
    let cx = Cx { svc, account };
    let out = match op {
        "GetAuthorizationToken" => cx.get_authorization_token(),
        "CreateRepository" => cx.create_repository(&input).await,
        "DescribeRepositories" => cx.describe_repositories(&input).await,
        "DeleteRepository" => cx.delete_repository(&input).await,
        "DescribeImages" => cx.describe_images(&input).await,
        "ListImages" => cx.list_images(&input).await,
        "BatchGetImage" => cx.batch_get_image(&input).await,
        "BatchDeleteImage" => cx.batch_delete_image(&input).await,
        "BatchCheckLayerAvailability" => cx.batch_check_layer_availability(&input).await,
        "PutImageTagMutability" => cx.put_settings(&input, true).await,
        "PutImageScanningConfiguration" => cx.put_settings(&input, false).await,
        "PutImage" => cx.put_image(&input).await,
        _ => Err(AwsError::internal()),
    }?;
    Ok(ok(Reply::from(out)))
}

struct Cx<'a> {
    svc: &'a Service,
    account: &'a AccountId,
}

fn err(e: slipway_service::Error) -> AwsError {
    AwsError::from_ecr(e)
}

fn image_id(v: &Value) -> ImageId {
    ImageId {
        tag: v.get("imageTag").and_then(Value::as_str).map(str::to_owned),
        digest: v
            .get("imageDigest")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn id_json(id: &ImageId) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(d) = &id.digest {
        o.insert("imageDigest".into(), d.clone().into());
    }
    if let Some(t) = &id.tag {
        o.insert("imageTag".into(), t.clone().into());
    }
    Value::Object(o)
}

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

fn page_size(input: &Input, default: usize) -> usize {
    input.usize("maxResults").unwrap_or(default).clamp(1, 1000)
}

impl Cx<'_> {
    fn registry(&self) -> slipway_service::registry::Registry<'_> {
        self.svc.registry()
    }

    fn repo_json(&self, r: &RepositoryRow) -> Value {
        let region = self.svc.region();
        json!({
            "repositoryArn": format!("arn:aws:ecr:{region}:{}:repository/{}", r.account, r.name),
            "registryId": r.account.as_str(),
            "repositoryName": r.name,
            "repositoryUri": format!("{}.dkr.ecr.{region}.amazonaws.com/{}", r.account, r.name),
            "createdAt": ts(r.created),
            "imageTagMutability": if r.tags_mutable { "MUTABLE" } else { "IMMUTABLE" },
            "imageScanningConfiguration": {"scanOnPush": r.scan_on_push},
            "encryptionConfiguration": {"encryptionType": "AES256"},
        })
    }

    fn get_authorization_token(&self) -> Out {
        let t = self
            .registry()
            .authorization_token(self.account)
            .map_err(err)?;
        // Clients log in to the proxy endpoint: this server, not AWS.
        let endpoint = self
            .registry()
            .listen_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        Ok(json!({"authorizationData": [{
            "authorizationToken": t.authorization_token,
            "expiresAt": t.expires_at,
            "proxyEndpoint": endpoint,
        }]}))
    }

    async fn create_repository(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let settings = RepositorySettings {
            tags_mutable: input
                .str("imageTagMutability")
                .map(|m| !m.starts_with("IMMUTABLE")),
            scan_on_push: input
                .0
                .get("imageScanningConfiguration")
                .and_then(|c| c.get("scanOnPush"))
                .and_then(Value::as_bool),
        };
        let r = self
            .registry()
            .create_repository(self.account, &name, settings)
            .await
            .map_err(err)?;
        Ok(json!({"repository": self.repo_json(&r)}))
    }

    async fn describe_repositories(&self, input: &Input) -> Out {
        let names: Option<Vec<String>> = input.typed("repositoryNames")?;
        let reg = self.registry();
        let repos = match names {
            Some(names) => {
                let mut out = Vec::new();
                for n in names {
                    out.push(reg.repository(self.account, &n).await.map_err(err)?);
                }
                out
            }
            None => reg.list_repositories(self.account).await.map_err(err)?,
        };
        let after = input.str("nextToken");
        let n = page_size(input, 100);
        let mut page: Vec<&RepositoryRow> = repos
            .iter()
            .filter(|r| after.as_deref().is_none_or(|a| r.name.as_str() > a))
            .take(n + 1)
            .collect();
        let next = (page.len() > n).then(|| page[n - 1].name.clone());
        page.truncate(n);
        let mut out =
            json!({"repositories": page.iter().map(|r| self.repo_json(r)).collect::<Vec<_>>()});
        if let Some(t) = next {
            out["nextToken"] = t.into();
        }
        Ok(out)
    }

    async fn delete_repository(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let force = input.bool("force").unwrap_or(false);
        let r = self
            .registry()
            .delete_repository(self.account, &name, force)
            .await
            .map_err(err)?;
        Ok(json!({"repository": self.repo_json(&r)}))
    }

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

    async fn describe_images(&self, input: &Input) -> Out {
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

    async fn list_images(&self, input: &Input) -> Out {
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

    async fn batch_get_image(&self, input: &Input) -> Out {
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

    async fn batch_delete_image(&self, input: &Input) -> Out {
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
                (None, None) => Err(slipway_service::registry::RegistryError::ManifestUnknown(
                    String::new(),
                )
                .into()),
            };
            match result {
                Ok(id) => deleted.push(id_json(&id)),
                Err(e) => failures.push(failure(&id, e)),
            }
        }
        Ok(json!({"imageIds": deleted, "failures": failures}))
    }

    async fn batch_check_layer_availability(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let digests: Vec<String> = input.typed("layerDigests")?.unwrap_or_default();
        let (mut layers, mut failures) = (Vec::new(), Vec::new());
        for d in digests {
            match self.registry().stat_blob(self.account, &name, &d).await {
                Ok(b) => layers.push(json!({"layerDigest": d, "layerAvailability": "AVAILABLE", "layerSize": b.size})),
                Err(slipway_service::Error::Registry(r @ slipway_service::registry::RegistryError::NameUnknown { .. })) => {
                    return Err(err(r.into()))
                }
                Err(_) => failures.push(json!({"layerDigest": d, "failureCode": "MissingLayerDigest", "failureReason": "The layer is not in the repository"})),
            }
        }
        Ok(json!({"layers": layers, "failures": failures}))
    }

    /// PutImageTagMutability (`mutability`) or PutImageScanningConfiguration.
    async fn put_settings(&self, input: &Input, mutability: bool) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let settings = if mutability {
            RepositorySettings {
                tags_mutable: input
                    .str("imageTagMutability")
                    .map(|m| !m.starts_with("IMMUTABLE")),
                scan_on_push: None,
            }
        } else {
            RepositorySettings {
                tags_mutable: None,
                scan_on_push: input
                    .0
                    .get("imageScanningConfiguration")
                    .and_then(|c| c.get("scanOnPush"))
                    .and_then(Value::as_bool),
            }
        };
        let r = self
            .registry()
            .update_repository(self.account, &name, settings)
            .await
            .map_err(err)?;
        let mut out = json!({"registryId": self.account.as_str(), "repositoryName": r.name});
        if mutability {
            out["imageTagMutability"] = (if r.tags_mutable {
                "MUTABLE"
            } else {
                "IMMUTABLE"
            })
            .into();
        } else {
            out["imageScanningConfiguration"] = json!({"scanOnPush": r.scan_on_push});
        }
        Ok(out)
    }

    async fn put_image(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let manifest = input.str("imageManifest").unwrap_or_default();
        let media = input.str("imageManifestMediaType");
        let reference = input
            .str("imageTag")
            .or_else(|| input.str("imageDigest"))
            .unwrap_or_else(|| slipway_service::registry::sha256_digest(manifest.as_bytes()));
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
fn failure(id: &ImageId, e: slipway_service::Error) -> Value {
    use slipway_service::registry::RegistryError as R;
    let (code, reason) = match &e {
        slipway_service::Error::Registry(R::ManifestUnknown(_)) => {
            ("ImageNotFound", "Requested image not found".to_owned())
        }
        slipway_service::Error::Registry(R::DigestInvalid(m)) => ("InvalidImageDigest", m.clone()),
        slipway_service::Error::Registry(R::TagInvalid(m)) => ("InvalidImageTag", m.clone()),
        slipway_service::Error::Registry(R::Unsupported(m)) => ("InvalidImageDigest", m.clone()),
        _ => ("UnknownError", e.to_string()),
    };
    json!({"imageId": id_json(id), "failureCode": code, "failureReason": reason})
}
