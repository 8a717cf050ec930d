"""Real-time endpoints end to end (docs/endpoints.md): boto3's `sagemaker`
and `sagemaker-runtime` clients and the AWS CLI against a real server,
with the sample seller's inference image run by Podman. The lifecycle
(Creating → InService → Updating → Deleting), traffic split by weight,
target variants, response streaming, the runtime's errors for each
misbehaving container, logs, another account, and a server restart."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, Slipway, clean_env, create_account, error_of, run_aws_cli
from jobs_helpers import model_tar, ROLE, SAMPLE_IMAGE, containers_of, ensure_images, uniq
from s3_helpers import new_bucket, s3 as s3_client

# A short start-up window and invocation limit, so the misbehaving
# containers fail in seconds rather than minutes; a short stop grace.
ENV = {
    **TEST_ACCOUNT_ENV,
    "SLIPWAY_JOB_READY_TIMEOUT_SECONDS": "15",
    "SLIPWAY_ENDPOINT_INVOCATION_TIMEOUT_SECONDS": "4",
    "SLIPWAY_ENDPOINT_STOP_GRACE_SECONDS": "2",
}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Slipway(tmp_path_factory.mktemp("endpoints") / "data", env=ENV).start()
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(server):
    return server.client(read_timeout=60)


@pytest.fixture(scope="module")
def rt(server):
    return server.client(service="sagemaker-runtime", read_timeout=60)


@pytest.fixture(scope="module")
def bucket(server):
    return new_bucket(s3_client(server), "endpoints")


def make_model(sm, mode: str | None = None, model_data: str | None = None, **extra) -> str:
    name = uniq("epm")
    env = {"SAMPLE_MODE": mode} if mode else {}
    container = {"Image": SAMPLE_IMAGE, "Environment": env}
    if model_data:
        container["ModelDataUrl"] = model_data
    sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE, **extra)
    return name


def make_config(sm, variants: list[tuple[str, str, int, float]], **extra) -> str:
    name = uniq("epc")
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
        {"VariantName": v, "ModelName": m, "InitialInstanceCount": n, "InstanceType": "ml.m5.large",
         "InitialVariantWeight": w} for (v, m, n, w) in variants], **extra)
    return name


def wait_status(sm, name: str, leaving: tuple[str, ...], timeout: float = 90) -> dict:
    deadline = time.time() + timeout
    while True:
        d = sm.describe_endpoint(EndpointName=name)
        if d["EndpointStatus"] not in leaving:
            return d
        assert time.time() < deadline, f"{name} still {d['EndpointStatus']}"
        time.sleep(0.2)


def deploy(sm, variants, **extra) -> tuple[str, dict]:
    name = uniq("ep")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=make_config(sm, variants), **extra)
    return name, wait_status(sm, name, ("Creating",))


def delete(sm, name: str) -> None:
    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def test_lifecycle_create_invoke_update_delete(sm, rt, server, bucket):
    s3 = s3_client(server)
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar([2.0, 3.0], 1.0))
    model = make_model(sm, model_data=f"s3://{bucket}/model/model.tar.gz")
    config = make_config(sm, [("AllTraffic", model, 2, 1.0)])
    described = sm.describe_endpoint_config(EndpointConfigName=config)
    assert described["ProductionVariants"][0]["InitialInstanceCount"] == 2
    assert described["EndpointConfigArn"].endswith(f":endpoint-config/{config}")
    name = uniq("ep")
    arn = sm.create_endpoint(EndpointName=name, EndpointConfigName=config,
                             Tags=[{"Key": "team", "Value": "ml"}])["EndpointArn"]
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 90})
    d = sm.describe_endpoint(EndpointName=name)
    assert d["EndpointArn"] == arn and d["EndpointConfigName"] == config
    v = d["ProductionVariants"][0]
    assert v["VariantName"] == "AllTraffic"
    assert v["CurrentInstanceCount"] == 2 and v["DesiredInstanceCount"] == 2
    assert v["CurrentWeight"] == 1.0
    image = v["DeployedImages"][0]
    assert image["SpecifiedImage"] == SAMPLE_IMAGE and image["ResolvedImage"]
    assert len(containers_of(arn)) == 2
    # Real predictions: 1 + 2·x1 + 3·x2.
    r = rt.invoke_endpoint(EndpointName=name, ContentType="text/csv", Accept="text/csv", Body=b"1,1\n2,0\n")
    assert r["InvokedProductionVariant"] == "AllTraffic"
    assert [float(x) for x in r["Body"].read().decode().split()] == [6.0, 5.0]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    listed = sm.list_endpoints(NameContains=name, StatusEquals="InService")["Endpoints"]
    assert [e["EndpointName"] for e in listed] == [name]
    assert sm.list_endpoint_configs(NameContains=config)["EndpointConfigs"][0]["EndpointConfigName"] == config
    # Blue/green: the new config's containers serve before the old go.
    echo = make_config(sm, [("Echo", make_model(sm, "echo"), 1, 1.0)])
    sm.update_endpoint(EndpointName=name, EndpointConfigName=echo)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    with pytest.raises(ClientError) as e:
        sm.update_endpoint(EndpointName=name, EndpointConfigName=echo)
    assert error_of(e)[0] == "ValidationException"
    d = wait_status(sm, name, ("Updating",))
    assert d["EndpointStatus"] == "InService" and d["EndpointConfigName"] == echo
    r = rt.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=b'{"x": 1}')
    assert r["InvokedProductionVariant"] == "Echo" and r["Body"].read() == b'{"x": 1}'
    assert r["ContentType"] == "application/json"
    delete(sm, name)
    with pytest.raises(ClientError) as e:
        sm.describe_endpoint(EndpointName=name)
    assert error_of(e)[:2] == ("ValidationException", f'Could not find endpoint "{arn}".')
    deadline = time.time() + 20
    while containers_of(arn):
        assert time.time() < deadline, "the endpoint's containers are still there"
        time.sleep(0.3)
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"1,1")
    assert error_of(e)[0] == "ValidationError"
    # The config outlives the endpoint, until deleted itself.
    sm.delete_endpoint_config(EndpointConfigName=config)
    with pytest.raises(ClientError) as e:
        sm.describe_endpoint_config(EndpointConfigName=config)
    assert "Could not find endpoint configuration" in error_of(e)[1]


def test_traffic_is_split_by_weight_and_can_target_a_variant(sm, rt):
    echo = make_model(sm, "echo")
    name, d = deploy(sm, [("A", echo, 1, 1.0), ("B", echo, 1, 3.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    counts = {"A": 0, "B": 0}
    for _ in range(400):
        counts[rt.invoke_endpoint(EndpointName=name, Body=b"x")["InvokedProductionVariant"]] += 1
    assert 0.70 <= counts["B"] / 400 <= 0.80, counts
    r = rt.invoke_endpoint(EndpointName=name, Body=b"x", TargetVariant="A")
    assert r["InvokedProductionVariant"] == "A"
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"x", TargetVariant="Nope")
    assert error_of(e)[0] == "ValidationError"
    # Weights move without a redeploy.
    sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": "B", "DesiredWeight": 0.0}])
    d = wait_status(sm, name, ("Updating",))
    assert {v["VariantName"]: v["CurrentWeight"] for v in d["ProductionVariants"]} == {"A": 1.0, "B": 0.0}
    assert {rt.invoke_endpoint(EndpointName=name, Body=b"x")["InvokedProductionVariant"] for _ in range(30)} == {"A"}
    delete(sm, name)


def test_response_streaming(sm, rt):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "echo"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    body = b"stream me " * 1000
    r = rt.invoke_endpoint_with_response_stream(EndpointName=name, Body=body, ContentType="text/plain")
    assert r["InvokedProductionVariant"] == "AllTraffic"
    got = b"".join(ev["PayloadPart"]["Bytes"] for ev in r["Body"] if "PayloadPart" in ev)
    assert got == body
    delete(sm, name)


def test_a_container_that_never_passes_ping_fails_the_endpoint(sm):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "never-ready"), 1, 1.0)])
    assert d["EndpointStatus"] == "Failed"
    assert "production variant AllTraffic did not pass the ping health check within 15 seconds" in d["FailureReason"]
    assert "answered HTTP 503" in d["FailureReason"]
    delete(sm, name)


def test_container_errors_are_model_errors(sm, rt):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "error500"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"1,2")
    err = e.value.response
    assert err["Error"]["Code"] == "ModelError"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["OriginalStatusCode"] == 500
    assert "fails every invocation on purpose" in err["OriginalMessage"]
    assert err["Error"]["Message"].startswith("Received server error (500) from primary with message")
    assert f":log-group:/aws/sagemaker/Endpoints/{name}:log-stream:AllTraffic/i-" in err["LogStreamArn"]
    delete(sm, name)


def test_a_call_past_the_limit_is_a_model_error(sm, rt):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "hang"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    started = time.time()
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"1,2")
    assert error_of(e)[0] == "ModelError" and "timed out" in error_of(e)[1]
    assert 3.5 < time.time() - started < 15
    delete(sm, name)


def test_a_crashed_container_is_replaced(sm, rt):
    # This sample exits on the first call each container gets: every call
    # crashes the container that takes it, so each next call must be taken
    # by a new container (its own log stream), never refused.
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "crash-after-ready"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    streams = []
    for _ in range(3):
        with pytest.raises(ClientError) as e:
            rt.invoke_endpoint(EndpointName=name, Body=b"1,2")
        assert e.value.response["Error"]["Code"] == "ModelError", e.value.response
        streams.append(e.value.response["LogStreamArn"])
    assert len(set(streams)) == 3, streams
    d = sm.describe_endpoint(EndpointName=name)
    assert d["EndpointStatus"] == "InService"
    delete(sm, name)


def test_limits_and_bad_requests(sm, rt):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "echo"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    r = rt.invoke_endpoint(EndpointName=name, Body=b"x" * 6_291_456)
    assert len(r["Body"].read()) == 6_291_456
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"x" * 6_291_457)
    assert error_of(e)[0] == "ValidationError"
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint(EndpointName=name, Body=b"x", CustomAttributes="é")
    assert error_of(e)[0] == "ValidationError"
    r = rt.invoke_endpoint(EndpointName=name, Body=b"x", CustomAttributes="trace=1")
    assert r["Body"].read() == b"x"
    with pytest.raises(ClientError) as e:
        sm.create_endpoint_config(EndpointConfigName=uniq("bad"), ProductionVariants=[
            {"VariantName": "A", "ModelName": "no-such-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    assert error_of(e)[0] == "ValidationException" and "Could not find model" in error_of(e)[1]
    with pytest.raises(ClientError) as e:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=make_config(sm, [("A", make_model(sm, "echo"), 1, 1.0)]))
    assert error_of(e)[0] == "ValidationException" and "Cannot create already existing endpoint" in error_of(e)[1]
    delete(sm, name)


def test_instance_types_of_a_model_package_are_enforced(sm, bucket):
    pkg = uniq("eppkg")
    sm.create_model_package(ModelPackageName=pkg, InferenceSpecification={
        "Containers": [{"Image": SAMPLE_IMAGE}],
        "SupportedTransformInstanceTypes": ["ml.m5.large"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.xlarge"],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})
    model = uniq("eppkgm")
    sm.create_model(ModelName=model, PrimaryContainer={"ModelPackageName": pkg}, ExecutionRoleArn=ROLE,
                    EnableNetworkIsolation=True)
    with pytest.raises(ClientError) as e:
        make_config(sm, [("A", model, 1, 1.0)])
    code, message, _ = error_of(e)
    assert code == "ValidationException"
    assert "ml.m5.large" in message and "ml.m5.xlarge" in message
    name = uniq("ep")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=sm.create_endpoint_config(
        EndpointConfigName=uniq("epc"), ProductionVariants=[{"VariantName": "A", "ModelName": model,
        "InitialInstanceCount": 1, "InstanceType": "ml.m5.xlarge"}])["EndpointConfigArn"].split("/")[-1])
    d = wait_status(sm, name, ("Creating",))
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    # Network isolation: the container has no network at all.
    (c,) = containers_of(d["EndpointArn"])
    mode = subprocess.run(["podman", "inspect", "--format", "{{.HostConfig.NetworkMode}}", c["Id"]],
                          check=True, capture_output=True, text=True).stdout.strip()
    assert mode == "none"
    delete(sm, name)


def test_the_cli_lifecycle_and_logs(server, tmp_path):
    """The AWS CLI alone: create, wait, invoke, update, re-weight, delete."""
    env = {**clean_env(), **server.export}

    def aws(*args: str) -> dict:
        out = run_aws_cli(list(args), env).stdout
        return json.loads(out) if out.strip() else {}

    def until_not(name: str, leaving: tuple[str, ...]) -> dict:
        deadline = time.time() + 90
        while True:
            d = aws("sagemaker", "describe-endpoint", "--endpoint-name", name)
            if d["EndpointStatus"] not in leaving:
                return d
            assert time.time() < deadline, d
            time.sleep(0.5)

    model, name = uniq("cli-model"), uniq("cli-ep")
    aws("sagemaker", "create-model", "--model-name", model, "--execution-role-arn", ROLE,
        "--primary-container", json.dumps({"Image": SAMPLE_IMAGE, "Environment": {"SAMPLE_MODE": "echo"}}))
    configs = [uniq("cli-epc"), uniq("cli-epc")]
    for config, weight in zip(configs, (1.0, 2.0)):
        aws("sagemaker", "create-endpoint-config", "--endpoint-config-name", config, "--production-variants",
            json.dumps([{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
                         "InstanceType": "ml.m5.large", "InitialVariantWeight": weight}]))
    arn = aws("sagemaker", "create-endpoint", "--endpoint-name", name, "--endpoint-config-name", configs[0])
    assert arn["EndpointArn"].endswith(f":endpoint/{name}")
    d = until_not(name, ("Creating",))
    assert d["EndpointStatus"] == "InService", d

    answer = tmp_path / "answer.txt"
    out = run_aws_cli(["sagemaker-runtime", "invoke-endpoint", "--endpoint-name", name,
                       "--body", "hello from the cli", "--content-type", "text/plain", str(answer)], env)
    assert json.loads(out.stdout)["InvokedProductionVariant"] == "AllTraffic"
    assert answer.read_text() == "hello from the cli"

    aws("sagemaker", "update-endpoint", "--endpoint-name", name, "--endpoint-config-name", configs[1])
    d = until_not(name, ("Updating",))
    assert d["EndpointStatus"] == "InService" and d["EndpointConfigName"] == configs[1], d
    assert d["ProductionVariants"][0]["CurrentWeight"] == 2.0
    aws("sagemaker", "update-endpoint-weights-and-capacities", "--endpoint-name", name,
        "--desired-weights-and-capacities", json.dumps([{"VariantName": "AllTraffic", "DesiredWeight": 3.0}]))
    d = until_not(name, ("Updating",))
    assert d["ProductionVariants"][0]["CurrentWeight"] == 3.0, d
    listed = aws("sagemaker", "list-endpoints", "--name-contains", name)["Endpoints"]
    assert [e["EndpointName"] for e in listed] == [name]

    logs = server.client(service="logs")
    group = f"/aws/sagemaker/Endpoints/{name}"
    deadline = time.time() + 15
    while True:
        streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
        if streams:
            break
        assert time.time() < deadline
        time.sleep(0.3)
    assert streams[0]["logStreamName"].startswith("AllTraffic/i-")

    aws("sagemaker", "delete-endpoint", "--endpoint-name", name)
    deadline = time.time() + 60
    while aws("sagemaker", "list-endpoints", "--name-contains", name)["Endpoints"]:
        assert time.time() < deadline
        time.sleep(0.5)
    for config in configs:
        aws("sagemaker", "delete-endpoint-config", "--endpoint-config-name", config)
    aws("sagemaker", "delete-model", "--model-name", model)
    assert aws("sagemaker", "list-endpoint-configs", "--name-contains", configs[0])["EndpointConfigs"] == []


def test_another_account_can_neither_describe_nor_invoke(sm, rt, server):
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "echo"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    other = create_account(server.data_dir, uniq("other"))
    sm2 = server.client(other)
    rt2 = server.client(other, service="sagemaker-runtime")
    with pytest.raises(ClientError) as e:
        sm2.describe_endpoint(EndpointName=name)
    assert error_of(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        rt2.invoke_endpoint(EndpointName=name, Body=b"x")
    assert error_of(e)[0] == "ValidationError"
    assert "not found" in error_of(e)[1]
    delete(sm, name)


def test_endpoints_come_back_after_a_restart(server_factory):
    s = server_factory(env=ENV).start()
    sm, rt = s.client(read_timeout=60), s.client(service="sagemaker-runtime", read_timeout=60)
    name, d = deploy(sm, [("AllTraffic", make_model(sm, "echo"), 1, 1.0)])
    assert d["EndpointStatus"] == "InService", d.get("FailureReason")
    s.kill()
    s.start()
    sm, rt = s.client(read_timeout=60), s.client(service="sagemaker-runtime", read_timeout=60)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    deadline = time.time() + 30
    while True:
        try:
            assert rt.invoke_endpoint(EndpointName=name, Body=b"back")["Body"].read() == b"back"
            break
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ModelNotReadyException", e.response
            assert time.time() < deadline
            time.sleep(0.3)
    delete(sm, name)
    s.stop()
