"""`slipway serve` hands a SageMaker Python SDK user everything they need,
as it does for boto3 and the CLI: on start it writes the SDK's
intelligent-defaults file for the default account into the data directory
and prints, right after the `export AWS_ENDPOINT_URL=...` line,

    export SAGEMAKER_USER_CONFIG_OVERRIDE=<absolute path>/sagemaker-config.yaml

The file names the default bucket the SDK would pick on AWS
(sagemaker-REGION-ACCOUNT), one execution role (which exists, and trusts
SageMaker) and opts out of telemetry; it is the text conftest.py writes
for the other tests (`sdk_config_yaml`). The README shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from v3_helpers import ROLE_NAME, sdk_config_yaml  # noqa: E402
from e2e_helpers import REPO, SLIPWAY_BIN, account_id_of, clean_env, parse_export_line  # noqa: E402


def _start(data_dir: Path) -> tuple[subprocess.Popen, list[str]]:
    env = clean_env()
    env["RUST_LOG"] = "warn"
    env["SLIPWAY_JOBS"] = "off"
    proc = subprocess.Popen([str(SLIPWAY_BIN), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    lines: list[str] = []

    def read():
        for raw in proc.stdout:  # keeps draining until the process exits
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.time() + 30
    while not any(line.startswith("export AWS_ENDPOINT_URL=") for line in lines):
        assert time.time() < deadline and proc.poll() is None, f"no export line: {lines!r}"
        time.sleep(0.05)
    time.sleep(1.0)  # whatever follows the export line is printed at once
    return proc, lines


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def started(tmp_path):
    procs = []

    def start(data_dir: Path):
        proc, lines = _start(data_dir)
        procs.append(proc)
        return proc, lines

    yield start
    for p in procs:
        if p.poll() is None:
            _stop(p)


def _config_line(lines: list[str]) -> Path:
    found = [m.group(1) for line in lines for m in [re.search(r"SAGEMAKER_USER_CONFIG_OVERRIDE=(\S+)", line)] if m]
    assert found, "slipway serve printed no SAGEMAKER_USER_CONFIG_OVERRIDE=... line:\n" + "\n".join(lines)
    path = Path(found[0])
    assert path.is_absolute(), path
    return path


def test_serve_writes_and_prints_the_sdk_config(started, tmp_path):
    import boto3
    from sagemaker.core.config.config_manager import SageMakerConfig

    data = tmp_path / "data"
    proc, lines = started(data)
    export = parse_export_line(next(line for line in lines if line.startswith("export AWS_ENDPOINT_URL=")))
    path = _config_line(lines)
    assert path.exists(), path
    assert path.resolve().parent == data.resolve(), f"{path} is not in the data directory {data}"

    doc = yaml.safe_load(path.read_text())
    SageMakerConfig.validate_sagemaker_config(doc)  # the SDK's own JSON schema

    session = boto3.session.Session(aws_access_key_id=export["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=export["AWS_SECRET_ACCESS_KEY"],
                                    region_name=export["AWS_DEFAULT_REGION"])
    sm = session.client("sagemaker", endpoint_url=export["AWS_ENDPOINT_URL"])
    account = account_id_of(sm)
    assert doc == yaml.safe_load(sdk_config_yaml(account, export["AWS_DEFAULT_REGION"]))

    # The role it names exists in that account and SageMaker may assume it.
    iam = session.client("iam", endpoint_url=export["AWS_ENDPOINT_URL"])
    role = iam.get_role(RoleName=ROLE_NAME)["Role"]
    assert role["Arn"] == doc["SageMaker"]["TrainingJob"]["RoleArn"]
    assert "sagemaker.amazonaws.com" in str(role["AssumeRolePolicyDocument"])

    # A restart prints the same line and leaves the file as it is.
    before = path.read_text()
    _stop(proc)
    _, again = started(data)
    assert _config_line(again) == path
    assert path.read_text() == before


def test_readme_shows_the_sdk_config():
    text = (REPO / "README.md").read_text()
    assert "SAGEMAKER_USER_CONFIG_OVERRIDE" in text
    for key in ("DefaultS3Bucket", "TrainingJob:", "RoleArn", "ExecutionRoleArn"):
        assert key in text, f"README.md does not show the SDK config ({key})"
    assert ".venv-v3" in text and "tests/sdk_v3" in text
