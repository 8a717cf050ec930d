//! Vulnerability scans: AWS Marketplace lists an image only after an ECR
//! scan, and not with Critical or High findings. Slipway's ECR scans with
//! the scanner the operator configures (docs/services.md, "Image
//! scanning"); this check reads the scan, it never starts one (AWS does
//! not either: the seller scans on push or with StartImageScan).

use crate::report::{Category, Finding, ImageFacts, Severity};
use crate::Ctx;

pub async fn check(cx: &Ctx, facts: &mut [ImageFacts]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in facts.iter_mut() {
        let subject = format!("{} image {}", f.role, f.image);
        let Some((repository, digest)) = cx.registry_image(&f.image) else {
            out.push(missing(
                &subject,
                "the image is not in one of your repositories, so it cannot have an ECR scan",
                None,
            ));
            continue;
        };
        let scan = cx
            .hosting
            .service()
            .registry()
            .image_scan(&cx.account, &repository, &digest)
            .await;
        let start = format!(
            "aws ecr start-image-scan --repository-name {repository} --image-id imageDigest={digest}"
        );
        match scan {
            Ok(None) => {
                f.scan_status = Some("NOT_STARTED".into());
                out.push(missing(&subject, "no scan of this image: ECR's DescribeImageScanFindings answers ScanNotFoundException (AWS Marketplace: \"Client error: No scan scheduled\")", Some(&start)));
            }
            Ok(Some(s)) => {
                f.scan_status = Some(s.status.clone());
                match s.status.as_str() {
                    "COMPLETE" => {
                        let count = |k: &str| s.severity_counts.get(k).copied().unwrap_or(0);
                        let (critical, high) = (count("CRITICAL"), count("HIGH"));
                        if critical + high > 0 {
                            out.push(
                                Finding::new(
                                    "scan.critical-or-high",
                                    Category::VulnerabilityScan,
                                    Severity::BlocksListing,
                                    "The image's scan has Critical or High findings",
                                )
                                .subject(subject.clone())
                                .evidence(format!("{critical} CRITICAL and {high} HIGH findings (all counts: {:?})", s.severity_counts))
                                .fix(format!("Update the affected packages (aws ecr describe-image-scan-findings --repository-name {repository} --image-id imageDigest={digest} lists them), push the fixed image, scan it and create the resource with it: AWS Marketplace refuses images with Critical or High findings.")),
                            );
                        }
                    }
                    "IN_PROGRESS" | "PENDING" => {
                        out.push(missing(&subject, "the scan has not finished yet", None))
                    }
                    other => out.push(missing(
                        &subject,
                        &format!(
                            "the scan ended {other}: {}",
                            s.description.as_deref().unwrap_or("no description")
                        ),
                        Some(&start),
                    )),
                }
            }
            Err(e) => out.push(missing(&subject, &format!("reading the scan: {e}"), None)),
        }
    }
    out
}

fn missing(subject: &str, evidence: &str, start: Option<&str>) -> Finding {
    let how = start.map_or_else(
        || "Push the image to your own repository and scan it (aws ecr start-image-scan), or turn on scanOnPush for the repository.".to_owned(),
        |s| format!("Scan the image ({s}), or turn on scanOnPush for the repository, and fix what it finds."),
    );
    Finding::new(
        "scan.missing",
        Category::VulnerabilityScan,
        Severity::BlocksListing,
        "The image has no completed vulnerability scan",
    )
    .subject(subject)
    .evidence(evidence)
    .fix(how)
}
