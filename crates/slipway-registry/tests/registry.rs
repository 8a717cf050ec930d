//! The registry on the embedded adapters: uploads with digest
//! checks, manifests, and image resolution for the job runtime.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use sha2::Digest as _;
use slipway_core::ports::blob::ByteStream;
use slipway_core::ports::clock::{Clock, SystemClock};
use slipway_core::AccountId;
use slipway_registry::{
    ChunkRange, Registry, RegistryConfig, RegistryError, RegistryStorage, RepositorySettings,
};
use std::sync::Arc;

async fn storage(dir: &std::path::Path) -> RegistryStorage {
    storage_with_ttl(dir, 60).await
}

async fn storage_with_ttl(dir: &std::path::Path, token_ttl_seconds: i64) -> RegistryStorage {
    let store = Arc::new(slipway_meta_sqlite::SqliteStore::open(dir).await.unwrap());
    let blobs = Arc::new(slipway_blob::FsBlobStore::open(&dir.join("blobs")).unwrap());
    RegistryStorage::new(
        store,
        blobs,
        RegistryConfig {
            token_secret: b"test-secret-test-secret-test-secret".to_vec(),
            token_ttl_seconds,
            max_manifest_bytes: 1024,
        },
    )
}

fn stream(chunks: &[&'static [u8]]) -> ByteStream {
    let items: Vec<Result<Bytes, std::io::Error>> =
        chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
    Box::pin(futures::stream::iter(items))
}

fn digest(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(b)))
}

#[tokio::test]
async fn pushed_images_resolve_to_pinned_pull_references() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let reg = Registry::new(&storage, &clock);
    let a = AccountId::parse("111122223333").unwrap();
    let b = AccountId::parse("444455556666").unwrap();
    reg.set_listen_addr("127.0.0.1:9000");
    reg.create_repository(&a, "team/model", RepositorySettings::default())
        .await
        .unwrap();

    // A two-chunk upload; a wrong digest discards everything.
    let up = reg.start_upload(&a, "team/model").await.unwrap();
    reg.append_chunk(
        &a,
        "team/model",
        &up.id,
        Some(ChunkRange { start: 0, end: 2 }),
        stream(&[b"con"]),
    )
    .await
    .unwrap();
    let bad = reg
        .finish_upload(
            &a,
            "team/model",
            &up.id,
            &digest(b"nope"),
            Some((None, stream(&[b"fig"]))),
        )
        .await;
    assert!(matches!(bad, Err(RegistryError::DigestInvalid(_))));
    assert!(reg
        .stat_blob(&a, "team/model", &digest(b"config"))
        .await
        .is_err());
    let up = reg.start_upload(&a, "team/model").await.unwrap();
    reg.append_chunk(&a, "team/model", &up.id, None, stream(&[b"con", b"f"]))
        .await
        .unwrap();
    let blob = reg
        .finish_upload(
            &a,
            "team/model",
            &up.id,
            &digest(b"config"),
            Some((None, stream(&[b"ig"]))),
        )
        .await
        .unwrap();
    assert_eq!((blob.size, blob.segments.len()), (6, 2));

    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":6}},"layers":[]}}"#,
        digest(b"config")
    );
    let pushed = reg
        .put_manifest(&a, "team/model", "v1", None, manifest.as_bytes())
        .await
        .unwrap();
    assert_eq!(pushed.digest, digest(manifest.as_bytes()));

    let uri = "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/model:v1";
    let r = reg.resolve_image(&a, uri).await.unwrap().unwrap();
    assert_eq!(
        r.pull_reference,
        format!("127.0.0.1:9000/team/model@{}", pushed.digest)
    );
    assert_eq!(r.digest, pushed.digest);
    assert_eq!(r.auth.username, "AWS");
    assert_eq!(reg.verify_token(&r.auth.password).unwrap(), a);
    let local = reg
        .resolve_image(&a, &format!("localhost:9000/team/model@{}", pushed.digest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.digest, pushed.digest);

    // Not ours, another account's, or missing.
    assert!(reg
        .resolve_image(&a, "busybox:latest")
        .await
        .unwrap()
        .is_none());
    assert!(reg
        .resolve_image(&a, "quay.io/x/y:1")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        reg.resolve_image(&b, uri).await,
        Err(RegistryError::Denied(_))
    ));
    assert!(matches!(
        reg.resolve_image(&a, &uri.replace(":v1", ":v2")).await,
        Err(RegistryError::ManifestUnknown(_))
    ));
    assert!(matches!(
        reg.put_manifest(&a, "team/model", "big", None, &[b' '; 2000])
            .await,
        Err(RegistryError::ManifestTooLarge { .. })
    ));
}

/// sha512: the running hash is SHA-256, so a sha512 finish hashes the
/// stored chunks again; a chunk whose range does not span its bytes is
/// refused without touching the upload, and the running hash survives.
#[tokio::test]
async fn sha512_finishes_and_chunk_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage(dir.path()).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let reg = Registry::new(&storage, &clock);
    let a = AccountId::parse("111122223333").unwrap();
    reg.create_repository(&a, "team/m", RepositorySettings::default())
        .await
        .unwrap();
    let sha512 = |b: &[u8]| format!("sha512:{}", hex::encode(sha2::Sha512::digest(b)));

    let up = reg.start_upload(&a, "team/m").await.unwrap();
    reg.append_chunk(&a, "team/m", &up.id, None, stream(&[b"abc"]))
        .await
        .unwrap();
    // Claims 5 bytes, sends 2: refused, nothing appended.
    let short = reg
        .append_chunk(
            &a,
            "team/m",
            &up.id,
            Some(ChunkRange { start: 3, end: 7 }),
            stream(&[b"de"]),
        )
        .await;
    assert!(matches!(
        short,
        Err(RegistryError::UploadOutOfOrder { size: 3 })
    ));
    assert_eq!(
        reg.upload_status(&a, "team/m", &up.id).await.unwrap().size,
        3
    );
    let last = Some((Some(ChunkRange { start: 3, end: 4 }), stream(&[b"de"])));
    let blob = reg
        .finish_upload(&a, "team/m", &up.id, &sha512(b"abcde"), last)
        .await
        .unwrap();
    assert_eq!((blob.digest.clone(), blob.size), (sha512(b"abcde"), 5));
    let got = reg
        .stat_blob(&a, "team/m", &sha512(b"abcde"))
        .await
        .unwrap();
    assert_eq!(got.segments.len(), 2);
    // Not under sha256: that is another name, pushed or not.
    assert!(reg
        .stat_blob(&a, "team/m", &digest(b"abcde"))
        .await
        .is_err());

    // The same chunks under sha256 still use the running hash.
    let up = reg.start_upload(&a, "team/m").await.unwrap();
    reg.append_chunk(&a, "team/m", &up.id, None, stream(&[b"abc"]))
        .await
        .unwrap();
    let blob = reg
        .finish_upload(
            &a,
            "team/m",
            &up.id,
            &digest(b"abcde"),
            Some((None, stream(&[b"de"]))),
        )
        .await
        .unwrap();
    assert_eq!(blob.digest, digest(b"abcde"));

    // An empty sha512 blob, and a wrong sha512 digest.
    let up = reg.start_upload(&a, "team/m").await.unwrap();
    let empty = reg
        .finish_upload(&a, "team/m", &up.id, &sha512(b""), None)
        .await
        .unwrap();
    assert_eq!(empty.size, 0);
    let up = reg.start_upload(&a, "team/m").await.unwrap();
    let wrong = reg
        .finish_upload(
            &a,
            "team/m",
            &up.id,
            &sha512(b"x"),
            Some((None, stream(&[b"y"]))),
        )
        .await;
    assert!(matches!(wrong, Err(RegistryError::DigestInvalid(_))));
}

#[path = "registry/scans.rs"]
mod scans;

/// A clock a test sets by hand.
struct SetClock(std::sync::atomic::AtomicI64);

impl Clock for SetClock {
    fn now_micros(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn wall_micros(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn a_token_lasts_at_least_its_ttl_even_when_issued_late_in_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let storage = storage_with_ttl(dir.path(), 1).await;
    let late = 1_704_067_200_000_000 + 990_000; // 990 ms into a second
    let set = Arc::new(SetClock(std::sync::atomic::AtomicI64::new(late)));
    let clock: Arc<dyn Clock> = set.clone();
    let reg = Registry::new(&storage, &clock);
    let a = AccountId::parse("111122223333").unwrap();
    let token = reg.authorization_token(&a).unwrap();
    let at = |micros: i64| set.0.store(micros, std::sync::atomic::Ordering::SeqCst);
    // Rounded down, this token expired 10 ms after it was issued.
    at(late + 20_000);
    assert_eq!(reg.verify_token(&token.password).unwrap(), a);
    at(late + 1_000_000);
    assert_eq!(reg.verify_token(&token.password).unwrap(), a);
    // Never longer than the TTL plus the rest of the second it was issued in.
    at(late + 1_010_000);
    assert!(matches!(
        reg.verify_token(&token.password),
        Err(RegistryError::Unauthorized(m)) if m.contains("expired")
    ));
}
