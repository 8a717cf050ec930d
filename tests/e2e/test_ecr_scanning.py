"""ECR image scanning end to end: images pushed with skopeo, scans started
and read with boto3 (its `image_scan_complete` waiter and the
DescribeImageScanFindings paginator) and the AWS CLI, scan on push, the
answer of a server without a scanner, failures, a restart in mid-scan, and
the errors for missing repositories and images.

The scanner is a real command run by the server: the stand-ins under
`tests/fixtures/scanners/` check the OCI archive they are given and print
a Trivy or Grype report (the real tools are not installable here). One of
them keeps a copy of the archive, which skopeo then reads as
`oci-archive:` — the reader Trivy and Grype share the format with.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, WaiterError

from e2e_helpers import Slipway
from registry_helpers import build_image, remove_image, run, token_password, unique

pytestmark = pytest.mark.skipif(
    shutil.which("podman") is None or shutil.which("skopeo") is None,
    reason="podman and skopeo are needed (scripts/setup.sh)",
)

SCANNERS = Path(__file__).resolve().parents[1] / "fixtures" / "scanners"
NO_SCANNER = ("This Slipway server has no vulnerability scanner configured: set "
              "SLIPWAY_IMAGE_SCANNER (or [registry] scanner) to a Trivy- or Grype-compatible command")
FAST = {"Delay": 1, "MaxAttempts": 60}


def scanner(script: str, *extra: str) -> str:
    return " ".join(["sh", str(SCANNERS / script), "{archive}", *extra])


def start(tmp_path_factory, name: str, scanner_line: str | None, **env: str) -> Slipway:
    e = {"SLIPWAY_JOBS": "off", **env}
    if scanner_line is not None:
        e["SLIPWAY_IMAGE_SCANNER"] = scanner_line
    return Slipway(tmp_path_factory.mktemp(name) / "data", env=e).start()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """A local image FROM scratch: busybox and one data layer."""
    ref = f"localhost/{unique('slipway-scan')}:v1"
    build_image(ref, tmp_path_factory.mktemp("img"), {"a.txt": b"scan me\n"})
    yield ref
    remove_image(ref)


@pytest.fixture(scope="module")
def archive_copy(tmp_path_factory):
    return tmp_path_factory.mktemp("archive") / "copy.tar"


@pytest.fixture(scope="module")
def srv(tmp_path_factory, archive_copy):
    s = start(tmp_path_factory, "scan-trivy", scanner("trivy.sh", str(archive_copy)))
    yield s
    s.stop()
    s.kill()


def push(srv, ecr, image: str, repo: str, tag: str) -> str:
    """skopeo copy of the local image into REPO:TAG; its manifest digest."""
    host, port = srv.host_port
    creds = f"AWS:{token_password(ecr)}"
    run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", creds,
        f"containers-storage:{image}", f"docker://{host}:{port}/{repo}:{tag}")
    return ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"][0]["imageDigest"]


def code(e: pytest.ExceptionInfo) -> str:
    return e.value.response["Error"]["Code"]


def test_scan_findings_pages_summary_and_limit(srv, image, archive_copy):
    ecr = srv.client(service="ecr")
    repo = unique("scan/boto")
    ecr.create_repository(repositoryName=repo)
    digest = push(srv, ecr, image, repo, "v1")
    # Never scanned: no status in DescribeImages, ScanNotFound for findings.
    detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert "imageScanStatus" not in detail
    with pytest.raises(ClientError) as e:
        ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
    assert code(e) == "ScanNotFoundException"

    out = ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    assert out["imageScanStatus"]["status"] == "IN_PROGRESS"
    assert out["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    assert out["registryId"] == srv.account_id and out["repositoryName"] == repo
    ecr.get_waiter("image_scan_complete").wait(
        repositoryName=repo, imageId={"imageDigest": digest}, WaiterConfig=FAST)

    # Seven findings, three to a page, in the report's order.
    pages = list(ecr.get_paginator("describe_image_scan_findings").paginate(
        repositoryName=repo, imageId={"imageDigest": digest}, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    findings = [f for p in pages for f in p["imageScanFindings"]["findings"]]
    assert [f["name"] for f in findings] == [f"CVE-2023-000{i}" for i in range(1, 8)]
    first = findings[0]
    assert first["severity"] == "CRITICAL"
    assert first["uri"] == "https://avd.aquasec.com/nvd/cve-2023-0001"
    attrs = {a["key"]: a["value"] for a in first["attributes"]}
    assert attrs["package_name"] == "busybox" and attrs["package_version"] == "1.36.0-r9"
    assert attrs["CVSS2_SCORE"] == "7.5"
    assert [f["severity"] for f in findings][-1] == "UNDEFINED"
    scan = pages[0]
    assert scan["imageScanStatus"] == {"status": "COMPLETE", "description": "The scan was completed successfully."}
    counts = {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 2, "LOW": 1, "UNDEFINED": 1}
    assert scan["imageScanFindings"]["findingSeverityCounts"] == counts
    completed = scan["imageScanFindings"]["imageScanCompletedAt"]
    assert abs(time.time() - completed.timestamp()) < 120

    detail = ecr.describe_images(repositoryName=repo, imageIds=[{"imageDigest": digest}])["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "COMPLETE"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == counts
    listed = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
    assert listed["imageScanFindingsSummary"]["findingSeverityCounts"] == counts

    # Once per image per 24 hours.
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageDigest": digest})
    assert code(e) == "LimitExceededException"

    # What the scanner was given: an OCI archive of exactly this image.
    info = json.loads(run("skopeo", "inspect", f"oci-archive:{archive_copy}").stdout)
    assert info["Digest"] == digest
    assert len(info["Layers"]) == 2
    assert not any((srv.data_dir / "scans").iterdir()), "the archive is removed after the scan"


def test_scan_on_push_through_the_aws_cli(srv, image):
    repo = unique("scan/cli")
    srv.cli("ecr", "create-repository", "--repository-name", repo,
            "--image-scanning-configuration", "scanOnPush=true")
    ecr = srv.client(service="ecr")
    digest = push(srv, ecr, image, repo, "pushed")
    srv.cli("ecr", "wait", "image-scan-complete", "--repository-name", repo,
            "--image-id", f"imageDigest={digest}")
    out = srv.cli("ecr", "describe-image-scan-findings", "--repository-name", repo,
                  "--image-id", "imageTag=pushed").json
    assert out["imageScanStatus"]["status"] == "COMPLETE"
    assert out["imageScanFindings"]["findingSeverityCounts"]["HIGH"] == 2
    assert len(out["imageScanFindings"]["findings"]) == 7

    # Turned on later with PutImageScanningConfiguration.
    later = unique("scan/later")
    ecr.create_repository(repositoryName=later)
    d0 = push(srv, ecr, image, later, "before")
    assert "imageScanStatus" not in ecr.describe_images(repositoryName=later)["imageDetails"][0]
    srv.cli("ecr", "put-image-scanning-configuration", "--repository-name", later,
            "--image-scanning-configuration", "scanOnPush=true")
    # A new tag of the same digest is a push of that image too.
    assert push(srv, ecr, image, later, "after") == d0
    ecr.get_waiter("image_scan_complete").wait(
        repositoryName=later, imageId={"imageTag": "after"}, WaiterConfig=FAST)


def test_errors_for_missing_repositories_images_and_indexes(srv, image):
    ecr = srv.client(service="ecr")
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName=unique("scan/none"), imageId={"imageTag": "v1"})
    assert code(e) == "RepositoryNotFoundException"
    repo = unique("scan/err")
    ecr.create_repository(repositoryName=repo)
    for call in (ecr.start_image_scan, ecr.describe_image_scan_findings):
        with pytest.raises(ClientError) as e:
            call(repositoryName=repo, imageId={"imageTag": "missing"})
        assert code(e) == "ImageNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageDigest": "sha256:" + "0" * 64})
    assert code(e) == "ImageNotFoundException"
    # An image index cannot be scanned, as on ECR.
    digest = push(srv, ecr, image, repo, "v1")
    size = len(ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageDigest": digest}])
               ["images"][0]["imageManifest"].encode())
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "digest": digest, "size": size}]})
    ecr.put_image(repositoryName=repo, imageManifest=index, imageTag="multi",
                  imageManifestMediaType="application/vnd.oci.image.index.v1+json")
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "multi"})
    assert code(e) == "UnsupportedImageTypeException"
    # Another account's registry is refused.
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(registryId="999999999999", repositoryName=repo, imageId={"imageTag": "v1"})
    assert code(e) == "AccessDeniedException"


def test_a_server_without_a_scanner_says_so(tmp_path_factory, image):
    s = start(tmp_path_factory, "scan-none", None)
    try:
        ecr = s.client(service="ecr")
        repo = unique("scan/none")
        ecr.create_repository(repositoryName=repo)
        push(s, ecr, image, repo, "v1")
        out = ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
        assert out["imageScanStatus"]["status"] == "IN_PROGRESS"
        with pytest.raises(WaiterError) as e:
            ecr.get_waiter("image_scan_complete").wait(
                repositoryName=repo, imageId={"imageTag": "v1"}, WaiterConfig=FAST)
        assert "FAILED" in str(e.value)
        got = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
        assert got["imageScanStatus"] == {"status": "FAILED", "description": NO_SCANNER}
        assert "imageScanFindings" not in got
        detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
        assert detail["imageScanStatus"]["description"] == NO_SCANNER
        assert "imageScanFindingsSummary" not in detail
        # A failed scan may be retried at once.
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    finally:
        s.stop()
        s.kill()


@pytest.mark.parametrize("script,words", [
    ("failing.sh", ["exit status: 3", "network unreachable"]),
    ("garbage.sh", ["Trivy JSON", "table output requested"]),
    ("grype.sh", None),
])
def test_other_scanners(tmp_path_factory, image, script, words):
    s = start(tmp_path_factory, f"scan-{script[:-3]}", scanner(script))
    try:
        ecr = s.client(service="ecr")
        repo = unique("scan/other")
        ecr.create_repository(repositoryName=repo)
        push(s, ecr, image, repo, "v1")
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
        waiter = ecr.get_waiter("image_scan_complete")
        if words is None:
            waiter.wait(repositoryName=repo, imageId={"imageTag": "v1"}, WaiterConfig=FAST)
            got = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
            assert got["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "MEDIUM": 1}
            assert got["imageScanFindings"]["vulnerabilitySourceUpdatedAt"].year == 2024
            assert got["imageScanFindings"]["findings"][0]["name"] == "CVE-2022-48174"
            return
        with pytest.raises(WaiterError):
            waiter.wait(repositoryName=repo, imageId={"imageTag": "v1"}, WaiterConfig=FAST)
        description = ecr.describe_image_scan_findings(
            repositoryName=repo, imageId={"imageTag": "v1"})["imageScanStatus"]["description"]
        for w in words:
            assert w in description, description
    finally:
        s.stop()
        s.kill()


def test_a_scan_cut_short_by_a_kill_is_failed_at_the_next_start(tmp_path_factory, image):
    s = start(tmp_path_factory, "scan-kill", scanner("slow.sh"), SCAN_SLEEP_SECONDS="20")
    try:
        ecr = s.client(service="ecr")
        repo = unique("scan/kill")
        ecr.create_repository(repositoryName=repo)
        push(s, ecr, image, repo, "v1")
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
        time.sleep(1)
        got = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
        assert got["imageScanStatus"]["status"] == "IN_PROGRESS"
        s.kill()
        s.start()
        ecr = s.client(service="ecr")
        got = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
        assert got["imageScanStatus"]["status"] == "FAILED"
        assert "interrupted" in got["imageScanStatus"]["description"]
    finally:
        s.stop()
        s.kill()


def test_a_scan_past_its_timeout_fails(tmp_path_factory, image):
    s = start(tmp_path_factory, "scan-timeout", scanner("slow.sh"),
              SLIPWAY_IMAGE_SCAN_TIMEOUT_SECONDS="2", SCAN_SLEEP_SECONDS="30")
    try:
        ecr = s.client(service="ecr")
        repo = unique("scan/slow")
        ecr.create_repository(repositoryName=repo)
        push(s, ecr, image, repo, "v1")
        ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
        with pytest.raises(WaiterError):
            ecr.get_waiter("image_scan_complete").wait(
                repositoryName=repo, imageId={"imageTag": "v1"}, WaiterConfig=FAST)
        got = ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
        assert "did not finish within 2 seconds" in got["imageScanStatus"]["description"]
    finally:
        s.stop()
        s.kill()
