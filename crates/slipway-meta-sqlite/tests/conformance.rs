//! The SQLite adapter passes the metadata port's conformance suite.

#[tokio::test]
async fn sqlite_store_passes_the_metadata_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    slipway_core::ports::testsuite::metadata::run(&store).await;
}

#[tokio::test]
async fn reopening_keeps_everything() {
    use slipway_core::ports::metadata::MetadataStore;
    let dir = tempfile::tempdir().unwrap();
    let key = slipway_core::AccessKey::generate(slipway_core::AccountId::random());
    {
        let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
            .await
            .unwrap();
        store.create_account(&key, "x").await.unwrap();
    }
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    assert_eq!(
        store.find_access_key(&key.access_key_id).await.unwrap(),
        Some(key)
    );
}

#[tokio::test]
async fn sqlite_store_passes_the_object_index_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    slipway_core::ports::testsuite::objects::run(&store).await;
}

#[tokio::test]
async fn sqlite_store_passes_the_log_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    slipway_core::ports::testsuite::logs::run(&store).await;
}

#[tokio::test]
async fn sqlite_store_passes_the_registry_index_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    slipway_core::ports::testsuite::registry::run(&store).await;
}

#[tokio::test]
async fn sqlite_store_passes_the_metric_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_meta_sqlite::SqliteStore::open(dir.path())
        .await
        .unwrap();
    slipway_core::ports::testsuite::metrics::run(&store).await;
}
