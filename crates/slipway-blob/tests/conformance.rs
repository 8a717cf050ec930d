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

/// The external-OCI adapter against Debian's `docker-registry`, started
/// here on a free port (skipped when the package is not installed).
#[cfg(feature = "oci")]
#[tokio::test]
async fn oci_blob_store_passes_the_blob_suite_on_docker_registry() {
    let bin = std::path::Path::new("/usr/bin/docker-registry");
    if !bin.exists() {
        eprintln!("skipped: docker-registry is not installed (scripts/setup.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("data").display()
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(bin)
        .arg("serve")
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let store = slipway_blob::OciBlobStore::new(slipway_blob::OciSettings {
        url,
        repository: "slipway/blobs".into(),
        username: None,
        password: None,
    })
    .unwrap();
    slipway_core::ports::testsuite::blob::run(&store).await;
    child.kill().await.unwrap();
}
