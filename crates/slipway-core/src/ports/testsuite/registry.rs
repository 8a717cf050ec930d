//! Conformance suite for `RegistryIndex`: account scoping, blob
//! deduplication and links, uploads, manifests and tags, garbage.

use crate::ports::blob::BlobKey;
use crate::ports::metadata::MetaError;
use crate::ports::objects::Segment;
use crate::ports::registry::*;
use crate::AccountId;

fn repo(account: &AccountId, name: &str) -> RepositoryRow {
    RepositoryRow {
        account: account.clone(),
        name: name.into(),
        created: 1,
        tags_mutable: true,
        mutability_exclusions: Vec::new(),
        scan_on_push: false,
        encryption_type: "AES256".into(),
        kms_key: None,
    }
}

fn seg(size: u64) -> Segment {
    Segment {
        blob: BlobKey::random(),
        size,
    }
}

fn upload(id: &str, account: &AccountId, repo: &str) -> BlobUploadRow {
    BlobUploadRow {
        id: id.into(),
        account: account.clone(),
        repo: repo.into(),
        started: 1,
        size: 0,
        segments: vec![],
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
        references: vec!["sha256:b".into()],
        pushed: 1,
        tags: vec![],
    }
}

/// Runs every check against a fresh, empty index.
pub async fn run(ix: &dyn RegistryIndex) {
    let a = AccountId::parse("111111111111").unwrap();
    let b = AccountId::parse("222222222222").unwrap();

    // Repositories are per account.
    assert!(ix.create_repository(&repo(&a, "m")).await.unwrap());
    assert!(!ix.create_repository(&repo(&a, "m")).await.unwrap());
    assert!(ix.create_repository(&repo(&b, "m")).await.unwrap());
    assert_eq!(ix.list_repositories(&a).await.unwrap().len(), 1);
    let mut r = repo(&a, "m");
    r.tags_mutable = false;
    assert!(ix.update_repository(&r).await.unwrap());
    assert!(
        !ix.get_repository(&a, "m")
            .await
            .unwrap()
            .unwrap()
            .tags_mutable
    );
    // Every ECR setting is stored as given.
    let mut k = repo(&a, "kms");
    k.mutability_exclusions = vec!["dev-*".into(), "latest".into()];
    k.encryption_type = "KMS_DSSE".into();
    k.kms_key = Some("alias/k".into());
    assert!(ix.create_repository(&k).await.unwrap());
    assert_eq!(ix.get_repository(&a, "kms").await.unwrap(), Some(k.clone()));
    k.tags_mutable = false;
    k.mutability_exclusions = vec!["x*".into()];
    assert!(ix.update_repository(&k).await.unwrap());
    assert_eq!(ix.get_repository(&a, "kms").await.unwrap(), Some(k.clone()));
    // An excluded tag of an immutable repository moves; others do not.
    ix.put_manifest(&manifest(&a, "kms", "sha256:k1"), Some("x1"))
        .await
        .unwrap();
    ix.put_manifest(&manifest(&a, "kms", "sha256:k1"), Some("y1"))
        .await
        .unwrap();
    assert_eq!(
        ix.put_manifest(&manifest(&a, "kms", "sha256:k2"), Some("x1"))
            .await
            .unwrap(),
        PutManifest::Stored
    );
    assert_eq!(
        ix.put_manifest(&manifest(&a, "kms", "sha256:k2"), Some("y1"))
            .await
            .unwrap(),
        PutManifest::TagImmutable
    );
    assert_eq!(
        ix.resolve_tag(&a, "kms", "y1").await.unwrap().as_deref(),
        Some("sha256:k1")
    );
    assert_eq!(
        ix.delete_repository(&a, "kms", true).await.unwrap(),
        RepoDelete::Deleted
    );

    // An upload of two chunks, appended in order only.
    ix.create_blob_upload(&upload("u1", &a, "m")).await.unwrap();
    let (s1, s2) = (seg(3), seg(4));
    assert_eq!(
        ix.append_blob_upload("u1", 0, &s1).await.unwrap(),
        Append::Appended(3)
    );
    assert_eq!(
        ix.append_blob_upload("u1", 0, &s2).await.unwrap(),
        Append::OutOfOrder(3)
    );
    assert_eq!(
        ix.append_blob_upload("u1", 3, &s2).await.unwrap(),
        Append::Appended(7)
    );
    assert_eq!(
        ix.append_blob_upload("zz", 0, &s2).await.unwrap(),
        Append::Missing
    );
    let blob = BlobRow {
        digest: "sha256:b".into(),
        size: 7,
        segments: vec![s1.clone(), s2.clone()],
    };
    assert!(ix
        .finish_blob_upload("u1", &blob)
        .await
        .unwrap()
        .blobs
        .is_empty());
    assert!(ix.get_blob_upload("u1").await.unwrap().is_none());
    assert_eq!(
        ix.repo_blob(&a, "m", "sha256:b").await.unwrap(),
        Some(blob.clone())
    );
    // Another account's repository of the same name does not see it.
    assert!(ix.repo_blob(&b, "m", "sha256:b").await.unwrap().is_none());

    // The same digest uploaded again (by b): b's chunk is freed, the
    // first bytes kept, and b's repository now links the blob.
    ix.create_blob_upload(&upload("u2", &b, "m")).await.unwrap();
    let dup = seg(7);
    ix.append_blob_upload("u2", 0, &dup).await.unwrap();
    let again = BlobRow {
        segments: vec![dup.clone()],
        ..blob.clone()
    };
    let freed = ix.finish_blob_upload("u2", &again).await.unwrap();
    assert_eq!(freed.blobs, vec![dup.blob.clone()]);
    assert_eq!(
        ix.repo_blob(&b, "m", "sha256:b").await.unwrap(),
        Some(blob.clone())
    );
    assert!(matches!(
        ix.finish_blob_upload("u2", &again).await,
        Err(MetaError::MissingParent(_))
    ));

    // A cancelled upload returns its chunks.
    ix.create_blob_upload(&upload("u3", &a, "m")).await.unwrap();
    let s3 = seg(1);
    ix.append_blob_upload("u3", 0, &s3).await.unwrap();
    assert_eq!(
        ix.delete_blob_upload("u3").await.unwrap().unwrap().blobs,
        vec![s3.blob.clone()]
    );
    assert!(ix.registry_blob_keys().await.unwrap().contains(&s1.blob));

    // Mounts link only existing blobs into existing repositories.
    assert!(ix.create_repository(&repo(&a, "n")).await.unwrap());
    assert!(ix.link_blob(&a, "n", "sha256:b").await.unwrap());
    assert!(!ix.link_blob(&a, "n", "sha256:none").await.unwrap());
    assert!(matches!(
        ix.link_blob(&a, "gone", "sha256:b").await,
        Err(MetaError::MissingParent(_))
    ));

    // Manifests and tags; immutable tags do not move.
    let m1 = manifest(&a, "m", "sha256:m1");
    assert_eq!(
        ix.put_manifest(&m1, Some("v1")).await.unwrap(),
        PutManifest::Stored
    );
    let m2 = manifest(&a, "m", "sha256:m2");
    assert_eq!(
        ix.put_manifest(&m2, Some("v1")).await.unwrap(),
        PutManifest::TagImmutable
    );
    assert_eq!(
        ix.put_manifest(&m2, Some("v2")).await.unwrap(),
        PutManifest::Stored
    );
    assert_eq!(
        ix.resolve_tag(&a, "m", "v1").await.unwrap().as_deref(),
        Some("sha256:m1")
    );
    assert!(ix.resolve_tag(&b, "m", "v1").await.unwrap().is_none());
    let got = ix
        .get_manifest(&a, "m", "sha256:m1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.tags.clone(), got.body.clone()),
        (vec!["v1".to_owned()], b"{}".to_vec())
    );
    assert_eq!(ix.list_tags(&a, "m", None, 1).await.unwrap(), vec!["v1"]);
    assert_eq!(
        ix.list_tags(&a, "m", Some("v1"), 10).await.unwrap(),
        vec!["v2"]
    );
    assert_eq!(ix.list_manifests(&a, "m", None, 10).await.unwrap().len(), 2);
    let mut referrer = manifest(&a, "m", "sha256:r");
    referrer.subject = Some("sha256:m1".into());
    ix.put_manifest(&referrer, None).await.unwrap();
    assert_eq!(ix.referrers(&a, "m", "sha256:m1").await.unwrap().len(), 1);
    assert!(ix.delete_tag(&a, "m", "v2").await.unwrap());
    assert!(!ix.delete_tag(&a, "m", "v2").await.unwrap());
    assert!(ix.delete_manifest(&a, "m", "sha256:m1").await.unwrap());
    assert!(ix.resolve_tag(&a, "m", "v1").await.unwrap().is_none());

    // A repository with manifests is deleted only by force; its blob
    // stays while other repositories link it, then becomes garbage.
    assert_eq!(
        ix.delete_repository(&a, "m", false).await.unwrap(),
        RepoDelete::NotEmpty
    );
    assert_eq!(
        ix.delete_repository(&a, "m", true).await.unwrap(),
        RepoDelete::Deleted
    );
    assert_eq!(
        ix.delete_repository(&a, "m", true).await.unwrap(),
        RepoDelete::Missing
    );
    assert!(ix.collect_garbage().await.unwrap().blobs.is_empty());
    assert!(ix.unlink_blob(&a, "n", "sha256:b").await.unwrap());
    assert_eq!(
        ix.delete_repository(&b, "m", true).await.unwrap(),
        RepoDelete::Deleted
    );
    let mut freed = ix.collect_garbage().await.unwrap().blobs;
    freed.sort();
    let mut want = vec![s1.blob, s2.blob];
    want.sort();
    assert_eq!(freed, want);
    assert!(ix.get_blob("sha256:b").await.unwrap().is_none());

    crate::ports::testsuite::image_scans::run(ix).await;
}
