//! `Subscribe` of `SlipwayMarketplace_20261201`, the smallest form the
//! metering tests need (body `{"ProductId"}`, answer the agreement). The
//! full subscriptions module (`subscriptions.rs`: Subscribe, Unsubscribe,
//! ListSubscriptions) replaces this file when both are merged.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_marketplace::{CatalogError, Marketplace};
use slipway_wire_core::auth::Caller;
use slipway_wire_core::error::AwsError;

pub async fn handle(
    m: &Marketplace,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Option<Result<Response, AwsError>> {
    (op == "Subscribe").then_some(())?;
    Some(subscribe(m, caller, body).await)
}

async fn subscribe(m: &Marketplace, caller: &Caller, body: &[u8]) -> Result<Response, AwsError> {
    let input: Value = serde_json::from_slice(body)
        .map_err(|e| AwsError::serialization(format!("The request body is not JSON: {e}")))?;
    let product = match input.get("ProductId") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => s.clone(),
        _ => {
            return Err(AwsError::validation(
                "1 validation error detected: Value at 'productId' failed to satisfy constraint: Member must have length between 1 and 255",
            ))
        }
    };
    let s = m
        .subscribe(&caller.account, &product)
        .await
        .map_err(|e| match e {
            CatalogError::Validation(m) => AwsError::validation(m),
            CatalogError::NotFound(m) => {
                AwsError::new(StatusCode::BAD_REQUEST, "ResourceNotFoundException", m)
            }
            other => {
                tracing::error!(error = %other, "subscribing");
                AwsError::internal()
            }
        })?;
    Ok(slipway_wire_core::json::ok(
        json!({"AgreementId": s.agreement_id, "ProductId": s.product_id, "Status": s.status.as_str()})
            .into(),
    ))
}
