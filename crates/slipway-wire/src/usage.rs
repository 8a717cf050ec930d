//! `GetUsage` of Slipway's marketplace API (docs/marketplace.md
//! "Metering"): AWS JSON 1.1 under the target prefix
//! `SlipwayMarketplace_20261201.`, signed for `aws-marketplace`. Answers
//! the priced usage lines the caller is party to, as the account that ran
//! the copies or as their seller.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_core::time_util::{epoch_seconds_to_micros, micros_to_epoch_seconds};
use slipway_marketplace::metering::{self, UsageFilter, UsageLine};
use slipway_marketplace::{CatalogError, Marketplace};
use slipway_wire_core::auth::Caller;
use slipway_wire_core::error::AwsError;

/// The operations of this module; `None` for the others of the service
/// (`subscriptions.rs`, which shares the target prefix).
pub async fn handle(
    m: &Marketplace,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Option<Result<Response, AwsError>> {
    match op {
        "GetUsage" => Some(get_usage(m, caller, body).await),
        _ => None,
    }
}

async fn get_usage(m: &Marketplace, caller: &Caller, body: &[u8]) -> Result<Response, AwsError> {
    let input: Value = serde_json::from_slice(body)
        .map_err(|e| AwsError::serialization(format!("The request body is not JSON: {e}")))?;
    if !input.is_object() {
        return Err(AwsError::serialization(
            "The request body must be a JSON object.",
        ));
    }
    let filter = UsageFilter {
        product_id: optional_id(&input, "ProductId", "productId")?,
        agreement_id: optional_id(&input, "AgreementId", "agreementId")?,
    };
    let lines = m.usage(&caller.account, &filter).await.map_err(error)?;
    let lines: Vec<Value> = lines.iter().map(line_json).collect();
    Ok(slipway_wire_core::json::ok(
        json!({ "UsageRecords": lines }).into(),
    ))
}

/// An optional id member: a string of 1 to 255 characters.
fn optional_id(input: &Value, member: &str, path: &str) -> Result<Option<String>, AwsError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 255 => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(AwsError::validation(format!(
            "1 validation error detected: Value at '{path}' failed to satisfy constraint: Member must have length between 1 and 255"
        ))),
        Some(_) => Err(AwsError::serialization(format!("{member} must be a string."))),
    }
}

fn error(e: CatalogError) -> AwsError {
    match e {
        CatalogError::Validation(m) => AwsError::validation(m),
        CatalogError::NotFound(m) => {
            AwsError::new(StatusCode::BAD_REQUEST, "ResourceNotFoundException", m)
        }
        other => {
            tracing::error!(error = %other, "marketplace usage");
            AwsError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServiceException",
                "An internal error occurred. Try again.",
            )
        }
    }
}

/// One usage line as GetUsage answers it (times in epoch seconds, as
/// AWS JSON 1.1 timestamps).
pub fn line_json(l: &UsageLine) -> Value {
    let r = &l.record;
    json!({
        "ProductId": r.product_id,
        "AgreementId": r.agreement_id,
        "BuyerAccountId": r.user.as_str(),
        "SellerAccountId": r.seller.as_str(),
        "SellersOwnUse": r.sellers_own,
        "UsageType": r.kind.as_str(),
        "Dimension": r.dimension,
        "InstanceType": (!r.instance_type.is_empty()).then_some(&r.instance_type),
        "InstanceCount": r.instance_count,
        "StartTime": micros_to_epoch_seconds(r.start),
        "EndTime": micros_to_epoch_seconds(r.end),
        "DurationSeconds": l.duration_seconds,
        "Quantity": l.quantity,
        "Unit": l.unit,
        "Price": r.price,
        "Currency": r.currency,
        "Amount": l.amount,
        "ResourceArn": r.resource_arn,
        "CopyArn": r.copy_arn,
    })
}

/// A GetUsage answer as CSV (`metering::CSV_HEADER` columns), for a
/// command line that called the API: members it lacks are left empty.
pub fn usage_csv_from_json(answer: &Value) -> String {
    let text = |l: &Value, k: &str| match l.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let time = |l: &Value, k: &str| {
        l.get(k)
            .and_then(Value::as_f64)
            .map(|s| metering::rfc3339(epoch_seconds_to_micros(s)))
            .unwrap_or_default()
    };
    let fixed = |l: &Value, k: &str| {
        l.get(k)
            .and_then(Value::as_f64)
            .map(|x| format!("{x:.6}"))
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = answer
        .get("UsageRecords")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            vec![
                text(l, "ProductId"),
                text(l, "AgreementId"),
                text(l, "BuyerAccountId"),
                text(l, "SellerAccountId"),
                text(l, "SellersOwnUse"),
                text(l, "UsageType"),
                text(l, "Dimension"),
                text(l, "InstanceType"),
                text(l, "InstanceCount"),
                time(l, "StartTime"),
                time(l, "EndTime"),
                text(l, "DurationSeconds"),
                fixed(l, "Quantity"),
                text(l, "Unit"),
                l.get("Price")
                    .and_then(Value::as_f64)
                    .map(|x| format!("{x}"))
                    .unwrap_or_default(),
                text(l, "Currency"),
                fixed(l, "Amount"),
                text(l, "ResourceArn"),
            ]
        })
        .collect();
    metering::csv(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::AccountId;
    use slipway_marketplace::metering::{UsageKindDoc, UsageRecord};

    #[test]
    fn the_csv_of_an_answer_is_the_csv_of_its_lines() {
        let record = UsageRecord {
            id: "run".into(),
            user: AccountId::parse("111122223333").unwrap(),
            seller: AccountId::parse("444455556666").unwrap(),
            sellers_own: false,
            product_id: "prod-abc".into(),
            version_id: "ver-1".into(),
            agreement_id: Some("agmt-1".into()),
            copy_arn: "arn:copy".into(),
            kind: UsageKindDoc::Training,
            dimension: "ml.m5.large.a.t".into(),
            instance_type: "ml.m5.large".into(),
            instance_count: 2,
            start: 1_700_000_000_000_000,
            end: 1_700_000_125_000_000,
            units: 0,
            resource_arn: "arn:job, with a comma".into(),
            currency: "USD".into(),
            price: 2.0,
        };
        let lines = vec![UsageLine::of(record)];
        let answer = json!({"UsageRecords": lines.iter().map(line_json).collect::<Vec<_>>()});
        assert_eq!(usage_csv_from_json(&answer), metering::usage_csv(&lines));
        assert_eq!(
            usage_csv_from_json(&json!({})),
            format!("{}\r\n", metering::CSV_HEADER)
        );
    }
}
