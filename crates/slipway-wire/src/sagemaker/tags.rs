//! AddTags, ListTags, DeleteTags.

use super::common::{required, HandlerResult};
use crate::error::AwsError;
use crate::json::{object, Input};
use serde_json::{json, Value};
use slipway_core::ports::metadata::Tag;
use slipway_core::AccountId;
use slipway_service::Service;

fn tag_json(t: &Tag) -> Value {
    json!({"Key": t.key, "Value": t.value})
}

pub async fn add_tags(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let arn = required(&input, "ResourceArn")?;
    let tags = input
        .tags("Tags")
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();
    let added = svc
        .tags()
        .add(account, &arn, tags)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({ "Tags": added.iter().map(tag_json).collect::<Vec<_>>() }))
}

pub async fn list_tags(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let arn = required(&input, "ResourceArn")?;
    let next = input.str("NextToken");
    let (tags, next) = svc
        .tags()
        .list(account, &arn, input.usize("MaxResults"), next.as_deref())
        .await
        .map_err(AwsError::from_service)?;
    Ok(object([
        ("Tags", json!(tags.iter().map(tag_json).collect::<Vec<_>>())),
        ("NextToken", json!(next)),
    ]))
}

pub async fn delete_tags(svc: &Service, account: &AccountId, input: Input) -> HandlerResult {
    let arn = required(&input, "ResourceArn")?;
    let keys: Vec<String> = input.typed("TagKeys")?.unwrap_or_default();
    svc.tags()
        .delete(account, &arn, &keys)
        .await
        .map_err(AwsError::from_service)?;
    Ok(json!({}))
}
