//! `slipway validate --readiness`: waits for the readiness report that
//! follows the validation (docs/readiness.md) and prints it as text, as
//! the API's JSON, or as JUnit XML (one test case per profile step and per
//! finding) for CI systems.

use super::watch::Outcome;
use slipway_core::AccountId;
use slipway_readiness::{Readiness, Report, ReportStatus, Severity};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Waits until the report of `arn` is Completed or Failed.
pub async fn wait(
    readiness: &Readiness,
    account: &AccountId,
    arn: &str,
    timeout: Duration,
) -> anyhow::Result<Report> {
    let until = Instant::now() + timeout;
    loop {
        let report = readiness.describe(account, arn).await?;
        if matches!(
            report.status,
            ReportStatus::Completed | ReportStatus::Failed
        ) {
            return Ok(report);
        }
        if Instant::now() >= until {
            anyhow::bail!(
                "the readiness report did not finish within {} s",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn text(r: &Report) -> String {
    let mut out = format!(
        "\nreadiness: {} — {} blocking listing, {} breaking buyers, {} advice\n",
        if r.listing_ready() {
            "ready to list"
        } else {
            "NOT ready to list"
        },
        r.count(Severity::BlocksListing),
        r.count(Severity::BreaksBuyers),
        r.count(Severity::Advice)
    );
    for c in &r.checks {
        let _ = writeln!(
            out,
            "  check {:<17} {:?}{} ({} ms)",
            c.category.as_str(),
            c.status,
            c.reason
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default(),
            c.duration_ms
        );
    }
    if let Some(rt) = &r.realtime {
        let ms = |x: Option<f64>| x.map_or("-".to_owned(), |v| format!("{v:.1} ms"));
        let _ = writeln!(
            out,
            "  real-time on {}: start-up {}, ping p50 {} max {}, {} invocations p50 {} p99 {}, largest body accepted {}",
            rt.instance_type,
            rt.startup_ms.map_or("-".to_owned(), |v| format!("{v} ms")),
            ms(rt.ping_p50_ms),
            ms(rt.ping_max_ms),
            rt.invocations,
            ms(rt.invocation_p50_ms),
            ms(rt.invocation_p99_ms),
            rt.largest_body_accepted.map_or("-".to_owned(), |b| format!("{b} bytes")),
        );
    }
    for f in &r.findings {
        let _ = writeln!(out, "\n  [{}] {}: {}", f.severity.as_str(), f.id, f.title);
        if let Some(s) = &f.subject {
            let _ = writeln!(out, "    on: {s}");
        }
        for e in &f.evidence {
            let _ = writeln!(out, "    | {e}");
        }
        let _ = writeln!(out, "    fix: {}", f.fix);
    }
    out
}

/// XML text with the five predefined entities escaped, and characters XML
/// 1.0 cannot carry dropped (container output may hold any byte).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: a suite for the validation (one case per profile step, from
/// the jobs) and one for readiness (one case per check that passed and
/// one failing case per finding; advice is a passing case with output).
pub fn junit(
    outcome: &Outcome,
    report: Option<&Report>,
    tuning: Option<&super::tuning::Report>,
) -> String {
    let mut cases = String::new();
    let mut failures = 0;
    for j in &outcome.jobs {
        let _ = write!(
            cases,
            "    <testcase classname=\"validation\" name=\"{} {}\">",
            esc(j.kind),
            esc(&j.name)
        );
        if j.status != "Completed" {
            failures += 1;
            let _ = write!(
                cases,
                "<failure message=\"{} {}\">{}</failure>",
                esc(j.kind),
                esc(&j.status),
                esc(j.failure_reason.as_deref().unwrap_or(""))
            );
        }
        cases.push_str("</testcase>\n");
    }
    let validation_cases = outcome.jobs.len();
    let validation = format!(
        "  <testsuite name=\"validation\" tests=\"{validation_cases}\" failures=\"{failures}\" time=\"{:.3}\">\n{cases}  </testsuite>\n",
        outcome.seconds
    );
    let mut suites = validation;
    let (mut total, mut total_failures) = (validation_cases, failures);
    if let Some(r) = report {
        let mut cases = String::new();
        let mut n = 0;
        let mut failed = 0;
        for c in &r.checks {
            if r.findings.iter().any(|f| f.category == c.category) {
                continue;
            }
            n += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"readiness.{}\" name=\"{} check\" time=\"{:.3}\">",
                c.category.as_str(),
                c.category.as_str(),
                c.duration_ms as f64 / 1000.0
            );
            if let Some(reason) = &c.reason {
                let _ = write!(cases, "<skipped message=\"{}\"/>", esc(reason));
            }
            cases.push_str("</testcase>\n");
        }
        for f in &r.findings {
            n += 1;
            let body = format!(
                "{}\n{}\nfix: {}",
                f.subject.as_deref().unwrap_or(""),
                f.evidence.join("\n"),
                f.fix
            );
            let _ = write!(
                cases,
                "    <testcase classname=\"readiness.{}\" name=\"{}\">",
                f.category.as_str(),
                esc(&f.id)
            );
            if f.severity == Severity::Advice {
                let _ = write!(
                    cases,
                    "<system-out>{}</system-out>",
                    esc(&format!("{}\n{body}", f.title))
                );
            } else {
                failed += 1;
                let _ = write!(
                    cases,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.severity.as_str(),
                    esc(&f.title),
                    esc(&body)
                );
            }
            cases.push_str("</testcase>\n");
        }
        total += n;
        total_failures += failed;
        suites.push_str(&format!(
            "  <testsuite name=\"readiness\" tests=\"{n}\" failures=\"{failed}\">\n{cases}  </testsuite>\n"
        ));
    }
    if let Some(t) = tuning {
        let mut cases = String::new();
        let mut failed = 0;
        for p in &t.probes {
            let _ = write!(
                cases,
                "    <testcase classname=\"tuning.{}\" name=\"{}={}\">",
                esc(&p.spec.parameter),
                esc(&p.spec.parameter),
                esc(&p.spec.value)
            );
            if !p.passed() {
                failed += 1;
                let missing: Vec<&str> = p
                    .metrics
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(m, _)| m.as_str())
                    .collect();
                let _ = write!(
                    cases,
                    "<failure message=\"{} {}\">{}{}</failure>",
                    esc(&p.job),
                    esc(&p.status),
                    esc(p.failure_reason.as_deref().unwrap_or("")),
                    esc(&format!(
                        "\nobjective metrics missing: {}",
                        missing.join(", ")
                    ))
                );
            }
            cases.push_str("</testcase>\n");
        }
        total += t.probes.len();
        total_failures += failed;
        suites.push_str(&format!(
            "  <testsuite name=\"tuning\" tests=\"{}\" failures=\"{failed}\">\n{cases}  </testsuite>\n",
            t.probes.len()
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"slipway validate\" tests=\"{total}\" failures=\"{total_failures}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(esc("a<b>&\"c'\u{1}\n"), "a&lt;b&gt;&amp;&quot;c&apos;\n");
    }
}
