//! The embedded CloudWatch Logs model: it loads, holds the job-log
//! operations, and checks requests with AWS's own constraint messages.

use crate::{logs, InputError};
use serde_json::json;

const OPERATIONS: [&str; 8] = [
    "CreateLogGroup",
    "CreateLogStream",
    "DeleteLogGroup",
    "PutLogEvents",
    "DescribeLogGroups",
    "DescribeLogStreams",
    "GetLogEvents",
    "FilterLogEvents",
];

fn message(op: &str, body: serde_json::Value) -> String {
    match logs().check_input(op, &body) {
        Err(InputError::Constraints(v)) => crate::aws_message(&v),
        other => panic!("{op}: expected constraint violations, got {other:?}"),
    }
}

#[test]
fn embedded_logs_model_has_the_job_log_operations() {
    let model = logs();
    for op in OPERATIONS {
        assert!(model.operation(op).is_some(), "{op} missing");
    }
    assert_eq!(model.operations().len(), OPERATIONS.len());
    assert_eq!(model.metadata()["targetPrefix"], "Logs_20140328");
    assert_eq!(model.metadata()["jsonVersion"], "1.1");
    assert_eq!(model.metadata()["endpointPrefix"], "logs");
}

#[test]
fn limits_are_reported_as_aws_reports_them() {
    // The text AWS sends (moto issue #6718 quotes the real service).
    assert_eq!(
        message(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "limit": 10001})
        ),
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: \
         Member must have value less than or equal to 10000"
    );
    assert!(message(
        "DescribeLogStreams",
        json!({"logGroupName": "g", "limit": 51})
    )
    .contains("Member must have value less than or equal to 50"));
    assert!(message(
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": []})
    )
    .contains("at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    assert!(
        message("CreateLogGroup", json!({"logGroupName": "bad name"}))
            .contains("Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+")
    );
    assert!(
        message("CreateLogStream", json!({"logGroupName": "g"})).contains(
            "Value null at 'logStreamName' failed to satisfy constraint: Member must not be null"
        )
    );
}

#[test]
fn well_formed_requests_pass() {
    let ok = json!({"logGroupName": "/aws/sagemaker/TrainingJobs", "logStreamName": "job/algo-1-1700000000",
                    "startTime": 0, "startFromHead": true, "limit": 10000});
    logs().check_input("GetLogEvents", &ok).unwrap();
    let put = json!({"logGroupName": "g", "logStreamName": "s",
                     "logEvents": [{"timestamp": 1700000000000_i64, "message": "hello"}]});
    logs().check_input("PutLogEvents", &put).unwrap();
}
