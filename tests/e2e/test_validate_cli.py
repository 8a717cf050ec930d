"""`slipway validate FILE.json` (README "What works today", `slipway validate`; docs/jobs.md "Validation"): the same validation without a
server, as a seller's CI runs it. Local paths and s3:// test data, the
exit codes, the text and JSON reports."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from e2e_helpers import REPO, SLIPWAY_BIN, clean_env
from jobs_helpers import ensure_images
from s3_helpers import new_bucket, s3 as s3_client

SAMPLES = REPO / "samples" / "validate"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture
def workdir(tmp_path):
    dest = tmp_path / "seller"
    shutil.copytree(SAMPLES, dest, ignore=shutil.ignore_patterns("output"))
    return dest


def validate(path, *args, env=None, timeout=300):
    e = clean_env()
    e.update(env or {})
    return subprocess.run([str(SLIPWAY_BIN), "validate", str(path), *args], env=e,
                          capture_output=True, text=True, timeout=timeout)


def test_sample_algorithm_validates_from_local_files(workdir):
    r = validate(workdir / "algorithm.json")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "validation: InProgress" in r.stderr and "profile smoke: Completed" in r.stderr
    assert "validation Completed" in r.stdout
    preds = [float(x) for x in (workdir / "output" / "batch" / "features.csv.out").read_text().split()]
    assert abs(preds[0] - 2) < 0.05 and abs(preds[1] - 9) < 0.05, preds
    models = list((workdir / "output" / "training").rglob("model.tar.gz"))
    assert len(models) == 1


def test_broken_package_fails_with_reason_and_json_report(workdir):
    r = validate(workdir / "broken-model-package.json", "--output", "json")
    assert r.returncode == 1, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["Status"] == "Failed"
    status = report["Resource"]["ModelPackageStatusDetails"]["ValidationStatuses"][0]
    assert status["Status"] == "Failed" and "HTTP 500" in status["FailureReason"]
    assert report["Jobs"][0]["Kind"] == "transform" and report["Jobs"][0]["Status"] == "Failed"


def test_logs_are_streamed_on_request(workdir):
    r = validate(workdir / "algorithm.json", "--logs")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| train:mse=" in r.stderr


def test_refused_request_exits_2(workdir):
    doc = json.loads((workdir / "algorithm.json").read_text())
    doc["ValidationSpecification"]["ValidationProfiles"][0]["TrainingJobDefinition"]["InputDataConfig"][0]["ChannelName"] = "nope"
    bad = workdir / "bad.json"
    bad.write_text(json.dumps(doc))
    r = validate(bad, "--output", "json")
    assert r.returncode == 2
    out = json.loads(r.stdout)
    assert out["Status"] == "Refused" and out["ErrorCode"] == "ValidationException" and "nope" in out["Message"]
    r = validate(workdir / "missing.json")
    assert r.returncode == 2 and "missing.json" in r.stderr


def test_s3_test_data_from_a_server(server, workdir):
    s3 = s3_client(server)
    b = new_bucket(s3, "ci")
    for f in (workdir / "data" / "train").iterdir():
        s3.put_object(Bucket=b, Key=f"train/{f.name}", Body=f.read_bytes())
    for f in (workdir / "data" / "batch").iterdir():
        s3.put_object(Bucket=b, Key=f"batch/{f.name}", Body=f.read_bytes())
    text = (workdir / "algorithm.json").read_text()
    text = text.replace('"data/train/"', f'"s3://{b}/train/"').replace('"data/batch/"', f'"s3://{b}/batch/"')
    path = workdir / "s3.json"
    path.write_text(text)
    r = validate(path, env=server.export)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "(3 input objects staged)" in r.stderr or "input objects staged" in r.stderr
    # Without an endpoint, s3:// data is refused with a hint.
    r = validate(path)
    assert r.returncode == 2 and "AWS_ENDPOINT_URL" in r.stderr
