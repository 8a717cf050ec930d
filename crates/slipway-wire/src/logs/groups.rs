//! CreateLogGroup, CreateLogStream, DeleteLogGroup, DescribeLogGroups,
//! DescribeLogStreams.

use super::{group_of, required, HandlerResult};
use crate::error::AwsError;
use crate::json::{object, Input};
use serde_json::json;
use slipway_core::AccountId;
use slipway_logs::{DescribeGroups, DescribeStreams};
use slipway_service::Service;

/// `kmsKeyId`, `tags`, `logGroupClass` and deletion protection are
/// accepted and not kept: job logs here are local and unencrypted.
pub async fn create_log_group(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = required(input, "logGroupName")?;
    svc.logs()
        .create_log_group(account, &group)
        .await
        .map_err(AwsError::from_logs)?;
    Ok(json!({}))
}

pub async fn create_log_stream(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = required(input, "logGroupName")?;
    let stream = required(input, "logStreamName")?;
    svc.logs()
        .create_log_stream(account, &group, &stream)
        .await
        .map_err(AwsError::from_logs)?;
    Ok(json!({}))
}

pub async fn delete_log_group(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = required(input, "logGroupName")?;
    svc.logs()
        .delete_log_group(account, &group)
        .await
        .map_err(AwsError::from_logs)?;
    Ok(json!({}))
}

pub async fn describe_log_groups(
    svc: &Service,
    account: &AccountId,
    input: &Input,
) -> HandlerResult {
    // An empty pattern (the model allows length 0) filters nothing.
    let pattern = input.str("logGroupNamePattern").filter(|p| !p.is_empty());
    // With a pattern AWS answers only arn, creationTime and logGroupName.
    let brief = pattern.is_some();
    let req = DescribeGroups {
        prefix: input.str("logGroupNamePrefix"),
        pattern,
        limit: input.usize("limit"),
        next_token: input.str("nextToken"),
    };
    let page = svc
        .logs()
        .describe_log_groups(account, req)
        .await
        .map_err(AwsError::from_logs)?;
    let groups: Vec<_> = page
        .items
        .iter()
        .map(|g| {
            let arn = svc.logs().group_arn(account, &g.name);
            if brief {
                return json!({
                    "logGroupName": g.name,
                    "creationTime": g.created_ms,
                    "arn": format!("{arn}:*"),
                });
            }
            json!({
                "logGroupName": g.name,
                "creationTime": g.created_ms,
                "metricFilterCount": 0,
                "arn": format!("{arn}:*"),
                "storedBytes": g.stored_bytes,
                "logGroupClass": "STANDARD",
                "logGroupArn": arn,
            })
        })
        .collect();
    Ok(object([
        ("logGroups", json!(groups)),
        ("nextToken", json!(page.next_token)),
    ]))
}

pub async fn describe_log_streams(
    svc: &Service,
    account: &AccountId,
    input: &Input,
) -> HandlerResult {
    let group = group_of(svc, account, input)?;
    let req = DescribeStreams {
        prefix: input.str("logStreamNamePrefix"),
        order_by_last_event: input.str("orderBy").as_deref() == Some("LastEventTime"),
        descending: input.bool("descending").unwrap_or(false),
        limit: input.usize("limit"),
        next_token: input.str("nextToken"),
    };
    let page = svc
        .logs()
        .describe_log_streams(account, &group, req)
        .await
        .map_err(AwsError::from_logs)?;
    let streams: Vec<_> = page
        .items
        .iter()
        .map(|s| {
            object([
                ("logStreamName", json!(s.name)),
                ("creationTime", json!(s.created_ms)),
                ("firstEventTimestamp", json!(s.first_event_ms)),
                ("lastEventTimestamp", json!(s.last_event_ms)),
                ("lastIngestionTime", json!(s.last_ingestion_ms)),
                (
                    "arn",
                    json!(svc.logs().stream_arn(account, &group, &s.name)),
                ),
                ("storedBytes", json!(s.stored_bytes)),
            ])
        })
        .collect();
    Ok(object([
        ("logStreams", json!(streams)),
        ("nextToken", json!(page.next_token)),
    ]))
}
