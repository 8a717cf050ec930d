//! Object storage wiring: the external-S3 blob adapter passes the blob
//! port's suite against a second Slipway acting as the external S3, and
//! the start-up sweep collects blobs a crash left unreferenced.

use bytes::Bytes;
use futures::StreamExt;
use slipway::config::Config;
use slipway_blob::{FsBlobStore, S3BlobStore, S3Settings};
use slipway_core::ports::blob::{BlobKey, BlobStore, ByteStream};
use slipway_core::ports::objects::ObjectMeta;
use slipway_objects::{Conditions, PutObject};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

fn body(data: &'static [u8]) -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok(Bytes::from_static(data))]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_blob_store_passes_the_blob_suite_against_another_slipway() {
    let dir = tempfile::tempdir().unwrap();
    let app = slipway::build(&Config::embedded(dir.path())).await.unwrap();
    let key = app.default_key.clone();
    app.service
        .objects()
        .create_bucket(&key.account, "external-blobs")
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async {
        let _ = stopped.await;
    }));

    let store = S3BlobStore::new(&S3Settings {
        endpoint: Some(format!("http://{addr}")),
        bucket: "external-blobs".into(),
        prefix: "slipway/blobs".into(),
        region: "us-east-1".into(),
        access_key_id: key.access_key_id.clone(),
        secret_access_key: key.secret_access_key.clone(),
    })
    .unwrap();
    slipway_core::ports::testsuite::blob::run(&store).await;

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn startup_sweep_deletes_only_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::embedded(dir.path());
    let app = slipway::build(&config).await.unwrap();
    let account = app.default_key.account.clone();
    let objects = app.service.objects();
    objects.create_bucket(&account, "kept").await.unwrap();
    objects
        .put_object(
            &account,
            PutObject {
                bucket: "kept".into(),
                key: "../../outside".into(),
                meta: ObjectMeta::default(),
                body: body(b"acknowledged"),
                content_md5: None,
                checksums: vec![],
                compute: vec![],
                trailer: None,
                size_hint: None,
            },
        )
        .await
        .unwrap();
    drop(app);

    // What a crash between "blob durable" and "row committed" leaves.
    let orphan = BlobKey::random();
    let blobs = FsBlobStore::open(&dir.path().join("blobs")).unwrap();
    blobs
        .put(&orphan, body(b"never acknowledged"))
        .await
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    let app = slipway::build(&config).await.unwrap();
    assert!(!blobs.list().await.unwrap().iter().any(|e| e.key == orphan));
    let got = app
        .service
        .objects()
        .get_object(
            &account,
            "kept",
            "../../outside",
            &Conditions::default(),
            None,
        )
        .await
        .unwrap();
    let mut data = Vec::new();
    let mut s = got.body;
    while let Some(c) = s.next().await {
        data.extend_from_slice(&c.unwrap());
    }
    assert_eq!(data, b"acknowledged");
    // The user's key never became a path.
    assert!(!dir.path().parent().unwrap().join("outside").exists());
}
