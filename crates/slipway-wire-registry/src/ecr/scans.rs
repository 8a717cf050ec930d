//! ECR image scanning: StartImageScan, DescribeImageScanFindings, and the
//! scan members of DescribeImages. The scans themselves run in the
//! registry (`slipway_registry`, module `scans`).

use super::{err, image_id, page_size, registry};
use crate::generated::ecr::*;
use slipway_core::ports::registry::ScanFinding;
use slipway_registry::ImageScan;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

fn status(s: &ImageScan) -> ImageScanStatus {
    ImageScanStatus {
        status: Some(s.status.clone()),
        description: s.description.clone(),
    }
}

fn counts(s: &ImageScan) -> std::collections::BTreeMap<String, i64> {
    s.severity_counts
        .iter()
        .map(|(k, v)| (k.clone(), i64::from(*v)))
        .collect()
}

/// DescribeImages' `imageScanStatus` and `imageScanFindingsSummary` of
/// a scanned image (the summary only once the scan completed, as ECR).
pub(super) fn summary(
    scan: Option<&ImageScan>,
) -> (Option<ImageScanStatus>, Option<ImageScanFindingsSummary>) {
    let Some(s) = scan else {
        return (None, None);
    };
    let findings = (s.status == "COMPLETE").then(|| ImageScanFindingsSummary {
        image_scan_completed_at: s.completed_at.map(|t| t as f64),
        vulnerability_source_updated_at: s.vulnerability_source_updated_at.map(|t| t as f64),
        finding_severity_counts: Some(counts(s)),
    });
    (Some(status(s)), findings)
}

fn finding(f: ScanFinding) -> ImageScanFinding {
    ImageScanFinding {
        name: Some(f.name),
        description: f.description,
        uri: f.uri,
        severity: Some(f.severity),
        attributes: Some(
            f.attributes
                .into_iter()
                .map(|(key, value)| Attribute {
                    key,
                    value: Some(value),
                })
                .collect(),
        ),
    }
}

pub(super) async fn start_image_scan(
    cx: &Cx<'_>,
    input: StartImageScanRequest,
) -> Result<StartImageScanResponse, AwsError> {
    let started = registry(cx)
        .start_image_scan(
            cx.account,
            &input.repository_name,
            &image_id(input.image_id),
        )
        .await
        .map_err(err)?;
    Ok(StartImageScanResponse {
        registry_id: Some(cx.account.as_str().to_owned()),
        repository_name: Some(input.repository_name),
        image_id: Some(ImageIdentifier {
            image_digest: Some(started.digest),
            image_tag: started.tag,
        }),
        image_scan_status: Some(status(&started.scan)),
    })
}

pub(super) async fn describe_image_scan_findings(
    cx: &Cx<'_>,
    input: DescribeImageScanFindingsRequest,
) -> Result<DescribeImageScanFindingsResponse, AwsError> {
    let page = registry(cx)
        .image_scan_findings(
            cx.account,
            &input.repository_name,
            &image_id(input.image_id),
            input.next_token.as_deref(),
            page_size(input.max_results, 100),
        )
        .await
        .map_err(err)?;
    let s = &page.scan;
    // Findings are reported once the scan completed; before, only its status.
    let findings = (s.status == "COMPLETE").then(|| ImageScanFindings {
        image_scan_completed_at: s.completed_at.map(|t| t as f64),
        vulnerability_source_updated_at: s.vulnerability_source_updated_at.map(|t| t as f64),
        finding_severity_counts: Some(counts(s)),
        findings: Some(page.findings.into_iter().map(finding).collect()),
        enhanced_findings: None,
    });
    Ok(DescribeImageScanFindingsResponse {
        registry_id: Some(cx.account.as_str().to_owned()),
        repository_name: Some(input.repository_name),
        image_id: Some(ImageIdentifier {
            image_digest: Some(page.digest),
            image_tag: page.tag,
        }),
        image_scan_status: Some(status(s)),
        image_scan_findings: findings,
        next_token: page.next_token,
    })
}
