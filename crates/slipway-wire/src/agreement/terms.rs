//! A subscription in the Agreement API's shapes: the agreement views and
//! the accepted terms (docs/marketplace.md "Agreements" has the mapping).

use crate::generated::marketplace_agreement::*;
use serde_json::Value;
use slipway_core::time_util::{micros_to_epoch_seconds, Micros};
use slipway_marketplace::model::Pricing;
use slipway_marketplace::Subscription;

/// The only agreement type a subscription makes.
pub const PURCHASE_AGREEMENT: &str = "PurchaseAgreement";
/// The resource type of every product in this marketplace.
pub const ML_PRODUCT: &str = "MachineLearningProduct";

fn secs(m: Micros) -> f64 {
    micros_to_epoch_seconds(m)
}

/// When the agreement last changed: its end once cancelled, else its start.
pub fn last_update(s: &Subscription) -> Micros {
    s.end.unwrap_or(s.start)
}

fn proposal(s: &Subscription) -> ProposalSummary {
    ProposalSummary {
        offer_id: Some(s.offer_id.clone()),
        resources: Some(vec![Resource {
            id: Some(s.product_id.clone()),
            r#type: Some(ML_PRODUCT.to_owned()),
        }]),
        offer_set_id: None,
    }
}

/// One `agreementViewSummaries` entry. An active subscription has no
/// `endTime` (pay-as-you-go usage never ends on its own).
pub fn summary(s: &Subscription) -> AgreementViewSummary {
    AgreementViewSummary {
        agreement_id: Some(s.agreement_id.clone()),
        acceptance_time: Some(secs(s.start)),
        start_time: Some(secs(s.start)),
        end_time: s.end.map(secs),
        last_update_time: Some(secs(last_update(s))),
        agreement_type: Some(PURCHASE_AGREEMENT.to_owned()),
        acceptor: Some(Acceptor {
            account_id: Some(s.buyer.to_string()),
        }),
        proposer: Some(Proposer {
            account_id: Some(s.seller.to_string()),
        }),
        proposal_summary: Some(proposal(s)),
        status: Some(s.status.as_str().to_owned()),
        ..AgreementViewSummary::default()
    }
}

/// DescribeAgreement's answer (no `estimatedCharges`: usage is metered,
/// so there is no value to estimate up front).
pub fn describe(s: &Subscription) -> DescribeAgreementOutput {
    DescribeAgreementOutput {
        agreement_id: Some(s.agreement_id.clone()),
        acceptor: Some(Acceptor {
            account_id: Some(s.buyer.to_string()),
        }),
        proposer: Some(Proposer {
            account_id: Some(s.seller.to_string()),
        }),
        start_time: Some(secs(s.start)),
        end_time: s.end.map(secs),
        acceptance_time: Some(secs(s.start)),
        agreement_type: Some(PURCHASE_AGREEMENT.to_owned()),
        proposal_summary: Some(proposal(s)),
        status: Some(s.status.as_str().to_owned()),
        ..DescribeAgreementOutput::default()
    }
}

/// A price as the API writes it: decimal text (`0.25`, `0`).
fn price(p: f64) -> String {
    format!("{p}")
}

/// Term ids are stable per agreement and position, so a paged
/// GetAgreementTerms and repeated calls name each term the same way.
fn term_id(s: &Subscription, n: usize) -> String {
    let suffix = s
        .agreement_id
        .trim_start_matches("agmt-")
        .to_ascii_lowercase();
    format!("term-{suffix}-{n}")
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The accepted terms of `s`: the offer's pricing as accepted (a
/// `usageBasedPricingTerm` with one rate card of every priced dimension;
/// for a Free offer, `free_keys` — the product's dimensions — at 0), its
/// free trial as sent, then the offer's legal and support terms
/// (`other_terms`, as the offer has them now).
pub fn accepted(
    s: &Subscription,
    free_keys: &[String],
    other_terms: &[Value],
) -> Vec<AcceptedTerm> {
    let mut out = Vec::new();
    let mut next_id = {
        let mut n = 0;
        move || {
            n += 1;
            term_id(s, n)
        }
    };
    if let Some(p) = &s.pricing {
        out.push(AcceptedTerm {
            usage_based_pricing_term: Some(usage_term(p, free_keys, next_id())),
            ..AcceptedTerm::default()
        });
        for t in &p.terms {
            if t.get("Type").and_then(Value::as_str) == Some("FreeTrialPricingTerm") {
                out.push(AcceptedTerm {
                    free_trial_pricing_term: Some(free_trial(t, next_id())),
                    ..AcceptedTerm::default()
                });
            }
        }
    }
    for t in other_terms {
        match t.get("Type").and_then(Value::as_str) {
            Some("LegalTerm") => out.push(AcceptedTerm {
                legal_term: Some(LegalTerm {
                    r#type: Some("LegalTerm".to_owned()),
                    id: Some(next_id()),
                    documents: t.get("Documents").and_then(Value::as_array).map(|docs| {
                        docs.iter()
                            .map(|d| DocumentItem {
                                r#type: text(d, "Type"),
                                url: text(d, "Url"),
                                version: text(d, "Version"),
                            })
                            .collect()
                    }),
                }),
                ..AcceptedTerm::default()
            }),
            Some("SupportTerm") => out.push(AcceptedTerm {
                support_term: Some(SupportTerm {
                    r#type: Some("SupportTerm".to_owned()),
                    id: Some(next_id()),
                    refund_policy: text(t, "RefundPolicy"),
                }),
                ..AcceptedTerm::default()
            }),
            _ => {}
        }
    }
    out
}

fn usage_term(p: &Pricing, free_keys: &[String], id: String) -> UsageBasedPricingTerm {
    let card: Vec<RateCardItem> = if p.model == "Free" {
        free_keys
            .iter()
            .map(|k| RateCardItem {
                dimension_key: Some(k.clone()),
                price: Some(price(0.0)),
            })
            .collect()
    } else {
        p.rates
            .iter()
            .map(|(k, v)| RateCardItem {
                dimension_key: Some(k.clone()),
                price: Some(price(*v)),
            })
            .collect()
    };
    UsageBasedPricingTerm {
        r#type: Some("UsageBasedPricingTerm".to_owned()),
        id: Some(id),
        currency_code: Some(p.currency.clone()),
        rate_cards: Some(vec![UsageBasedRateCardItem {
            rate_card: Some(card),
        }]),
    }
}

fn free_trial(t: &Value, id: String) -> FreeTrialPricingTerm {
    let grants = t.get("Grants").and_then(Value::as_array).map(|gs| {
        gs.iter()
            .map(|g| GrantItem {
                dimension_key: text(g, "DimensionKey"),
                max_quantity: g.get("MaxQuantity").and_then(Value::as_i64),
            })
            .collect()
    });
    FreeTrialPricingTerm {
        r#type: Some("FreeTrialPricingTerm".to_owned()),
        id: Some(id),
        duration: text(t, "Duration"),
        grants,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;
    use serde_json::json;
    use slipway_core::AccountId;
    use slipway_marketplace::SubscriptionStatus;
    use std::collections::BTreeMap;

    pub(crate) fn sub(pricing: Option<Pricing>) -> Subscription {
        Subscription {
            agreement_id: "agmt-ABCDEFGHIJKLMNOPQRSTUVWXY".into(),
            buyer: AccountId::parse("111111111111").unwrap(),
            seller: AccountId::parse("222222222222").unwrap(),
            product_id: "prod-abc".into(),
            product_title: "Linear".into(),
            offer_id: "offer-xyz".into(),
            status: SubscriptionStatus::Active,
            start: 1_700_000_000_500_000,
            end: None,
            usable_options: vec![],
            pricing,
        }
    }

    fn usage() -> Pricing {
        Pricing {
            model: "Usage".into(),
            currency: "USD".into(),
            rates: BTreeMap::from([
                ("ml.m5.large.m.i.b".into(), 0.25),
                ("ml.m5.large.m.i.r".into(), 1.0),
            ]),
            terms: vec![
                json!({"Type": "UsageBasedPricingTerm"}),
                json!({"Type": "FreeTrialPricingTerm", "Duration": "P7D", "Grants": [{"DimensionKey": "ml.m5.large.m.i.b", "MaxQuantity": 1}]}),
            ],
        }
    }

    #[test]
    fn a_subscription_is_a_purchase_agreement_between_buyer_and_seller() {
        let s = sub(Some(usage()));
        let v = serde_json::to_value(summary(&s)).unwrap();
        assert_eq!(v["acceptor"]["accountId"], "111111111111");
        assert_eq!(v["proposer"]["accountId"], "222222222222");
        assert_eq!(v["agreementType"], "PurchaseAgreement");
        assert_eq!(v["status"], "ACTIVE");
        assert_eq!(v["startTime"], 1_700_000_000.5);
        assert!(v.get("endTime").is_none());
        assert_eq!(
            v["proposalSummary"],
            json!({"offerId": "offer-xyz", "resources": [{"id": "prod-abc", "type": "MachineLearningProduct"}]})
        );
        let mut ended = s.clone();
        ended.status = SubscriptionStatus::Cancelled;
        ended.end = Some(1_800_000_000_000_000);
        let d = serde_json::to_value(describe(&ended)).unwrap();
        assert_eq!(
            (d["status"].as_str(), d["endTime"].as_f64()),
            (Some("CANCELLED"), Some(1_800_000_000.0))
        );
        // Every member is one the model knows: the answer passes the output shape.
        assert!(d.get("estimatedCharges").is_none());
    }

    #[test]
    fn usage_pricing_becomes_a_rate_card_and_the_free_trial_its_own_term() {
        let s = sub(Some(usage()));
        let legal = json!({"Type": "LegalTerm", "Documents": [{"Type": "StandardEula", "Version": "2022-07-14"}]});
        let support = json!({"Type": "SupportTerm", "RefundPolicy": "None."});
        let terms = accepted(&s, &[], &[legal, support]);
        let v = serde_json::to_value(&terms).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 4, "{v}");
        let usage = &v[0]["usageBasedPricingTerm"];
        assert_eq!(usage["currencyCode"], "USD");
        assert_eq!(
            usage["rateCards"][0]["rateCard"],
            json!([
            {"dimensionKey": "ml.m5.large.m.i.b", "price": "0.25"},
            {"dimensionKey": "ml.m5.large.m.i.r", "price": "1"}])
        );
        assert_eq!(v[1]["freeTrialPricingTerm"]["duration"], "P7D");
        assert_eq!(v[1]["freeTrialPricingTerm"]["grants"][0]["maxQuantity"], 1);
        assert_eq!(v[2]["legalTerm"]["documents"][0]["type"], "StandardEula");
        assert_eq!(v[3]["supportTerm"]["refundPolicy"], "None.");
        let ids: Vec<&str> = (0..4)
            .map(|i| {
                v[i].as_object().unwrap().values().next().unwrap()["id"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(ids[0], "term-abcdefghijklmnopqrstuvwxy-1");
        assert_eq!(
            ids.iter().collect::<std::collections::BTreeSet<_>>().len(),
            4
        );
        // Stable across calls.
        assert_eq!(
            serde_json::to_value(accepted(&s, &[], &[])).unwrap()[0],
            v[0]
        );
    }

    #[test]
    fn a_free_offer_prices_every_dimension_at_zero() {
        let free = Pricing {
            model: "Free".into(),
            currency: "USD".into(),
            rates: BTreeMap::new(),
            terms: vec![],
        };
        let s = sub(Some(free));
        let v =
            serde_json::to_value(accepted(&s, &["a.m.i.b".into(), "a.m.i.r".into()], &[])).unwrap();
        assert_eq!(
            v[0]["usageBasedPricingTerm"]["rateCards"][0]["rateCard"],
            json!([{"dimensionKey": "a.m.i.b", "price": "0"}, {"dimensionKey": "a.m.i.r", "price": "0"}])
        );
        assert_eq!(accepted(&sub(None), &[], &[]), vec![]);
    }
}
