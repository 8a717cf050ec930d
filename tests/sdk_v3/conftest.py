"""The SageMaker Python SDK v3 (`pip install sagemaker` today: `sagemaker.train`,
`sagemaker.serve`, `sagemaker.core`) against a real `slipway serve`, in its
own venv (.venv-v3, requirements-test-v3.txt):

    .venv-v3/bin/python -m pytest -q tests/sdk_v3

The SDK is configured only the way a user configures it: the environment
block `slipway serve` prints (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION) and the SDK's own
intelligent-defaults file (SAGEMAKER_USER_CONFIG_OVERRIDE) naming the
default bucket and execution roles. No SDK internals are patched, no
`SAGEMAKER_VALIDATE_ROLE`, no hand-made boto sessions: the SDK builds its
clients itself. The SDK runs in this process (importing it takes ~10 s;
once is enough).

Reuses tests/e2e's helpers: `e2e_helpers.Slipway` (the server process),
`jobs_helpers` (the sample seller image, training data) and `s3_helpers`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E))

from e2e_helpers import SLIPWAY_BIN, Slipway  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from v3_helpers import ROLE_NAME, TRUST_SAGEMAKER, sdk_config_yaml  # noqa: E402

# Nothing from a developer's ~/.aws, ~/.config/sagemaker or AWS_* environment
# may leak in; the fixtures below set what a user would set.
for _k in [k for k in os.environ if k.startswith(("AWS_", "SAGEMAKER_", "SLIPWAY_"))
           and k != "SLIPWAY_BIN" and k != "SLIPWAY_SAMPLE_IMAGE"]:
    del os.environ[_k]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
# `import sagemaker.serve` builds a boto3 client at import time
# (sagemaker.ai_registry.air_hub.AIRHub), so the region must be known
# before test modules are collected. The server's region is us-east-1.
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

def pytest_report_header(config):
    import importlib.metadata as md
    return (f"slipway binary: {SLIPWAY_BIN}; sagemaker {md.version('sagemaker')}, "
            f"sagemaker-core {md.version('sagemaker-core')}, boto3 {md.version('boto3')}")


@pytest.fixture(scope="session")
def slipway(tmp_path_factory):
    """One server that runs jobs through the container engine."""
    s = Slipway(tmp_path_factory.mktemp("sdkv3") / "data", env={}).start()
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="session")
def account_id(slipway) -> str:
    return slipway.account_id


@pytest.fixture(scope="session")
def role_arn(account_id) -> str:
    return f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"


@pytest.fixture(scope="session")
def sdk_config(slipway, account_id, tmp_path_factory) -> Path:
    """Configure the SDK as a user would: the printed environment block and
    the SDK's defaults file. Session-wide: the SDK caches its config."""
    path = tmp_path_factory.mktemp("sagemaker-config") / "config.yaml"
    path.write_text(sdk_config_yaml(account_id, slipway.region))
    os.environ.update(slipway.export)
    os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(path)
    # The admin-level file (site config dir) must not leak in either.
    os.environ["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(path)
    return path


@pytest.fixture(scope="session")
def execution_role(slipway, sdk_config, role_arn) -> str:
    """The execution role the config names, created the way a user creates
    one (`aws iam create-role`) if the server does not have it yet."""
    import boto3
    from botocore.exceptions import ClientError

    iam = boto3.client("iam")
    try:
        iam.get_role(RoleName=ROLE_NAME)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "NoSuchEntity":
            pytest.fail(f"iam:GetRole answered what botocore cannot read as IAM: {e.response!r}")
        iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=TRUST_SAGEMAKER)
        # What AWS's guides attach to a SageMaker execution role; the SDK
        # simulates its actions (iam:SimulatePrincipalPolicy) before use.
        iam.attach_role_policy(RoleName=ROLE_NAME,
                               PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    return role_arn


@pytest.fixture(scope="session")
def sdk(sdk_config, execution_role):
    """Everything the SDK needs from a user: environment, config, role."""
    return sdk_config


@pytest.fixture(scope="session")
def sample_image() -> str:
    """The sample seller image (scripts/test.sh builds it before the e2e step)."""
    from jobs_helpers import SAMPLE_IMAGE, ensure_images

    if subprocess.run(["podman", "image", "exists", SAMPLE_IMAGE]).returncode != 0:
        ensure_images()
    return SAMPLE_IMAGE


@pytest.fixture(scope="session")
def sm(slipway):
    """A plain boto3 SageMaker client (test set-up and checks only)."""
    return slipway.client()


@pytest.fixture(scope="session")
def s3(slipway):
    from s3_helpers import s3 as s3_client

    return s3_client(slipway)
