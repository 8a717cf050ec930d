//! Blob writes on a full file system: the store sits on a small tmpfs the
//! test fills, so writes really meet ENOSPC. A put that cannot be stored
//! whole fails and leaves no file behind (neither its temp file nor a
//! partial blob); once space is back, puts work again. Needs root (mount);
//! without it the test says why and passes.
#![allow(clippy::unwrap_used)] // helpers too: a panic is how a test fails

use bytes::Bytes;
use slipway_core::ports::blob::{BlobError, BlobKey, BlobStore, ByteStream};
use slipway_core::ports::testsuite::small_fs::SmallFs;
use std::path::Path;

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
    let parent = tempfile::tempdir().unwrap();
    let fs = match SmallFs::mount(parent.path(), "4m") {
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

    let filler = fs.fill(256 * 1024);
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
