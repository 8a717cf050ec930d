//! Conformance suite for the image-scan calls of `RegistryIndex`: the
//! once-per-period rule, finishing only the current run, findings kept in
//! order, account scoping, and scans removed with their image.

use crate::ports::registry::*;
use crate::AccountId;
use std::collections::BTreeMap;

fn repo(account: &AccountId, name: &str) -> RepositoryRow {
    RepositoryRow {
        account: account.clone(),
        name: name.into(),
        created: 1,
        tags_mutable: true,
        mutability_exclusions: Vec::new(),
        scan_on_push: true,
        encryption_type: "AES256".into(),
        kms_key: None,
    }
}

fn manifest(account: &AccountId, repo: &str, digest: &str) -> ManifestRow {
    ManifestRow {
        account: account.clone(),
        repo: repo.into(),
        digest: digest.into(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        body: b"{}".to_vec(),
        subject: None,
        references: vec![],
        pushed: 1,
        tags: vec![],
    }
}

fn scan(account: &AccountId, repo: &str, digest: &str, started: i64) -> ImageScanRow {
    ImageScanRow {
        account: account.clone(),
        repo: repo.into(),
        digest: digest.into(),
        status: ScanStatus::InProgress,
        description: None,
        started,
        completed: None,
        source_updated: None,
        severity_counts: BTreeMap::new(),
    }
}

fn finding(name: &str, severity: &str) -> ScanFinding {
    ScanFinding {
        name: name.into(),
        description: Some(format!("{name} is bad")),
        uri: Some(format!("https://example.test/{name}")),
        severity: severity.into(),
        attributes: vec![
            ("package_name".into(), "openssl".into()),
            ("package_version".into(), "1.0".into()),
        ],
    }
}

/// Runs every check; uses accounts and repositories of its own, so it
/// may follow other checks on the same index.
pub async fn run(ix: &dyn RegistryIndex) {
    let a = AccountId::parse("333333333333").unwrap();
    let b = AccountId::parse("444444444444").unwrap();
    assert!(ix.create_repository(&repo(&a, "scanned")).await.unwrap());
    assert!(ix.create_repository(&repo(&b, "scanned")).await.unwrap());
    ix.put_manifest(&manifest(&a, "scanned", "sha256:s1"), Some("v1"))
        .await
        .unwrap();
    ix.put_manifest(&manifest(&a, "scanned", "sha256:s2"), None)
        .await
        .unwrap();

    // No scan yet; none of a missing image can start.
    assert!(ix
        .get_image_scan(&a, "scanned", "sha256:s1")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        ix.start_image_scan(&scan(&a, "scanned", "sha256:nope", 10), 0)
            .await
            .unwrap(),
        StartScan::ImageMissing
    );
    assert_eq!(
        ix.start_image_scan(&scan(&b, "scanned", "sha256:s1", 10), 0)
            .await
            .unwrap(),
        StartScan::ImageMissing,
        "another account's image is not found"
    );

    // Started, then in progress; a second start within the period is refused.
    let first = scan(&a, "scanned", "sha256:s1", 100);
    assert_eq!(
        ix.start_image_scan(&first, 0).await.unwrap(),
        StartScan::Started
    );
    assert_eq!(
        ix.get_image_scan(&a, "scanned", "sha256:s1").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        ix.image_scans_in_progress().await.unwrap(),
        vec![first.clone()]
    );
    match ix
        .start_image_scan(&scan(&a, "scanned", "sha256:s1", 200), 50)
        .await
        .unwrap()
    {
        StartScan::Recent(r) => assert_eq!(r.started, 100),
        other => panic!("expected Recent, got {other:?}"),
    }

    // Finished with findings, kept in order; a stale run finishes nothing.
    let mut done = first.clone();
    done.status = ScanStatus::Complete;
    done.completed = Some(150);
    done.source_updated = Some(90);
    done.description = Some("The scan was completed successfully.".into());
    done.severity_counts = BTreeMap::from([("HIGH".into(), 1), ("LOW".into(), 2)]);
    let findings = vec![
        finding("CVE-1", "HIGH"),
        finding("CVE-2", "LOW"),
        finding("CVE-3", "LOW"),
    ];
    let mut stale = done.clone();
    stale.started = 99;
    assert!(!ix.finish_image_scan(&stale, &findings).await.unwrap());
    assert!(ix.finish_image_scan(&done, &findings).await.unwrap());
    assert!(
        !ix.finish_image_scan(&done, &findings).await.unwrap(),
        "a finished scan is not finished twice"
    );
    assert_eq!(
        ix.get_image_scan(&a, "scanned", "sha256:s1").await.unwrap(),
        Some(done.clone())
    );
    assert_eq!(
        ix.image_scan_findings(&a, "scanned", "sha256:s1")
            .await
            .unwrap(),
        findings
    );
    assert!(ix.image_scans_in_progress().await.unwrap().is_empty());
    assert!(ix
        .get_image_scan(&b, "scanned", "sha256:s1")
        .await
        .unwrap()
        .is_none());

    // A complete scan counts toward the limit; after the period a new
    // one replaces it and its findings.
    assert!(matches!(
        ix.start_image_scan(&scan(&a, "scanned", "sha256:s1", 300), 100)
            .await
            .unwrap(),
        StartScan::Recent(_)
    ));
    let second = scan(&a, "scanned", "sha256:s1", 400);
    assert_eq!(
        ix.start_image_scan(&second, 101).await.unwrap(),
        StartScan::Started
    );
    assert!(ix
        .image_scan_findings(&a, "scanned", "sha256:s1")
        .await
        .unwrap()
        .is_empty());

    // A failed scan does not count toward the limit.
    let mut failed = second.clone();
    failed.status = ScanStatus::Failed;
    failed.completed = Some(410);
    failed.description = Some("the scanner failed".into());
    assert!(ix.finish_image_scan(&failed, &[]).await.unwrap());
    assert_eq!(
        ix.start_image_scan(&scan(&a, "scanned", "sha256:s1", 420), 0)
            .await
            .unwrap(),
        StartScan::Started
    );

    // Scans go with their image, and with their repository.
    assert_eq!(
        ix.start_image_scan(&scan(&a, "scanned", "sha256:s2", 500), 0)
            .await
            .unwrap(),
        StartScan::Started
    );
    assert!(ix
        .delete_manifest(&a, "scanned", "sha256:s2")
        .await
        .unwrap());
    assert!(ix
        .get_image_scan(&a, "scanned", "sha256:s2")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        ix.delete_repository(&a, "scanned", true).await.unwrap(),
        RepoDelete::Deleted
    );
    assert!(ix
        .get_image_scan(&a, "scanned", "sha256:s1")
        .await
        .unwrap()
        .is_none());
    assert!(ix.image_scans_in_progress().await.unwrap().is_empty());
    assert_eq!(
        ix.delete_repository(&b, "scanned", true).await.unwrap(),
        RepoDelete::Deleted
    );
}
