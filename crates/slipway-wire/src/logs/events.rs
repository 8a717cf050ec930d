//! PutLogEvents, GetLogEvents, FilterLogEvents.

use super::{group_of, limit};
use crate::generated::logs::*;
use slipway_core::ports::logs::LogEvent;
use slipway_logs::{event_id, FilterEvents, GetEvents};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

/// The sequence token is ignored, as AWS now ignores it; the reply still
/// carries one for clients that read it.
pub async fn put_log_events(
    cx: &Cx<'_>,
    input: PutLogEventsRequest,
) -> Result<PutLogEventsResponse, AwsError> {
    // The shape check already required each event's timestamp and message.
    let events = input
        .log_events
        .into_iter()
        .map(|e| LogEvent {
            timestamp_ms: e.timestamp,
            message: e.message,
        })
        .collect();
    let outcome = cx
        .svc
        .logs()
        .put_log_events(
            cx.account,
            &input.log_group_name,
            &input.log_stream_name,
            events,
        )
        .await
        .map_err(AwsError::from_logs)?;
    let index = |i: Option<usize>| i.and_then(|i| i64::try_from(i).ok());
    let rejected = (outcome.too_old_last.is_some() || outcome.too_new_start.is_some()).then(|| {
        RejectedLogEventsInfo {
            too_old_log_event_end_index: index(outcome.too_old_last),
            too_new_log_event_start_index: index(outcome.too_new_start),
            ..RejectedLogEventsInfo::default()
        }
    });
    Ok(PutLogEventsResponse {
        next_sequence_token: Some(uuid::Uuid::new_v4().simple().to_string()),
        rejected_log_events_info: rejected,
        ..PutLogEventsResponse::default()
    })
}

pub async fn get_log_events(
    cx: &Cx<'_>,
    input: GetLogEventsRequest,
) -> Result<GetLogEventsResponse, AwsError> {
    let group = group_of(cx, input.log_group_name, input.log_group_identifier)?;
    let req = GetEvents {
        start_ms: input.start_time,
        end_ms: input.end_time,
        next_token: input.next_token,
        limit: limit(input.limit),
        start_from_head: input.start_from_head.unwrap_or(false),
    };
    let page = cx
        .svc
        .logs()
        .get_log_events(cx.account, &group, &input.log_stream_name, req)
        .await
        .map_err(AwsError::from_logs)?;
    let events = page
        .events
        .into_iter()
        .map(|e| OutputLogEvent {
            timestamp: Some(e.key.timestamp_ms),
            message: Some(e.message),
            ingestion_time: Some(e.ingestion_ms),
        })
        .collect();
    Ok(GetLogEventsResponse {
        events: Some(events),
        next_forward_token: Some(page.next_forward_token),
        next_backward_token: Some(page.next_backward_token),
    })
}

/// `interleaved` is accepted and ignored: results are always interleaved
/// across streams in time order, as AWS now does.
pub async fn filter_log_events(
    cx: &Cx<'_>,
    input: FilterLogEventsRequest,
) -> Result<FilterLogEventsResponse, AwsError> {
    let group = group_of(cx, input.log_group_name, input.log_group_identifier)?;
    let req = FilterEvents {
        stream_names: input.log_stream_names,
        stream_prefix: input.log_stream_name_prefix,
        start_ms: input.start_time,
        end_ms: input.end_time,
        pattern: input.filter_pattern,
        next_token: input.next_token,
        limit: limit(input.limit),
        start_from_head: input.start_from_head,
    };
    let page = cx
        .svc
        .logs()
        .filter_log_events(cx.account, &group, req)
        .await
        .map_err(AwsError::from_logs)?;
    let events = page
        .items
        .iter()
        .map(|e| FilteredLogEvent {
            log_stream_name: Some(e.stream.clone()),
            timestamp: Some(e.key.timestamp_ms),
            message: Some(e.message.clone()),
            ingestion_time: Some(e.ingestion_ms),
            event_id: Some(event_id(e)),
        })
        .collect();
    Ok(FilterLogEventsResponse {
        events: Some(events),
        searched_log_streams: Some(Vec::new()),
        next_token: page.next_token,
    })
}
