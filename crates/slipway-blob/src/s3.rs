//! `S3BlobStore`: blobs as objects in any S3-compatible store (AWS S3,
//! MinIO, another Slipway), through the `object_store` crate.
//!
//! Small blobs are one PUT; larger ones stream through a multipart upload
//! that S3 makes visible only on completion, so a reader never sees part
//! of a blob and an acknowledged put is as durable as the remote store.
//! Memory per put is bounded by the part size times the parts in flight.

use async_trait::async_trait;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};
use slipway_core::ports::blob::{
    BlobEntry, BlobError, BlobInfo, BlobKey, BlobStore, ByteRange, ByteStream,
};

/// Part size of the multipart uploads (and the single-PUT threshold).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// Parts uploaded concurrently per put.
const PARTS_IN_FLIGHT: usize = 4;

/// Where the external store is and how to sign for it.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// e.g. `http://127.0.0.1:9100`; `None` means AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    /// Key prefix for every blob (e.g. `slipway/`); may be empty.
    pub prefix: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Blobs in an S3 bucket.
pub struct S3BlobStore {
    store: AmazonS3,
    prefix: String,
}

fn backend(e: object_store::Error) -> BlobError {
    BlobError::Backend(e.to_string())
}

impl S3BlobStore {
    pub fn new(s: &S3Settings) -> Result<Self, BlobError> {
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(&s.region)
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key)
            .with_virtual_hosted_style_request(false);
        if let Some(e) = &s.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        let prefix = s.prefix.trim_matches('/').to_owned();
        Ok(Self {
            store: b.build().map_err(backend)?,
            prefix,
        })
    }

    fn path(&self, key: &BlobKey) -> Path {
        if self.prefix.is_empty() {
            Path::from(key.as_str())
        } else {
            Path::from(format!("{}/{}", self.prefix, key))
        }
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &BlobKey, mut body: ByteStream) -> Result<BlobInfo, BlobError> {
        let path = self.path(key);
        let mut md5 = Md5::new();
        let mut size = 0u64;
        // Buffer up to one part: a small blob is a single PUT.
        let mut head: Vec<Bytes> = Vec::new();
        let mut head_len = 0usize;
        while head_len < PART_SIZE {
            match body.next().await {
                Some(Ok(c)) => {
                    md5.update(&c);
                    size += c.len() as u64;
                    head_len += c.len();
                    head.push(c);
                }
                Some(Err(e)) => return Err(BlobError::Body(e)),
                None => {
                    self.store
                        .put(&path, PutPayload::from_iter(head))
                        .await
                        .map_err(backend)?;
                    return Ok(BlobInfo {
                        size,
                        md5: md5.finalize().into(),
                    });
                }
            }
        }
        let upload = self.store.put_multipart(&path).await.map_err(backend)?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        for c in head {
            w.put(c);
        }
        loop {
            if let Err(e) = w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                return Err(backend(e));
            }
            match body.next().await {
                Some(Ok(c)) => {
                    md5.update(&c);
                    size += c.len() as u64;
                    w.put(c);
                }
                Some(Err(e)) => {
                    let _ = w.abort().await;
                    return Err(BlobError::Body(e));
                }
                None => break,
            }
        }
        w.finish().await.map_err(backend)?;
        Ok(BlobInfo {
            size,
            md5: md5.finalize().into(),
        })
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        if range.is_some_and(|r| r.is_empty()) {
            return Ok(Box::pin(futures::stream::empty()));
        }
        let opts = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.start..r.end)),
            ..GetOptions::default()
        };
        let got = match self.store.get_opts(&self.path(key), opts).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(BlobError::NotFound(key.clone()))
            }
            Err(e) => return Err(backend(e)),
        };
        Ok(Box::pin(
            got.into_stream()
                .map_err(|e| std::io::Error::other(e.to_string())),
        ))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend(e)),
        }
    }

    async fn list(&self) -> Result<Vec<BlobEntry>, BlobError> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let metas: Vec<_> = self
            .store
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(backend)?;
        Ok(metas
            .into_iter()
            .filter_map(|m| {
                let key = BlobKey::parse(m.location.filename()?)?;
                Some(BlobEntry {
                    key,
                    modified: m.last_modified.timestamp_micros(),
                })
            })
            .collect())
    }
}
