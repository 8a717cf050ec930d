//! Bad stored data is an error, never a panic: rows written through the
//! ports are then spoiled with raw SQL (what a bug, a manual edit or a
//! foreign writer could leave), and every read of them fails with the
//! port's `Backend` error naming what is wrong.
#![allow(clippy::unwrap_used)] // helpers too: a panic is how a test fails

use slipway_core::ports::blob::BlobKey;
use slipway_core::ports::identity::{IdentityError, IdentityStore, Role};
use slipway_core::ports::logs::{LogError, LogEvent, LogStore, StreamOrder, StreamQuery};
use slipway_core::ports::metadata::{ListQuery, MetaError, MetadataStore};
use slipway_core::ports::objects::{
    BucketRow, ObjectIndex, ObjectMeta, ObjectRow, PartRow, UploadRow,
};
use slipway_core::ports::registry::{
    ImageScanRow, ManifestRow, RegistryIndex, RepositoryRow, ScanStatus, StartScan,
};
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use slipway_meta_sqlite::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use std::path::Path;

/// A second connection to the store's file, as another process would
/// open it (no foreign-key checks: garbage need not respect them).
async fn raw(dir: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.join("metadata.sqlite"))
        .foreign_keys(false)
        .connect()
        .await
        .unwrap()
}

async fn spoil(conn: &mut SqliteConnection, sql: &str) {
    let done = sqlx::query(sql).execute(&mut *conn).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

#[track_caller]
fn corrupt_meta<T: std::fmt::Debug>(got: Result<T, MetaError>, expect: &str) {
    match got {
        Err(MetaError::Backend(msg)) => assert!(msg.contains(expect), "{msg:?} lacks {expect:?}"),
        other => panic!("expected a Backend error naming {expect:?}, got {other:?}"),
    }
}

fn record(account: &AccountId, name: &str) -> ResourceRecord {
    ResourceRecord {
        account: account.clone(),
        kind: ResourceKind::ModelPackageGroup,
        key: name.to_lowercase(),
        name: name.to_owned(),
        arn: format!("arn:aws:sagemaker:us-east-1:{account}:model-package-group/{name}"),
        status: "Completed".into(),
        created: 1,
        modified: 1,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
        client_token: None,
        summary: None,
        document: "{}".into(),
    }
}

#[tokio::test]
async fn resources_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let a = AccountId::random();
    store.insert(&record(&a, "Typed"), &[]).await.unwrap();
    store.insert(&record(&a, "Other"), &[]).await.unwrap();

    // A time column holding text: the row struct's field type refuses it.
    spoil(
        &mut conn,
        "UPDATE resources SET created = 'yesterday' WHERE key = 'typed'",
    )
    .await;
    corrupt_meta(
        store
            .get(&a, ResourceKind::ModelPackageGroup, "typed")
            .await,
        "created",
    );
    // Listings unpack their page by hand, and refuse it as well.
    corrupt_meta(
        store
            .list(&ListQuery::new(a.clone(), ResourceKind::ModelPackageGroup))
            .await,
        "packed integer",
    );

    spoil(
        &mut conn,
        "UPDATE resources SET created = 1 WHERE key = 'typed'",
    )
    .await;

    // An account id that is no account id.
    spoil(
        &mut conn,
        "UPDATE resources SET account = 'nobody' WHERE key = 'other'",
    )
    .await;
    corrupt_meta(
        store
            .find_by_status(ResourceKind::ModelPackageGroup, &["Completed"])
            .await,
        "corrupt resources row: account \"nobody\"",
    );

    let key = AccessKey::generate(AccountId::random());
    store.create_account(&key, "k").await.unwrap();
    spoil(
        &mut conn,
        &format!(
            "UPDATE access_keys SET account_id = '12' WHERE access_key_id = '{}'",
            key.access_key_id
        ),
    )
    .await;
    corrupt_meta(
        store.find_access_key(&key.access_key_id).await,
        "corrupt access_keys row",
    );
    corrupt_meta(store.list_access_keys().await, "corrupt access_keys row");
}

#[tokio::test]
async fn objects_and_parts() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let bucket = BucketRow {
        name: "bucket".into(),
        owner: AccountId::random(),
        region: "us-east-1".into(),
        created: 1,
    };
    store.create_bucket(&bucket).await.unwrap();
    let object = ObjectRow {
        bucket: "bucket".into(),
        key: "k".into(),
        size: 1,
        etag: "e".into(),
        last_modified: 1,
        meta: ObjectMeta::default(),
        segments: Vec::new(),
        inline: Some(b"x".to_vec().into()),
    };
    store.put_object(&object).await.unwrap();
    spoil(&mut conn, "UPDATE objects SET segments = 'not json'").await;
    let segments = "corrupt objects row: segments";
    corrupt_meta(store.get_object("bucket", "k").await, segments);
    corrupt_meta(store.list_objects("bucket", "", None, 10).await, segments);
    corrupt_meta(store.referenced_blobs().await, segments);
    // Replacing it must free the old version's blobs, so it fails too
    // (through the group committer) and the row stays as it was.
    corrupt_meta(store.put_object(&object).await, segments);
    corrupt_meta(store.delete_object("bucket", "k").await, segments);

    spoil(
        &mut conn,
        "UPDATE objects SET segments = '[]', meta = '[1]'",
    )
    .await;
    corrupt_meta(
        store.get_object("bucket", "k").await,
        "corrupt objects row: meta",
    );
    spoil(&mut conn, "UPDATE objects SET meta = '{}', size = -1").await;
    corrupt_meta(
        store.get_object("bucket", "k").await,
        "corrupt objects row: negative size -1",
    );

    let upload = UploadRow {
        upload_id: "u".into(),
        bucket: "bucket".into(),
        key: "k".into(),
        initiated: 1,
        meta: ObjectMeta::default(),
    };
    store.create_upload(&upload).await.unwrap();
    let part = PartRow {
        upload_id: "u".into(),
        part_number: 1,
        size: 1,
        etag: "e".into(),
        blob: BlobKey::random(),
        last_modified: 1,
    };
    store.put_part(&part).await.unwrap();
    spoil(&mut conn, "UPDATE parts SET blob = '../../etc/passwd'").await;
    corrupt_meta(
        store.list_parts("u", 0, 10).await,
        "corrupt parts row: blob \"../../etc/passwd\"",
    );
    corrupt_meta(store.abort_upload("u").await, "corrupt parts row: blob");
    spoil(&mut conn, "UPDATE uploads SET meta = 'null'").await;
    corrupt_meta(store.get_upload("u").await, "corrupt uploads row: meta");
}

#[tokio::test]
async fn registry() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let a = AccountId::random();
    let repo = RepositoryRow {
        account: a.clone(),
        name: "r".into(),
        created: 1,
        tags_mutable: true,
        mutability_exclusions: Vec::new(),
        scan_on_push: false,
        encryption_type: "AES256".into(),
        kms_key: None,
    };
    store.create_repository(&repo).await.unwrap();
    let manifest = ManifestRow {
        account: a.clone(),
        repo: "r".into(),
        digest: "sha256:a".into(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
        body: b"{}".to_vec(),
        subject: None,
        references: Vec::new(),
        pushed: 1,
        tags: Vec::new(),
    };
    store.put_manifest(&manifest, Some("v1")).await.unwrap();
    let scan = ImageScanRow {
        account: a.clone(),
        repo: "r".into(),
        digest: "sha256:a".into(),
        status: ScanStatus::InProgress,
        description: None,
        started: 1,
        completed: None,
        source_updated: None,
        severity_counts: Default::default(),
    };
    assert_eq!(
        store.start_image_scan(&scan, 0).await.unwrap(),
        StartScan::Started
    );
    spoil(
        &mut conn,
        "UPDATE image_scans SET findings = '[{\"name\": 1}]'",
    )
    .await;
    corrupt_meta(
        store.image_scan_findings(&a, "r", "sha256:a").await,
        "corrupt image_scans row: findings",
    );
    spoil(&mut conn, "UPDATE image_scans SET status = 'SCANNING'").await;
    corrupt_meta(
        store.get_image_scan(&a, "r", "sha256:a").await,
        "corrupt image_scans row: status",
    );
    spoil(
        &mut conn,
        "UPDATE image_scans SET status = 'IN_PROGRESS', severity_counts = 'x'",
    )
    .await;
    corrupt_meta(
        store.image_scans_in_progress().await,
        "corrupt image_scans row: severity_counts",
    );
    spoil(&mut conn, "UPDATE manifests SET refs = '{'").await;
    corrupt_meta(
        store.get_manifest(&a, "r", "sha256:a").await,
        "corrupt manifests row: refs",
    );
    corrupt_meta(
        store.list_manifests(&a, "r", None, 10).await,
        "corrupt manifests row: refs",
    );
    spoil(
        &mut conn,
        "UPDATE repositories SET mutability_exclusions = 'x'",
    )
    .await;
    corrupt_meta(
        store.get_repository(&a, "r").await,
        "corrupt repositories row: mutability_exclusions",
    );
    // A write that reads the repository first fails the same way.
    corrupt_meta(
        store.put_manifest(&manifest, Some("v2")).await,
        "corrupt repositories row",
    );
}

#[tokio::test]
async fn identity_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut conn = raw(dir.path()).await;
    let a = AccountId::random();
    let role = Role {
        account: a.clone(),
        name: "Exec".into(),
        path: "/".into(),
        role_id: "AROAEXEC".into(),
        arn: format!("arn:aws:iam::{a}:role/Exec"),
        assume_role_policy: "{}".into(),
        description: None,
        max_session_duration: 3600,
        created: 1,
        tags: Vec::new(),
    };
    store.create_role(&role).await.unwrap();
    spoil(&mut conn, "UPDATE roles SET tags = '[[1, 2]]'").await;
    match store.get_role(&a, "exec").await {
        Err(IdentityError::Backend(msg)) => {
            assert!(msg.contains("corrupt roles row: tags"), "{msg}")
        }
        other => panic!("expected a Backend error, got {other:?}"),
    }

    let event = LogEvent {
        timestamp_ms: 1,
        message: "m".into(),
    };
    store
        .append(&a, "/aws/sagemaker/TrainingJobs", "s", &[event])
        .await
        .unwrap();
    spoil(&mut conn, "UPDATE log_streams SET last_event = 'late'").await;
    let query = StreamQuery {
        prefix: None,
        order: StreamOrder::Name,
        descending: false,
        after: None,
        limit: 10,
    };
    match store
        .list_streams(&a, "/aws/sagemaker/TrainingJobs", &query)
        .await
    {
        Err(LogError::Backend(msg)) => assert!(msg.contains("last_event"), "{msg}"),
        other => panic!("expected a Backend error, got {other:?}"),
    }
}
