//! IAM role operations: decode (already model-checked), one service call,
//! encode as the model's output shape. Trust policies go out URL-encoded,
//! as IAM returns them (botocore decodes them back to a document).

use super::error::QueryError;
use super::{iso8601, text};
use serde_json::{json, Value};
use slipway_core::ports::identity::Role;
use slipway_service::iam::NewRole;
use slipway_service::Service;
use slipway_wire_core::auth::Caller;

pub(super) const OPERATIONS: &[&str] = &[
    "CreateRole",
    "GetRole",
    "ListRoles",
    "DeleteRole",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "ListAttachedRolePolicies",
    "SimulatePrincipalPolicy",
];

pub(super) async fn handle(
    svc: &Service,
    caller: &Caller,
    action: &str,
    input: &Value,
) -> Result<Value, QueryError> {
    let iam = svc.iam();
    let account = &caller.account;
    let name = text(input, "RoleName").unwrap_or_default();
    let policy = text(input, "PolicyArn").unwrap_or_default();
    let max_items = input
        .get("MaxItems")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok());
    let e = QueryError::from_service;
    Ok(match action {
        "CreateRole" => {
            let new = NewRole {
                name: name.to_owned(),
                path: text(input, "Path").map(str::to_owned),
                trust_policy: text(input, "AssumeRolePolicyDocument")
                    .unwrap_or_default()
                    .to_owned(),
                description: text(input, "Description").map(str::to_owned),
                max_session_duration: input.get("MaxSessionDuration").and_then(Value::as_i64),
                tags: tags(input),
            };
            let role = iam.create_role(account, new).await.map_err(e)?;
            json!({ "Role": role_json(&role) })
        }
        "GetRole" => json!({ "Role": role_json(&iam.get_role(account, name).await.map_err(e)?) }),
        "ListRoles" => {
            let page = iam
                .list_roles(
                    account,
                    text(input, "PathPrefix"),
                    text(input, "Marker"),
                    max_items,
                )
                .await
                .map_err(e)?;
            let mut out = json!({
                "Roles": page.roles.iter().map(role_json).collect::<Vec<_>>(),
                "IsTruncated": page.marker.is_some(),
            });
            if let Some(m) = page.marker {
                out["Marker"] = json!(m);
            }
            out
        }
        "DeleteRole" => {
            iam.delete_role(account, name).await.map_err(e)?;
            json!({})
        }
        "AttachRolePolicy" => {
            iam.attach_policy(account, name, policy).await.map_err(e)?;
            json!({})
        }
        "DetachRolePolicy" => {
            iam.detach_policy(account, name, policy).await.map_err(e)?;
            json!({})
        }
        "ListAttachedRolePolicies" => {
            let prefix = text(input, "PathPrefix").unwrap_or("/");
            let policies: Vec<Value> = iam
                .attached_policies(account, name)
                .await
                .map_err(e)?
                .into_iter()
                .filter(|arn| policy_path(arn).starts_with(prefix))
                .map(|arn| json!({"PolicyName": arn.rsplit('/').next().unwrap_or(""), "PolicyArn": arn}))
                .collect();
            json!({ "AttachedPolicies": policies, "IsTruncated": false })
        }
        "SimulatePrincipalPolicy" => {
            let source = text(input, "PolicySourceArn").unwrap_or_default();
            iam.simulate(account, source).await.map_err(e)?;
            let resources: Vec<&str> = input
                .get("ResourceArns")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .filter(|v: &Vec<&str>| !v.is_empty())
                .unwrap_or_else(|| vec!["*"]);
            let results: Vec<Value> = input
                .get("ActionNames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .flat_map(|action| {
                    resources.iter().map(move |r| {
                        json!({
                            "EvalActionName": action,
                            "EvalResourceName": r,
                            "EvalDecision": "allowed",
                            "MatchedStatements": [],
                            "MissingContextValues": [],
                        })
                    })
                })
                .collect();
            json!({ "EvaluationResults": results, "IsTruncated": false })
        }
        other => return Err(QueryError::validation(format!("unknown action {other}"))),
    })
}

/// `arn:aws:iam::aws:policy/service-role/X` → `/service-role/`.
fn policy_path(arn: &str) -> String {
    let resource = arn.split_once(":policy").map(|(_, r)| r).unwrap_or("/");
    match resource.rfind('/') {
        Some(i) => resource[..=i].to_owned(),
        None => "/".to_owned(),
    }
}

fn tags(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_owned(),
                t.get("Value")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn role_json(r: &Role) -> Value {
    let mut v = json!({
        "Path": r.path,
        "RoleName": r.name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "CreateDate": iso8601(r.created),
        "AssumeRolePolicyDocument": url_encode(&r.assume_role_policy),
        "MaxSessionDuration": r.max_session_duration,
    });
    if let Some(d) = &r.description {
        v["Description"] = json!(d);
    }
    if !r.tags.is_empty() {
        v["Tags"] = r
            .tags
            .iter()
            .map(|(k, val)| json!({"Key": k, "Value": val}))
            .collect();
    }
    v
}

/// IAM returns policy documents URL-encoded (RFC 3986 unreserved kept).
fn url_encode(text: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(text, KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_paths_and_url_encoding() {
        assert_eq!(
            policy_path("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"),
            "/"
        );
        assert_eq!(
            policy_path(
                "arn:aws:iam::aws:policy/service-role/AmazonSageMakerServiceCatalogProductsUseRole"
            ),
            "/service-role/"
        );
        assert_eq!(
            url_encode("{\"Version\": \"2012-10-17\"}"),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D"
        );
    }
}
