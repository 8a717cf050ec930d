//! The adapters pass the blob port's conformance suite.

#[tokio::test]
async fn fs_blob_store_passes_the_blob_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = slipway_blob::FsBlobStore::open(dir.path()).unwrap();
    slipway_core::ports::testsuite::blob::run(&store).await;
}

#[test]
fn stale_temp_files_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    std::fs::write(dir.path().join("tmp/partial"), b"half").unwrap();
    slipway_blob::FsBlobStore::open(dir.path()).unwrap();
    assert!(!dir.path().join("tmp/partial").exists());
}
