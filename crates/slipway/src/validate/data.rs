//! Test data for `slipway validate`: local paths are uploaded into the
//! embedded object store and the request rewritten to point at them;
//! `s3://` inputs are copied in from `AWS_ENDPOINT_URL`; local output paths
//! get the outputs back when the run ends.

use anyhow::{bail, Context};
use futures::TryStreamExt;
use serde_json::Value;
use slipway_core::AccountId;
use slipway_service::jobs::transfer::{self, S3Uri};
use slipway_service::Service;
use std::path::{Path, PathBuf};

/// The bucket local data is staged in.
pub const BUCKET: &str = "slipway-validate";

/// What staging did, and where outputs go back to.
#[derive(Debug, Default)]
pub struct Staged {
    pub objects: usize,
    outputs: Vec<(S3Uri, PathBuf)>,
}

enum Role {
    Input,
    Output,
}

fn role_of(key: &str) -> Option<Role> {
    match key {
        "S3Uri" | "ModelDataUrl" => Some(Role::Input),
        "S3OutputPath" => Some(Role::Output),
        _ => None,
    }
}

pub async fn stage(
    svc: &Service,
    account: &AccountId,
    doc: &mut Value,
    base: &Path,
) -> anyhow::Result<Staged> {
    let mut found = Vec::new();
    collect(doc, &mut Vec::new(), &mut found);
    let mut staged = Staged::default();
    ensure_bucket(svc, account, BUCKET).await?;
    for (n, (path, key, value)) in found.into_iter().enumerate() {
        let role = role_of(&key).unwrap_or(Role::Input);
        let rewritten = match (value.starts_with("s3://"), role) {
            (true, Role::Input) => {
                staged.objects += copy_in(svc, account, &value).await?;
                continue;
            }
            (true, Role::Output) => {
                if let Some(u) = S3Uri::parse(&value) {
                    ensure_bucket(svc, account, &u.bucket).await?;
                }
                continue;
            }
            (false, Role::Input) => {
                let local = local_path(base, &value);
                let prefix = S3Uri {
                    bucket: BUCKET.into(),
                    key: format!("in-{n}/"),
                };
                let (uri, count) = upload_local(svc, account, &local, &prefix).await?;
                staged.objects += count;
                uri
            }
            (false, Role::Output) => {
                let uri = S3Uri {
                    bucket: BUCKET.into(),
                    key: format!("out-{n}/"),
                };
                staged.outputs.push((uri.clone(), local_path(base, &value)));
                uri.to_string()
            }
        };
        if let Some(slot) = pointer_mut(doc, &path) {
            *slot = Value::String(rewritten);
        }
    }
    Ok(staged)
}

/// Every (path, member name, string) under a URI-bearing member.
fn collect(v: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(k.clone());
                match (role_of(k), child.as_str()) {
                    (Some(_), Some(s)) => out.push((path.clone(), k.clone(), s.to_owned())),
                    _ => collect(child, path, out),
                }
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(i.to_string());
                collect(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn pointer_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    let pointer: String = path
        .iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect();
    v.pointer_mut(&pointer)
}

fn local_path(base: &Path, value: &str) -> PathBuf {
    let p = Path::new(value.strip_prefix("file://").unwrap_or(value));
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

async fn ensure_bucket(svc: &Service, account: &AccountId, name: &str) -> anyhow::Result<()> {
    match svc.objects().head_bucket(account, name).await {
        Ok(_) => Ok(()),
        Err(_) => svc
            .objects()
            .create_bucket(account, name)
            .await
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("creating bucket {name}: {e}")),
    }
}

/// Uploads a file or a directory tree; returns the URI that names it.
async fn upload_local(
    svc: &Service,
    account: &AccountId,
    local: &Path,
    prefix: &S3Uri,
) -> anyhow::Result<(String, usize)> {
    let meta = tokio::fs::metadata(local)
        .await
        .with_context(|| format!("test data {} does not exist", local.display()))?;
    if meta.is_file() {
        let name = local
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into());
        let dest = prefix.join(&name);
        transfer::upload(
            &svc.job_data(),
            account,
            local,
            &dest,
            "application/octet-stream",
        )
        .await
        .map_err(|e| anyhow::anyhow!("uploading {}: {e}", local.display()))?;
        return Ok((dest.to_string(), 1));
    }
    let mut count = 0;
    let mut stack = vec![local.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries = tokio::fs::read_dir(&dir).await?;
        while let Some(e) = entries.next_entry().await? {
            let p = e.path();
            if e.file_type().await?.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(local)?.to_string_lossy().into_owned();
            transfer::upload(
                &svc.job_data(),
                account,
                &p,
                &prefix.join(&rel),
                "application/octet-stream",
            )
            .await
            .map_err(|e| anyhow::anyhow!("uploading {}: {e}", p.display()))?;
            count += 1;
        }
    }
    if count == 0 {
        bail!("test data directory {} is empty", local.display());
    }
    Ok((prefix.to_string(), count))
}

/// Copies the objects under an `s3://` input from `AWS_ENDPOINT_URL`.
async fn copy_in(svc: &Service, account: &AccountId, uri: &str) -> anyhow::Result<usize> {
    use object_store::aws::AmazonS3Builder;
    use object_store::ObjectStore;
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let Some(endpoint) = env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")) else {
        bail!("{uri}: s3:// test data needs AWS_ENDPOINT_URL (a Slipway server or any S3) and its AWS_* credentials; or give a local path");
    };
    let src = S3Uri::parse(uri).with_context(|| format!("{uri} is not an s3:// URI"))?;
    let store = AmazonS3Builder::new()
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_bucket_name(&src.bucket)
        .with_region(
            env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".into()),
        )
        .with_access_key_id(env("AWS_ACCESS_KEY_ID").unwrap_or_default())
        .with_secret_access_key(env("AWS_SECRET_ACCESS_KEY").unwrap_or_default())
        .build()
        .with_context(|| format!("connecting to {endpoint}"))?;
    ensure_bucket(svc, account, &src.bucket).await?;
    let prefix = object_store::path::Path::from(src.key.trim_end_matches('/'));
    let listed: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .with_context(|| format!("listing {uri} at {endpoint}"))?;
    let mut n = 0;
    for meta in listed {
        let key = meta.location.to_string();
        if !key.starts_with(&src.key) {
            continue;
        }
        // Streamed object to object: test data can be large.
        let body = store
            .get(&meta.location)
            .await?
            .into_stream()
            .map_err(std::io::Error::other);
        svc.objects()
            .put_object(
                account,
                slipway_objects::PutObject {
                    bucket: src.bucket.clone(),
                    key: key.clone(),
                    meta: Default::default(),
                    body: Box::pin(body),
                    content_md5: None,
                    checksums: Vec::new(),
                    compute: Vec::new(),
                    trailer: None,
                    size_hint: Some(meta.size),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("staging s3://{}/{key}: {e}", src.bucket))?;
        n += 1;
    }
    if n == 0 {
        bail!("{uri} at {endpoint} holds no objects");
    }
    Ok(n)
}

/// Downloads what the validation wrote under each local output path.
pub async fn fetch_outputs(
    svc: &Service,
    account: &AccountId,
    staged: &Staged,
) -> anyhow::Result<()> {
    for (uri, dir) in &staged.outputs {
        let objects = transfer::list_prefix(&svc.job_data(), account, uri)
            .await
            .map_err(|e| anyhow::anyhow!("listing outputs {uri}: {e}"))?;
        for o in objects {
            let rel = transfer::safe_relative(&o.relative).map_err(|e| anyhow::anyhow!(e))?;
            transfer::download(&svc.job_data(), account, &o, &dir.join(rel))
                .await
                .map_err(|e| anyhow::anyhow!("downloading {}: {e}", o.key))?;
        }
    }
    Ok(())
}
