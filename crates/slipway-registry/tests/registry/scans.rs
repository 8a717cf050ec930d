//! Image scans with real scanner commands (the shell scripts under
//! `tests/fixtures/scanners/`, stand-ins for Trivy and Grype that check
//! the archive they are given): the archive's content, the mapping of
//! reports, paging, the once-per-24-hours rule, failures, timeouts,
//! restarts and scan on push.

use super::{digest, storage};
use bytes::Bytes;
use sha2::Digest as _;
use slipway_core::ports::blob::ByteStream;
use slipway_core::ports::clock::{Clock, SystemClock};
use slipway_core::AccountId;
use slipway_registry::{
    ImageId, ImageScan, Registry, RegistryError, RegistryStorage, RepositorySettings, ScanSettings,
    NO_SCANNER_MESSAGE,
};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/scanners");
    p.join(name).to_string_lossy().into_owned()
}

fn settings(dir: &Path, words: &[&str], timeout: Duration) -> ScanSettings {
    ScanSettings {
        command: Some(words.iter().map(|w| w.to_string()).collect()),
        work_dir: dir.join("scans"),
        timeout,
        ..ScanSettings::default()
    }
}

fn owned_stream(bytes: Vec<u8>) -> ByteStream {
    Box::pin(futures::stream::iter(vec![Ok::<_, std::io::Error>(
        Bytes::from(bytes),
    )]))
}

async fn push_blob(reg: &Registry<'_>, a: &AccountId, repo: &str, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let up = reg.start_upload(a, repo).await.unwrap();
    reg.finish_upload(
        a,
        repo,
        &up.id,
        &d,
        Some((None, owned_stream(bytes.to_vec()))),
    )
    .await
    .unwrap();
    d
}

/// Pushes a small image (a config and two layers) under `tag`; its digest.
async fn push_image(reg: &Registry<'_>, a: &AccountId, repo: &str, tag: &str) -> String {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","tag":"{tag}"}}"#);
    let layers = [vec![7u8; 70_000], b"second layer".to_vec()];
    let c = push_blob(reg, a, repo, config.as_bytes()).await;
    let mut descs = Vec::new();
    for l in &layers {
        let d = push_blob(reg, a, repo, l).await;
        descs.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{d}","size":{}}}"#,
            l.len()
        ));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{c}","size":{}}},"layers":[{}]}}"#,
        config.len(),
        descs.join(",")
    );
    reg.put_manifest(a, repo, tag, None, manifest.as_bytes())
        .await
        .unwrap()
        .digest
}

fn by_digest(d: &str) -> ImageId {
    ImageId {
        tag: None,
        digest: Some(d.to_owned()),
    }
}

/// Waits until the image's scan is no longer in progress.
async fn finished(reg: &Registry<'_>, a: &AccountId, repo: &str, d: &str) -> ImageScan {
    for _ in 0..400 {
        let s = reg.image_scan(a, repo, d).await.unwrap().unwrap();
        if s.status != "IN_PROGRESS" {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the scan of {d} did not finish");
}

fn account() -> AccountId {
    AccountId::parse("111122223333").unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    path: PathBuf,
    storage: RegistryStorage,
    clock: Arc<dyn Clock>,
}

async fn setup(scanner: Option<(&[&str], Duration)>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let mut storage = storage(&path).await;
    if let Some((words, timeout)) = scanner {
        storage = storage.with_scanning(settings(&path, words, timeout));
    }
    Setup {
        _dir: dir,
        path,
        storage,
        clock: Arc::new(SystemClock),
    }
}

#[tokio::test]
async fn a_trivy_report_becomes_paged_findings_and_the_archive_is_an_oci_layout() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.tar");
    let (trivy, copy_s) = (fixture("trivy.sh"), copy.to_string_lossy().into_owned());
    let s = setup(Some((
        &["sh", &trivy, "{archive}", &copy_s],
        Duration::from_secs(60),
    )))
    .await;
    let reg = Registry::new(&s.storage, &s.clock);
    let a = account();
    reg.create_repository(&a, "seller/algo", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "seller/algo", "v1").await;
    assert_eq!(reg.image_scan(&a, "seller/algo", &d).await.unwrap(), None);
    assert!(matches!(
        reg.image_scan_findings(&a, "seller/algo", &by_digest(&d), None, 10)
            .await,
        Err(RegistryError::ScanNotFound(_))
    ));

    let id = ImageId {
        tag: Some("v1".into()),
        digest: None,
    };
    let started = reg.start_image_scan(&a, "seller/algo", &id).await.unwrap();
    assert_eq!(started.digest, d);
    assert_eq!(started.scan.status, "IN_PROGRESS");
    // Once per 24 hours, in progress or complete.
    assert!(matches!(
        reg.start_image_scan(&a, "seller/algo", &id).await,
        Err(RegistryError::ScanLimitExceeded(_))
    ));
    let scan = finished(&reg, &a, "seller/algo", &d).await;
    assert_eq!(scan.status, "COMPLETE", "{scan:?}");
    assert_eq!(
        scan.severity_counts,
        BTreeMap::from([
            ("CRITICAL".into(), 1),
            ("HIGH".into(), 2),
            ("MEDIUM".into(), 2),
            ("LOW".into(), 1),
            ("UNDEFINED".into(), 1),
        ])
    );
    assert!(scan.completed_at.is_some());
    assert!(matches!(
        reg.start_image_scan(&a, "seller/algo", &id).await,
        Err(RegistryError::ScanLimitExceeded(_))
    ));

    // Paged three at a time, in the report's order.
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = reg
            .image_scan_findings(&a, "seller/algo", &id, token.as_deref(), 3)
            .await
            .unwrap();
        assert!(page.findings.len() <= 3);
        names.extend(page.findings.iter().map(|f| f.name.clone()));
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    let want: Vec<String> = (1..=7).map(|i| format!("CVE-2023-000{i}")).collect();
    assert_eq!(names, want);
    assert!(matches!(
        reg.image_scan_findings(&a, "seller/algo", &id, Some("bogus"), 3)
            .await,
        Err(RegistryError::InvalidParameter(_))
    ));

    // The archive the scanner got: an OCI layout whose every blob is the
    // bytes its name says; it is gone once the scan is over.
    let mut entries = BTreeMap::new();
    let mut ar = tar::Archive::new(std::fs::File::open(&copy).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        e.read_to_end(&mut body).unwrap();
        entries.insert(name, body);
    }
    assert!(entries.contains_key("oci-layout"));
    let index: serde_json::Value = serde_json::from_slice(&entries["index.json"]).unwrap();
    assert_eq!(index["manifests"][0]["digest"], d.as_str());
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "v1"
    );
    let blobs: Vec<_> = entries
        .iter()
        .filter(|(n, _)| n.starts_with("blobs/sha256/") && n.len() > "blobs/sha256/".len())
        .collect();
    assert_eq!(blobs.len(), 4, "manifest, config, two layers");
    for (name, body) in blobs {
        let hex = hex::encode(sha2::Sha256::digest(body));
        assert_eq!(name.as_str(), format!("blobs/sha256/{hex}"));
    }
    let left: Vec<_> = std::fs::read_dir(s.path.join("scans")).unwrap().collect();
    assert!(left.is_empty(), "archives left behind: {left:?}");
}

#[tokio::test]
async fn a_grype_report_is_read_too_and_scan_on_push_starts_a_scan() {
    let grype = fixture("grype.sh");
    let s = setup(Some((
        &["sh", &grype, "{archive}"],
        Duration::from_secs(60),
    )))
    .await;
    let reg = Registry::new(&s.storage, &s.clock);
    let a = account();
    let settings = RepositorySettings {
        scan_on_push: Some(true),
        ..RepositorySettings::default()
    };
    reg.create_repository(&a, "pushed", settings).await.unwrap();
    let d = push_image(&reg, &a, "pushed", "latest").await;
    let scan = finished(&reg, &a, "pushed", &d).await;
    assert_eq!(scan.status, "COMPLETE", "{scan:?}");
    assert_eq!(
        scan.severity_counts,
        BTreeMap::from([("CRITICAL".into(), 1), ("MEDIUM".into(), 1)])
    );
    assert_eq!(scan.vulnerability_source_updated_at, Some(1_705_713_825));
    let page = reg
        .image_scan_findings(&a, "pushed", &by_digest(&d), None, 100)
        .await
        .unwrap();
    let f = &page.findings[0];
    assert_eq!(f.name, "CVE-2022-48174");
    assert!(f
        .attributes
        .contains(&("package_name".into(), "busybox".into())));
    assert!(f.attributes.contains(&("CVSS3_SCORE".into(), "9.8".into())));
    // The scan on push counts toward the daily limit.
    assert!(matches!(
        reg.start_image_scan(&a, "pushed", &by_digest(&d)).await,
        Err(RegistryError::ScanLimitExceeded(_))
    ));
    // A repository without scan on push scans nothing by itself.
    reg.create_repository(&a, "quiet", RepositorySettings::default())
        .await
        .unwrap();
    let q = push_image(&reg, &a, "quiet", "latest").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(reg.image_scan(&a, "quiet", &q).await.unwrap(), None);
}

#[tokio::test]
async fn failures_say_why_and_a_failed_scan_may_be_retried() {
    let a = account();
    // No scanner configured.
    let s = setup(None).await;
    let reg = Registry::new(&s.storage, &s.clock);
    reg.create_repository(&a, "rr", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "rr", "v1").await;
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    let scan = finished(&reg, &a, "rr", &d).await;
    assert_eq!(scan.status, "FAILED");
    assert_eq!(scan.description.as_deref(), Some(NO_SCANNER_MESSAGE));
    // Failed scans do not count toward the limit.
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    finished(&reg, &a, "rr", &d).await;

    for (script, words) in [
        ("failing.sh", vec!["network unreachable", "exit status: 3"]),
        ("garbage.sh", vec!["Trivy JSON", "table output requested"]),
    ] {
        let path = fixture(script);
        let s = setup(Some((&["sh", &path, "{archive}"], Duration::from_secs(60)))).await;
        let reg = Registry::new(&s.storage, &s.clock);
        reg.create_repository(&a, "rr", RepositorySettings::default())
            .await
            .unwrap();
        let d = push_image(&reg, &a, "rr", "v1").await;
        reg.start_image_scan(&a, "rr", &by_digest(&d))
            .await
            .unwrap();
        let scan = finished(&reg, &a, "rr", &d).await;
        assert_eq!(scan.status, "FAILED");
        let text = scan.description.unwrap();
        for w in words {
            assert!(text.contains(w), "{script}: {text}");
        }
    }

    // A scanner that is not there.
    let s = setup(Some((
        &["/nonexistent/scanner", "{archive}"],
        Duration::from_secs(60),
    )))
    .await;
    let reg = Registry::new(&s.storage, &s.clock);
    reg.create_repository(&a, "rr", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "rr", "v1").await;
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    let scan = finished(&reg, &a, "rr", &d).await;
    assert!(
        scan.description.unwrap().contains("could not be started"),
        "a missing program is named"
    );
}

#[tokio::test]
async fn slow_scans_time_out_and_a_restart_fails_interrupted_ones() {
    let a = account();
    let slow = fixture("slow.sh");
    let s = setup(Some((&["sh", &slow, "{archive}"], Duration::from_secs(1)))).await;
    let reg = Registry::new(&s.storage, &s.clock);
    reg.create_repository(&a, "rr", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "rr", "v1").await;
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    let scan = finished(&reg, &a, "rr", &d).await;
    assert_eq!(scan.status, "FAILED");
    assert!(scan
        .description
        .unwrap()
        .contains("did not finish within 1 seconds"));

    // A scan in progress when the server stops is failed at the next start.
    let s = setup(Some((
        &["sh", &slow, "{archive}"],
        Duration::from_secs(600),
    )))
    .await;
    let reg = Registry::new(&s.storage, &s.clock);
    reg.create_repository(&a, "rr", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "rr", "v1").await;
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    assert_eq!(reg.fail_interrupted_scans().await.unwrap(), 1);
    let scan = reg.image_scan(&a, "rr", &d).await.unwrap().unwrap();
    assert_eq!(scan.status, "FAILED");
    assert!(scan.description.unwrap().contains("interrupted"));
    assert_eq!(reg.fail_interrupted_scans().await.unwrap(), 0);
}

#[tokio::test]
async fn indexes_missing_images_and_repositories_are_refused() {
    let a = account();
    let s = setup(None).await;
    let reg = Registry::new(&s.storage, &s.clock);
    reg.create_repository(&a, "rr", RepositorySettings::default())
        .await
        .unwrap();
    let d = push_image(&reg, &a, "rr", "v1").await;
    let size = reg.get_manifest(&a, "rr", &d).await.unwrap().body.len();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{size}}}]}}"#
    );
    let i = reg
        .put_manifest(&a, "rr", "multi", None, index.as_bytes())
        .await
        .unwrap()
        .digest;
    assert!(matches!(
        reg.start_image_scan(&a, "rr", &by_digest(&i)).await,
        Err(RegistryError::UnsupportedImageType(_))
    ));
    let missing = ImageId {
        tag: Some("nope".into()),
        digest: None,
    };
    assert!(matches!(
        reg.start_image_scan(&a, "rr", &missing).await,
        Err(RegistryError::ManifestUnknown(_))
    ));
    assert!(matches!(
        reg.start_image_scan(&a, "gone", &missing).await,
        Err(RegistryError::NameUnknown { .. })
    ));
    let other = AccountId::parse("999988887777").unwrap();
    assert!(matches!(
        reg.start_image_scan(&other, "rr", &by_digest(&d)).await,
        Err(RegistryError::NameUnknown { .. })
    ));
    // Deleting the image deletes its scan.
    reg.start_image_scan(&a, "rr", &by_digest(&d))
        .await
        .unwrap();
    finished(&reg, &a, "rr", &d).await;
    reg.delete_manifest(&a, "rr", &i).await.unwrap();
    reg.delete_manifest(&a, "rr", &d).await.unwrap();
    assert!(matches!(
        reg.image_scan(&a, "rr", &d).await,
        Err(RegistryError::ManifestUnknown(_))
    ));
}
