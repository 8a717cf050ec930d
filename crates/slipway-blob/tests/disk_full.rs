//! Blob writes on a full file system: the store sits on a small tmpfs the
//! test fills, so writes really meet ENOSPC. A put that cannot be stored
//! whole fails and leaves no file behind (neither its temp file nor a
//! partial blob); once space is back, puts work again. Needs root (mount);
//! without it the test says why and passes.
#![allow(clippy::unwrap_used)] // helpers too: a panic is how a test fails

use bytes::Bytes;
use slipway_core::ports::blob::{BlobError, BlobKey, BlobStore, ByteStream};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `size` mounted for the test, unmounted (lazily, so an open
/// file cannot keep it) when dropped, panic or not.
struct SmallFs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> Result<Self, String> {
        let parent = tempfile::tempdir().map_err(|e| e.to_string())?;
        let dir = parent.path().join("fs");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Self {
            dir,
            _parent: parent,
        })
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Fills the file system holding `dir` with one file, then gives back
/// `leave` bytes of it.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0x5au8; 64 * 1024];
    let mut size = 0u64;
    loop {
        // Never more than the tmpfs: a mount that silently did not happen
        // must not fill the machine's disk.
        assert!(
            size < 64 << 20,
            "the file system is larger than the test's tmpfs"
        );
        match f.write(&block) {
            Ok(0) => break,
            Ok(n) => size += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling: {e}"),
        }
    }
    f.set_len(size.saturating_sub(leave)).unwrap();
    f.sync_all().unwrap();
    path
}

fn body(len: usize) -> (Vec<u8>, ByteStream) {
    let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<std::io::Result<Bytes>> = bytes
        .chunks(256 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    (bytes, Box::pin(futures::stream::iter(chunks)))
}

async fn read(store: &dyn BlobStore, key: &BlobKey) -> Vec<u8> {
    use futures::StreamExt;
    let mut s = store.get(key, None).await.unwrap();
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

/// Every file under `root` but the filler.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.file_name().is_some_and(|n| n != "filler") {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_put_on_a_full_disk_fails_whole_and_leaves_nothing() {
    let fs = match SmallFs::mount("4m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipping: cannot mount a tmpfs ({why}); run as root to test disk-full");
            return;
        }
    };
    let store = slipway_blob::FsBlobStore::open(&fs.dir).unwrap();
    let kept = BlobKey::random();
    let (kept_bytes, s) = body(100_000);
    store.put(&kept, s).await.unwrap();
    let before = files(&fs.dir);

    let filler = fill(&fs.dir, 256 * 1024);
    // One body written by a single task (under 1 MiB), one streamed
    // through the writer thread: both paths meet ENOSPC part-way.
    for len in [700 * 1024, 3 * 1024 * 1024] {
        let key = BlobKey::random();
        let (_, s) = body(len);
        match store.put(&key, s).await {
            Err(BlobError::Backend(msg)) => {
                assert!(msg.contains("No space left"), "{len}: {msg}")
            }
            other => panic!("a {len}-byte put on a full disk answered {other:?}"),
        }
        assert!(matches!(
            store.get(&key, None).await,
            Err(BlobError::NotFound(_))
        ));
        assert_eq!(files(&fs.dir), before, "a failed {len}-byte put left files");
    }
    assert_eq!(read(&store, &kept).await, kept_bytes);

    std::fs::remove_file(&filler).unwrap();
    let key = BlobKey::random();
    let (bytes, s) = body(3 * 1024 * 1024);
    store.put(&key, s).await.unwrap();
    assert_eq!(read(&store, &key).await, bytes);
    // A restart finds both blobs and nothing else.
    drop(store);
    let store = slipway_blob::FsBlobStore::open(&fs.dir).unwrap();
    let mut listed: Vec<BlobKey> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    listed.sort();
    let mut want = vec![kept.clone(), key.clone()];
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(read(&store, &kept).await, kept_bytes);
}
