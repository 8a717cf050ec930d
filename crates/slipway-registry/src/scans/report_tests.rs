use super::*;

const TRIVY: &str = r#"{
  "SchemaVersion": 2,
  "ArtifactName": "image.tar",
  "ArtifactType": "container_image",
  "Results": [
    {"Target": "image.tar (alpine 3.18.0)", "Class": "os-pkgs", "Type": "alpine",
     "Vulnerabilities": [
       {"VulnerabilityID": "CVE-2023-0464", "PkgName": "libcrypto3", "InstalledVersion": "3.1.0-r4",
        "FixedVersion": "3.1.1-r0", "Severity": "HIGH", "Title": "openssl: excessive resource use",
        "Description": "A security vulnerability has been identified in all supported versions of OpenSSL.",
        "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2023-0464",
        "CVSS": {"nvd": {"V2Vector": "AV:N/AC:L/Au:N/C:N/I:N/A:P", "V2Score": 5, "V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "V3Score": 7.5},
                 "redhat": {"V3Score": 5.9}}},
       {"VulnerabilityID": "CVE-2023-2650", "PkgName": "libssl3", "InstalledVersion": "3.1.0-r4",
        "Severity": "UNKNOWN", "Title": "only a title"}
     ]},
    {"Target": "app/requirements.txt", "Class": "lang-pkgs", "Type": "pip"}
  ]
}"#;

const GRYPE: &str = r#"{
  "matches": [
    {"vulnerability": {"id": "CVE-2022-48174", "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2022-48174",
                        "severity": "Critical", "urls": ["https://example.test/a"],
                        "description": "There is a stack overflow vulnerability in ash.c:6030 in busybox",
                        "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                  "metrics": {"baseScore": 9.8}}],
                        "fix": {"versions": ["1.36.1-r1"], "state": "fixed"}},
     "artifact": {"name": "busybox", "version": "1.36.1-r0", "type": "apk"}},
    {"vulnerability": {"id": "GHSA-xxxx", "severity": "Negligible", "urls": ["https://example.test/b"]},
     "artifact": {"name": "ssl_client", "version": "1.36.1-r0"}},
    {"vulnerability": {"severity": "High"}, "artifact": {"name": "no-id"}}
  ],
  "source": {"type": "image"},
  "descriptor": {"name": "grype", "version": "0.74.0",
                 "db": {"built": "2024-01-20T01:23:45Z", "schemaVersion": 5}}
}"#;

fn attrs(f: &ScanFinding) -> BTreeMap<&str, &str> {
    f.attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[test]
fn trivy_reports_become_ecr_findings() {
    let r = parse(TRIVY.as_bytes()).unwrap();
    assert_eq!(r.findings.len(), 2);
    let f = &r.findings[0];
    assert_eq!(f.name, "CVE-2023-0464");
    assert_eq!(f.severity, "HIGH");
    assert_eq!(
        f.uri.as_deref(),
        Some("https://avd.aquasec.com/nvd/cve-2023-0464")
    );
    assert!(f.description.as_deref().unwrap().starts_with("A security"));
    let a = attrs(f);
    assert_eq!(a["package_name"], "libcrypto3");
    assert_eq!(a["package_version"], "3.1.0-r4");
    assert_eq!(a["fixed_version"], "3.1.1-r0");
    assert_eq!(a["CVSS2_SCORE"], "5");
    assert_eq!(a["CVSS2_VECTOR"], "AV:N/AC:L/Au:N/C:N/I:N/A:P");
    assert_eq!(a["CVSS3_SCORE"], "7.5");
    // Unknown severity is ECR's UNDEFINED; a missing description falls
    // back on the title.
    let g = &r.findings[1];
    assert_eq!(g.severity, "UNDEFINED");
    assert_eq!(g.description.as_deref(), Some("only a title"));
    assert_eq!(
        r.counts,
        BTreeMap::from([("HIGH".into(), 1), ("UNDEFINED".into(), 1)])
    );
    assert_eq!(r.source_updated, None);
}

#[test]
fn trivy_reports_without_vulnerabilities_are_clean() {
    let r = parse(br#"{"SchemaVersion": 2, "ArtifactName": "x"}"#).unwrap();
    assert!(r.findings.is_empty() && r.counts.is_empty());
    let r = parse(br#"{"Results": [{"Target": "x"}]}"#).unwrap();
    assert!(r.findings.is_empty());
}

#[test]
fn grype_reports_become_ecr_findings() {
    let r = parse(GRYPE.as_bytes()).unwrap();
    // The match without an id is dropped: a finding needs a name.
    assert_eq!(r.findings.len(), 2);
    let f = &r.findings[0];
    assert_eq!(f.name, "CVE-2022-48174");
    assert_eq!(f.severity, "CRITICAL");
    assert_eq!(
        f.uri.as_deref(),
        Some("https://nvd.nist.gov/vuln/detail/CVE-2022-48174")
    );
    let a = attrs(f);
    assert_eq!(a["package_name"], "busybox");
    assert_eq!(a["package_version"], "1.36.1-r0");
    assert_eq!(a["fixed_version"], "1.36.1-r1");
    assert_eq!(a["CVSS3_SCORE"], "9.8");
    assert!(!a.contains_key("CVSS2_SCORE"));
    let g = &r.findings[1];
    assert_eq!(g.severity, "INFORMATIONAL");
    assert_eq!(g.uri.as_deref(), Some("https://example.test/b"));
    assert_eq!(g.description, None);
    assert_eq!(
        r.counts,
        BTreeMap::from([("CRITICAL".into(), 1), ("INFORMATIONAL".into(), 1)])
    );
    assert_eq!(r.source_updated, Some(1_705_713_825_000_000));
}

#[test]
fn severities_map_to_ecr_names() {
    for (given, want) in [
        ("critical", "CRITICAL"),
        ("High", "HIGH"),
        ("MEDIUM", "MEDIUM"),
        ("Moderate", "MEDIUM"),
        ("low", "LOW"),
        ("Negligible", "INFORMATIONAL"),
        ("UNKNOWN", "UNDEFINED"),
        ("", "UNDEFINED"),
        ("bogus", "UNDEFINED"),
    ] {
        assert_eq!(ecr_severity(given), want, "{given}");
    }
}

#[test]
fn garbage_is_refused_with_a_reason() {
    for bad in [
        &b""[..],
        b"not json",
        b"[1, 2]",
        b"\"text\"",
        b"{\"something\": 1}",
        b"{\"matches\": 7}",
        b"{\"Results\": {\"no\": \"list\"}}",
        b"{\"SchemaVersion\": 2, \"Results\": [",
        &[0xff, 0xfe, 0x00],
    ] {
        let e = parse(bad).unwrap_err();
        assert!(
            e.contains("Trivy") || e.contains("Grype"),
            "{:?}: {e}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn huge_reports_are_bounded() {
    // More findings than are kept, with an oversized description each.
    let n = MAX_FINDINGS + 10;
    let long = "x".repeat(MAX_DESCRIPTION * 2);
    let mut s = String::from(r#"{"SchemaVersion": 2, "Results": [{"Vulnerabilities": ["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let d = if i == 0 { long.as_str() } else { "d" };
        s.push_str(&format!(
            r#"{{"VulnerabilityID": "CVE-{i}", "Severity": "LOW", "Description": "{d}"}}"#
        ));
    }
    s.push_str("]}]}");
    let r = parse(s.as_bytes()).unwrap();
    assert_eq!(r.findings.len(), MAX_FINDINGS);
    assert_eq!(r.counts["LOW"], n as u32);
    assert_eq!(
        r.findings[0].description.as_ref().unwrap().chars().count(),
        MAX_DESCRIPTION
    );
}
