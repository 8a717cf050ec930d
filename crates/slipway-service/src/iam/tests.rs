use super::*;
use crate::accounts::Principal;
use crate::jobs::{JobRuntime, JobSettings};
use crate::{Service, ServiceConfig};

async fn service(accept_any: bool) -> (Service, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let jobs = JobRuntime::without_engine(JobSettings::new(dir.path().join("jobs")));
    let ports = crate::testkit::sqlite_ports(dir.path(), jobs).await;
    let config = ServiceConfig {
        accept_any_role_arn: accept_any,
        ..ServiceConfig::new("us-east-1")
    };
    (Service::new(ports, config), dir)
}

fn root(account: &AccountId) -> Principal {
    Principal {
        account: account.clone(),
        arn: format!("arn:aws:iam::{account}:root"),
        user_id: account.to_string(),
        temporary: false,
    }
}

fn new_role(name: &str, trust: String) -> NewRole {
    NewRole {
        name: name.into(),
        trust_policy: trust,
        ..Default::default()
    }
}

const REFUSED: &str = "Please ensure that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role.";

#[test]
fn role_arns_split_into_account_path_and_name() {
    assert_eq!(
        split_role_arn("arn:aws:iam::123456789012:role/a/b/Exec"),
        Some(("123456789012", "/a/b/", "Exec"))
    );
    assert_eq!(
        split_role_arn("arn:aws:iam::123456789012:role/Exec"),
        Some(("123456789012", "/", "Exec"))
    );
    assert_eq!(split_role_arn("arn:aws:iam::123456789012:role/"), None);
    assert_eq!(split_role_arn("arn:aws:iam::123456789012:user/x"), None);
}

#[test]
fn trust_policies_name_the_service_principal() {
    assert!(trusts(&sagemaker_trust_policy(), SAGEMAKER_PRINCIPAL));
    let list = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","sagemaker.amazonaws.com"]},"Action":["sts:AssumeRole"]}}"#;
    assert!(trusts(list, SAGEMAKER_PRINCIPAL));
    let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert!(!trusts(other, SAGEMAKER_PRINCIPAL));
    let deny = r#"{"Statement":[{"Effect":"Deny","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert!(!trusts(deny, SAGEMAKER_PRINCIPAL));
    assert!(!trusts("not json", SAGEMAKER_PRINCIPAL));
}

#[tokio::test]
async fn sagemaker_roles_must_exist_in_the_account_and_trust_sagemaker() {
    let (svc, _dir) = service(false).await;
    let key = svc.accounts().create("a").await.unwrap();
    let other = svc.accounts().create("b").await.unwrap();
    let a = &key.account;
    let default_arn = format!("arn:aws:iam::{a}:role/{DEFAULT_ROLE_NAME}");
    svc.iam()
        .require_assumable(a, "RoleArn", &default_arn)
        .await
        .unwrap();
    assert_eq!(
        svc.iam()
            .attached_policies(a, DEFAULT_ROLE_NAME)
            .await
            .unwrap(),
        [SAGEMAKER_FULL_ACCESS]
    );
    // Another account's role, a missing role, a role SageMaker may not assume.
    let err = svc
        .iam()
        .require_assumable(&other.account, "RoleArn", &default_arn)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Could not assume role {default_arn}. {REFUSED}")
    );
    let missing = format!("arn:aws:iam::{a}:role/Nope");
    assert!(svc
        .iam()
        .require_assumable(a, "RoleArn", &missing)
        .await
        .is_err());
    let ec2 = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    svc.iam()
        .create_role(a, new_role("Ec2", ec2.into()))
        .await
        .unwrap();
    let ec2_arn = format!("arn:aws:iam::{a}:role/Ec2");
    assert!(svc
        .iam()
        .require_assumable(a, "RoleArn", &ec2_arn)
        .await
        .is_err());
    // A path is part of the ARN.
    let pathed = NewRole {
        path: Some("/service-role/".into()),
        ..new_role("Pathed", sagemaker_trust_policy())
    };
    let r = svc.iam().create_role(a, pathed).await.unwrap();
    assert_eq!(r.arn, format!("arn:aws:iam::{a}:role/service-role/Pathed"));
    svc.iam()
        .require_assumable(a, "RoleArn", &r.arn)
        .await
        .unwrap();
    let without_path = format!("arn:aws:iam::{a}:role/Pathed");
    assert!(svc
        .iam()
        .require_assumable(a, "RoleArn", &without_path)
        .await
        .is_err());

    let (lenient, _dir2) = service(true).await;
    lenient
        .iam()
        .require_assumable(a, "RoleArn", &missing)
        .await
        .unwrap();
}

#[tokio::test]
async fn roles_page_by_name_and_filter_by_path() {
    let (svc, _dir) = service(false).await;
    let a = AccountId::random();
    for n in ["d", "B", "a", "c"] {
        let path = (n == "c").then(|| "/x/".to_owned());
        let r = NewRole {
            path,
            ..new_role(n, sagemaker_trust_policy())
        };
        svc.iam().create_role(&a, r).await.unwrap();
    }
    let p1 = svc.iam().list_roles(&a, None, None, Some(2)).await.unwrap();
    let names = |p: &RolePage| p.roles.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&p1), ["a", "B"]);
    let p2 = svc
        .iam()
        .list_roles(&a, None, p1.marker.as_deref(), Some(2))
        .await
        .unwrap();
    assert_eq!(names(&p2), ["c", "d"]);
    assert_eq!(p2.marker, None);
    let x = svc
        .iam()
        .list_roles(&a, Some("/x/"), None, None)
        .await
        .unwrap();
    assert_eq!(names(&x), ["c"]);
    let dup = svc
        .iam()
        .create_role(&a, new_role("A", sagemaker_trust_policy()))
        .await;
    assert!(
        matches!(dup, Err(Error::Iam(IamError::EntityAlreadyExists(m))) if m == "Role with name A already exists.")
    );
    let bad = svc.iam().create_role(&a, new_role("e", "{".into())).await;
    assert!(matches!(
        bad,
        Err(Error::Iam(IamError::MalformedPolicyDocument(_)))
    ));
    let bad_arn = svc
        .iam()
        .attach_policy(&a, "a", "arn:aws:s3:::bucket")
        .await;
    assert!(matches!(
        bad_arn,
        Err(Error::Iam(IamError::InvalidInput(_)))
    ));
    svc.iam()
        .attach_policy(&a, "a", SAGEMAKER_FULL_ACCESS)
        .await
        .unwrap();
    let conflict = svc.iam().delete_role(&a, "a").await;
    assert!(matches!(
        conflict,
        Err(Error::Iam(IamError::DeleteConflict(_)))
    ));
    let gone = svc.iam().get_role(&a, "zz").await;
    assert!(
        matches!(gone, Err(Error::Iam(IamError::NoSuchEntity(m))) if m == "The role with name zz cannot be found.")
    );
}

#[tokio::test]
async fn sts_issues_credentials_for_roles_of_the_callers_account_only() {
    let (svc, _dir) = service(false).await;
    let key = svc.accounts().create("a").await.unwrap();
    let other = svc.accounts().create("b").await.unwrap();
    let me = root(&key.account);
    let arn = format!("arn:aws:iam::{}:role/{DEFAULT_ROLE_NAME}", key.account);

    let s = svc
        .sts()
        .assume_role(&me, &arn, "sess", None)
        .await
        .unwrap();
    assert!(s.access_key_id.starts_with("ASIA"));
    assert_eq!(
        s.principal_arn,
        format!(
            "arn:aws:sts::{}:assumed-role/{DEFAULT_ROLE_NAME}/sess",
            key.account
        )
    );
    assert!(s.user_id.starts_with("AROA") && s.user_id.ends_with(":sess"));
    let found = svc
        .accounts()
        .find_credential(&s.access_key_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key.account, key.account);
    assert!(found.principal().is_assumed_role());

    // Another account's role is not the caller's to assume.
    let theirs = svc
        .sts()
        .assume_role(&root(&other.account), &arn, "x", None)
        .await;
    assert!(matches!(theirs, Err(Error::Iam(IamError::AccessDenied(_)))));
    // Longer than the role allows; chaining beyond an hour.
    let long = svc.sts().assume_role(&me, &arn, "x", Some(7200)).await;
    assert!(
        matches!(long, Err(Error::Iam(IamError::Validation(m))) if m.contains("MaxSessionDuration"))
    );
    let chained = svc
        .sts()
        .assume_role(&found.principal(), &arn, "y", Some(3600))
        .await
        .unwrap();
    assert!(chained.principal_arn.ends_with("/y"));

    let t = svc.sts().get_session_token(&me, Some(900)).await.unwrap();
    assert_eq!(t.principal_arn, me.arn);
    let again = svc.sts().get_session_token(&found.principal(), None).await;
    assert!(
        matches!(again, Err(Error::Iam(IamError::AccessDenied(m))) if m == "Cannot call GetSessionToken with session credentials")
    );
}
