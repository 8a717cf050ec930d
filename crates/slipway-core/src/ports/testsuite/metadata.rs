//! What every `MetadataStore` must do.

use crate::ports::metadata::*;
use crate::time_util::now_micros;
use crate::{AccessKey, AccountId, ResourceKind, ResourceRecord};

fn record(account: &AccountId, kind: ResourceKind, name: &str, created: i64) -> ResourceRecord {
    ResourceRecord {
        account: account.clone(),
        kind,
        key: name.to_lowercase(),
        name: name.to_owned(),
        arn: format!(
            "arn:aws:sagemaker:us-east-1:{account}:{}/{}",
            kind.arn_type(),
            name.to_lowercase()
        ),
        status: "Completed".into(),
        created,
        modified: created,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
        client_token: None,
        summary: Some(serde_json::json!({"Summary": name}).to_string()),
        document: serde_json::json!({"Name": name}).to_string(),
    }
}

/// Runs every check against a fresh, empty store.
pub async fn run(store: &dyn MetadataStore) {
    accounts(store).await;
    crud_and_conflicts(store).await;
    listing(store).await;
    versions(store).await;
    tags(store).await;
}

async fn accounts(store: &dyn MetadataStore) {
    let a = AccessKey::generate(AccountId::random());
    store.create_account(&a, "default").await.unwrap();
    store.create_account(&a, "default").await.unwrap(); // idempotent
    assert_eq!(
        store.find_access_key(&a.access_key_id).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.find_access_key("AKIANOPE").await.unwrap(), None);
    let b = AccessKey::generate(AccountId::random());
    store.create_account(&b, "second").await.unwrap();
    let keys = store.list_access_keys().await.unwrap();
    assert_eq!(keys.first(), Some(&a), "the first key created stays first");
    assert!(keys.contains(&b));
}

async fn crud_and_conflicts(store: &dyn MetadataStore) {
    let acct = AccountId::random();
    let r = record(&acct, ResourceKind::Algorithm, "Algo-1", 10);
    store.insert(&r, &[]).await.unwrap();
    let mut dup = r.clone();
    dup.name = "ALGO-1".into(); // same key, other case
    assert!(matches!(
        store.insert(&dup, &[]).await,
        Err(MetaError::AlreadyExists { .. })
    ));
    // Other accounts and kinds do not collide.
    store
        .insert(
            &record(&AccountId::random(), ResourceKind::Algorithm, "Algo-1", 10),
            &[],
        )
        .await
        .unwrap();
    store
        .insert(
            &record(&acct, ResourceKind::ModelPackage, "Algo-1", 10),
            &[],
        )
        .await
        .unwrap();

    let got = store
        .get(&acct, ResourceKind::Algorithm, "algo-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, r);
    let mut changed = got.clone();
    changed.status = "Failed".into();
    changed.document = r#"{"x":1}"#.to_owned();
    let stored = store.update(&changed).await.unwrap();
    assert_eq!(stored.revision, 1);
    // A stale revision is refused.
    assert!(matches!(
        store.update(&changed).await,
        Err(MetaError::Conflict(_))
    ));
    let got = store
        .get(&acct, ResourceKind::Algorithm, "algo-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.status, "Failed");
    assert_eq!(got.document, r#"{"x":1}"#);

    assert!(store
        .delete(&acct, ResourceKind::Algorithm, "algo-1")
        .await
        .unwrap());
    assert!(!store
        .delete(&acct, ResourceKind::Algorithm, "algo-1")
        .await
        .unwrap());
    assert_eq!(
        store
            .get(&acct, ResourceKind::Algorithm, "algo-1")
            .await
            .unwrap(),
        None
    );

    let pending = record(&acct, ResourceKind::Algorithm, "pending-one", 11);
    let pending = ResourceRecord {
        status: "Pending".into(),
        ..pending
    };
    store.insert(&pending, &[]).await.unwrap();
    let found = store
        .find_by_status(ResourceKind::Algorithm, &["Pending", "InProgress"])
        .await
        .unwrap();
    assert!(found.iter().any(|r| r.key == "pending-one"));
}

async fn listing(store: &dyn MetadataStore) {
    let acct = AccountId::random();
    let names = ["b-two", "a-one", "c-three", "B-four", "x-other"];
    for (i, n) in names.iter().enumerate() {
        let mut r = record(&acct, ResourceKind::ModelPackage, n, 100 + i as i64);
        r.modified = 1000 + i as i64;
        r.status = if i % 2 == 0 { "Completed" } else { "Pending" }.into();
        store.insert(&r, &[]).await.unwrap();
    }
    let all = |q: ListQuery| async move {
        let mut out = Vec::new();
        let mut q = q;
        loop {
            let page = store.list(&q).await.unwrap();
            assert!(page.records.len() <= q.limit);
            out.extend(page.records.into_iter().map(|r| r.name));
            match page.next {
                Some(c) => q.after = Some(c),
                None => return out,
            }
        }
    };
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.limit = 2;
    assert_eq!(all(q.clone()).await, names);
    q.descending = true;
    let mut rev = names.to_vec();
    rev.reverse();
    assert_eq!(all(q.clone()).await, rev);
    q.descending = false;
    q.sort = SortKey::Name;
    assert_eq!(
        all(q.clone()).await,
        ["B-four", "a-one", "b-two", "c-three", "x-other"]
    );
    q.name_contains = Some("B-".into());
    assert_eq!(
        all(q.clone()).await,
        ["B-four", "b-two"],
        "substring match ignores case"
    );
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.created_after = Some(100);
    q.created_before = Some(104);
    assert_eq!(
        all(q.clone()).await,
        ["a-one", "c-three", "B-four"],
        "time bounds are strict"
    );
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.modified_after = Some(1002);
    assert_eq!(all(q).await, ["B-four", "x-other"]);
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.status = Some("Pending".into());
    assert_eq!(all(q).await, ["a-one", "B-four"]);
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.sort = SortKey::Status;
    q.limit = 1;
    assert_eq!(
        all(q).await,
        ["b-two", "c-three", "x-other", "a-one", "B-four"],
        "ties break on the key"
    );
    // Listings can ask for summaries in place of documents.
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.summaries = true;
    let page = store.list(&q).await.unwrap();
    assert_eq!(
        page.records[0].document,
        serde_json::json!({"Summary": "b-two"}).to_string()
    );
    // Another account sees none of it.
    let q = ListQuery::new(AccountId::random(), ResourceKind::ModelPackage);
    assert!(store.list(&q).await.unwrap().records.is_empty());
}

async fn versions(store: &dyn MetadataStore) {
    let acct = AccountId::random();
    let group = record(&acct, ResourceKind::ModelPackageGroup, "grp", now_micros());
    let child = |n: &str| {
        let mut r = record(&acct, ResourceKind::ModelPackage, n, now_micros());
        r.parent = Some("grp".into());
        r.approval = Some("PendingManualApproval".into());
        r
    };
    let finish = |r: &mut ResourceRecord, v: i64| {
        r.key = format!("grp/{v}");
        r.arn = format!("{}/{v}", r.arn);
    };
    assert!(matches!(
        store
            .insert_version(ResourceKind::ModelPackageGroup, child("grp"), &[], &finish)
            .await,
        Err(MetaError::MissingParent(_))
    ));
    store.insert(&group, &[]).await.unwrap();
    for expected in 1..=3 {
        let r = store
            .insert_version(ResourceKind::ModelPackageGroup, child("grp"), &[], &finish)
            .await
            .unwrap();
        assert_eq!(r.version, Some(expected));
        assert_eq!(r.key, format!("grp/{expected}"));
    }
    assert_eq!(
        store
            .count_children(&acct, ResourceKind::ModelPackage, "grp")
            .await
            .unwrap(),
        3
    );
    store
        .delete(&acct, ResourceKind::ModelPackage, "grp/3")
        .await
        .unwrap();
    let r = store
        .insert_version(ResourceKind::ModelPackageGroup, child("grp"), &[], &finish)
        .await
        .unwrap();
    assert_eq!(r.version, Some(4), "versions are not reused");
    let mut q = ListQuery::new(acct.clone(), ResourceKind::ModelPackage);
    q.parent = ParentFilter::Of("grp".into());
    assert_eq!(store.list(&q).await.unwrap().records.len(), 3);
    q.parent = ParentFilter::None;
    assert_eq!(store.list(&q).await.unwrap().records.len(), 0);
}

async fn tags(store: &dyn MetadataStore) {
    let acct = AccountId::random();
    let r = record(&acct, ResourceKind::Algorithm, "tagged", 1);
    let t = |k: &str, v: &str| Tag {
        key: k.into(),
        value: v.into(),
    };
    store.insert(&r, &[t("a", "1"), t("b", "2")]).await.unwrap();
    store
        .put_tags(&r.arn, &[t("a", "9"), t("c", "3")], 50)
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&r.arn).await.unwrap(),
        vec![t("a", "9"), t("b", "2"), t("c", "3")]
    );
    assert!(matches!(
        store.put_tags(&r.arn, &[t("d", ""), t("e", "")], 4).await,
        Err(TagLimit::Exceeded {
            max: 4,
            would_be: 5
        })
    ));
    store
        .delete_tags(&r.arn, &["b".into(), "zzz".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(&r.arn).await.unwrap(),
        vec![t("a", "9"), t("c", "3")]
    );
    store
        .delete(&acct, ResourceKind::Algorithm, "tagged")
        .await
        .unwrap();
    assert!(
        store.list_tags(&r.arn).await.unwrap().is_empty(),
        "tags go with their resource"
    );
}
