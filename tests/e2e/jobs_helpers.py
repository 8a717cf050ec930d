"""Helpers for the job end-to-end tests (training now, transform next):
the images they run, training data in the server's S3, request builders,
waiting for a job to end, reading its artifacts, and asking Podman which
containers exist. Everything is real: a `slipway serve` process, boto3,
and containers run by Podman."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_IMAGE = os.environ.get("SLIPWAY_SAMPLE_IMAGE", "localhost/slipway-sample:latest")
BUSYBOX_IMAGE = "localhost/slipway-test-busybox:latest"
# The sample-seller variants samples/build-readiness-images.sh builds, by
# the one thing each gets wrong (docs/sample-seller.md, "Image variants").
READINESS_IMAGES = {
    name: f"localhost/slipway-sample-{name}:latest"
    for name in ("arm64", "ignores-argv", "no-entrypoint", "serve-not-executable", "nonroot")
}
ROLE = "arn:aws:iam::123456789012:role/SlipwayTests"
TERMINAL = ("Completed", "Failed", "Stopped")
METRICS = [{"Name": "train:mse", "Regex": r"^train:mse=([0-9.eE+-]+)"}]


@contextlib.contextmanager
def _image_lock():
    """Held while images are checked and built. The suite runs test modules
    in parallel (pytest-xdist, scripts/test.sh): two modules building or
    tagging the same image at once would race (one may see a half-built
    image, or both rebuild the static binary), so builds take turns."""
    with open("/tmp/slipway-e2e-images.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_images() -> None:
    """The sample seller image (scripts/test.sh builds it) and busybox."""
    with _image_lock():
        subprocess.run([str(REPO / "scripts" / "test-images.sh")], check=True)
        probe = subprocess.run(["podman", "image", "exists", SAMPLE_IMAGE])
        if probe.returncode != 0:
            subprocess.run([str(REPO / "samples" / "build-sample-image.sh")], check=True)


def ensure_readiness_images() -> None:
    """The sample-seller variants of READINESS_IMAGES, built (with the
    static binary, if missing) when any of them is missing."""
    with _image_lock():
        missing = [i for i in READINESS_IMAGES.values()
                   if subprocess.run(["podman", "image", "exists", i]).returncode != 0]
        if missing:
            subprocess.run([str(REPO / "samples" / "build-readiness-images.sh")], check=True)


def model_tar(weights: list[float], bias: float) -> bytes:
    """A model.tar.gz of the sample seller's linear model (`model.json`)."""
    doc = json.dumps({"format": "slipway-sample-linear-v1", "feature_count": len(weights),
                      "weights": weights, "bias": bias}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.json")
        info.size = len(doc)
        tar.addfile(info, io.BytesIO(doc))
    return buf.getvalue()


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def linear_rows(n: int = 200, header: bool = False) -> bytes:
    """y = 3·x1 − 2·x2 + 1, exactly (the sample recovers the weights)."""
    lines = ["y,x1,x2"] if header else []
    for i in range(n):
        x1, x2 = (i % 17) * 0.5, (i % 11) - 5.0
        lines.append(f"{3 * x1 - 2 * x2 + 1},{x1},{x2}")
    return ("\n".join(lines) + "\n").encode()


def put_training_data(s3, bucket: str, prefix: str = "train/") -> str:
    s3.put_object(Bucket=bucket, Key=f"{prefix}part-1.csv", Body=linear_rows(120))
    s3.put_object(Bucket=bucket, Key=f"{prefix}nested/part-2.csv", Body=linear_rows(80))
    return f"s3://{bucket}/{prefix}"


def channel(name: str, uri: str, data_type: str = "S3Prefix", **extra) -> dict:
    ch = {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri,
                                        "S3DataDistributionType": "FullyReplicated"}},
    }
    ch.update(extra)
    return ch


def training_request(name: str, bucket: str, channels: list[dict] | None = None, *,
                     image: str = SAMPLE_IMAGE, hyper: dict | None = None,
                     max_runtime: int = 300, **extra) -> dict:
    req = {
        "TrainingJobName": name,
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File",
                                   "MetricDefinitions": METRICS},
        "HyperParameters": hyper or {},
        "InputDataConfig": channels if channels is not None else [],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }
    if not req["InputDataConfig"]:
        del req["InputDataConfig"]
    req.update(extra)
    return req


def wait_for(sm, name: str, timeout: float = 120, until=TERMINAL, poll: float = 0.25) -> dict:
    deadline = time.time() + timeout
    while True:
        d = sm.describe_training_job(TrainingJobName=name)
        if d["TrainingJobStatus"] in until or d["SecondaryStatus"] in until:
            return d
        if time.time() > deadline:
            raise AssertionError(f"training job {name} still {d['TrainingJobStatus']}/{d['SecondaryStatus']} after {timeout}s")
        time.sleep(poll)


def split_uri(uri: str) -> tuple[str, str]:
    assert uri.startswith("s3://"), uri
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def read_tar(s3, uri: str) -> dict[str, bytes]:
    """Regular files of a tar.gz object, by path."""
    bucket, key = split_uri(uri)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    out = {}
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isfile() else None
            if f is not None:
                out[m.name] = f.read()
    return out


def containers_of(arn: str) -> list[dict]:
    """Containers (any state) labelled with the job's ARN."""
    out = subprocess.run(
        ["podman", "ps", "-a", "--filter", f"label=slipway.job-arn={arn}", "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out or "[]")


def wait_for_container(arn: str, timeout: float = 30) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [c for c in containers_of(arn) if c.get("State") == "running"]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no running container for {arn} within {timeout}s")


def shell_job(s3, name: str, bucket: str, script: str, channels: list[dict] | None = None, **extra) -> dict:
    """A training job running `script` with busybox's sh. The script comes
    in as the `code` channel (ContainerEntrypoint items are limited to 256
    characters each)."""
    key = f"code/{name}/run.sh"
    s3.put_object(Bucket=bucket, Key=key, Body=script.encode())
    chans = list(channels or []) + [channel("code", f"s3://{bucket}/code/{name}/")]
    req = training_request(name, bucket, chans, image=BUSYBOX_IMAGE, **extra)
    req["AlgorithmSpecification"]["ContainerEntrypoint"] = ["/bin/sh", "/opt/ml/input/data/code/run.sh"]
    return req
