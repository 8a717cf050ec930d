"""The Marketplace readiness report (docs/readiness.md): produced beside every
validation, read with boto3 through the botocore model in sdk/botocore-data.

Each sample-seller mode and image variant trips exactly its finding, with its
evidence; a good image pushed to the seller's own repository and scanned has
none; and the AWS-shaped statuses of the validations are what they would be
without the report."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_helpers import REPO, TEST_ACCOUNT_ENV, error_of
from jobs_helpers import ROLE, SAMPLE_IMAGE, containers_of, ensure_images, ensure_readiness_images, linear_rows, model_tar, uniq
from registry_helpers import push_to_ecr, run
from s3_helpers import new_bucket, s3 as s3_client

DATA_PATH = REPO / "sdk" / "botocore-data"
SCANNER = REPO / "tests" / "fixtures" / "scanners"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()
    ensure_readiness_images()


@pytest.fixture(scope="module")
def rserver(tmp_path_factory):
    from conftest import _start
    # A short start-up window: a container whose /ping takes 3 s never passes
    # the validation's 2-s pings, and its transform job should fail fast.
    env = dict(TEST_ACCOUNT_ENV, SLIPWAY_JOB_READY_TIMEOUT_SECONDS="20",
               SLIPWAY_IMAGE_SCANNER=f"{SCANNER / 'clean.sh'} {{archive}}")
    s = _start(tmp_path_factory, "readiness", env=env)
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(rserver):
    return rserver.client()


@pytest.fixture(scope="module")
def s3(rserver):
    return s3_client(rserver)


def readiness_client(server):
    return readiness_client_for(server, None)


def readiness_client_for(server, creds):
    # botocore finds the model through AWS_DATA_PATH, as a user's would.
    os.environ["AWS_DATA_PATH"] = str(DATA_PATH)
    return server.client(creds, service="slipwayreadiness")


@pytest.fixture(scope="module")
def rr(rserver):
    return readiness_client(rserver)


@pytest.fixture(scope="module")
def data(s3):
    b = new_bucket(s3, "ready")
    s3.put_object(Bucket=b, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n0.5,4\n")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    return b


_pushed: dict[tuple[str, str], str] = {}


def pushed(server, local: str, tmp_path_factory) -> str:
    """`local` pushed to a repository of the server's account and scanned; its ECR URI."""
    if (server.endpoint, local) in _pushed:
        return _pushed[(server.endpoint, local)]
    repo = uniq("ready")
    ecr = server.client(service="ecr")
    ecr.create_repository(repositoryName=repo)
    push_to_ecr(server, local, repo, tmp_path_factory.mktemp("auth"))
    ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    ecr.get_waiter("image_scan_complete").wait(repositoryName=repo, imageId={"imageTag": "v1"},
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    uri = f"{server.account_id}.dkr.ecr.{server.region}.amazonaws.com/{repo}:v1"
    _pushed[(server.endpoint, local)] = uri
    return uri


def package(name: str, image: str, bucket: str, *, env: dict | None = None, certify: bool = True) -> dict:
    container = {"Image": image, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"}
    if env:
        container["Environment"] = env
    return {
        "ModelPackageName": name,
        "InferenceSpecification": {
            "Containers": [container],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ValidationSpecification": {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "smoke",
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/out/{name}/", "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            }}]},
        "CertifyForMarketplace": certify,
    }


def report_of(sm, rr, name: str, timeout: float = 400) -> tuple[dict, dict]:
    """The package's description once validated, and its completed report."""
    deadline = time.time() + timeout
    while True:
        d = sm.describe_model_package(ModelPackageName=name)
        if d["ModelPackageStatus"] in ("Completed", "Failed"):
            break
        assert time.time() < deadline, d["ModelPackageStatus"]
        time.sleep(0.5)
    while True:
        r = rr.describe_readiness_report(ResourceArn=d["ModelPackageArn"])
        if r["ReportStatus"] in ("Completed", "Failed"):
            # The report never changes the AWS-shaped status.
            assert sm.describe_model_package(ModelPackageName=name)["ModelPackageStatus"] == d["ModelPackageStatus"]
            return d, r
        assert time.time() < deadline, r["ReportStatus"]
        time.sleep(0.5)


def ids(report: dict) -> set[str]:
    return {f["FindingId"] for f in report["Findings"]}


def finding(report: dict, fid: str) -> dict:
    return next(f for f in report["Findings"] if f["FindingId"] == fid)


def run_package(sm, rr, image: str, bucket: str, **kw) -> tuple[dict, dict]:
    name = uniq("rp")
    sm.create_model_package(**package(name, image, bucket, **kw))
    return report_of(sm, rr, name)


def test_a_good_image_in_the_sellers_scanned_repository_has_no_findings(rserver, sm, rr, data, tmp_path_factory):
    uri = pushed(rserver, SAMPLE_IMAGE, tmp_path_factory)
    d, r = run_package(sm, rr, uri, data)
    assert d["ModelPackageStatus"] == "Completed"
    assert d["ModelPackageStatusDetails"]["ValidationStatuses"][0]["Status"] == "Completed"
    assert r["Findings"] == [], json.dumps(r["Findings"], indent=1)
    assert r["ListingReady"] is True and r["Summary"] == {"BlocksListing": 0, "BreaksBuyers": 0, "Advice": 0}
    assert {c["Category"]: c["Status"] for c in r["Checks"]} == {
        "Listing": "Passed", "Image": "Passed", "VulnerabilityScan": "Passed",
        "RealTime": "Passed", "Batch": "Passed", "Network": "Passed"}
    rt = r["RealTime"]
    assert rt["InstanceType"] == "ml.m5.large" and rt["Invocations"] == 4 and rt["InvocationErrors"] == 0
    assert rt["StartupInMilliseconds"] > 0 and rt["PingMaxInMilliseconds"] < 2000
    assert rt["InvocationP50InMilliseconds"] <= rt["InvocationP99InMilliseconds"]
    # The body probe reached InvokeEndpoint's own limit: nothing was refused.
    assert 6_291_456 - 64 <= rt["LargestBodyAcceptedInBytes"] <= 6_291_456
    assert "SmallestBodyRefusedInBytes" not in rt
    img = r["Images"][0]
    assert img["InSellerRegistry"] and img["Platform"] == "linux/amd64" and img["ScanStatus"] == "COMPLETE"
    assert img["Digest"].startswith("sha256:") and img["Layers"] >= 1 and img["SizeInBytes"] > 0
    # The real-time check's container logged like an endpoint's.
    logs = rserver.client(service="logs")
    group = f"/aws/sagemaker/Endpoints/{rt['EndpointName']}"
    assert logs.describe_log_streams(logGroupName=group)["logStreams"]


@pytest.mark.parametrize("mode,expected", [
    ("slow-ping", "realtime.ping-slow"),
    ("body-cap", "realtime.body-limit"),
    ("dial-out", "network.outbound-attempt"),
])
def test_each_serve_mode_trips_exactly_its_finding(rserver, sm, rr, data, tmp_path_factory, mode, expected):
    uri = pushed(rserver, SAMPLE_IMAGE, tmp_path_factory)
    d, r = run_package(sm, rr, uri, data, env={"SAMPLE_MODE": mode})
    assert ids(r) == {expected}, json.dumps(r["Findings"], indent=1)
    f = finding(r, expected)
    assert f["Severity"] == "BreaksBuyers" and f["Fix"] and f["Evidence"]
    evidence = "\n".join(f["Evidence"])
    if mode == "slow-ping":
        # The validation's own 2-s pings fail it, as AWS's would; the report says why.
        assert d["ModelPackageStatus"] == "Failed"
        assert r["RealTime"]["PingMaxInMilliseconds"] >= 2900, r["RealTime"]
        assert "SageMaker waits 2 s" in evidence
    elif mode == "body-cap":
        assert d["ModelPackageStatus"] == "Completed"
        rt = r["RealTime"]
        assert 5_242_880 - 65_536 <= rt["LargestBodyAcceptedInBytes"] <= 5_242_880, rt
        assert 5_242_880 < rt["SmallestBodyRefusedInBytes"] <= 5_242_880 + 65_536, rt
        assert "HTTP 413" in evidence and "6291456" in evidence
    else:
        assert d["ModelPackageStatus"] == "Completed"
        assert "models.example.com" in evidence
        assert any("GET http://models.example.com/weights.bin" in a
                   for n in r["NetworkActivity"] for a in n["Attempts"]), r["NetworkActivity"]
        containers = {n["Container"].split()[0] for n in r["NetworkActivity"]}
        assert containers == {"transform", "real-time"}, r["NetworkActivity"]


def test_an_invocation_over_60_seconds(rserver, sm, rr, data, tmp_path_factory):
    uri = pushed(rserver, SAMPLE_IMAGE, tmp_path_factory)
    d, r = run_package(sm, rr, uri, data, env={"SAMPLE_MODE": "slow-invoke", "SAMPLE_INVOKE_DELAY_MS": "70000"})
    assert ids(r) == {"realtime.invocation-timeout"}, json.dumps(r["Findings"], indent=1)
    assert "did not answer within 60 s" in "\n".join(finding(r, "realtime.invocation-timeout")["Evidence"])
    assert r["RealTime"]["Invocations"] == 1 and r["RealTime"]["InvocationMaxInMilliseconds"] >= 59_000


@pytest.mark.parametrize("variant,expected,validated", [
    ("localhost/slipway-sample-arm64:latest", "image.platform", "Completed"),
    ("localhost/slipway-sample-ignores-argv:latest", "image.entrypoint-ignores-argument", "Completed"),
    ("localhost/slipway-sample-serve-not-executable:latest", "image.serve-not-executable", "Failed"),
    ("localhost/slipway-sample-nonroot:latest", "image.non-root-user", "Completed"),
    ("localhost/slipway-sample-no-entrypoint:latest", None, "Completed"),
])
def test_each_image_variant_trips_exactly_its_finding(rserver, sm, rr, data, tmp_path_factory,
                                                      variant, expected, validated):
    uri = pushed(rserver, variant, tmp_path_factory)
    d, r = run_package(sm, rr, uri, data)
    assert d["ModelPackageStatus"] == validated, d["ModelPackageStatusDetails"]
    assert ids(r) == ({expected} if expected else set()), json.dumps(r["Findings"], indent=1)
    if expected:
        f = finding(r, expected)
        assert f["Evidence"] and f["Fix"] and uri in f["Subject"]
    if expected == "image.platform":
        assert "arm64" in "\n".join(f["Evidence"]) and f["Severity"] == "BlocksListing"
        assert r["ListingReady"] is False
    if expected == "image.serve-not-executable":
        assert "permission denied" in "\n".join(f["Evidence"]).lower()


def test_critical_or_high_scan_findings_block_listing(server_factory, tmp_path_factory):
    """Another server whose scanner reports 1 CRITICAL and 2 HIGH findings."""
    s = server_factory(env=dict(TEST_ACCOUNT_ENV,
                                SLIPWAY_IMAGE_SCANNER=f"{SCANNER / 'trivy.sh'} {{archive}}")).start()
    sm, rr, s3 = s.client(), readiness_client(s), s3_client(s)
    b = new_bucket(s3, "scan")
    s3.put_object(Bucket=b, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n")
    uri = pushed(s, SAMPLE_IMAGE, tmp_path_factory)
    d, r = run_package(sm, rr, uri, b)
    assert d["ModelPackageStatus"] == "Completed"
    assert ids(r) == {"scan.critical-or-high"}, json.dumps(r["Findings"], indent=1)
    f = finding(r, "scan.critical-or-high")
    assert f["Severity"] == "BlocksListing" and "1 CRITICAL and 2 HIGH" in f["Evidence"][0]
    assert "describe-image-scan-findings" in f["Fix"]
    assert r["Images"][0]["ScanStatus"] == "COMPLETE" and r["ListingReady"] is False


def test_listing_blockers_and_an_image_outside_the_sellers_registry(rserver, sm, rr, data):
    d, r = run_package(sm, rr, SAMPLE_IMAGE, data, certify=False)
    assert d["ModelPackageStatus"] == "Completed"
    assert ids(r) == {"listing.not-certified", "image.outside-seller-registry", "scan.missing"}
    assert all(f["Severity"] == "BlocksListing" for f in r["Findings"])
    assert r["ListingReady"] is False and r["Summary"]["BlocksListing"] == 3
    assert "Access denied for registry" in finding(r, "image.outside-seller-registry")["Fix"]


def test_the_api_errors_and_a_report_that_has_not_started(rserver, sm, rr, data):
    with pytest.raises(ClientError) as e:
        rr.describe_readiness_report(ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:model/x")
    assert error_of(e)[0] == "ValidationException"
    missing = f"arn:aws:sagemaker:{rserver.region}:{rserver.account_id}:model-package/nope"
    with pytest.raises(ClientError) as e:
        rr.describe_readiness_report(ResourceArn=missing)
    assert error_of(e)[0] == "ResourceNotFound" and "does not exist" in error_of(e)[1]
    # A package without a ValidationSpecification has no report.
    name = uniq("plain")
    doc = package(name, SAMPLE_IMAGE, data, certify=False)
    del doc["ValidationSpecification"]
    arn = sm.create_model_package(**doc)["ModelPackageArn"]
    with pytest.raises(ClientError) as e:
        rr.describe_readiness_report(ResourceArn=arn)
    assert error_of(e)[0] == "ResourceNotFound" and "ValidationSpecification" in error_of(e)[1]
    # Another account cannot read one, even by its exact ARN.
    name = uniq("mine")
    arn = sm.create_model_package(**package(name, SAMPLE_IMAGE, data))["ModelPackageArn"]
    other = rserver.create_account("reader")
    with pytest.raises(ClientError) as e:
        readiness_client_for(rserver, other).describe_readiness_report(ResourceArn=arn)
    assert error_of(e)[0] == "ResourceNotFound"
    # While the validation runs, the report has not started; once it ends,
    # the report follows; a new package of the same name starts afresh.
    first = rr.describe_readiness_report(ResourceArn=arn)
    assert first["ReportStatus"] in ("NotStarted", "InProgress", "Completed")
    report_of(sm, rr, name)
    sm.delete_model_package(ModelPackageName=name)
    arn2 = sm.create_model_package(**package(name, SAMPLE_IMAGE, data))["ModelPackageArn"]
    assert arn2 == arn
    assert rr.describe_readiness_report(ResourceArn=arn)["ReportStatus"] in ("NotStarted", "InProgress")
    report_of(sm, rr, name)


def test_the_aws_cli_reads_a_report(rserver, sm, rr, data):
    name = uniq("cli")
    sm.create_model_package(**package(name, SAMPLE_IMAGE, data))
    d, _ = report_of(sm, rr, name)
    env = rserver.cli_env()
    env["AWS_DATA_PATH"] = str(DATA_PATH)
    from e2e_helpers import run_aws_cli
    out = run_aws_cli(["slipwayreadiness", "describe-readiness-report", "--resource-arn", d["ModelPackageArn"]], env)
    r = json.loads(out.stdout)
    assert r["ReportStatus"] == "Completed" and "image.outside-seller-registry" in ids(r)


def test_the_cli_reports_readiness_as_junit_and_json(tmp_path):
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET
    from e2e_helpers import SLIPWAY_BIN, clean_env
    work = tmp_path / "seller"
    shutil.copytree(REPO / "samples" / "validate", work, ignore=shutil.ignore_patterns("output"))
    r = subprocess.run([str(SLIPWAY_BIN), "validate", str(work / "algorithm.json"), "--readiness",
                        "--output", "junit"], env=clean_env(), capture_output=True, text=True, timeout=600)
    # Validated, but the local image is not in a repository of the seller's: exit 4.
    assert r.returncode == 4, r.stderr[-3000:]
    suites = ET.fromstring(r.stdout)
    by_name = {s.get("name"): s for s in suites}
    assert set(by_name) == {"validation", "readiness"}
    val = by_name["validation"]
    assert val.get("failures") == "0" and len(val.findall("testcase")) == 2
    cases = {c.get("name"): c for c in by_name["readiness"].findall("testcase")}
    assert cases["image.outside-seller-registry"].find("failure").get("type") == "BlocksListing"
    assert cases["scan.missing"].find("failure") is not None
    assert "RealTime check" in cases and cases["RealTime check"].find("failure") is None
    r = subprocess.run([str(SLIPWAY_BIN), "validate", str(work / "algorithm.json"), "--readiness",
                        "--output", "json"], env=clean_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 4, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert out["Status"] == "Completed" and out["Readiness"]["ReportStatus"] == "Completed"
    assert out["Readiness"]["RealTime"]["InvocationErrors"] == 0
    assert {i["Role"] for i in out["Readiness"]["Images"]} == {"training", "inference"}


def test_a_report_interrupted_by_a_kill_is_finished_after_restart(server_factory):
    """Nothing stays InProgress: a report the server was killed in the middle
    of (here in the real-time check, waiting on a 15-s invocation) is run
    again on start."""
    import signal
    srv = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, rr, s3 = srv.client(), readiness_client(srv), s3_client(srv)
    b = new_bucket(s3, "kill")
    s3.put_object(Bucket=b, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n")
    name = uniq("killed")
    env = {"SAMPLE_MODE": "slow-invoke", "SAMPLE_INVOKE_DELAY_MS": "15000"}
    arn = sm.create_model_package(**package(name, SAMPLE_IMAGE, b, env=env))["ModelPackageArn"]
    deadline = time.time() + 120
    while rr.describe_readiness_report(ResourceArn=arn)["ReportStatus"] != "InProgress":
        assert time.time() < deadline
        time.sleep(0.2)
    time.sleep(1)  # into the real-time check
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.start()
    sm, rr = srv.client(), readiness_client(srv)
    d, r = report_of(sm, rr, name)
    assert d["ModelPackageStatus"] == "Completed"
    assert r["ReportStatus"] == "Completed" and r["RealTime"]["Invocations"] == 1
    assert r["RealTime"]["InvocationMaxInMilliseconds"] >= 14_000
    # The probe container of the killed run was removed, not left running.
    assert containers_of(arn) == []
