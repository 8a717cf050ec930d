//! Blob uploads (monolithic, chunked, resumable) and blob reads.
//!
//! Each chunk streams into a blob of its own while its SHA-256 is
//! computed; the upload row lists the chunks in order. Finishing verifies
//! the digest the client names against the bytes received, and only then
//! commits the blob row — a wrong digest or a truncated upload leaves
//! nothing visible. A finished blob keeps its chunks as segments, so a
//! 200 MB layer is never copied after it arrives.
//!
//! sha512: the running hash is SHA-256 only (what every client pushes, and
//! what the push benchmark measures). An upload finished with a `sha512:`
//! digest is hashed once more at the end by streaming its stored chunks
//! back (bounded memory, one extra read of the blob); the blob row is then
//! keyed by that digest. The same bytes pushed under both algorithms are
//! two rows, each with segments of its own.

use crate::names::{check_digest, DigestAlgorithm};
use crate::Result;
use crate::{blob_error, Registry, RegistryError};
use bytes::Bytes;
use futures::StreamExt;
use sha2::Digest as _;
use slipway_core::ports::blob::{BlobKey, ByteRange, ByteStream};
use slipway_core::ports::objects::{Freed, Segment};
use slipway_core::ports::registry::{Append, BlobRow, BlobUploadRow};
use slipway_core::AccountId;
use slipway_objects::{segments_stream, RangeSpec};
use std::sync::{Arc, Mutex};

/// Running hashes kept in memory at most (about 200 bytes each).
const MAX_RUNNING_HASHES: usize = 10_000;

/// Where an upload stands.
#[derive(Debug, Clone)]
pub struct UploadStatus {
    pub id: String,
    /// Bytes received so far.
    pub size: u64,
}

/// Where a chunk claims to lie in the upload (`Content-Range: start-end`,
/// both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRange {
    pub start: u64,
    pub end: u64,
}

impl ChunkRange {
    fn len(self) -> u64 {
        self.end.saturating_sub(self.start).saturating_add(1)
    }
}

/// A blob to serve.
pub struct BlobRead {
    pub digest: String,
    pub size: u64,
    /// The range served, when one was asked for.
    pub range: Option<ByteRange>,
    pub body: ByteStream,
}

/// Wraps `body` so every chunk also feeds `hasher`.
fn hashing(body: ByteStream, hasher: Arc<Mutex<sha2::Sha256>>) -> ByteStream {
    Box::pin(body.map(move |chunk| {
        if let Ok(bytes) = &chunk {
            if let Ok(mut h) = hasher.lock() {
                h.update(bytes);
            }
        }
        chunk
    }))
}

impl Registry<'_> {
    async fn own_upload(&self, account: &AccountId, repo: &str, id: &str) -> Result<BlobUploadRow> {
        match self.storage.index.get_blob_upload(id).await? {
            Some(u) if &u.account == account && u.repo == repo => Ok(u),
            _ => Err(RegistryError::BlobUploadUnknown),
        }
    }

    /// Starts an upload session in an existing repository.
    pub async fn start_upload(&self, account: &AccountId, repo: &str) -> Result<UploadStatus> {
        self.repository(account, repo).await?;
        let row = BlobUploadRow {
            id: uuid_like(),
            account: account.clone(),
            repo: repo.to_owned(),
            started: self.wall_micros(),
            size: 0,
            segments: Vec::new(),
        };
        self.storage.index.create_blob_upload(&row).await?;
        Ok(UploadStatus {
            id: row.id,
            size: 0,
        })
    }

    /// Cross-repository mount: links `digest` from `from` (same account)
    /// into `repo`. `None` when the source does not hold it; the client then
    /// uploads normally.
    pub async fn mount_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
        from: &str,
    ) -> Result<Option<BlobRow>> {
        check_digest(digest)?;
        self.repository(account, repo).await?;
        let st = self.storage;
        if crate::check_repository_name(from).is_err()
            || st.index.repo_blob(account, from, digest).await?.is_none()
        {
            return Ok(None);
        }
        if !st.index.link_blob(account, repo, digest).await? {
            return Ok(None);
        }
        Ok(st.index.get_blob(digest).await?)
    }

    /// Where an upload stands (resumable uploads ask before continuing).
    pub async fn upload_status(
        &self,
        account: &AccountId,
        repo: &str,
        id: &str,
    ) -> Result<UploadStatus> {
        let u = self.own_upload(account, repo, id).await?;
        Ok(UploadStatus {
            id: u.id,
            size: u.size,
        })
    }

    /// Appends a chunk. `range`, when the client sent `Content-Range`, must
    /// start where the upload ends and span exactly the bytes sent (else
    /// `UploadOutOfOrder`, and nothing is appended); without one the chunk
    /// goes at the end.
    pub async fn append_chunk(
        &self,
        account: &AccountId,
        repo: &str,
        id: &str,
        range: Option<ChunkRange>,
        body: ByteStream,
    ) -> Result<UploadStatus> {
        let u = self.own_upload(account, repo, id).await?;
        let offset = range.map_or(u.size, |r| r.start);
        if offset != u.size {
            return Err(RegistryError::UploadOutOfOrder { size: u.size });
        }
        let st = self.storage;
        // Continue the running hash when it covers exactly what is stored.
        let resumed = st
            .hashers
            .lock()
            .ok()
            .and_then(|mut m| m.remove(id))
            .filter(|(n, _)| *n == u.size)
            .map(|(_, h)| h);
        let hash_known = resumed.is_some() || u.size == 0;
        // Kept to put back should the chunk be refused after hashing it.
        let before = resumed.clone();
        let hasher = Arc::new(Mutex::new(resumed.unwrap_or_default()));
        let key = BlobKey::random();
        // The digest is the running SHA-256; the store's MD5 would be waste.
        let size = st
            .blobs
            .put_unhashed(&key, hashing(body, hasher.clone()))
            .await
            .map_err(blob_error)?;
        if range.is_some_and(|r| r.len() != size) {
            self.free(Freed { blobs: vec![key] }).await;
            if let Some(h) = before {
                self.keep_hasher(id, u.size, Arc::new(Mutex::new(h)), true);
            }
            return Err(RegistryError::UploadOutOfOrder { size: u.size });
        }
        if size == 0 {
            self.free(Freed { blobs: vec![key] }).await;
            self.keep_hasher(id, u.size, hasher, hash_known);
            return Ok(UploadStatus {
                id: id.to_owned(),
                size: u.size,
            });
        }
        let seg = Segment {
            blob: key.clone(),
            size,
        };
        match st.index.append_blob_upload(id, offset, &seg).await {
            Ok(Append::Appended(size)) => {
                self.keep_hasher(id, size, hasher, hash_known);
                Ok(UploadStatus {
                    id: id.to_owned(),
                    size,
                })
            }
            other => {
                self.free(Freed { blobs: vec![key] }).await;
                match other? {
                    Append::OutOfOrder(size) => Err(RegistryError::UploadOutOfOrder { size }),
                    _ => Err(RegistryError::BlobUploadUnknown),
                }
            }
        }
    }

    fn keep_hasher(&self, id: &str, size: u64, hasher: Arc<Mutex<sha2::Sha256>>, known: bool) {
        let st = self.storage;
        if !known {
            return;
        }
        let state = hasher.lock().map(|h| h.clone()).ok();
        if let (Some(h), Ok(mut m)) = (state, st.hashers.lock()) {
            // Abandoned uploads would otherwise pile up here; dropping the
            // states only costs a re-read of the chunks when one finishes.
            if m.len() >= MAX_RUNNING_HASHES {
                m.clear();
            }
            m.insert(id.to_owned(), (size, h));
        }
    }

    /// Finishes an upload with the digest the client claims, after an
    /// optional last chunk (with its `Content-Range`, checked as a PATCH's
    /// is: a refused last chunk leaves the upload as it was). On a digest
    /// mismatch the upload is discarded (as the distribution registry does)
    /// and nothing is stored.
    pub async fn finish_upload(
        &self,
        account: &AccountId,
        repo: &str,
        id: &str,
        digest: &str,
        last_chunk: Option<(Option<ChunkRange>, ByteStream)>,
    ) -> Result<BlobRow> {
        let algorithm = match check_digest(digest) {
            Ok(a) => a,
            Err(e) => {
                self.cancel_upload(account, repo, id).await.ok();
                return Err(e);
            }
        };
        let mut u = self.own_upload(account, repo, id).await?;
        if let Some((range, body)) = last_chunk {
            u.size = self
                .append_chunk(account, repo, id, range, body)
                .await?
                .size;
            u = self.own_upload(account, repo, id).await?;
        }
        let st = self.storage;
        let running = st.hashers.lock().ok().and_then(|mut m| m.remove(id));
        let actual = match (algorithm, running) {
            (DigestAlgorithm::Sha256, Some((n, h))) if n == u.size => {
                format!("sha256:{}", hex::encode(h.finalize()))
            }
            (a, _) if u.size == 0 => a.digest(b""),
            (a, _) => self.rehash(a, &u.segments).await?,
        };
        if actual != digest {
            self.cancel_upload(account, repo, id).await.ok();
            return Err(RegistryError::DigestInvalid(format!(
                "the uploaded content has digest {actual}, not {digest}"
            )));
        }
        let row = BlobRow {
            digest: actual,
            size: u.size,
            segments: u.segments,
        };
        let freed = st
            .index
            .finish_blob_upload(id, &row)
            .await
            .map_err(|e| match e {
                slipway_core::ports::metadata::MetaError::MissingParent(_) => {
                    RegistryError::BlobUploadUnknown
                }
                other => RegistryError::from(other),
            })?;
        self.free(freed).await;
        // A deduplicated blob keeps the bytes stored first.
        Ok(st.index.get_blob(digest).await?.unwrap_or(row))
    }

    /// The digest of stored chunks, read back (after a restart lost the
    /// running hash, chunks arrived out of the hasher's sight, or the
    /// client names a sha512 digest).
    async fn rehash(&self, algorithm: DigestAlgorithm, segments: &[Segment]) -> Result<String> {
        match algorithm {
            DigestAlgorithm::Sha256 => self.hash_segments::<sha2::Sha256>("sha256", segments).await,
            DigestAlgorithm::Sha512 => self.hash_segments::<sha2::Sha512>("sha512", segments).await,
        }
    }

    async fn hash_segments<H: sha2::Digest>(
        &self,
        name: &str,
        segments: &[Segment],
    ) -> Result<String> {
        let st = self.storage;
        let total = segments.iter().map(|s| s.size).sum();
        let mut stream = segments_stream(
            st.blobs.clone(),
            segments,
            ByteRange {
                start: 0,
                end: total,
            },
        );
        let mut h = H::new();
        while let Some(chunk) = stream.next().await {
            let chunk: Bytes = chunk.map_err(|e| RegistryError::internal("reading upload", e))?;
            h.update(&chunk);
        }
        Ok(format!("{name}:{}", hex::encode(h.finalize())))
    }

    /// Cancels an upload and frees what it received.
    pub async fn cancel_upload(&self, account: &AccountId, repo: &str, id: &str) -> Result<()> {
        self.own_upload(account, repo, id).await?;
        let st = self.storage;
        if let Ok(mut m) = st.hashers.lock() {
            m.remove(id);
        }
        match st.index.delete_blob_upload(id).await? {
            Some(freed) => {
                self.free(freed).await;
                Ok(())
            }
            None => Err(RegistryError::BlobUploadUnknown),
        }
    }

    /// The blob, if the repository may serve it.
    pub async fn stat_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
    ) -> Result<BlobRow> {
        check_digest(digest)?;
        self.repository(account, repo).await?;
        self.storage
            .index
            .repo_blob(account, repo, digest)
            .await?
            .ok_or_else(|| RegistryError::BlobUnknown(digest.to_owned()))
    }

    /// Streams a blob, or one range of it.
    pub async fn read_blob(
        &self,
        account: &AccountId,
        repo: &str,
        digest: &str,
        range: Option<RangeSpec>,
    ) -> Result<BlobRead> {
        let row = self.stat_blob(account, repo, digest).await?;
        let range = range
            .map(|r| {
                r.resolve(row.size)
                    .map_err(|_| RegistryError::RangeInvalid { size: row.size })
            })
            .transpose()?;
        let blobs = self.storage.blobs.clone();
        let body = match (row.segments.as_slice(), range) {
            ([one], None) => blobs.get(&one.blob, None).await.map_err(blob_error)?,
            (segs, r) => segments_stream(
                blobs,
                segs,
                r.unwrap_or(ByteRange {
                    start: 0,
                    end: row.size,
                }),
            ),
        };
        Ok(BlobRead {
            digest: row.digest,
            size: row.size,
            range,
            body,
        })
    }

    /// Removes the repository's link to a blob; bytes go when no repository
    /// links them.
    pub async fn delete_blob(&self, account: &AccountId, repo: &str, digest: &str) -> Result<()> {
        check_digest(digest)?;
        self.repository(account, repo).await?;
        if !self
            .storage
            .index
            .unlink_blob(account, repo, digest)
            .await?
        {
            return Err(RegistryError::BlobUnknown(digest.to_owned()));
        }
        self.collect_garbage().await?;
        Ok(())
    }
}

/// A random upload id in UUID form (what clients expect to see).
fn uuid_like() -> String {
    let h = BlobKey::random().to_string();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
