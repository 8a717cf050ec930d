//! The CloudWatch Logs API subset for job logs (AWS JSON 1.1,
//! `Logs_20140328.<Op>`, signed for `logs`).
//!
//! Requests are checked against the botocore logs model first; Logs
//! reports those violations as `InvalidParameterException` (with the same
//! text SageMaker uses for `ValidationException`). Handlers then translate
//! camelCase shapes and call the service once. Times are epoch
//! milliseconds, unlike SageMaker's seconds.

mod events;
mod groups;

use crate::generated::logs::*;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use slipway_logs::LogsError;
use slipway_wire_core::auth::Caller;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::Input;

/// Decodes, checks against the logs model, and runs one operation.
pub async fn handle(
    svc: &slipway_service::Service,
    caller: &Caller,
    op_name: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    let Some(op) = Operation::parse(op_name) else {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Operation {op_name} is not part of the CloudWatch Logs subset this Slipway server implements."),
        ));
    };
    let input = Value::Object(Input::decode(body)?.0);
    slipway_botocore::logs()
        .check_input(op_name, &input)
        .map_err(AwsError::from_logs_input)?;
    let cx = Cx {
        svc,
        account: &caller.account,
    };
    dispatch(&Handlers, &cx, op, input)
        .await
        .map(slipway_wire_core::json::ok)
}

/// The CloudWatch Logs operations this server serves: every one of the
/// model subset.
struct Handlers;

impl LogsApi for Handlers {
    async fn create_log_group(
        &self,
        cx: &Cx<'_>,
        input: CreateLogGroupRequest,
    ) -> Result<(), AwsError> {
        groups::create_log_group(cx, input).await
    }

    async fn create_log_stream(
        &self,
        cx: &Cx<'_>,
        input: CreateLogStreamRequest,
    ) -> Result<(), AwsError> {
        groups::create_log_stream(cx, input).await
    }

    async fn delete_log_group(
        &self,
        cx: &Cx<'_>,
        input: DeleteLogGroupRequest,
    ) -> Result<(), AwsError> {
        groups::delete_log_group(cx, input).await
    }

    async fn describe_log_groups(
        &self,
        cx: &Cx<'_>,
        input: DescribeLogGroupsRequest,
    ) -> Result<DescribeLogGroupsResponse, AwsError> {
        groups::describe_log_groups(cx, input).await
    }

    async fn describe_log_streams(
        &self,
        cx: &Cx<'_>,
        input: DescribeLogStreamsRequest,
    ) -> Result<DescribeLogStreamsResponse, AwsError> {
        groups::describe_log_streams(cx, input).await
    }

    async fn put_log_events(
        &self,
        cx: &Cx<'_>,
        input: PutLogEventsRequest,
    ) -> Result<PutLogEventsResponse, AwsError> {
        events::put_log_events(cx, input).await
    }

    async fn get_log_events(
        &self,
        cx: &Cx<'_>,
        input: GetLogEventsRequest,
    ) -> Result<GetLogEventsResponse, AwsError> {
        events::get_log_events(cx, input).await
    }

    async fn filter_log_events(
        &self,
        cx: &Cx<'_>,
        input: FilterLogEventsRequest,
    ) -> Result<FilterLogEventsResponse, AwsError> {
        events::filter_log_events(cx, input).await
    }
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::from_logs(LogsError::InvalidParameter(message.into()))
}

/// A `limit` member; the model check keeps it positive.
fn limit(n: Option<i64>) -> Option<usize> {
    n.and_then(|n| usize::try_from(n).ok())
}

/// The group an operation reads: `logGroupName` or `logGroupIdentifier`
/// (a name or an ARN), exactly one of them.
fn group_of(
    cx: &Cx<'_>,
    name: Option<String>,
    identifier: Option<String>,
) -> Result<String, AwsError> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroupName and LogGroupIdentifier are mutually exclusive parameters. Specify only one of them.",
        )),
        (Some(name), None) => Ok(name),
        (None, Some(id)) => cx
            .svc
            .logs()
            .group_from_identifier(cx.account, &id)
            .map_err(AwsError::from_logs),
        (None, None) => Err(invalid(
            "Should provide either logGroupName or logGroupIdentifier.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_exists_in_the_botocore_model() {
        for op in Operation::ALL {
            assert!(slipway_botocore::logs().operation(op.name()).is_some());
            assert_eq!(Operation::parse(op.name()), Some(op));
        }
        assert_eq!(
            slipway_botocore::logs().operations().len(),
            Operation::ALL.len()
        );
    }
}
