//! Checksums a client sends with a body (`Content-MD5`,
//! `x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256}`), computed while
//! the body streams and compared before the object becomes visible.

use super::ObjectError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use md5::Digest as _;
use slipway_core::ports::blob::ByteStream;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The additional checksum algorithms S3 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChecksumAlgo {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgo {
    /// The name S3 uses (`x-amz-checksum-algorithm` values).
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "CRC32" => Self::Crc32,
            "CRC32C" => Self::Crc32c,
            "CRC64NVME" => Self::Crc64Nvme,
            "SHA1" => Self::Sha1,
            "SHA256" => Self::Sha256,
            _ => return None,
        })
    }
}

/// A checksum the client claims for the body (base64, as sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedChecksum {
    pub algo: ChecksumAlgo,
    pub value: String,
}

/// Checksums that arrive after the body (aws-chunked trailers): read once
/// the body has been consumed.
pub type TrailerChecksums = Box<dyn FnOnce() -> Vec<ExpectedChecksum> + Send>;

enum Hasher {
    Crc(crc_fast::Digest, usize),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

impl Hasher {
    fn new(algo: ChecksumAlgo) -> Self {
        use crc_fast::CrcAlgorithm::*;
        match algo {
            ChecksumAlgo::Crc32 => Self::Crc(crc_fast::Digest::new(Crc32IsoHdlc), 4),
            ChecksumAlgo::Crc32c => Self::Crc(crc_fast::Digest::new(Crc32Iscsi), 4),
            ChecksumAlgo::Crc64Nvme => Self::Crc(crc_fast::Digest::new(Crc64Nvme), 8),
            ChecksumAlgo::Sha1 => Self::Sha1(sha1::Sha1::new()),
            ChecksumAlgo::Sha256 => Self::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc(d, _) => d.update(data),
            Self::Sha1(d) => d.update(data),
            Self::Sha256(d) => d.update(data),
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Crc(d, width) => {
                let v = d.finalize().to_be_bytes();
                B64.encode(&v[8 - width..])
            }
            Self::Sha1(d) => B64.encode(d.finalize()),
            Self::Sha256(d) => B64.encode(d.finalize()),
        }
    }
}

/// Hashes a body with the algorithms asked for, as it streams past.
#[derive(Clone, Default)]
pub(crate) struct BodyDigests {
    hashers: Arc<Mutex<Vec<(ChecksumAlgo, Hasher)>>>,
}

/// Chunks waiting for a hashing thread (`hash_on_thread`).
const HASH_QUEUE: usize = 8;

/// `body`, with every chunk also fed to `update(&mut state, chunk)` on a
/// blocking thread of its own, so the task reading the network never
/// waits for the hashing (a large body: hashing 1 GiB is most of a second
/// of one core). The handle gives the state back once the stream has been
/// consumed and dropped.
pub(crate) fn hash_on_thread<S: Send + 'static>(
    body: ByteStream,
    mut state: S,
    update: fn(&mut S, &[u8]),
) -> (ByteStream, tokio::task::JoinHandle<S>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(HASH_QUEUE);
    let worker = tokio::task::spawn_blocking(move || {
        while let Some(chunk) = rx.blocking_recv() {
            update(&mut state, &chunk);
        }
        state
    });
    let body = body.then(move |chunk: Result<Bytes, std::io::Error>| {
        let tx = tx.clone();
        async move {
            if let Ok(c) = &chunk {
                // The hasher only stops early if it panicked; its caller
                // then sees the failed handle.
                let _ = tx.send(c.clone()).await;
            }
            chunk
        }
    });
    (Box::pin(body), worker)
}

/// What the client claimed: the header checksums, then the trailer's
/// (readable only once the body has been consumed).
pub(crate) fn with_trailer(
    checksums: &[ExpectedChecksum],
    trailer: Option<TrailerChecksums>,
) -> Vec<ExpectedChecksum> {
    let mut expected = checksums.to_vec();
    if let Some(t) = trailer {
        expected.extend(t());
    }
    expected
}

impl BodyDigests {
    /// The hashers a request needs: one per checksum it sent or asked for.
    pub(crate) fn for_request(checksums: &[ExpectedChecksum], compute: &[ChecksumAlgo]) -> Self {
        Self::new(
            checksums
                .iter()
                .map(|c| c.algo)
                .chain(compute.iter().copied()),
        )
    }

    pub(crate) fn new(algos: impl IntoIterator<Item = ChecksumAlgo>) -> Self {
        let mut v: Vec<_> = algos.into_iter().map(|a| (a, Hasher::new(a))).collect();
        v.sort_by_key(|(a, _)| *a);
        v.dedup_by_key(|(a, _)| *a);
        Self {
            hashers: Arc::new(Mutex::new(v)),
        }
    }

    /// Wraps `body` so every chunk passes through the hashers.
    pub(crate) fn wrap(&self, body: ByteStream) -> ByteStream {
        if self.hashers.lock().map(|h| h.is_empty()).unwrap_or(true) {
            return body;
        }
        let hashers = self.hashers.clone();
        Box::pin(body.map(move |chunk: Result<Bytes, std::io::Error>| {
            if let (Ok(c), Ok(mut h)) = (&chunk, hashers.lock()) {
                for (_, hasher) in h.iter_mut() {
                    hasher.update(c);
                }
            }
            chunk
        }))
    }

    /// Feeds one chunk to every hasher (for `hash_on_thread`).
    pub(crate) fn update(&self, chunk: &[u8]) {
        if let Ok(mut h) = self.hashers.lock() {
            for (_, hasher) in h.iter_mut() {
                hasher.update(chunk);
            }
        }
    }

    /// The base64 checksums, by S3 algorithm name.
    pub(crate) fn finish(self) -> BTreeMap<String, String> {
        let hashers = match self.hashers.lock() {
            Ok(mut h) => std::mem::take(&mut *h),
            Err(_) => Vec::new(),
        };
        hashers
            .into_iter()
            .map(|(a, h)| (a.name().to_owned(), h.finish()))
            .collect()
    }
}

/// Decodes `Content-MD5`: base64 of exactly 16 bytes, else `InvalidDigest`.
pub(crate) fn parse_content_md5(v: &str) -> Result<[u8; 16], ObjectError> {
    B64.decode(v.trim())
        .ok()
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .ok_or(ObjectError::InvalidDigest)
}

/// Compares what the client claimed with what was computed.
pub(crate) fn verify(
    expected: &[ExpectedChecksum],
    computed: &BTreeMap<String, String>,
) -> Result<(), ObjectError> {
    for e in expected {
        if computed.get(e.algo.name()) != Some(&e.value) {
            return Err(ObjectError::BadChecksum(format!(
                "x-amz-checksum-{}",
                e.algo.name().to_ascii_lowercase()
            )));
        }
    }
    Ok(())
}

/// S3's ETag for a multipart object: MD5 of the parts' binary MD5s, `-N`.
pub(crate) fn multipart_etag(part_etags: &[&str]) -> String {
    let mut md5 = md5::Md5::new();
    for e in part_etags {
        if let Ok(b) = hex::decode(e) {
            md5.update(b);
        }
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_etags.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn known_checksums_of_hello_world() {
        let d = BodyDigests::new([
            ChecksumAlgo::Crc32,
            ChecksumAlgo::Crc32c,
            ChecksumAlgo::Sha256,
        ]);
        let body: ByteStream = Box::pin(futures::stream::iter(vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ]));
        let mut s = d.wrap(body);
        while s.next().await.is_some() {}
        let got = d.finish();
        // Values as botocore computes them for b"hello world".
        assert_eq!(got["CRC32"], "DUoRhQ==");
        assert_eq!(got["CRC32C"], "yZRlqg==");
        assert_eq!(
            got["SHA256"],
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
    }

    #[test]
    fn content_md5_must_be_sixteen_bytes() {
        assert!(parse_content_md5("XrY7u+Ae7tCTyyK7j1rNww==").is_ok());
        assert!(parse_content_md5("nope").is_err());
        assert!(parse_content_md5("AAAA").is_err());
    }

    #[test]
    fn multipart_etag_has_the_part_count() {
        let e = multipart_etag(&[
            "5eb63bbbe01eeed093cb22bb8f5acdc3",
            "5eb63bbbe01eeed093cb22bb8f5acdc3",
        ]);
        assert!(e.ends_with("-2") && e.len() == 34, "{e}");
    }
}
