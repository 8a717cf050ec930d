"""The readiness report in the web console (docs/readiness.md,
docs/console.md): a model package validated on the sample image outside
the seller's registry, not certified for Marketplace, shows "Not ready to
list" with its three BlocksListing findings and their fixes, the real-time
figures and the checks exactly as DescribeReadinessReport answers them; a
package still validating shows the report's live status and updates by
itself; a package without a ValidationSpecification says it has no report.

The packages and data are made with boto3 and the report read with boto3
through the botocore model in sdk/botocore-data; the browser test asserts
what the page shows."""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from console_helpers import run_scenario
from e2e_helpers import REPO
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, model_tar, uniq
from s3_helpers import new_bucket, s3 as s3_client

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is needed (scripts/setup.sh)")

EXPECTED = {"listing.not-certified", "image.outside-seller-registry", "scan.missing"}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


def package(name: str, bucket: str, *, validated: bool = True, env: dict | None = None) -> dict:
    """A model package of the sample image (not in a repository of the
    seller's, so never scanned), not certified for Marketplace."""
    container = {"Image": SAMPLE_IMAGE, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"}
    if env:
        container["Environment"] = env
    doc = {
        "ModelPackageName": name,
        "InferenceSpecification": {
            "Containers": [container],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CertifyForMarketplace": False,
    }
    if validated:
        doc["ValidationSpecification"] = {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "smoke",
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/out/{name}/", "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            }}]}
    return doc


def completed_report(sm, rr, name: str, timeout: float = 400) -> dict:
    arn = sm.describe_model_package(ModelPackageName=name)["ModelPackageArn"]
    deadline = time.time() + timeout
    while True:
        r = rr.describe_readiness_report(ResourceArn=arn)
        if r["ReportStatus"] in ("Completed", "Failed"):
            return r
        assert time.time() < deadline, r["ReportStatus"]
        time.sleep(1)


def test_the_readiness_report_on_the_model_package_page(jobs_server):
    os.environ["AWS_DATA_PATH"] = str(REPO / "sdk" / "botocore-data")
    sm = jobs_server.client()
    rr = jobs_server.client(service="slipwayreadiness")
    s3 = s3_client(jobs_server)
    bucket = new_bucket(s3, "console-ready")
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n0.5,4\n")

    name = uniq("console-ready")
    sm.create_model_package(**package(name, bucket))
    report = completed_report(sm, rr, name)
    assert report["ReportStatus"] == "Completed", report.get("FailureReason")
    assert {f["FindingId"] for f in report["Findings"]} == EXPECTED, report["Findings"]
    assert report["RealTime"]["Invocations"] > 0

    # A second one, opened while it validates: the page follows it live.
    # Its containers answer GET /ping only after 10 s (docs/sample-seller.md,
    # slow-start), so the validation and the report's real-time check
    # outlast the browser's start and sign-in.
    live = uniq("console-live")
    sm.create_model_package(**package(live, bucket, env={"SAMPLE_MODE": "slow-start", "SAMPLE_START_DELAY": "10"}))

    plain = uniq("console-plain")
    sm.create_model_package(**package(plain, bucket, validated=False))

    # A third whose containers try to download weights at start-up
    # (dial-out): the page lists what each container tried to reach.
    net = uniq("console-net")
    sm.create_model_package(**package(net, bucket, env={"SAMPLE_MODE": "dial-out"}))
    net_report = completed_report(sm, rr, net)
    assert net_report["NetworkActivity"], net_report["Findings"]

    figures = run_scenario("readiness", jobs_server, timeout=900, NAME=name, LIVE=live, PLAIN=plain,
                           NET=net, NET_REPORT=json.dumps(net_report, default=str),
                           REPORT=json.dumps(report, default=str))
    # The live page showed the report before it ended, then its verdict.
    assert figures["liveFirst"] in ("NotStarted", "InProgress"), figures
    assert completed_report(sm, rr, live)["ListingReady"] is False
