"""The web console's storage and inference pages (docs/console.md): S3
buckets and objects (folders, uploads with progress, downloads), the image
registry (the push commands it shows, run as shown) and real-time endpoints
(test invocations, a container's errors, creating and deleting), each
driven in headless Chromium against a real server; the data they leave is
checked with boto3."""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from console_helpers import run_scenario
from e2e_helpers import VENV_BIN, create_account, uniq
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images
from registry_helpers import build_image, remove_image
from s3_helpers import s3 as s3_client


def test_s3_buckets_folders_upload_download_delete(server, tmp_path):
    small = tmp_path / "payload.bin"
    large = tmp_path / "large-model.tar.gz"
    small.write_bytes(os.urandom(3 * 1024 * 1024))
    large.write_bytes(os.urandom(20 * 1024 * 1024))
    bucket = uniq("console-s3")
    figures = run_scenario("s3_objects", server, BUCKET=bucket, SMALL_FILE=small, LARGE_FILE=large)
    # What the browser uploaded is what S3 holds: the small file in one PUT,
    # the large one in parts (a multipart ETag ends in -<parts>).
    s3 = s3_client(server)
    keys = {o["Key"]: o for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert set(keys) == {"models/", "models/large-model.tar.gz"}
    got = s3.get_object(Bucket=bucket, Key="models/large-model.tar.gz")
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(large.read_bytes()).digest()
    assert got["ETag"].strip('"').endswith("-3")
    # The second upload of it, cancelled in the browser, left no parts behind.
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert all(0 < f < 1 for f in figures["part_way"].values()), figures


def test_s3_folder_paging(server):
    s3 = s3_client(server)
    bucket = uniq("console-paging")
    s3.create_bucket(Bucket=bucket)
    count = 230
    for i in range(count):
        s3.put_object(Bucket=bucket, Key=f"many/obj-{i:04d}.txt", Body=b"x")
    s3.put_object(Bucket=bucket, Key="many/sub/inner.txt", Body=b"y")
    run_scenario("s3_paging", server, BUCKET=bucket, COUNT=count)


def test_signing_in_as_another_account_in_the_same_tab_signs_as_it(server):
    bucket = uniq("console-mine")
    s3_client(server).create_bucket(Bucket=bucket)
    other = create_account(server.data_dir, uniq("console-switch"))
    run_scenario("s3_switch_account", server, BUCKET=bucket, OTHER_KEY_ID=other.access_key,
                 OTHER_SECRET=other.secret_key, OTHER_ACCOUNT=other.account_id)


@pytest.fixture
def local_image(tmp_path):
    tag = f"localhost/{uniq('console-push')}:latest"
    build_image(tag, tmp_path / "ctx", {"model.txt": b"a model\n"})
    yield tag
    remove_image(tag)


def test_registry_push_commands_work_as_shown(server, local_image, tmp_path):
    repo = f"{uniq('acme')}/churn"
    env = {
        # The commands run in the scenario's shell: the AWS CLI from the
        # venv, podman's login kept in a file of the test's own.
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "REGISTRY_AUTH_FILE": tmp_path / "auth.json",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    # The repository is deleted by the scenario; the pushed tag is removed here.
    try:
        run_scenario("registry", server, REPO=repo, LOCAL_IMAGE=local_image, REGION=server.region, **env)
    finally:
        host, port = server.host_port
        remove_image(f"{host}:{port}/{repo}:v1")
    ecr = server.client(service="ecr")
    assert repo not in [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]]


def wait_created(sm, name: str, status: str = "InService", timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while (d := sm.describe_endpoint(EndpointName=name))["EndpointStatus"] == "Creating":
        assert time.time() < deadline, f"{name} still Creating"
        time.sleep(0.5)
    assert d["EndpointStatus"] == status, d.get("FailureReason")
    return d


def deploy(sm, mode: str, image: str = SAMPLE_IMAGE) -> tuple[str, str]:
    model = uniq(f"console-{mode}")
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": image, "Environment": {"SAMPLE_MODE": mode}})
    config = uniq("console-epc")
    sm.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    name = uniq(f"console-{mode}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
    return name, model


def test_endpoint_page_invocation_model_error_create_and_delete(jobs_server):
    ensure_images()
    sm = jobs_server.client(read_timeout=60)
    echo, echo_model = deploy(sm, "echo")
    broken, _ = deploy(sm, "error500")
    # An image no registry has: the endpoint fails, with a reason.
    failed, _ = deploy(sm, "echo", image=f"localhost/{uniq('no-such-image')}:latest")
    new = uniq("console-new")
    try:
        wait_created(sm, echo)
        wait_created(sm, broken)
        reason = wait_created(sm, failed, "Failed")["FailureReason"]
        figures = run_scenario("endpoints", jobs_server, ECHO_ENDPOINT=echo, ECHO_MODEL=echo_model,
                               BROKEN_ENDPOINT=broken, FAILED_ENDPOINT=failed, FAILURE_REASON=reason,
                               NEW_ENDPOINT=new)
        # The endpoint the console made, as the API describes it.
        config = sm.describe_endpoint_config(EndpointConfigName=f"{new}-config")
        v = config["ProductionVariants"][0]
        assert (v["ModelName"], v["InstanceType"], v["InitialInstanceCount"]) == (echo_model, "ml.m5.large", 1)
        assert figures["invoke_latency_ms"] >= 0
    finally:
        for name in (echo, broken, failed, new):
            try:
                sm.delete_endpoint(EndpointName=name)
            except sm.exceptions.ClientError:
                pass  # the scenario deleted it, or it was never made
