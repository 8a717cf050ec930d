//! `OciBlobStore`: blob bytes in an external OCI distribution registry
//! (the registry's scale-out adapter: image layers land in any registry
//! that scales — e.g. the CNCF registry on S3 — while Slipway keeps the
//! metadata, accounts and auth).
//!
//! Each blob is an OCI blob in one repository, named by a manifest tagged
//! with the `BlobKey` (32 hex digits are a valid tag) whose single layer is
//! the blob and whose annotation holds the write time. A put is visible
//! only once that manifest is stored, so a failed stream leaves no key.
//! Deleting removes the manifest; the external registry's own garbage
//! collection reclaims the layer bytes.

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::Digest as _;
use sha2::Sha256;
use slipway_core::ports::blob::{
    BlobEntry, BlobError, BlobInfo, BlobKey, BlobStore, ByteRange, ByteStream,
};
use std::sync::{Arc, Mutex};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const EMPTY: &[u8] = b"{}";
const MODIFIED: &str = "io.slipway.modified";

/// Settings of the external registry.
#[derive(Debug, Clone)]
pub struct OciSettings {
    /// Base URL, e.g. `http://127.0.0.1:5000`.
    pub url: String,
    /// Repository holding Slipway's blobs, e.g. `slipway/blobs`.
    pub repository: String,
    /// Basic-auth credentials, when the registry wants them.
    pub username: Option<String>,
    pub password: Option<String>,
}

/// A `BlobStore` in an external OCI registry.
pub struct OciBlobStore {
    http: reqwest::Client,
    s: OciSettings,
    /// Set once the manifests' shared config (the OCI empty descriptor) is
    /// known to be in the registry. Parallel puts (a client pushing layers
    /// concurrently) used to upload it concurrently, and the CNCF registry
    /// can fail one of two simultaneous commits of the same digest.
    empty_config: tokio::sync::OnceCell<()>,
}

fn backend(what: &str, e: impl std::fmt::Display) -> BlobError {
    BlobError::Backend(format!("{what}: {e}"))
}

fn sha256_digest(b: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(b))
}

impl OciBlobStore {
    pub fn new(s: OciSettings) -> Result<Self, BlobError> {
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| backend("http client", e))?;
        Ok(Self {
            http,
            s,
            empty_config: tokio::sync::OnceCell::new(),
        })
    }

    /// Makes sure the empty config blob is stored: once per process, one
    /// upload at a time, skipped when the registry already has it.
    async fn ensure_empty_config(&self) -> Result<(), BlobError> {
        self.empty_config
            .get_or_try_init(|| async {
                let digest = sha256_digest(EMPTY);
                let head = self
                    .req(reqwest::Method::HEAD, &self.url(&format!("blobs/{digest}")))
                    .send()
                    .await
                    .map_err(|e| backend("checking the empty config", e))?;
                if head.status().is_success() {
                    return Ok(());
                }
                self.upload(Bytes::from_static(EMPTY).into(), || None, || digest)
                    .await
            })
            .await
            .map(|_| ())
    }

    fn url(&self, rest: &str) -> String {
        format!(
            "{}/v2/{}/{rest}",
            self.s.url.trim_end_matches('/'),
            self.s.repository
        )
    }

    fn req(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, url);
        match &self.s.username {
            Some(u) => r.basic_auth(u, self.s.password.clone()),
            None => r,
        }
    }

    /// Uploads `body` as a blob whose digest the caller computes while it
    /// streams (`digest` is read after the stream ends).
    async fn upload(
        &self,
        body: reqwest::Body,
        body_failed: impl Fn() -> Option<std::io::Error>,
        digest: impl FnOnce() -> String,
    ) -> Result<(), BlobError> {
        let r = self
            .req(reqwest::Method::POST, &self.url("blobs/uploads/"))
            .send()
            .await
            .map_err(|e| backend("starting upload", e))?;
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| backend("starting upload", r.status()))?
            .to_owned();
        let location = if location.starts_with("http") {
            location
        } else {
            format!("{}{location}", self.s.url.trim_end_matches('/'))
        };
        let r = self
            .req(reqwest::Method::PATCH, &location)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await;
        let r = match r {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => return Err(backend("uploading", r.status())),
            // The incoming stream failed (client went away): say so, so the
            // caller reports the client's error rather than ours.
            Err(e) => {
                return Err(match body_failed() {
                    Some(io) => BlobError::Body(io),
                    None => backend("uploading", e),
                })
            }
        };
        let next = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or(location);
        let next = if next.starts_with("http") {
            next
        } else {
            format!("{}{next}", self.s.url.trim_end_matches('/'))
        };
        let sep = if next.contains('?') { '&' } else { '?' };
        let r = self
            .req(
                reqwest::Method::PUT,
                &format!("{next}{sep}digest={}", digest()),
            )
            .header("content-length", "0")
            .send()
            .await
            .map_err(|e| backend("finishing upload", e))?;
        if !r.status().is_success() {
            return Err(backend("finishing upload", r.status()));
        }
        Ok(())
    }

    /// The layer digest and write time a key's manifest names.
    async fn lookup(&self, key: &BlobKey) -> Result<Option<(String, u64, i64, String)>, BlobError> {
        let r = self
            .req(reqwest::Method::GET, &self.url(&format!("manifests/{key}")))
            .header("accept", MANIFEST)
            .send()
            .await
            .map_err(|e| backend("reading manifest", e))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(backend("reading manifest", r.status()));
        }
        let digest = r
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let m: serde_json::Value = r.json().await.map_err(|e| backend("manifest", e))?;
        let layer = m
            .pointer("/layers/0")
            .ok_or_else(|| backend("manifest", "no layer"))?;
        let blob = layer
            .get("digest")
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_owned();
        let size = layer
            .get("size")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        let modified = m
            .pointer(&format!("/annotations/{}", MODIFIED.replace('/', "~1")))
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        Ok(Some((blob, size, modified, digest)))
    }
}

#[async_trait]
impl BlobStore for OciBlobStore {
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<BlobInfo, BlobError> {
        // Hash while streaming: OCI needs the SHA-256, the port the MD5.
        let state = Arc::new(Mutex::new((Sha256::new(), md5::Md5::new(), 0u64)));
        let tap = state.clone();
        let failed: Arc<Mutex<Option<std::io::Error>>> = Arc::new(Mutex::new(None));
        let failed_tap = failed.clone();
        let stream = body.map(move |chunk| {
            match &chunk {
                Ok(b) => {
                    if let Ok(mut s) = tap.lock() {
                        s.0.update(b);
                        s.1.update(b);
                        s.2 += b.len() as u64;
                    }
                }
                Err(e) => {
                    if let Ok(mut f) = failed_tap.lock() {
                        *f = Some(std::io::Error::new(e.kind(), e.to_string()));
                    }
                }
            }
            chunk
        });
        let body_failed = move || failed.lock().ok().and_then(|mut f| f.take());
        let result = Arc::new(Mutex::new(None));
        let slot = result.clone();
        let digest = move || {
            let (sha, md5, size) = state
                .lock()
                .map(|s| (s.0.clone(), s.1.clone(), s.2))
                .unwrap_or_else(|p| {
                    let s = p.into_inner();
                    (s.0.clone(), s.1.clone(), s.2)
                });
            let d = format!("sha256:{:x}", sha.finalize());
            if let Ok(mut r) = slot.lock() {
                *r = Some((d.clone(), <[u8; 16]>::from(md5.finalize()), size));
            }
            d
        };
        self.upload(reqwest::Body::wrap_stream(stream), body_failed, digest)
            .await?;
        let (blob_digest, md5, size) = result
            .lock()
            .ok()
            .and_then(|r| r.clone())
            .ok_or_else(|| backend("upload", "no digest"))?;
        // The manifest's config: the OCI empty descriptor.
        self.ensure_empty_config().await?;
        let modified = slipway_core::time_util::wall_micros();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256_digest(EMPTY), "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": blob_digest, "size": size}],
            "annotations": {MODIFIED: modified.to_string()},
        });
        let r = self
            .req(reqwest::Method::PUT, &self.url(&format!("manifests/{key}")))
            .header("content-type", MANIFEST)
            .body(manifest.to_string())
            .send()
            .await
            .map_err(|e| backend("storing manifest", e))?;
        if !r.status().is_success() {
            return Err(backend("storing manifest", r.status()));
        }
        Ok(BlobInfo { size, md5 })
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let (digest, size, _, _) = self
            .lookup(key)
            .await?
            .ok_or_else(|| BlobError::NotFound(key.clone()))?;
        if size == 0 || range.is_some_and(|r| r.is_empty()) {
            return Ok(Box::pin(futures::stream::empty()));
        }
        let mut req = self.req(reqwest::Method::GET, &self.url(&format!("blobs/{digest}")));
        if let Some(r) = range {
            req = req.header("range", format!("bytes={}-{}", r.start, r.end - 1));
        }
        let r = req.send().await.map_err(|e| backend("reading blob", e))?;
        if !r.status().is_success() {
            return Err(backend("reading blob", r.status()));
        }
        Ok(Box::pin(r.bytes_stream().map_err(std::io::Error::other)))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let Some((_, _, _, digest)) = self.lookup(key).await? else {
            return Ok(());
        };
        let r = self
            .req(
                reqwest::Method::DELETE,
                &self.url(&format!("manifests/{digest}")),
            )
            .send()
            .await
            .map_err(|e| backend("deleting", e))?;
        if !(r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND) {
            return Err(backend("deleting", r.status()));
        }
        Ok(())
    }

    async fn list(&self) -> Result<Vec<BlobEntry>, BlobError> {
        let r = self
            .req(reqwest::Method::GET, &self.url("tags/list?n=100000"))
            .send()
            .await
            .map_err(|e| backend("listing", e))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        let v: serde_json::Value = r.json().await.map_err(|e| backend("listing", e))?;
        let mut out = Vec::new();
        for t in v
            .get("tags")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
        {
            let Some(key) = t.as_str().and_then(BlobKey::parse) else {
                continue;
            };
            if let Some((_, _, modified, _)) = self.lookup(&key).await? {
                out.push(BlobEntry { key, modified });
            }
        }
        Ok(out)
    }
}
