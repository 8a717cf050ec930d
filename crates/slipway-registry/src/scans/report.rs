//! Reads a scanner's JSON report into ECR findings. Two formats, told
//! apart by their top-level members: Trivy (`trivy image -f json`:
//! `Results[].Vulnerabilities[]`) and Grype (`grype -o json`:
//! `matches[]`). The report comes from a program run on a seller's image,
//! so every member is optional, every string is cut to a bound, and the
//! number of findings kept is bounded (the counts still cover them all).

use serde::Deserialize;
use serde_json::Value;
use slipway_core::ports::registry::ScanFinding;
use std::collections::BTreeMap;

/// Findings kept per scan; the severity counts cover every one reported.
pub(crate) const MAX_FINDINGS: usize = 100_000;
/// Longest description kept (characters); longer ones are cut.
const MAX_DESCRIPTION: usize = 4096;
/// Longest name, URI or attribute value kept (characters).
const MAX_FIELD: usize = 1024;

/// What a report says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Report {
    pub findings: Vec<ScanFinding>,
    /// Findings per ECR severity, over every finding reported.
    pub counts: BTreeMap<String, u32>,
    /// When the scanner's vulnerability database was built (microseconds),
    /// if the report says.
    pub source_updated: Option<i64>,
}

/// ECR's severity for a scanner's: CRITICAL, HIGH, MEDIUM, LOW,
/// INFORMATIONAL, or UNDEFINED for anything else (Trivy's UNKNOWN).
pub(crate) fn ecr_severity(s: &str) -> &'static str {
    match s.trim().to_ascii_uppercase().as_str() {
        "CRITICAL" => "CRITICAL",
        "HIGH" => "HIGH",
        "MEDIUM" | "MODERATE" => "MEDIUM",
        "LOW" => "LOW",
        "NEGLIGIBLE" | "INFO" | "INFORMATIONAL" => "INFORMATIONAL",
        _ => "UNDEFINED",
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn text(v: Option<&str>, max: usize) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| cut(s, max))
}

#[derive(Deserialize)]
struct Trivy {
    #[serde(rename = "Results", default)]
    results: Option<Vec<TrivyResult>>,
}

#[derive(Deserialize)]
struct TrivyResult {
    #[serde(rename = "Vulnerabilities", default)]
    vulnerabilities: Option<Vec<TrivyVuln>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TrivyVuln {
    #[serde(rename = "VulnerabilityID")]
    id: Option<String>,
    #[serde(rename = "PkgName")]
    pkg_name: Option<String>,
    #[serde(rename = "InstalledVersion")]
    installed_version: Option<String>,
    #[serde(rename = "FixedVersion")]
    fixed_version: Option<String>,
    #[serde(rename = "Severity")]
    severity: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "PrimaryURL")]
    primary_url: Option<String>,
    /// Vendor (`nvd`, `redhat`, …) → `{V2Score, V2Vector, V3Score, V3Vector}`.
    #[serde(rename = "CVSS")]
    cvss: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
struct Grype {
    matches: Vec<GrypeMatch>,
    #[serde(default)]
    descriptor: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeMatch {
    vulnerability: GrypeVuln,
    artifact: GrypeArtifact,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeVuln {
    id: Option<String>,
    severity: Option<String>,
    description: Option<String>,
    #[serde(rename = "dataSource")]
    data_source: Option<String>,
    urls: Option<Vec<String>>,
    cvss: Option<Vec<Value>>,
    fix: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GrypeArtifact {
    name: Option<String>,
    version: Option<String>,
}

/// Collects findings, counting all and keeping the first `MAX_FINDINGS`.
#[derive(Default)]
struct Collector(Report);

impl Collector {
    fn push(&mut self, f: ScanFinding) {
        *self.0.counts.entry(f.severity.clone()).or_insert(0) += 1;
        if self.0.findings.len() < MAX_FINDINGS {
            self.0.findings.push(f);
        }
    }
}

fn attr(attrs: &mut Vec<(String, String)>, key: &str, v: Option<String>) {
    if let Some(v) = v {
        attrs.push((key.to_owned(), v));
    }
}

/// A number or string member as text (`7.5`, `"7.5"`).
fn number_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => text(Some(s), 32),
        _ => None,
    }
}

fn trivy_finding(v: TrivyVuln) -> Option<ScanFinding> {
    let name = text(v.id.as_deref(), MAX_FIELD)?;
    let mut attributes = Vec::new();
    attr(
        &mut attributes,
        "package_name",
        text(v.pkg_name.as_deref(), MAX_FIELD),
    );
    attr(
        &mut attributes,
        "package_version",
        text(v.installed_version.as_deref(), MAX_FIELD),
    );
    attr(
        &mut attributes,
        "fixed_version",
        text(v.fixed_version.as_deref(), MAX_FIELD),
    );
    // NVD's scores first, as ECR's basic scanning reports them; else the
    // first vendor that has any.
    let cvss = v.cvss.unwrap_or_default();
    let vendor = cvss.get("nvd").or_else(|| cvss.values().next());
    if let Some(c) = vendor {
        attr(
            &mut attributes,
            "CVSS2_SCORE",
            number_text(c.get("V2Score")),
        );
        attr(
            &mut attributes,
            "CVSS2_VECTOR",
            text(c.get("V2Vector").and_then(Value::as_str), MAX_FIELD),
        );
        attr(
            &mut attributes,
            "CVSS3_SCORE",
            number_text(c.get("V3Score")),
        );
        attr(
            &mut attributes,
            "CVSS3_VECTOR",
            text(c.get("V3Vector").and_then(Value::as_str), MAX_FIELD),
        );
    }
    Some(ScanFinding {
        name,
        description: text(v.description.as_deref(), MAX_DESCRIPTION)
            .or_else(|| text(v.title.as_deref(), MAX_DESCRIPTION)),
        uri: text(v.primary_url.as_deref(), MAX_FIELD),
        severity: ecr_severity(v.severity.as_deref().unwrap_or("")).to_owned(),
        attributes,
    })
}

fn grype_finding(m: GrypeMatch) -> Option<ScanFinding> {
    let v = m.vulnerability;
    let name = text(v.id.as_deref(), MAX_FIELD)?;
    let mut attributes = Vec::new();
    attr(
        &mut attributes,
        "package_name",
        text(m.artifact.name.as_deref(), MAX_FIELD),
    );
    attr(
        &mut attributes,
        "package_version",
        text(m.artifact.version.as_deref(), MAX_FIELD),
    );
    let fixed = v
        .fix
        .as_ref()
        .and_then(|f| f.get("versions"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str);
    attr(&mut attributes, "fixed_version", text(fixed, MAX_FIELD));
    for c in v.cvss.as_deref().unwrap_or_default() {
        let version = c.get("version").and_then(Value::as_str).unwrap_or("");
        let key = if version.starts_with('2') {
            "CVSS2"
        } else if version.starts_with('3') {
            "CVSS3"
        } else {
            continue;
        };
        if attributes.iter().any(|(k, _)| k == &format!("{key}_SCORE")) {
            continue;
        }
        attr(
            &mut attributes,
            &format!("{key}_SCORE"),
            number_text(c.pointer("/metrics/baseScore")),
        );
        attr(
            &mut attributes,
            &format!("{key}_VECTOR"),
            text(c.get("vector").and_then(Value::as_str), MAX_FIELD),
        );
    }
    let uri = text(v.data_source.as_deref(), MAX_FIELD).or_else(|| {
        v.urls
            .as_ref()
            .and_then(|u| u.first())
            .and_then(|u| text(Some(u), MAX_FIELD))
    });
    Some(ScanFinding {
        name,
        description: text(v.description.as_deref(), MAX_DESCRIPTION),
        uri,
        severity: ecr_severity(v.severity.as_deref().unwrap_or("")).to_owned(),
        attributes,
    })
}

/// An RFC 3339 time as microseconds since the epoch.
fn rfc3339_micros(s: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// Reads a Trivy or Grype JSON report.
pub(crate) fn parse(bytes: &[u8]) -> Result<Report, String> {
    // Only the top-level member names first, then a typed decode: the
    // report can be tens of MiB, and a `Value` of it several times that.
    let members: BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "The scanner's output is not a JSON object ({e}); expected Trivy JSON \
                 (trivy image -f json) or Grype JSON (grype -o json)."
            )
        })?;
    let mut out = Collector::default();
    if members.contains_key("matches") {
        let g: Grype = serde_json::from_slice(bytes)
            .map_err(|e| format!("The scanner's output is not Grype JSON: {e}"))?;
        for m in g.matches {
            if let Some(f) = grype_finding(m) {
                out.push(f);
            }
        }
        let built = g.descriptor.as_ref().and_then(|d| {
            d.pointer("/db/built")
                .or_else(|| d.pointer("/db/status/built"))
                .and_then(Value::as_str)
        });
        out.0.source_updated = built.and_then(rfc3339_micros);
    } else if members.contains_key("Results") || members.contains_key("SchemaVersion") {
        let t: Trivy = serde_json::from_slice(bytes)
            .map_err(|e| format!("The scanner's output is not Trivy JSON: {e}"))?;
        for r in t.results.unwrap_or_default() {
            for v in r.vulnerabilities.unwrap_or_default() {
                if let Some(f) = trivy_finding(v) {
                    out.push(f);
                }
            }
        }
    } else {
        return Err("The scanner's output is neither Trivy JSON (with \"Results\") nor Grype JSON (with \"matches\").".into());
    }
    Ok(out.0)
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
