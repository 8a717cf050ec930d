//! `FsBlobStore`: blobs as files under one directory.
//!
//! Layout: `ROOT/<first two hex digits>/<key>` for blobs and `ROOT/tmp/`
//! for writes in progress. A put writes a temp file, fsyncs it, renames it
//! into place and fsyncs the directory, so an acknowledged blob survives a
//! crash and a reader never sees a partial one; temp files a crash left
//! behind are removed when the store opens. File names are `BlobKey`s
//! (generated hex), never user input.

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use slipway_core::ports::blob::{
    BlobEntry, BlobError, BlobInfo, BlobKey, BlobStore, ByteRange, ByteStream,
};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// How much a GET reads per chunk: large enough for few syscalls, small
/// enough that memory per stream stays flat.
const READ_CHUNK: usize = 512 * 1024;
/// A get of at most this many bytes is read at once, without a reader
/// thread.
const SMALL_GET: u64 = 64 * 1024;
/// How far ahead of its reads a get asks the kernel to read.
const PREFETCH: u64 = 8 * 1024 * 1024;
/// Chunks a get reads ahead of the network.
const READ_AHEAD: usize = 2;
/// Chunks buffered between the network and the writer thread.
const WRITE_QUEUE: usize = 4;
/// A body that ends within this many bytes is hashed and written by one
/// blocking task: for small objects the two threads and their channels of
/// the streaming path cost more than the work.
const SMALL_PUT: usize = 1024 * 1024;
/// A put starts the disk writing what it has written every this many
/// bytes (see `start_writeback`).
const WRITEBACK_EVERY: u64 = 8 * 1024 * 1024;

/// Blobs in a local directory.
pub struct FsBlobStore {
    root: PathBuf,
}

fn backend(context: &str, e: std::io::Error) -> BlobError {
    BlobError::Backend(format!("{context}: {e}"))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl FsBlobStore {
    /// Opens (creating) the store at `root` and removes writes a crash
    /// interrupted.
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|e| backend("creating blob dir", e))?;
        for entry in std::fs::read_dir(&tmp).map_err(|e| backend("reading tmp", e))? {
            let entry = entry.map_err(|e| backend("reading tmp", e))?;
            if let Err(e) = std::fs::remove_file(entry.path()) {
                tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove stale temp file");
            }
        }
        Ok(Self {
            root: root.to_owned(),
        })
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(&key.as_str()[..2]).join(key.as_str())
    }

    /// A whole (small) body: hashed and made durable on one blocking task.
    async fn put_small(
        &self,
        tmp: PathBuf,
        dest: PathBuf,
        chunks: Vec<Bytes>,
        hashed: bool,
    ) -> Result<BlobInfo, BlobError> {
        let root = self.root.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut md5 = Md5::new();
            let mut size = 0u64;
            for c in &chunks {
                if hashed {
                    md5.update(c);
                }
                size += c.len() as u64;
            }
            let mut chunks = chunks.into_iter();
            let written = write_blob(&root, &tmp, &dest, || chunks.next().map(Some));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written.map(|()| BlobInfo {
                size,
                md5: md5.finalize().into(),
            })
        })
        .await;
        match done {
            Ok(Ok(info)) => Ok(info),
            Ok(Err(e)) => Err(backend("writing blob", e)),
            Err(e) => Err(BlobError::Backend(format!("blob writer: {e}"))),
        }
    }

    /// A put, with or without the MD5 (`hashed`).
    async fn store(
        &self,
        key: &BlobKey,
        mut body: ByteStream,
        hashed: bool,
    ) -> Result<BlobInfo, BlobError> {
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{key}.{}", BlobKey::random()));
        let dest = self.path(key);
        let mut head = Vec::new();
        let mut head_len = 0usize;
        loop {
            if head_len >= SMALL_PUT {
                break;
            }
            match body.next().await {
                None => return self.put_small(tmp, dest, head, hashed).await,
                Some(Ok(c)) if c.is_empty() => {}
                Some(Ok(c)) => {
                    head_len += c.len();
                    head.push(c);
                }
                Some(Err(e)) => return Err(BlobError::Body(e)),
            }
        }
        let mut body = futures::stream::iter(head.into_iter().map(Ok)).chain(body);
        let (tx, rx) = tokio::sync::mpsc::channel::<Option<Bytes>>(WRITE_QUEUE);
        let (hash_tx, hash_rx) = tokio::sync::mpsc::channel::<Bytes>(WRITE_QUEUE);
        let (root, tmp2) = (self.root.clone(), tmp.clone());
        // Writing and hashing run on blocking threads while this task keeps
        // reading the network; chunks are shared, not copied.
        let mut rx = rx;
        let writer = tokio::task::spawn_blocking(move || {
            write_blob(&root, &tmp2, &dest, || rx.blocking_recv())
        });
        // The MD5 runs on a thread of its own, beside the writer, when asked.
        let hasher = hashed.then(|| tokio::task::spawn_blocking(move || hash_blob(hash_rx)));
        let mut failure = None;
        let (mut chunks, mut size) = (0u64, 0u64);
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(c) if c.is_empty() => {}
                Ok(c) => {
                    chunks += 1;
                    size += c.len() as u64;
                    let hash_gone = hashed && hash_tx.send(c.clone()).await.is_err();
                    if hash_gone || tx.send(Some(c)).await.is_err() {
                        break; // a worker failed; its error is reported below
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(hash_tx);
        if let Some(e) = failure {
            // Tell the writer to abandon the temp file: the blob must not appear.
            let _ = tx.send(None).await;
            drop(tx);
            let _ = writer.await;
            if let Some(h) = hasher {
                let _ = h.await;
            }
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(BlobError::Body(e));
        }
        drop(tx);
        let info = match hasher {
            Some(h) => h
                .await
                .map_err(|e| BlobError::Backend(format!("blob hasher: {e}"))),
            None => Ok(BlobInfo { size, md5: [0; 16] }),
        };
        if let Ok(i) = &info {
            tracing::debug!(blob = %key, size = i.size, chunks, "blob streamed");
        }
        match writer.await {
            Ok(Ok(())) => info,
            Ok(Err(e)) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(backend("writing blob", e))
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(BlobError::Backend(format!("blob writer: {e}")))
            }
        }
    }
}

/// The blocking writer of a put: writes what the channel brings, then
/// makes the file durable and visible. Hashing runs on another thread
/// (`hash_blob`), so a put streams at the slower of MD5 and the disk
/// rather than at their combined cost.
/// `next` yields chunks; `Some(None)` means the body failed.
fn write_blob(
    root: &Path,
    tmp: &Path,
    dest: &Path,
    mut next: impl FnMut() -> Option<Option<Bytes>>,
) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)?;
    let (mut written, mut flushed) = (0u64, 0u64);
    while let Some(chunk) = next() {
        // `None` is the reader's "the body failed": abandon the temp file.
        let Some(chunk) = chunk else {
            drop(file);
            let _ = std::fs::remove_file(tmp);
            return Err(std::io::Error::other("body failed"));
        };
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
        if written - flushed >= WRITEBACK_EVERY {
            start_writeback(&file, flushed, written - flushed);
            flushed = written;
        }
    }
    file.sync_all()?;
    drop(file);
    let dir = dest.parent().unwrap_or(root);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        sync_dir(root)?;
    }
    std::fs::rename(tmp, dest)?;
    // Without the directory's fsync the rename may not survive a crash, so
    // the put fails; the blob must not outlive it, as nothing will ever
    // reference it.
    sync_dir(dir).inspect_err(|_| {
        let _ = std::fs::remove_file(dest);
    })
}

/// Asks the kernel to start writing `len` bytes at `offset` to disk now,
/// without waiting for it. Left alone, dirty pages of a large put pile up
/// in the page cache and the final fsync writes them all while the client
/// waits; started early, the disk works while the rest streams in and is
/// hashed, and the fsync only waits for the tail. `POSIX_FADV_DONTNEED`
/// is the portable way to say so: Linux starts asynchronous writeback of
/// the range's dirty pages and drops only pages already clean. Durability
/// still comes from `sync_all`; a failed hint costs only speed.
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    let advice = rustix::fs::Advice::DontNeed;
    if let Err(e) = rustix::fs::fadvise(file, offset, std::num::NonZeroU64::new(len), advice) {
        tracing::debug!(error = %e, "fadvise(DONTNEED) failed; the final fsync writes everything");
    }
}

/// The hashing half of a put: size and MD5 of everything it is sent.
fn hash_blob(mut rx: tokio::sync::mpsc::Receiver<Bytes>) -> BlobInfo {
    let mut md5 = Md5::new();
    let mut size = 0u64;
    while let Some(chunk) = rx.blocking_recv() {
        md5.update(&chunk);
        size += chunk.len() as u64;
    }
    BlobInfo {
        size,
        md5: md5.finalize().into(),
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<BlobInfo, BlobError> {
        self.store(key, body, true).await
    }

    async fn put_unhashed(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError> {
        self.store(key, body, false).await.map(|info| info.size)
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let mut file = match std::fs::File::open(self.path(key)) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(BlobError::NotFound(key.clone()))
            }
            Err(e) => return Err(backend("opening blob", e)),
        };
        let (start, len) = match range {
            Some(r) => (r.start, Some(r.len())),
            None => (0, None),
        };
        if start > 0 {
            file.seek(std::io::SeekFrom::Start(start))
                .map_err(|e| backend("seeking blob", e))?;
        }
        let size = file
            .metadata()
            .map_err(|e| backend("reading blob size", e))?
            .len();
        let want = len.unwrap_or(size.saturating_sub(start));
        if want <= SMALL_GET {
            // Read here: a few KiB come from the page cache (or one disk
            // read) in less time than a hand-off to a blocking thread and
            // back, which is what a job reading thousands of small inputs
            // would otherwise pay per object. The file was opened here too.
            let mut buf = Vec::with_capacity(want as usize);
            let n = (&mut file)
                .take(want)
                .read_to_end(&mut buf)
                .map_err(|e| backend("reading blob", e))?;
            if len.is_some() && (n as u64) < want {
                return Err(backend(
                    "reading blob",
                    std::io::Error::new(
                        ErrorKind::UnexpectedEof,
                        "blob shorter than its metadata says",
                    ),
                ));
            }
            let chunk: std::io::Result<Bytes> = Ok(Bytes::from(buf));
            return Ok(Box::pin(futures::stream::iter((n > 0).then_some(chunk))));
        }
        // Tell the kernel the read is sequential: it doubles its readahead,
        // so a cold read keeps the disk busy while the network sends. A
        // failed hint costs only speed.
        if let Err(e) = rustix::fs::fadvise(&file, start, None, rustix::fs::Advice::Sequential) {
            tracing::debug!(error = %e, "fadvise(SEQUENTIAL) failed");
        }
        // A reader thread keeps a few chunks ahead of the network, so disk
        // reads overlap with socket writes; it stops when the receiver
        // goes away (client disconnected).
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || read_blob(file, start, len, tx));
        Ok(Box::pin(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(backend("deleting blob", e)),
        }
    }

    async fn list(&self) -> Result<Vec<BlobEntry>, BlobError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || list_dir(&root))
            .await
            .map_err(|e| BlobError::Backend(format!("listing blobs: {e}")))?
            .map_err(|e| backend("listing blobs", e))
    }
}

/// The reader thread of a get: sends `len` bytes (or all) in chunks.
fn read_blob(
    mut file: std::fs::File,
    start: u64,
    len: Option<u64>,
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
) {
    let mut left = len.unwrap_or(u64::MAX);
    let mut pos = start;
    while left > 0 {
        // Ask for the next few MiB now (asynchronous readahead), so a cold
        // read keeps several disk requests in flight instead of one at a
        // time; pages already cached make this a no-op.
        let ahead = left.saturating_sub(READ_CHUNK as u64).min(PREFETCH);
        if ahead > 0 {
            let _ = rustix::fs::fadvise(
                &file,
                pos + READ_CHUNK as u64,
                std::num::NonZeroU64::new(ahead),
                rustix::fs::Advice::WillNeed,
            );
        }
        let want = usize::try_from(left.min(READ_CHUNK as u64)).unwrap_or(READ_CHUNK);
        // `read_to_end` fills the spare capacity without zeroing it first
        // (a zeroed buffer costs a memset of every byte served), and
        // `take` keeps the chunk at `want` bytes.
        let mut buf = Vec::with_capacity(want);
        let item = match (&mut file).take(want as u64).read_to_end(&mut buf) {
            Ok(0) if len.is_some() => Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "blob shorter than its metadata says",
            )),
            Ok(0) => return,
            Ok(n) => {
                left = left.saturating_sub(n as u64);
                pos += n as u64;
                Ok(Bytes::from(buf))
            }
            Err(e) => Err(e),
        };
        let failed = item.is_err();
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    }
}

fn list_dir(root: &Path) -> std::io::Result<Vec<BlobEntry>> {
    let mut out = Vec::new();
    for fan in std::fs::read_dir(root)? {
        let fan = fan?;
        let name = fan.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() != 2 || !fan.file_type()?.is_dir() {
            continue; // `tmp` and anything foreign
        }
        for f in std::fs::read_dir(fan.path())? {
            let f = f?;
            let Some(key) = f.file_name().to_str().and_then(BlobKey::parse) else {
                continue;
            };
            let modified = f
                .metadata()?
                .modified()?
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            out.push(BlobEntry { key, modified });
        }
    }
    Ok(out)
}
