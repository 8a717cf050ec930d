//! `Offer@1.0` change types: the public offer of a product, its pricing
//! (free, or an hourly price per dimension key) and its terms.

use super::{err, ChangeKind, Fields, Working};
use crate::model::{Entity, EntityBody, ErrorDetail, Offer, OfferState, Pricing};
use serde_json::Value;
use std::collections::BTreeMap;

pub fn apply(w: &mut Working<'_>, kind: ChangeKind, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    if kind == ChangeKind::CreateOffer {
        return create(w, id, f);
    }
    let mut errors = Vec::new();
    let outcome = match kind {
        ChangeKind::UpdateOfferInformation => {
            let name = f.str("Name", 150, false);
            let description = f.str("Description", 255, false);
            with_offer(w, id, |o| {
                if name.is_some() {
                    o.name = name;
                }
                if description.is_some() {
                    o.description = description;
                }
                Ok(())
            })
        }
        ChangeKind::UpdatePricingTerms => match pricing(f) {
            Some(p) => with_offer(w, id, |o| {
                o.pricing = Some(p);
                Ok(())
            }),
            None => Ok(()),
        },
        ChangeKind::UpdateLegalTerms | ChangeKind::UpdateSupportTerms => {
            let wanted = if kind == ChangeKind::UpdateLegalTerms {
                "LegalTerm"
            } else {
                "SupportTerm"
            };
            let terms = f.objects("Terms", 1, 10);
            match terms {
                Some(t)
                    if t.iter()
                        .all(|x| x.get("Type").and_then(Value::as_str) == Some(wanted)) =>
                {
                    let t: Vec<Value> = t.into_iter().cloned().collect();
                    with_offer(w, id, |o| {
                        o.other_terms
                            .retain(|x| x.get("Type").and_then(Value::as_str) != Some(wanted));
                        o.other_terms.extend(t);
                        Ok(())
                    })
                }
                Some(_) => Err(err(
                    "INVALID_INPUT",
                    format!("Every term of this change must have Type {wanted}."),
                )),
                None => Ok(()),
            }
        }
        ChangeKind::ReleaseOffer => {
            with_offer(w, id, |o| {
                if o.state == OfferState::Released {
                    return Err(err(
                        "INCOMPATIBLE_OFFER_STATUS",
                        format!("Offer {id} is already released."),
                    ));
                }
                if o.pricing.is_none() {
                    return Err(err("MISSING_PRICING_TERMS", format!("Offer {id} has no pricing: add UpdatePricingTerms before ReleaseOffer.")));
                }
                o.state = OfferState::Released;
                Ok(())
            })
        }
        _ => Ok(()),
    };
    if let Err(e) = outcome {
        errors.push(e);
    }
    w.touch(id);
    errors
}

fn with_offer(
    w: &mut Working<'_>,
    id: &str,
    change: impl FnOnce(&mut Offer) -> Result<(), ErrorDetail>,
) -> Result<(), ErrorDetail> {
    match w.out.entities.get_mut(id).map(|e| &mut e.body) {
        Some(EntityBody::Offer(o)) => change(o),
        _ => Err(err(
            "ENTITY_NOT_FOUND",
            format!(
                "Offer {id} was not created by an earlier change and is not one of your offers."
            ),
        )),
    }
}

fn create(w: &mut Working<'_>, id: &str, f: &Fields<'_>) -> Vec<ErrorDetail> {
    let product_id = f.str("ProductId", 100, true);
    let name = f.str("Name", 150, false);
    let Some(product_id) = product_id else {
        return Vec::new();
    };
    let product_id = crate::ids::entity_id_of(&product_id).to_ascii_lowercase();
    if w.product(&product_id).is_none() {
        return vec![err("PRODUCT_NOT_FOUND", format!(
            "ProductId {product_id} names no product of yours in this change set. Create the product in the same change set ($CreateProductChange.Entity.Identifier) or name one you own."
        ))];
    }
    if w.offer_of(&product_id).is_some() {
        return vec![err("DUPLICATE_OFFER", format!("Product {product_id} already has an offer; change it with UpdatePricingTerms instead of creating another."))];
    }
    let now = w.m.service().wall_micros();
    w.out.entities.insert(
        id.to_owned(),
        Entity::new(
            id,
            &w.set.owner,
            now,
            EntityBody::Offer(Offer {
                product_id,
                name,
                description: None,
                state: OfferState::Draft,
                pricing: None,
                other_terms: Vec::new(),
            }),
        ),
    );
    w.touch(id);
    Vec::new()
}

/// UpdatePricingTerms' details: `PricingModel` and `Terms` (usage-based
/// rate cards of `{DimensionKey, Price}`, free-trial terms kept as sent).
fn pricing(f: &Fields<'_>) -> Option<Pricing> {
    let model = f.str("PricingModel", 20, true)?;
    if model != "Usage" && model != "Free" {
        f.fail("INVALID_INPUT", format!("PricingModel {model} is not valid for machine-learning products: use Usage or Free."));
        return None;
    }
    let terms = f.objects("Terms", 0, 10).unwrap_or_default();
    let mut rates = BTreeMap::new();
    let mut currency = "USD".to_owned();
    for t in &terms {
        match t.get("Type").and_then(Value::as_str) {
            Some("UsageBasedPricingTerm") => {
                if let Some(c) = t.get("CurrencyCode").and_then(Value::as_str) {
                    if c != "USD" {
                        f.fail(
                            "INVALID_INPUT",
                            format!("CurrencyCode {c} is not supported: prices are in USD."),
                        );
                        return None;
                    }
                    currency = c.to_owned();
                }
                let cards = t
                    .get("RateCards")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for card in cards {
                    let entries = card
                        .get("RateCard")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for e in entries {
                        let key = e.get("DimensionKey").and_then(Value::as_str);
                        let price = match e.get("Price") {
                            Some(Value::Number(n)) => n.as_f64(),
                            Some(Value::String(s)) => s.parse::<f64>().ok(),
                            _ => None,
                        };
                        match (key, price) {
                            (Some(k), Some(p)) if p >= 0.0 && p.is_finite() => {
                                rates.insert(k.to_owned(), p);
                            }
                            _ => {
                                f.fail("INVALID_INPUT", format!("Every RateCard entry needs a DimensionKey and a non-negative Price; got {e}."));
                                return None;
                            }
                        }
                    }
                }
            }
            Some("FreeTrialPricingTerm") => {}
            other => {
                f.fail("INVALID_INPUT", format!("Term type {} is not valid in UpdatePricingTerms: use UsageBasedPricingTerm (and FreeTrialPricingTerm).", other.unwrap_or("(none)")));
                return None;
            }
        }
    }
    if model == "Usage" && rates.is_empty() {
        f.fail("INVALID_INPUT", "PricingModel Usage needs a UsageBasedPricingTerm with a RateCard; for a free product use PricingModel Free.");
        return None;
    }
    Some(Pricing {
        model,
        currency,
        rates,
        terms: terms.into_iter().cloned().collect(),
    })
}

/// INVALID_DIMENSION_KEY for prices of keys the product does not have.
pub fn unknown_keys(w: &Working<'_>, offer_id: &str) -> Option<ErrorDetail> {
    let EntityBody::Offer(o) = &w.out.entities.get(offer_id)?.body else {
        return None;
    };
    let pricing = o.pricing.as_ref()?;
    let known = w.product(&o.product_id)?.dimension_keys();
    let unknown: Vec<&str> = pricing
        .rates
        .keys()
        .filter(|k| !known.contains(k) && !k.ends_with("i.c"))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    Some(err(
        "INVALID_DIMENSION_KEY",
        format!(
            "Dimension key(s) {} are not dimensions of product {}; its dimensions are: {}.",
            unknown.join(", "),
            o.product_id,
            if known.is_empty() {
                "none yet (add a version first)".to_owned()
            } else {
                known.join(", ")
            }
        ),
    ))
}
