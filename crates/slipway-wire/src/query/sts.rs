//! STS operations: decode (already model-checked), one service call,
//! encode as the model's output shape.

use super::error::QueryError;
use super::{iso8601, text};
use serde_json::{json, Value};
use slipway_core::ports::identity::SessionCredential;
use slipway_service::Service;
use slipway_wire_core::auth::Caller;

pub(super) const OPERATIONS: &[&str] = &["GetCallerIdentity", "GetSessionToken", "AssumeRole"];

pub(super) async fn handle(
    svc: &Service,
    caller: &Caller,
    action: &str,
    input: &Value,
) -> Result<Value, QueryError> {
    let duration = input.get("DurationSeconds").and_then(Value::as_i64);
    match action {
        "GetCallerIdentity" => Ok(json!({
            "UserId": caller.principal.user_id,
            "Account": caller.account.as_str(),
            "Arn": caller.principal.arn,
        })),
        "GetSessionToken" => {
            let s = svc
                .sts()
                .get_session_token(&caller.principal, duration)
                .await
                .map_err(QueryError::from_service)?;
            Ok(json!({ "Credentials": credentials(&s) }))
        }
        "AssumeRole" => {
            let role_arn = text(input, "RoleArn").unwrap_or_default();
            let session = text(input, "RoleSessionName").unwrap_or_default();
            let s = svc
                .sts()
                .assume_role(&caller.principal, role_arn, session, duration)
                .await
                .map_err(QueryError::from_service)?;
            Ok(json!({
                "Credentials": credentials(&s),
                "AssumedRoleUser": {"AssumedRoleId": s.user_id, "Arn": s.principal_arn},
            }))
        }
        other => Err(QueryError::validation(format!("unknown action {other}"))),
    }
}

fn credentials(s: &SessionCredential) -> Value {
    json!({
        "AccessKeyId": s.access_key_id,
        "SecretAccessKey": s.secret_access_key,
        "SessionToken": s.session_token,
        "Expiration": iso8601(s.expires),
    })
}
