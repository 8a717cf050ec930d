//! The real-time check AWS never runs: the inference image deployed on
//! the validation's model as an endpoint deploys it
//! (`slipway_hosting::probe`), then measured — start-up and GET /ping
//! against SageMaker's limits, the profile's input sent record by record
//! as a buyer's predictor sends it, the largest body the server accepts
//! (up to InvokeEndpoint's 6,291,456 bytes), and its
//! `/execution-parameters`.

use super::records::{self, Records};
use crate::checks::image;
use crate::report::{Category, Finding, RealTimeFigures, Severity};
use crate::Ctx;
use bytes::Bytes;
use slipway_hosting::probe::{Probe, ProbeSpec};
use std::time::{Duration, Instant};

/// SageMaker's per-ping time-out.
pub const PING_LIMIT: Duration = Duration::from_secs(2);
/// How long one measured ping may take before it counts as no answer.
const PING_PATIENCE: Duration = Duration::from_secs(10);
/// InvokeEndpoint's time limit per invocation.
pub const INVOCATION_LIMIT: Duration = Duration::from_secs(60);
/// InvokeEndpoint's largest request body.
pub const MAX_BODY: usize = 6_291_456;
/// Pings measured once the container is ready.
const PINGS: usize = 5;
/// The body probe stops narrowing within this many bytes.
const BODY_RESOLUTION: usize = 64 << 10;

/// Why the check could not run, or what it measured and found.
pub enum Outcome {
    Skipped(String),
    Ran(RealTimeFigures, Vec<Finding>),
}

pub async fn check(cx: &Ctx) -> Outcome {
    let s = &cx.subject;
    let Some(instance_type) = s.realtime_types().first().cloned() else {
        return Outcome::Skipped("the resource lists no real-time instance types".into());
    };
    let Some((profile, names)) = s.job_names().into_iter().next() else {
        return Outcome::Skipped("the validation has no profile".into());
    };
    let svc = cx.hosting.service();
    if svc
        .models()
        .describe(&cx.account, &names.model)
        .await
        .is_err()
    {
        return Outcome::Skipped(format!(
            "the validation created no model to deploy (profile {profile}: its training step did not complete)"
        ));
    }
    let def = s
        .profiles
        .iter()
        .find(|p| p.profile_name == profile)
        .and_then(|p| p.transform_job_definition.clone());
    let spec = ProbeSpec {
        name: names.realtime.clone(),
        owner_arn: s.record.arn.clone(),
        model_name: names.model.clone(),
        instance_type: instance_type.clone(),
        network_isolated: true,
    };
    let mut figures = RealTimeFigures {
        instance_type,
        endpoint_name: names.realtime.clone(),
        ..RealTimeFigures::default()
    };
    let mut out = Vec::new();
    let images = s.inference_images();
    let subject = format!(
        "inference image {}",
        images.first().map(String::as_str).unwrap_or("?")
    );
    let started = Instant::now();
    let probe = match cx.hosting.start_probe(&cx.account, &spec).await {
        Ok(p) => p,
        Err(reason) => {
            let image = images.first().cloned().unwrap_or_default();
            let known =
                image::why_not_runnable(cx, &image, "inference", "serve", &reason, &subject).await;
            let f = known.unwrap_or_else(|| {
                Finding::new(
                    "realtime.start-failed",
                    Category::RealTime,
                    Severity::BreaksBuyers,
                    "The inference container does not start as an endpoint",
                )
                .subject(subject.clone())
                .evidence(reason.clone())
                .fix("Run the image as SageMaker does (docker run IMAGE serve, model at /opt/ml/model, no network) and fix what stops it.")
            });
            out.push(f);
            return Outcome::Ran(figures, out);
        }
    };
    measure(
        cx,
        &probe,
        started,
        def.as_ref(),
        &subject,
        &mut figures,
        &mut out,
    )
    .await;
    probe.end(&cx.hosting).await;
    Outcome::Ran(figures, out)
}

async fn measure(
    cx: &Ctx,
    probe: &Probe,
    started: Instant,
    def: Option<&slipway_core::spec::TransformJobDefinition>,
    subject: &str,
    figures: &mut RealTimeFigures,
    out: &mut Vec<Finding>,
) {
    let window = cx.hosting.settings().startup_timeout;
    let engine = cx.hosting.service().job_runtime().engine().clone();
    let ping_url = format!("{}/ping", probe.base_url);
    // Start-up: until the first 200, however long each ping takes.
    let ready_ping = loop {
        let t = Instant::now();
        let r = cx.client.get(&ping_url).timeout(PING_PATIENCE).send().await;
        if matches!(&r, Ok(r) if r.status().as_u16() == 200) {
            figures.startup_ms = Some(started.elapsed().as_millis() as u64);
            break t.elapsed();
        }
        let alive = engine
            .inspect(&probe.container)
            .await
            .map(|s| s.running)
            .unwrap_or(false);
        if !alive {
            out.push(
                Finding::new(
                    "realtime.exited",
                    Category::RealTime,
                    Severity::BreaksBuyers,
                    "The inference container exits before it is ready",
                )
                .subject(subject)
                .evidence(format!("it exited {} ms after start; it printed: {}", started.elapsed().as_millis(), said(probe)))
                .fix("Run the image as SageMaker does (docker run IMAGE serve, the model at /opt/ml/model, no network) and fix what ends it."),
            );
            return;
        }
        if started.elapsed() >= window {
            out.push(
                Finding::new(
                    "realtime.startup-window",
                    Category::RealTime,
                    Severity::BreaksBuyers,
                    "The endpoint does not become ready within the start-up window",
                )
                .subject(subject)
                .evidence(format!("no GET /ping answered 200 within {} s; it printed: {}", window.as_secs(), said(probe)))
                .fix("Start serving sooner (load the model lazily or faster), or document ContainerStartupHealthCheckTimeoutInSeconds for buyers (60–3600 s)."),
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut pings = vec![ready_ping];
    for _ in 0..PINGS {
        let t = Instant::now();
        let ok = cx
            .client
            .get(&ping_url)
            .timeout(PING_PATIENCE)
            .send()
            .await
            .is_ok_and(|r| r.status().as_u16() == 200);
        pings.push(if ok { t.elapsed() } else { PING_PATIENCE });
    }
    let ms: Vec<f64> = pings.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    figures.ping_p50_ms = percentile(&ms, 50.0);
    figures.ping_max_ms = percentile(&ms, 100.0);
    if let Some(max) = pings.iter().max().filter(|d| **d > PING_LIMIT) {
        out.push(
            Finding::new(
                "realtime.ping-slow",
                Category::RealTime,
                Severity::BreaksBuyers,
                "GET /ping takes longer than SageMaker waits",
            )
            .subject(subject)
            .evidence(format!(
                "{} pings: p50 {:.0} ms, slowest {} ms; SageMaker waits {} s per ping, so the endpoint never passes its health check",
                pings.len(),
                figures.ping_p50_ms.unwrap_or_default(),
                max.as_millis(),
                PING_LIMIT.as_secs()
            ))
            .fix("Answer GET /ping at once with 200 and an empty body; check model health elsewhere (at load time), not on every ping."),
        );
    }
    execution_parameters(cx, probe, subject, out).await;
    let Some(def) = def else {
        return;
    };
    let records = match records::read(cx.hosting.service(), &cx.account, def).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "readiness: reading the transform input");
            return;
        }
    };
    let timed_out = invoke_records(cx, probe, &records, subject, figures, out).await;
    if !timed_out {
        body_probe(cx, probe, &records, subject, figures, out).await;
    }
}

fn said(probe: &Probe) -> String {
    match probe.said(5) {
        s if s.is_empty() => "nothing".into(),
        s => s,
    }
}

/// One POST /invocations as InvokeEndpoint forwards it.
async fn invoke(
    cx: &Ctx,
    probe: &Probe,
    r: &Records,
    body: Bytes,
) -> Result<(u16, Bytes, Duration), (String, Duration)> {
    let t = Instant::now();
    let mut req = cx
        .client
        .post(format!("{}/invocations", probe.base_url))
        .timeout(INVOCATION_LIMIT)
        .body(body);
    if let Some(ct) = &r.content_type {
        req = req.header("content-type", ct);
    }
    if let Some(a) = &r.accept {
        req = req.header("accept", a);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            Ok((status, body, t.elapsed()))
        }
        Err(e) if e.is_timeout() => Err((
            format!("did not answer within {} s", INVOCATION_LIMIT.as_secs()),
            t.elapsed(),
        )),
        Err(e) => Err((format!("the connection failed: {e}"), t.elapsed())),
    }
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sends every record; true when one ran past the time limit (the rest
/// are not sent: each would wait as long).
async fn invoke_records(
    cx: &Ctx,
    probe: &Probe,
    records: &Records,
    subject: &str,
    figures: &mut RealTimeFigures,
    out: &mut Vec<Finding>,
) -> bool {
    let mut times = Vec::new();
    let mut errors = Vec::new();
    let mut timed_out = None;
    for (i, rec) in records.records.iter().enumerate() {
        figures.invocations += 1;
        match invoke(cx, probe, records, rec.clone()).await {
            Ok((status, body, took)) => {
                times.push(took.as_secs_f64() * 1000.0);
                if !(200..300).contains(&status) {
                    errors.push(format!(
                        "record {}: HTTP {status}: {}",
                        i + 1,
                        excerpt(&body)
                    ));
                }
            }
            Err((why, took)) => {
                times.push(took.as_secs_f64() * 1000.0);
                if took >= INVOCATION_LIMIT {
                    timed_out = Some(format!("record {} ({} bytes): {why}", i + 1, rec.len()));
                    break;
                }
                errors.push(format!("record {}: {why}", i + 1));
            }
        }
    }
    figures.invocation_errors = errors.len();
    figures.invocation_p50_ms = percentile(&times, 50.0);
    figures.invocation_p99_ms = percentile(&times, 99.0);
    figures.invocation_max_ms = percentile(&times, 100.0);
    if let Some(why) = &timed_out {
        out.push(
            Finding::new(
                "realtime.invocation-timeout",
                Category::RealTime,
                Severity::BreaksBuyers,
                "An invocation takes longer than InvokeEndpoint allows",
            )
            .subject(subject)
            .evidence(format!("{why}; InvokeEndpoint gives a container {} s", INVOCATION_LIMIT.as_secs()))
            .fix("Answer within 60 s (a smaller model, batching inside the container, a faster instance type), or document asynchronous inference or batch transform for long requests."),
        );
    }
    if !errors.is_empty() {
        let mut f = Finding::new(
            "realtime.invocation-error",
            Category::RealTime,
            Severity::BreaksBuyers,
            "Records of the validation input fail when sent one by one",
        )
        .subject(subject)
        .fix("A buyer's predictor sends one record per request with the input's Content-Type: answer each with 2xx (the same records pass in batch, so check how the server parses a single record).");
        f.evidence.push(format!(
            "{} of {} records failed",
            errors.len(),
            figures.invocations
        ));
        f.evidence.extend(errors.into_iter().take(5));
        out.push(f);
    }
    timed_out.is_some()
}

/// Finds the largest body the server accepts, up to [`MAX_BODY`].
async fn body_probe(
    cx: &Ctx,
    probe: &Probe,
    records: &Records,
    subject: &str,
    figures: &mut RealTimeFigures,
    out: &mut Vec<Finding>,
) {
    let Some(full) = records::body_of_size(records, MAX_BODY) else {
        return;
    };
    let accepted = |r: &Result<(u16, Bytes, Duration), (String, Duration)>| matches!(r, Ok((s, _, _)) if (200..300).contains(s));
    let first = invoke(cx, probe, records, full.clone()).await;
    if accepted(&first) {
        figures.largest_body_accepted = Some(full.len() as u64);
        return;
    }
    let describe = |r: &Result<(u16, Bytes, Duration), (String, Duration)>| match r {
        Ok((s, b, _)) => format!("HTTP {s}: {}", excerpt(b)),
        Err((why, _)) => why.clone(),
    };
    let mut refusal = describe(&first);
    let (mut lo, mut hi) = (0usize, full.len());
    while hi - lo > BODY_RESOLUTION {
        let mid = lo + (hi - lo) / 2;
        let Some(body) = records::body_of_size(records, mid) else {
            break;
        };
        let size = body.len();
        let r = invoke(cx, probe, records, body).await;
        if accepted(&r) {
            lo = size;
        } else {
            hi = size;
            refusal = describe(&r);
        }
        if matches!(&r, Err((_, took)) if *took >= INVOCATION_LIMIT) {
            break;
        }
    }
    if refusal.starts_with("the connection failed") {
        if let Some(early) = early_answer(&probe.base_url, hi, records).await {
            refusal = format!("{early}, answered to the request's head before its body was sent");
        }
    }
    figures.largest_body_accepted = (lo > 0).then_some(lo as u64);
    figures.smallest_body_refused = Some(hi as u64);
    out.push(
        Finding::new(
            "realtime.body-limit",
            Category::RealTime,
            Severity::BreaksBuyers,
            "The model server refuses bodies InvokeEndpoint accepts",
        )
        .subject(subject)
        .evidence(format!(
            "a body of {hi} bytes was refused ({refusal}); the largest accepted was {lo} bytes; InvokeEndpoint accepts up to {MAX_BODY} bytes"
        ))
        .fix("Raise the server's request-size limit to at least 6 MB (nginx: client_max_body_size 6m; gunicorn/Flask: MAX_CONTENT_LENGTH; TorchServe: max_request_size; MMS: max_request_size)."),
    );
}

/// What a server answers to the head of a `POST /invocations` of `size`
/// bytes before any of the body is sent: a server that refuses by
/// `Content-Length` (nginx's 413) answers and closes at once, which an
/// HTTP client sending the body sees only as a failed send. Hand-written
/// because reqwest/hyper do not return a response that arrives before the
/// request body is written.
async fn early_answer(base_url: &str, size: usize, r: &Records) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url
        .strip_prefix("http://")?
        .trim_end_matches('/')
        .to_owned();
    let mut conn = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(&addr),
    )
    .await
    .ok()?
    .ok()?;
    let content_type = r
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    let head = format!(
        "POST /invocations HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.ok()?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]);
    let status = text
        .lines()
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse::<u16>()
        .ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Some(format!("HTTP {status}: {}", excerpt(body.as_bytes())))
}

/// `GET /execution-parameters` is optional; when answered, batch
/// transform uses its values, so they must be valid.
async fn execution_parameters(cx: &Ctx, probe: &Probe, subject: &str, out: &mut Vec<Finding>) {
    let url = format!("{}/execution-parameters", probe.base_url);
    let Ok(resp) = cx
        .client
        .get(&url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
    else {
        return;
    };
    if resp.status().as_u16() != 200 {
        return; // not implemented: the transform job's own values apply
    }
    let body = resp.bytes().await.unwrap_or_default();
    if let Some(problem) = invalid_execution_parameters(&body) {
        out.push(
            Finding::new(
                "batch.execution-parameters-invalid",
                Category::Batch,
                Severity::BreaksBuyers,
                "GET /execution-parameters answers invalid values",
            )
            .subject(subject)
            .evidence(format!("{problem}; the body was: {}", excerpt(&body)))
            .fix("Answer JSON {\"MaxConcurrentTransforms\": n ≥ 1, \"BatchStrategy\": \"MULTI_RECORD\" | \"SINGLE_RECORD\", \"MaxPayloadInMB\": 0–100}, or answer 404 to let the transform job's own values apply."),
        );
    }
}

/// What is wrong with an `/execution-parameters` answer, if anything.
pub fn invalid_execution_parameters(body: &[u8]) -> Option<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Some("the answer is not JSON".into());
    };
    let int = |k: &str| v.get(k).and_then(serde_json::Value::as_i64);
    match v.get("MaxConcurrentTransforms") {
        Some(_) if int("MaxConcurrentTransforms").is_none_or(|n| n < 1) => {
            return Some("MaxConcurrentTransforms is not an integer ≥ 1".into())
        }
        _ => {}
    }
    match v.get("BatchStrategy").map(|s| s.as_str()) {
        Some(Some("MULTI_RECORD" | "SINGLE_RECORD")) | None => {}
        Some(_) => return Some("BatchStrategy is neither MULTI_RECORD nor SINGLE_RECORD".into()),
    }
    match v.get("MaxPayloadInMB") {
        Some(_) if int("MaxPayloadInMB").is_none_or(|n| !(0..=100).contains(&n)) => {
            Some("MaxPayloadInMB is not an integer from 0 to 100".into())
        }
        _ => None,
    }
}

/// Nearest-rank percentile.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v.get(rank.min(v.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_parameters_are_checked_like_batch_transform_uses_them() {
        let ok = br#"{"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}"#;
        assert_eq!(invalid_execution_parameters(ok), None);
        assert!(invalid_execution_parameters(b"{}").is_none());
        assert!(invalid_execution_parameters(b"nope").is_some());
        assert!(invalid_execution_parameters(br#"{"MaxConcurrentTransforms": 0}"#).is_some());
        assert!(invalid_execution_parameters(br#"{"BatchStrategy": "ALL"}"#).is_some());
        assert!(invalid_execution_parameters(br#"{"MaxPayloadInMB": 101}"#).is_some());
        assert!(invalid_execution_parameters(br#"{"MaxPayloadInMB": "6"}"#).is_some());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
    }
}
