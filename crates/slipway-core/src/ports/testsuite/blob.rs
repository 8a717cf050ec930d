//! What every `BlobStore` must do.

use crate::ports::blob::*;
use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};

fn stream_of(chunks: Vec<Vec<u8>>) -> ByteStream {
    Box::pin(futures::stream::iter(
        chunks.into_iter().map(|c| Ok(Bytes::from(c))),
    ))
}

async fn read_all(s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut s = s;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[0] ^ seed)
        .collect()
}

/// Runs every check against a store (it may hold other blobs).
pub async fn run(store: &dyn BlobStore) {
    round_trip_and_ranges(store).await;
    large_streams(store).await;
    failed_body_stores_nothing(store).await;
    overwrite_and_delete(store).await;
    listing(store).await;
    unhashed_puts(store).await;
}

/// `put_unhashed` stores the same bytes, small or streamed.
async fn unhashed_puts(store: &dyn BlobStore) {
    for size in [0usize, 10, 3_000_000] {
        let key = BlobKey::random();
        let data = pattern(size, 3);
        let chunks = data.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
        let stored = store.put_unhashed(&key, stream_of(chunks)).await.unwrap();
        assert_eq!(stored, size as u64);
        assert_eq!(read_all(store.get(&key, None).await.unwrap()).await, data);
        store.delete(&key).await.unwrap();
    }
}

async fn round_trip_and_ranges(store: &dyn BlobStore) {
    let key = BlobKey::random();
    let data = pattern(100_000, 1);
    let chunks = data.chunks(7_000).map(<[u8]>::to_vec).collect();
    let info = store.put(&key, stream_of(chunks)).await.unwrap();
    assert_eq!(info.size, data.len() as u64);
    assert_eq!(info.md5, <[u8; 16]>::from(Md5::digest(&data)));
    assert_eq!(read_all(store.get(&key, None).await.unwrap()).await, data);
    for (start, end) in [(0u64, 1u64), (5, 70_001), (99_999, 100_000), (0, 100_000)] {
        let got = read_all(
            store
                .get(&key, Some(ByteRange { start, end }))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got, &data[start as usize..end as usize], "{start}..{end}");
    }
    // An empty blob is a blob.
    let empty = BlobKey::random();
    let info = store.put(&empty, stream_of(vec![])).await.unwrap();
    assert_eq!(info.size, 0);
    assert_eq!(read_all(store.get(&empty, None).await.unwrap()).await, b"");
    store.delete(&key).await.unwrap();
    store.delete(&empty).await.unwrap();
}

async fn large_streams(store: &dyn BlobStore) {
    // 24 MiB in 1 MiB chunks: more than one part for multipart adapters.
    let key = BlobKey::random();
    let mut md5 = Md5::new();
    let chunks: Vec<Vec<u8>> = (0..24u8).map(|i| pattern(1 << 20, i)).collect();
    for c in &chunks {
        md5.update(c);
    }
    let info = store.put(&key, stream_of(chunks.clone())).await.unwrap();
    assert_eq!(info.size, 24 << 20);
    assert_eq!(info.md5, <[u8; 16]>::from(md5.finalize()));
    let range = ByteRange {
        start: (3 << 20) - 10,
        end: (5 << 20) + 10,
    };
    let got = read_all(store.get(&key, Some(range)).await.unwrap()).await;
    let whole: Vec<u8> = chunks.concat();
    assert_eq!(got, &whole[range.start as usize..range.end as usize]);
    store.delete(&key).await.unwrap();
}

async fn failed_body_stores_nothing(store: &dyn BlobStore) {
    let key = BlobKey::random();
    let body: ByteStream = Box::pin(futures::stream::iter(vec![
        Ok(Bytes::from(vec![1u8; 10_000])),
        Err(std::io::Error::other("client went away")),
    ]));
    let err = store.put(&key, body).await.unwrap_err();
    assert!(matches!(err, BlobError::Body(_)), "{err:?}");
    assert!(matches!(
        store.get(&key, None).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(!store.list().await.unwrap().iter().any(|e| e.key == key));
}

async fn overwrite_and_delete(store: &dyn BlobStore) {
    let key = BlobKey::random();
    store
        .put(&key, stream_of(vec![b"first".to_vec()]))
        .await
        .unwrap();
    store
        .put(&key, stream_of(vec![b"second".to_vec()]))
        .await
        .unwrap();
    assert_eq!(
        read_all(store.get(&key, None).await.unwrap()).await,
        b"second"
    );
    store.delete(&key).await.unwrap();
    assert!(matches!(
        store.get(&key, None).await,
        Err(BlobError::NotFound(_))
    ));
    // Deleting again is fine.
    store.delete(&key).await.unwrap();
}

async fn listing(store: &dyn BlobStore) {
    let keys: Vec<BlobKey> = (0..3).map(|_| BlobKey::random()).collect();
    for k in &keys {
        store.put(k, stream_of(vec![b"x".to_vec()])).await.unwrap();
    }
    let listed = store.list().await.unwrap();
    for k in &keys {
        let e = listed.iter().find(|e| &e.key == k).expect("listed");
        assert!(e.modified > 0);
    }
    for k in &keys {
        store.delete(k).await.unwrap();
    }
    let listed = store.list().await.unwrap();
    assert!(!listed.iter().any(|e| keys.contains(&e.key)));
}
