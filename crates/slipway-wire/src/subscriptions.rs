//! Slipway's own buyer operations (docs/marketplace.md "Buyers"): AWS
//! JSON 1.1 under the target prefix `SlipwayMarketplace_20261201.`, signed
//! for `aws-marketplace`, described by a botocore-format model in
//! `sdk/botocore-data/slipwaymarketplace/2026-12-01/service-2.json`. AWS
//! has no public API for accepting a Marketplace offer; these are shaped
//! like one, so boto3 and the AWS CLI call them with `AWS_DATA_PATH`.
//! Errors are the Marketplace family's (the Catalog's codes and statuses).

use crate::catalog::api::error;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_core::AccountId;
use slipway_marketplace::{Marketplace, Subscription};
use slipway_wire_core::auth::Caller;
use slipway_wire_core::error::AwsError;

pub const TARGET_PREFIX: &str = "SlipwayMarketplace_20261201.";

fn validation(m: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::UNPROCESSABLE_ENTITY, "ValidationException", m)
}

fn secs(micros: i64) -> f64 {
    micros as f64 / 1e6
}

pub fn subscription_json(s: &Subscription, caller: &AccountId) -> Value {
    let mut v = json!({
        "AgreementId": s.agreement_id,
        "ProductId": s.product_id,
        "ProductTitle": s.product_title,
        "OfferId": s.offer_id,
        "BuyerAccountId": s.buyer.as_str(),
        "SellerAccountId": s.seller.as_str(),
        "Role": if &s.buyer == caller { "Buyer" } else { "Seller" },
        "Status": s.status.as_str(),
        "StartTime": secs(s.start),
    });
    if let Some(e) = s.end {
        v["EndTime"] = json!(secs(e));
    }
    v
}

fn product_id(input: &Value) -> Result<String, AwsError> {
    match input.get("ProductId") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 100 => Ok(s.clone()),
        Some(Value::String(_)) => Err(validation(
            "1 validation error detected: Value at 'productId' failed to satisfy constraint: Member must have length between 1 and 100",
        )),
        Some(_) => Err(AwsError::serialization("ProductId must be a string.")),
        None => Err(validation(
            "1 validation error detected: Value null at 'productId' failed to satisfy constraint: Member must not be null",
        )),
    }
}

pub async fn handle(
    m: &Marketplace,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| AwsError::serialization(format!("The request body is not JSON: {e}")))?
    };
    if !input.is_object() {
        return Err(AwsError::serialization(
            "The request body must be a JSON object.",
        ));
    }
    let me = &caller.account;
    let answer = match op {
        "Subscribe" => {
            let s = m.subscribe(me, &product_id(&input)?).await.map_err(error)?;
            json!({"Subscription": subscription_json(&s, me)})
        }
        "Unsubscribe" => {
            let s = m
                .unsubscribe(me, &product_id(&input)?)
                .await
                .map_err(error)?;
            json!({"Subscription": subscription_json(&s, me)})
        }
        "ListSubscriptions" => {
            let role = match input.get("Role") {
                None | Some(Value::Null) => None,
                Some(Value::String(r)) if r == "Buyer" || r == "Seller" => Some(r.clone()),
                Some(other) => {
                    return Err(validation(format!(
                        "1 validation error detected: Value {other} at 'role' failed to satisfy constraint: Member must satisfy enum value set: [Buyer, Seller]"
                    )))
                }
            };
            let product = input.get("ProductId").and_then(Value::as_str);
            let list: Vec<Value> = m
                .subscriptions(me)
                .await
                .map_err(error)?
                .iter()
                .filter(|s| match role.as_deref() {
                    Some("Buyer") => &s.buyer == me,
                    Some("Seller") => &s.seller == me,
                    _ => true,
                })
                .filter(|s| product.is_none_or(|p| p == s.product_id))
                .map(|s| subscription_json(s, me))
                .collect();
            json!({"Subscriptions": list})
        }
        _ => {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "UnknownOperationException",
                format!("SlipwayMarketplace has no operation {op}."),
            ))
        }
    };
    Ok(slipway_wire_core::json::ok(answer.into()))
}
