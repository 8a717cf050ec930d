//! Slipway's readiness API (docs/readiness.md): AWS JSON 1.1 under the
//! target prefix `SlipwayReadiness_20261201.`, signed for `sagemaker`,
//! described by a botocore-format model in
//! `sdk/botocore-data/slipwayreadiness/2026-12-01/service-2.json`, so
//! boto3 and the AWS CLI call it with `AWS_DATA_PATH` pointing there.
//! The report's domain types are `slipway-readiness`'s; this module is
//! the only place that knows their wire names.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_readiness::report::{
    CheckOutcome, Finding, ImageFacts, NetworkActivity, RealTimeFigures,
};
use slipway_readiness::{Readiness, ReadinessError, Report, Severity};
use slipway_wire_core::auth::Caller;
use slipway_wire_core::error::AwsError;

pub const TARGET_PREFIX: &str = "SlipwayReadiness_20261201.";

pub async fn handle(
    readiness: &Readiness,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    match op {
        "DescribeReadinessReport" => {
            let input: Value = serde_json::from_slice(body).map_err(|e| {
                AwsError::serialization(format!("The request body is not JSON: {e}"))
            })?;
            let arn = match input.get("ResourceArn") {
                Some(Value::String(s)) if !s.is_empty() && s.len() <= 2048 => s.clone(),
                Some(Value::String(_)) => {
                    return Err(AwsError::validation(
                        "1 validation error detected: Value at 'resourceArn' failed to satisfy constraint: Member must have length between 1 and 2048",
                    ))
                }
                Some(_) => return Err(AwsError::serialization("ResourceArn must be a string.")),
                None => {
                    return Err(AwsError::validation(
                        "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null",
                    ))
                }
            };
            let report = readiness
                .describe(&caller.account, &arn)
                .await
                .map_err(error)?;
            Ok(slipway_wire_core::json::ok(report_json(&report).into()))
        }
        _ => Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("SlipwayReadiness has no operation {op}."),
        )),
    }
}

fn error(e: ReadinessError) -> AwsError {
    match e {
        ReadinessError::NotFound(m) => {
            AwsError::new(StatusCode::BAD_REQUEST, "ResourceNotFound", m)
        }
        ReadinessError::Invalid(m) => AwsError::validation(m),
        ReadinessError::Service(e) => AwsError::from_service(e),
    }
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

pub fn report_json(r: &Report) -> Value {
    let mut v = json!({
        "ResourceArn": r.resource_arn,
        "ResourceType": r.resource_type,
        "ReportStatus": r.status.as_str(),
        "ValidationStatus": r.validation_status,
        "ListingReady": r.listing_ready(),
        "Summary": {
            "BlocksListing": r.count(Severity::BlocksListing),
            "BreaksBuyers": r.count(Severity::BreaksBuyers),
            "Advice": r.count(Severity::Advice),
        },
        "Checks": r.checks.iter().map(check_json).collect::<Vec<_>>(),
        "Findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "Images": r.images.iter().map(image_json).collect::<Vec<_>>(),
        "NetworkActivity": r.network.iter().map(network_json).collect::<Vec<_>>(),
    });
    if r.started > 0 {
        v["StartTime"] = json!(secs(r.started));
    }
    if let Some(e) = r.ended {
        v["EndTime"] = json!(secs(e));
    }
    if let Some(f) = &r.failure_reason {
        v["FailureReason"] = json!(f);
    }
    if let Some(rt) = &r.realtime {
        v["RealTime"] = realtime_json(rt);
    }
    v
}

fn check_json(c: &CheckOutcome) -> Value {
    let mut v = json!({
        "Category": c.category.as_str(),
        "Status": format!("{:?}", c.status),
        "DurationInMilliseconds": c.duration_ms,
    });
    if let Some(r) = &c.reason {
        v["Reason"] = json!(r);
    }
    v
}

fn finding_json(f: &Finding) -> Value {
    let mut v = json!({
        "FindingId": f.id,
        "Category": f.category.as_str(),
        "Severity": f.severity.as_str(),
        "Title": f.title,
        "Evidence": f.evidence,
        "Fix": f.fix,
    });
    if let Some(s) = &f.subject {
        v["Subject"] = json!(s);
    }
    v
}

fn image_json(i: &ImageFacts) -> Value {
    let mut v = json!({
        "Role": i.role,
        "Image": i.image,
        "InSellerRegistry": i.in_seller_registry,
        "Platform": i.platform,
        "Layers": i.layers,
        "User": i.user,
        "Entrypoint": i.entrypoint,
        "Cmd": i.cmd,
    });
    if let Some(d) = &i.digest {
        v["Digest"] = json!(d);
    }
    if let Some(s) = i.size_bytes {
        v["SizeInBytes"] = json!(s);
    }
    if let Some(s) = &i.scan_status {
        v["ScanStatus"] = json!(s);
    }
    v
}

fn realtime_json(r: &RealTimeFigures) -> Value {
    let mut v = json!({
        "InstanceType": r.instance_type,
        "EndpointName": r.endpoint_name,
        "Invocations": r.invocations,
        "InvocationErrors": r.invocation_errors,
    });
    let mut put = |k: &str, x: Option<f64>| {
        if let Some(x) = x {
            v[k] = json!((x * 10.0).round() / 10.0);
        }
    };
    put("StartupInMilliseconds", r.startup_ms.map(|x| x as f64));
    put("PingP50InMilliseconds", r.ping_p50_ms);
    put("PingMaxInMilliseconds", r.ping_max_ms);
    put("InvocationP50InMilliseconds", r.invocation_p50_ms);
    put("InvocationP99InMilliseconds", r.invocation_p99_ms);
    put("InvocationMaxInMilliseconds", r.invocation_max_ms);
    put(
        "LargestBodyAcceptedInBytes",
        r.largest_body_accepted.map(|x| x as f64),
    );
    put(
        "SmallestBodyRefusedInBytes",
        r.smallest_body_refused.map(|x| x as f64),
    );
    v
}

fn network_json(n: &NetworkActivity) -> Value {
    json!({
        "Container": n.container,
        "LogGroupName": n.log_group,
        "LogStreamName": n.log_stream,
        "Attempts": n.attempts,
    })
}
