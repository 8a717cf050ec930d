"""Small helpers shared by the SDK v3 tests: a model artifact the sample
seller serves, batch input, reading S3 objects and tarballs."""

from __future__ import annotations

import io
import json
import tarfile
import uuid

# A model distinct from the one baked into the sample image
# (0.5·x1 + 0.25·x2 + 10) and from anything it trains: a prediction tells
# which model a container loaded.
MODEL = {"format": "slipway-sample-linear-v1", "feature_count": 2, "weights": [2.0, -1.0], "bias": 1.0}
BATCH = b"1,1\n2,-1\n0,0\n"
EXPECTED = [2.0, 6.0, 1.0]  # MODEL on BATCH's rows
INSTANCE = "ml.m5.large"

ROLE_NAME = "SlipwayExecutionRole"
TRUST_SAGEMAKER = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def sdk_config_yaml(account_id: str, region: str) -> str:
    """The SageMaker Python SDK defaults file for a Slipway account: the
    default bucket the SDK would pick on AWS (sagemaker-REGION-ACCOUNT),
    one execution role for every job and model, and no telemetry (the SDK
    would report usage to AWS, which a local emulator's user may not reach).
    This is the text `slipway serve` writes on first start (README)."""
    role = f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"
    return f"""\
SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      Session:
        DefaultS3Bucket: sagemaker-{region}-{account_id}
      TelemetryOptOut: true
  TrainingJob:
    RoleArn: {role}
  ProcessingJob:
    RoleArn: {role}
  Model:
    ExecutionRoleArn: {role}
  ModelPackage:
    ValidationSpecification:
      ValidationRole: {role}
"""


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def model_tarball(model: dict = MODEL) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = json.dumps(model).encode()
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def split_uri(uri: str) -> tuple[str, str]:
    assert uri.startswith("s3://"), uri
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def read_object(s3, uri: str) -> bytes:
    bucket, key = split_uri(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def read_tar(s3, uri: str) -> dict[str, bytes]:
    out = {}
    with tarfile.open(fileobj=io.BytesIO(read_object(s3, uri)), mode="r:gz") as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isfile() else None
            if f is not None:
                out[m.name.removeprefix("./")] = f.read()
    return out


def predictions(body: bytes) -> list[float]:
    return [float(x) for x in body.split()]


def default_bucket() -> str:
    """The SDK's own idea of the default bucket (from the config file);
    creates it if it does not exist, as the SDK does."""
    from sagemaker.core.helper.session_helper import Session

    return Session().default_bucket()
