//! Writes through a full file system: the data directory sits on a small
//! tmpfs that the test fills, so SQLite really meets ENOSPC (SQLITE_FULL)
//! in the middle of object puts (group commit) and control-plane writes.
//! Every write that answered Ok must be readable — while the disk is
//! still full, once space is back, and after a restart — and every write
//! that answered Err must be absent. Needs root (mount); without it the
//! test says why and passes.
#![allow(clippy::unwrap_used)] // helpers too: a panic is how a test fails

use slipway_core::ports::metadata::{MetaError, MetadataStore};
use slipway_core::ports::objects::{BucketRow, ObjectIndex, ObjectMeta, ObjectRow};
use slipway_core::ports::testsuite::small_fs::SmallFs;
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use slipway_meta_sqlite::SqliteStore;
use std::sync::Arc;

fn group(account: &AccountId, name: &str) -> ResourceRecord {
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
        // A few KiB per record, so control-plane writes need new pages too.
        document: format!("{{\"Name\":\"{name}\",\"Pad\":\"{}\"}}", "x".repeat(3000)),
    }
}

/// The change `round` asks for after a create.
fn updated(r: ResourceRecord) -> ResourceRecord {
    ResourceRecord {
        status: "Updated".into(),
        modified: 2,
        ..r
    }
}

fn object(key: &str, size: usize) -> ObjectRow {
    let body: Vec<u8> = (0..size).map(|i| (i * 31 + key.len()) as u8).collect();
    ObjectRow {
        bucket: "bucket".into(),
        key: key.into(),
        size: size as u64,
        etag: "0123456789abcdef0123456789abcdef".into(),
        last_modified: 7,
        meta: ObjectMeta::default(),
        segments: Vec::new(),
        inline: Some(body.into()),
    }
}

/// What each write answered.
#[derive(Default)]
struct Outcomes {
    objects: Vec<(ObjectRow, bool)>,
    /// A group, whether its create answered Ok, and whether the update
    /// that followed it did (`false` when there was none).
    groups: Vec<(String, bool, bool)>,
    errors: Vec<String>,
}

impl Outcomes {
    fn note(&mut self, r: &Result<(), MetaError>) -> bool {
        if let Err(e) = r {
            self.errors.push(e.to_string());
        }
        r.is_ok()
    }
}

/// One round of writes: concurrent puts of assorted sizes (so group
/// commit batches them) and control-plane inserts between them.
async fn round(store: &Arc<SqliteStore>, account: &AccountId, tag: &str, out: &mut Outcomes) {
    for batch in 0..6 {
        let mut puts = Vec::new();
        for i in 0..8 {
            let size = [200, 3000, 20_000, 60_000][(batch + i) % 4];
            let row = object(&format!("{tag}-{batch}-{i}"), size);
            let store = store.clone();
            puts.push(tokio::spawn(async move {
                let r = store.put_object(&row).await.map(|_| ());
                (row, r)
            }));
        }
        let name = format!("{tag}-group-{batch}");
        let created = group(account, &name);
        let r = store.insert(&created, &[]).await;
        let ok = out.note(&r);
        // An update too: it runs outside a transaction, as one statement.
        let updated = if ok {
            let r = store.update(&updated(created)).await.map(|_| ());
            out.note(&r)
        } else {
            false
        };
        out.groups.push((name, ok, updated));
        for p in puts {
            let (row, r) = p.await.unwrap();
            let ok = out.note(&r);
            out.objects.push((row, ok));
        }
    }
}

/// Every acknowledged write is there, whole; every refused one is absent.
/// Reports every violation at once (by key: the rows are large).
async fn check(store: &SqliteStore, account: &AccountId, out: &Outcomes, when: &str) {
    let mut lost = Vec::new();
    let mut ghosts = Vec::new();
    for (row, ok) in &out.objects {
        let got = store.get_object("bucket", &row.key).await.unwrap();
        match (ok, got) {
            (true, Some(got)) if &got == row => {}
            (true, _) => lost.push(row.key.clone()),
            (false, None) => {}
            (false, Some(_)) => ghosts.push(row.key.clone()),
        }
    }
    for (name, ok, was_updated) in &out.groups {
        let got = store
            .get(
                account,
                ResourceKind::ModelPackageGroup,
                &name.to_lowercase(),
            )
            .await
            .unwrap();
        let want = match was_updated {
            true => ResourceRecord {
                revision: 1,
                ..updated(group(account, name))
            },
            false => group(account, name),
        };
        match (ok, got) {
            (true, Some(got)) if got == want => {}
            (true, _) => lost.push(name.clone()),
            (false, None) => {}
            (false, Some(_)) => ghosts.push(name.clone()),
        }
    }
    let acked = out.objects.iter().filter(|o| o.1).count()
        + out.groups.iter().filter(|g| g.1).count()
        + out.groups.iter().filter(|g| g.2).count();
    assert!(
        lost.is_empty() && ghosts.is_empty(),
        "{when}: {} of {acked} acknowledged writes lost {lost:?}; {} refused writes present {ghosts:?}",
        lost.len(),
        ghosts.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_a_full_disk_are_all_or_nothing_and_recover() {
    let parent = tempfile::tempdir().unwrap();
    let fs = match SmallFs::mount(parent.path(), "4m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("skipping: cannot mount a tmpfs ({why}); run as root to test disk-full");
            return;
        }
    };
    let account = AccountId::random();
    let key = AccessKey::generate(account.clone());
    let store = Arc::new(SqliteStore::open(&fs.dir).await.unwrap());
    store.create_account(&key, "disk-full").await.unwrap();
    store
        .create_bucket(&BucketRow {
            name: "bucket".into(),
            owner: account.clone(),
            region: "us-east-1".into(),
            created: 1,
        })
        .await
        .unwrap();

    let mut out = Outcomes::default();
    round(&store, &account, "before", &mut out).await;
    assert!(out.errors.is_empty(), "{:?}", out.errors);

    let filler = fs.fill(128 * 1024);
    round(&store, &account, "full-a", &mut out).await;
    round(&store, &account, "full-b", &mut out).await;
    let refused = out.errors.len();
    assert!(
        refused > 0,
        "the full disk refused nothing: the test proves nothing"
    );
    assert!(
        out.errors.iter().all(|e| e.contains("full")),
        "{:?}",
        out.errors
    );
    check(&store, &account, &out, "disk full").await;

    std::fs::remove_file(&filler).unwrap();
    round(&store, &account, "after", &mut out).await;
    assert_eq!(
        out.errors.len(),
        refused,
        "writes failed after space came back: {:?}",
        &out.errors[refused..]
    );
    check(&store, &account, &out, "space back").await;

    eprintln!(
        "{} writes, {refused} refused by the full disk, e.g. {:?}",
        out.objects.len() + out.groups.len() + out.groups.iter().filter(|g| g.1).count(),
        out.errors.first()
    );

    // A crash image: the files as a SIGKILL would leave them, opened by a
    // new store elsewhere (SQLite recovers from the WAL).
    let image = tempfile::tempdir().unwrap();
    for name in ["metadata.sqlite", "metadata.sqlite-wal"] {
        std::fs::copy(fs.dir.join(name), image.path().join(name)).unwrap();
    }
    let crashed = SqliteStore::open(image.path()).await.unwrap();
    check(&crashed, &account, &out, "after a crash").await;

    drop(store);
    let store = SqliteStore::open(&fs.dir).await.unwrap();
    check(&store, &account, &out, "reopened").await;
    assert_eq!(
        store.find_access_key(&key.access_key_id).await.unwrap(),
        Some(key)
    );
}
