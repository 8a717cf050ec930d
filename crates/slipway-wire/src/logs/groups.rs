//! CreateLogGroup, CreateLogStream, DeleteLogGroup, DescribeLogGroups,
//! DescribeLogStreams.

use super::{group_of, limit};
use crate::generated::logs::*;
use slipway_logs::{DescribeGroups, DescribeStreams};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

/// `kmsKeyId`, `tags`, `logGroupClass` and deletion protection are
/// accepted and not kept: job logs here are local and unencrypted.
pub async fn create_log_group(cx: &Cx<'_>, input: CreateLogGroupRequest) -> Result<(), AwsError> {
    cx.svc
        .logs()
        .create_log_group(cx.account, &input.log_group_name)
        .await
        .map_err(AwsError::from_logs)
}

pub async fn create_log_stream(cx: &Cx<'_>, input: CreateLogStreamRequest) -> Result<(), AwsError> {
    cx.svc
        .logs()
        .create_log_stream(cx.account, &input.log_group_name, &input.log_stream_name)
        .await
        .map_err(AwsError::from_logs)
}

pub async fn delete_log_group(cx: &Cx<'_>, input: DeleteLogGroupRequest) -> Result<(), AwsError> {
    cx.svc
        .logs()
        .delete_log_group(cx.account, &input.log_group_name)
        .await
        .map_err(AwsError::from_logs)
}

pub async fn describe_log_groups(
    cx: &Cx<'_>,
    input: DescribeLogGroupsRequest,
) -> Result<DescribeLogGroupsResponse, AwsError> {
    let logs = cx.svc.logs();
    // An empty pattern (the model allows length 0) filters nothing.
    let pattern = input.log_group_name_pattern.filter(|p| !p.is_empty());
    // With a pattern AWS answers only arn, creationTime and logGroupName.
    let brief = pattern.is_some();
    let req = DescribeGroups {
        prefix: input.log_group_name_prefix,
        pattern,
        limit: limit(input.limit),
        next_token: input.next_token,
    };
    let page = logs
        .describe_log_groups(cx.account, req)
        .await
        .map_err(AwsError::from_logs)?;
    let log_groups = page
        .items
        .into_iter()
        .map(|g| {
            let arn = logs.group_arn(cx.account, &g.name);
            let brief_group = LogGroup {
                arn: Some(format!("{arn}:*")),
                creation_time: Some(g.created_ms),
                log_group_name: Some(g.name),
                ..LogGroup::default()
            };
            if brief {
                return brief_group;
            }
            LogGroup {
                metric_filter_count: Some(0),
                stored_bytes: Some(i64::try_from(g.stored_bytes).unwrap_or(i64::MAX)),
                log_group_class: Some("STANDARD".to_owned()),
                log_group_arn: Some(arn),
                ..brief_group
            }
        })
        .collect();
    Ok(DescribeLogGroupsResponse {
        log_groups: Some(log_groups),
        next_token: page.next_token,
    })
}

pub async fn describe_log_streams(
    cx: &Cx<'_>,
    input: DescribeLogStreamsRequest,
) -> Result<DescribeLogStreamsResponse, AwsError> {
    let logs = cx.svc.logs();
    let group = group_of(cx, input.log_group_name, input.log_group_identifier)?;
    let req = DescribeStreams {
        prefix: input.log_stream_name_prefix,
        order_by_last_event: input.order_by.as_deref() == Some("LastEventTime"),
        descending: input.descending.unwrap_or(false),
        limit: limit(input.limit),
        next_token: input.next_token,
    };
    let page = logs
        .describe_log_streams(cx.account, &group, req)
        .await
        .map_err(AwsError::from_logs)?;
    let log_streams = page
        .items
        .into_iter()
        .map(|s| LogStream {
            arn: Some(logs.stream_arn(cx.account, &group, &s.name)),
            log_stream_name: Some(s.name),
            creation_time: Some(s.created_ms),
            first_event_timestamp: s.first_event_ms,
            last_event_timestamp: s.last_event_ms,
            last_ingestion_time: s.last_ingestion_ms,
            stored_bytes: Some(i64::try_from(s.stored_bytes).unwrap_or(i64::MAX)),
            ..LogStream::default()
        })
        .collect();
    Ok(DescribeLogStreamsResponse {
        log_streams: Some(log_streams),
        next_token: page.next_token,
    })
}
