//! The change-set machinery on a test service, in milliseconds: change
//! sets that need no asset (products, visibility, targeting, offers),
//! all-or-nothing failures, locks, VALIDATE, idempotency, quotas, and the
//! access a seller and other accounts get to a product.

use crate::model::{EntityBody, Status, Visibility};
use crate::{CatalogError, Marketplace, MarketplaceConfig, NewChange, NewChangeSet};
use serde_json::{json, Value};
use slipway_core::AccountId;
use slipway_service::testkit::TestService;
use std::time::Duration;

async fn setup(tune: impl FnOnce(&mut MarketplaceConfig)) -> (TestService, Marketplace) {
    let t = TestService::start().await;
    let mut cfg = MarketplaceConfig::new(t.svc.region());
    tune(&mut cfg);
    let m = Marketplace::new(t.svc.clone(), cfg);
    m.install().await.unwrap();
    (t, m)
}

fn change(
    t: &str,
    entity: &str,
    id: Option<&str>,
    details: Value,
    name: Option<&str>,
) -> NewChange {
    NewChange {
        change_type: t.into(),
        entity_type: entity.into(),
        identifier: id.map(str::to_owned),
        details_document: Some(details),
        change_name: name.map(str::to_owned),
        ..NewChange::default()
    }
}

fn set(changes: Vec<NewChange>) -> NewChangeSet {
    NewChangeSet {
        catalog: "AWSMarketplace".into(),
        changes,
        ..NewChangeSet::default()
    }
}

const P: &str = "MachineLearningProduct@1.0";

async fn finished(m: &Marketplace, who: &AccountId, id: &str) -> crate::model::ChangeSet {
    for _ in 0..500 {
        let s = m.describe_change_set(who, id).await.unwrap();
        if s.status.is_terminal() {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("change set {id} did not end");
}

async fn run(m: &Marketplace, who: &AccountId, changes: Vec<NewChange>) -> crate::model::ChangeSet {
    let s = m.start_change_set(who, set(changes)).await.unwrap();
    finished(m, who, &s.id).await
}

fn codes(s: &crate::model::ChangeSet) -> Vec<String> {
    s.changes
        .iter()
        .flat_map(|c| c.errors.iter().map(|e| e.code.clone()))
        .collect()
}

#[tokio::test]
async fn a_product_is_created_changed_and_refused_release_without_a_version() {
    let (t, m) = setup(|_| {}).await;
    let s = run(
        &m,
        &t.account,
        vec![
            change(
                "CreateProduct",
                P,
                None,
                json!({"ProductTitle": "A"}),
                Some("C"),
            ),
            change(
                "UpdateInformation",
                P,
                Some("$C.Entity.Identifier"),
                json!({"ShortDescription": "short"}),
                None,
            ),
        ],
    )
    .await;
    assert_eq!(s.status, Status::Succeeded, "{:?}", s.changes);
    let id = s.changes[0].entity_id.clone().unwrap();
    let e = m.describe_entity(&t.account, &id).await.unwrap();
    let EntityBody::Product(p) = &e.body else {
        panic!()
    };
    assert_eq!(
        (p.title.as_deref(), p.info.short_description.as_deref()),
        (Some("A"), Some("short"))
    );
    assert_eq!(
        (p.visibility(), e.revision, e.locked_by.clone()),
        (Visibility::Draft, 1, None)
    );
    // All or nothing: a valid change beside a failing one writes nothing.
    let s = run(
        &m,
        &t.account,
        vec![
            change(
                "UpdateInformation",
                P,
                Some(&id),
                json!({"ProductTitle": "B"}),
                None,
            ),
            change("ReleaseProduct", P, Some(&id), json!({}), None),
        ],
    )
    .await;
    assert_eq!(
        (s.status, codes(&s)),
        (
            Status::Failed,
            vec!["INCOMPATIBLE_PRODUCT_STATUS".to_owned()]
        )
    );
    let e = m.describe_entity(&t.account, &id).await.unwrap();
    assert_eq!(e.display_name(), "A");
    // VALIDATE checks and writes nothing.
    let s = m
        .start_change_set(
            &t.account,
            NewChangeSet {
                intent: Some("VALIDATE".into()),
                ..set(vec![change(
                    "UpdateInformation",
                    P,
                    Some(&id),
                    json!({"ProductTitle": "C"}),
                    None,
                )])
            },
        )
        .await
        .unwrap();
    assert_eq!(
        finished(&m, &t.account, &s.id).await.status,
        Status::Succeeded
    );
    assert_eq!(
        m.describe_entity(&t.account, &id)
            .await
            .unwrap()
            .display_name(),
        "A"
    );
}

#[tokio::test]
async fn locks_idempotency_cancel_and_quotas() {
    let (t, m) = setup(|c| {
        c.preparing_delay = Duration::from_millis(300);
        c.max_products_per_account = 2;
    })
    .await;
    let s = run(
        &m,
        &t.account,
        vec![change("CreateProduct", P, None, json!({}), None)],
    )
    .await;
    let id = s.changes[0].entity_id.clone().unwrap();
    let upd = || {
        vec![change(
            "UpdateInformation",
            P,
            Some(&id),
            json!({"Sku": "x"}),
            None,
        )]
    };
    let first = m
        .start_change_set(
            &t.account,
            NewChangeSet {
                client_token: Some("t".into()),
                ..set(upd())
            },
        )
        .await
        .unwrap();
    let again = m
        .start_change_set(
            &t.account,
            NewChangeSet {
                client_token: Some("t".into()),
                ..set(upd())
            },
        )
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    match m.start_change_set(&t.account, set(upd())).await {
        Err(CatalogError::InUse(msg)) => assert!(msg.contains(&first.id), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        m.cancel_change_set(&t.account, &first.id)
            .await
            .unwrap()
            .status,
        Status::Cancelled
    );
    assert_eq!(run(&m, &t.account, upd()).await.status, Status::Succeeded);
    match m.cancel_change_set(&t.account, &first.id).await {
        Err(CatalogError::Validation(_)) => {}
        other => panic!("{other:?}"),
    }
    // One more product fits; a second is refused even while the first is still preparing.
    m.start_change_set(
        &t.account,
        set(vec![change("CreateProduct", P, None, json!({}), None)]),
    )
    .await
    .unwrap();
    match m
        .start_change_set(
            &t.account,
            set(vec![change("CreateProduct", P, None, json!({}), None)]),
        )
        .await
    {
        Err(CatalogError::QuotaExceeded(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn others_see_a_product_only_when_public_or_targeted_and_change_it_never() {
    let (t, m) = setup(|_| {}).await;
    let other = AccountId::parse("210987654321").unwrap();
    let s = run(
        &m,
        &t.account,
        vec![change(
            "CreateProduct",
            P,
            None,
            json!({"ProductTitle": "T"}),
            None,
        )],
    )
    .await;
    let id = s.changes[0].entity_id.clone().unwrap();
    assert!(matches!(
        m.describe_entity(&other, &id).await,
        Err(CatalogError::NotFound(_))
    ));
    match m
        .start_change_set(
            &other,
            set(vec![change(
                "UpdateInformation",
                P,
                Some(&id),
                json!({}),
                None,
            )]),
        )
        .await
    {
        Err(CatalogError::AccessDenied(_)) => {}
        r => panic!("{r:?}"),
    }
    let s = run(
        &m,
        &t.account,
        vec![change(
            "UpdateTargeting",
            P,
            Some(&id),
            json!({"PositiveTargeting": {"BuyerAccounts": [other.as_str()]}}),
            None,
        )],
    )
    .await;
    assert_eq!(s.status, Status::Succeeded);
    // Targeted, but a Draft product is not listed to others.
    assert!(m.describe_entity(&other, &id).await.is_err());
    // Unknown members and bad lengths are named per change.
    let s = run(
        &m,
        &t.account,
        vec![change(
            "UpdateInformation",
            P,
            Some(&id),
            json!({"ProductTittle": "x", "SearchKeywords": []}),
            None,
        )],
    )
    .await;
    assert_eq!(codes(&s), vec!["INVALID_INPUT", "INVALID_INPUT"]);
    // Pricing an offer for keys the product lacks.
    let s = run(&m, &t.account, vec![
        change("CreateOffer", "Offer@1.0", None, json!({"ProductId": id}), Some("O")),
        change("UpdatePricingTerms", "Offer@1.0", Some("$O.Entity.Identifier"), json!({"PricingModel": "Usage",
            "Terms": [{"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD",
                       "RateCards": [{"RateCard": [{"DimensionKey": "ml.m5.large.m.i.b", "Price": 1}]}]}]}), None),
    ]).await;
    assert_eq!(codes(&s), vec!["INVALID_DIMENSION_KEY"]);
}
