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

use crate::auth::Caller;
use crate::error::AwsError;
use crate::json::{Input, Reply};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use slipway_core::AccountId;
use slipway_logs::LogsError;
use slipway_service::Service;

/// The operations this server implements, parsed from `X-Amz-Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateLogGroup,
    CreateLogStream,
    DeleteLogGroup,
    PutLogEvents,
    DescribeLogGroups,
    DescribeLogStreams,
    GetLogEvents,
    FilterLogEvents,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Self::CreateLogGroup,
        Self::CreateLogStream,
        Self::DeleteLogGroup,
        Self::PutLogEvents,
        Self::DescribeLogGroups,
        Self::DescribeLogStreams,
        Self::GetLogEvents,
        Self::FilterLogEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CreateLogGroup => "CreateLogGroup",
            Self::CreateLogStream => "CreateLogStream",
            Self::DeleteLogGroup => "DeleteLogGroup",
            Self::PutLogEvents => "PutLogEvents",
            Self::DescribeLogGroups => "DescribeLogGroups",
            Self::DescribeLogStreams => "DescribeLogStreams",
            Self::GetLogEvents => "GetLogEvents",
            Self::FilterLogEvents => "FilterLogEvents",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

type HandlerResult = Result<Value, AwsError>;

/// Decodes, checks against the logs model, and runs one operation.
pub async fn handle(
    svc: &Service,
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
    let input = Input::decode(body)?;
    slipway_model::logs()
        .check_input(op_name, &input.as_value())
        .map_err(AwsError::from_logs_input)?;
    let account = &caller.account;
    use Operation::*;
    let value = match op {
        CreateLogGroup => groups::create_log_group(svc, account, &input).await,
        CreateLogStream => groups::create_log_stream(svc, account, &input).await,
        DeleteLogGroup => groups::delete_log_group(svc, account, &input).await,
        DescribeLogGroups => groups::describe_log_groups(svc, account, &input).await,
        DescribeLogStreams => groups::describe_log_streams(svc, account, &input).await,
        PutLogEvents => events::put_log_events(svc, account, &input).await,
        GetLogEvents => events::get_log_events(svc, account, &input).await,
        FilterLogEvents => events::filter_log_events(svc, account, &input).await,
    }?;
    Ok(crate::json::ok(Reply::Value(value)))
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::from_logs(LogsError::InvalidParameter(message.into()))
}

/// A member the shape check guarantees is present.
fn required(input: &Input, name: &str) -> Result<String, AwsError> {
    input.str(name).ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// A `long` member (epoch milliseconds).
fn long(input: &Input, name: &str) -> Option<i64> {
    input.0.get(name).and_then(Value::as_i64)
}

/// The group an operation reads: `logGroupName` or `logGroupIdentifier`
/// (a name or an ARN), exactly one of them.
fn group_of(svc: &Service, account: &AccountId, input: &Input) -> Result<String, AwsError> {
    match (input.str("logGroupName"), input.str("logGroupIdentifier")) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroupName and LogGroupIdentifier are mutually exclusive parameters. Specify only one of them.",
        )),
        (Some(name), None) => Ok(name),
        (None, Some(id)) => svc
            .logs()
            .group_from_identifier(account, &id)
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
            assert!(slipway_model::logs().operation(op.name()).is_some());
            assert_eq!(Operation::parse(op.name()), Some(op));
        }
        assert_eq!(
            slipway_model::logs().operations().len(),
            Operation::ALL.len()
        );
    }
}
