//! The SQLite identity store: sessions survive a reopen, roles are per
//! account and case-insensitive, and attached policies block deletion.

use slipway_core::ports::identity::{IdentityError, IdentityStore, Role, SessionCredential};
use slipway_core::ports::metadata::MetadataStore;
use slipway_core::{AccessKey, AccountId};
use slipway_meta_sqlite::SqliteStore;

fn role(account: &AccountId, name: &str) -> Role {
    Role {
        account: account.clone(),
        name: name.into(),
        path: "/".into(),
        role_id: format!("AROA{}", name.to_uppercase()),
        arn: format!("arn:aws:iam::{account}:role/{name}"),
        assume_role_policy: "{}".into(),
        description: None,
        max_session_duration: 3600,
        created: 1,
        tags: vec![("k".into(), "v".into())],
    }
}

#[tokio::test]
async fn sessions_survive_a_reopen_and_expired_ones_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    let key = AccessKey::generate(AccountId::random());
    let session = |id: &str, expires| SessionCredential {
        access_key_id: id.into(),
        secret_access_key: "s".into(),
        session_token: "t".into(),
        account: key.account.clone(),
        expires,
        principal_arn: format!("arn:aws:iam::{}:root", key.account),
        user_id: key.account.to_string(),
    };
    {
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store.create_account(&key, "a").await.unwrap();
        store.put_session(&session("ASIAOLD", 10)).await.unwrap();
        store.put_session(&session("ASIANEW", 1_000)).await.unwrap();
    }
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(
        store.find_session("ASIANEW").await.unwrap(),
        Some(session("ASIANEW", 1_000))
    );
    assert_eq!(store.purge_sessions(500).await.unwrap(), 1);
    assert_eq!(store.find_session("ASIAOLD").await.unwrap(), None);
    assert!(store.find_session("ASIANEW").await.unwrap().is_some());
}

#[tokio::test]
async fn roles_are_per_account_case_insensitive_and_guarded_by_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let (a, b) = (AccountId::random(), AccountId::random());
    store.create_role(&role(&a, "Exec")).await.unwrap();
    store.create_role(&role(&b, "Exec")).await.unwrap();
    assert!(matches!(
        store.create_role(&role(&a, "EXEC")).await,
        Err(IdentityError::RoleExists(_))
    ));
    store.create_role(&role(&a, "another")).await.unwrap();
    let got = store.get_role(&a, "exec").await.unwrap().unwrap();
    assert_eq!(got, role(&a, "Exec"));
    let names: Vec<_> = store
        .list_roles(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["another", "Exec"]);

    let p1 = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess";
    let p2 = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
    store.attach_policy(&a, "Exec", p2).await.unwrap();
    store.attach_policy(&a, "Exec", p1).await.unwrap();
    store.attach_policy(&a, "exec", p2).await.unwrap();
    assert_eq!(store.attached_policies(&a, "Exec").await.unwrap(), [p2, p1]);
    assert!(store
        .attached_policies(&b, "Exec")
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        store.delete_role(&a, "Exec").await,
        Err(IdentityError::PoliciesAttached(_))
    ));
    assert!(matches!(
        store.detach_policy(&b, "Exec", p1).await,
        Err(IdentityError::NotAttached(_))
    ));
    store.detach_policy(&a, "Exec", p1).await.unwrap();
    store.detach_policy(&a, "Exec", p2).await.unwrap();
    store.delete_role(&a, "Exec").await.unwrap();
    assert!(store.get_role(&a, "Exec").await.unwrap().is_none());
    assert!(store.get_role(&b, "Exec").await.unwrap().is_some());
    assert!(matches!(
        store.delete_role(&a, "Exec").await,
        Err(IdentityError::NoSuchRole(_))
    ));
    assert!(matches!(
        store.attach_policy(&a, "Exec", p1).await,
        Err(IdentityError::NoSuchRole(_))
    ));
}
