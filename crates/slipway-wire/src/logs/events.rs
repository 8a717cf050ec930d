//! PutLogEvents, GetLogEvents, FilterLogEvents.

use super::{group_of, long, required, HandlerResult};
use crate::error::AwsError;
use crate::json::{object, Input};
use serde_json::{json, Value};
use slipway_core::ports::logs::LogEvent;
use slipway_core::AccountId;
use slipway_logs::{event_id, FilterEvents, GetEvents};
use slipway_service::Service;

/// The `logEvents` list; the shape check already required each event's
/// `timestamp` (a long) and `message` (a string).
fn input_events(input: &Input) -> Result<Vec<LogEvent>, AwsError> {
    let list = input
        .0
        .get("logEvents")
        .and_then(Value::as_array)
        .ok_or_else(|| super::invalid("logEvents must be a list of events."))?;
    list.iter()
        .map(|e| {
            Some(LogEvent {
                timestamp_ms: e.get("timestamp")?.as_i64()?,
                message: e.get("message")?.as_str()?.to_owned(),
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| super::invalid("Each log event needs a timestamp and a message."))
}

/// The sequence token is ignored, as AWS now ignores it; the reply still
/// carries one for clients that read it.
pub async fn put_log_events(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = required(input, "logGroupName")?;
    let stream = required(input, "logStreamName")?;
    let events = input_events(input)?;
    let outcome = svc
        .logs()
        .put_log_events(account, &group, &stream, events)
        .await
        .map_err(AwsError::from_logs)?;
    let rejected = (outcome.too_old_last.is_some() || outcome.too_new_start.is_some()).then(|| {
        object([
            ("tooOldLogEventEndIndex", json!(outcome.too_old_last)),
            ("tooNewLogEventStartIndex", json!(outcome.too_new_start)),
        ])
    });
    Ok(object([
        (
            "nextSequenceToken",
            json!(uuid::Uuid::new_v4().simple().to_string()),
        ),
        ("rejectedLogEventsInfo", json!(rejected)),
    ]))
}

pub async fn get_log_events(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = group_of(svc, account, input)?;
    let stream = required(input, "logStreamName")?;
    let req = GetEvents {
        start_ms: long(input, "startTime"),
        end_ms: long(input, "endTime"),
        next_token: input.str("nextToken"),
        limit: input.usize("limit"),
        start_from_head: input.bool("startFromHead").unwrap_or(false),
    };
    let page = svc
        .logs()
        .get_log_events(account, &group, &stream, req)
        .await
        .map_err(AwsError::from_logs)?;
    let events: Vec<_> = page
        .events
        .iter()
        .map(|e| {
            json!({
                "timestamp": e.key.timestamp_ms,
                "message": e.message,
                "ingestionTime": e.ingestion_ms,
            })
        })
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": page.next_forward_token,
        "nextBackwardToken": page.next_backward_token,
    }))
}

/// `interleaved` is accepted and ignored: results are always interleaved
/// across streams in time order, as AWS now does.
pub async fn filter_log_events(svc: &Service, account: &AccountId, input: &Input) -> HandlerResult {
    let group = group_of(svc, account, input)?;
    let req = FilterEvents {
        stream_names: input.typed("logStreamNames")?,
        stream_prefix: input.str("logStreamNamePrefix"),
        start_ms: long(input, "startTime"),
        end_ms: long(input, "endTime"),
        pattern: input.str("filterPattern"),
        next_token: input.str("nextToken"),
        limit: input.usize("limit"),
        start_from_head: input.bool("startFromHead"),
    };
    let page = svc
        .logs()
        .filter_log_events(account, &group, req)
        .await
        .map_err(AwsError::from_logs)?;
    let events: Vec<_> = page
        .items
        .iter()
        .map(|e| {
            json!({
                "logStreamName": e.stream,
                "timestamp": e.key.timestamp_ms,
                "message": e.message,
                "ingestionTime": e.ingestion_ms,
                "eventId": event_id(e),
            })
        })
        .collect();
    Ok(object([
        ("events", json!(events)),
        ("searchedLogStreams", json!([])),
        ("nextToken", json!(page.next_token)),
    ]))
}
