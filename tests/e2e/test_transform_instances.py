"""Several transform instances end to end (docs/jobs.md "Batch transform",
"Several instances"): `TransformResources.InstanceCount` 2 runs two real
containers of the sample seller, each serving its share of the input
objects (each logs its invocations into its own `<job>/<instance-id>`
stream), with outputs identical to a one-instance job's; a failing object
names the instance that ran it; a stop ends both; and the SageMaker Python
SDK's `Transformer(instance_count=2)` does the same."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from e2e_helpers import clean_env
from jobs_helpers import ROLE, SAMPLE_IMAGE, containers_of, ensure_images, uniq
from s3_helpers import new_bucket, s3 as s3_client

LOG_GROUP = "/aws/sagemaker/TransformJobs"
INPUTS = {f"part-{i}.csv": f"{i},1\n{i},2\n{i},3\n".encode() for i in range(6)}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def s3(jobs_server):
    return s3_client(jobs_server)


@pytest.fixture(scope="module")
def bucket(s3):
    b = new_bucket(s3, "xinst")
    for key, body in INPUTS.items():
        s3.put_object(Bucket=b, Key="in/" + key, Body=body)
    return b


def make_model(sm, env: dict) -> str:
    name = uniq("model")
    sm.create_model(ModelName=name, PrimaryContainer={"Image": SAMPLE_IMAGE, "Environment": env},
                    ExecutionRoleArn=ROLE)
    return name


def run(sm, model: str, bucket: str, count: int, prefix: str = "in/", wait: bool = True) -> tuple[str, dict]:
    name = uniq(f"x{count}")
    sm.create_transform_job(
        TransformJobName=name, ModelName=model, MaxConcurrentTransforms=2, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/out/{name}", "AssembleWith": "Line", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": count})
    return name, (wait_transform(sm, name) if wait else {})


def wait_transform(sm, name: str, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while True:
        d = sm.describe_transform_job(TransformJobName=name)
        if d["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        assert time.time() < deadline, f"{name} still {d['TransformJobStatus']}"
        time.sleep(0.25)


def outputs(s3, bucket: str, name: str) -> dict[str, bytes]:
    prefix = f"out/{name}/"
    got = {}
    for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        got[o["Key"][len(prefix):]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return got


def invocations_per_stream(logs, name: str) -> dict[str, int]:
    """Each of the job's log streams and how many invocations it logged."""
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/")["logStreams"]
    counts = {}
    for s in streams:
        events = logs.get_log_events(logGroupName=LOG_GROUP, logStreamName=s["logStreamName"],
                                     startFromHead=True)["events"]
        counts[s["logStreamName"]] = sum("invocation:" in e["message"] for e in events)
    return counts


def test_two_instances_both_serve_and_write_what_one_writes(jobs_server, sm, s3, bucket):
    model = make_model(sm, {"SAMPLE_LOG_INVOCATIONS": "1"})
    one, d1 = run(sm, model, bucket, 1)
    two, d2 = run(sm, model, bucket, 2)
    assert d1["TransformJobStatus"] == "Completed", d1.get("FailureReason")
    assert d2["TransformJobStatus"] == "Completed", d2.get("FailureReason")
    assert d2["TransformResources"]["InstanceCount"] == 2
    got = outputs(s3, bucket, two)
    assert set(got) == {k + ".out" for k in INPUTS}
    assert got == outputs(s3, bucket, one)
    # Every line of the two-instance run is the sample's prediction.
    assert got["part-1.csv.out"] == b"10.75\n11\n11.25\n"
    # Two streams `<job>/i-…`, three objects (one invocation each) apiece.
    logs = jobs_server.client(service="logs")
    counts = invocations_per_stream(logs, two)
    assert len(counts) == 2 and all(s.startswith(f"{two}/i-") for s in counts), counts
    assert sorted(counts.values()) == [3, 3], counts
    assert list(invocations_per_stream(logs, one).values()) == [6]
    assert containers_of(d2["TransformJobArn"]) == []


def test_a_failing_object_names_its_instance(sm, s3, bucket):
    s3.put_object(Bucket=bucket, Key="mixed/a.csv", Body=b"1,2\n")
    s3.put_object(Bucket=bucket, Key="mixed/b.csv", Body=b"not,a number\n")
    name, d = run(sm, make_model(sm, {}), bucket, 2, prefix="mixed/")
    assert d["TransformJobStatus"] == "Failed"
    reason = d["FailureReason"]
    assert (f"1 of 2 input objects failed; first: s3://{bucket}/mixed/b.csv on instance i-") in reason, reason
    assert "(2 of 2)" in reason and "HTTP 400" in reason, reason
    assert set(outputs(s3, bucket, name)) == {"a.csv.out"}


def test_stop_ends_every_instance(sm, s3, bucket):
    name, _ = run(sm, make_model(sm, {"SAMPLE_MODE": "hang"}), bucket, 2, wait=False)
    arn = sm.describe_transform_job(TransformJobName=name)["TransformJobArn"]
    deadline = time.time() + 60
    while len([c for c in containers_of(arn) if c.get("State") == "running"]) < 2:
        assert time.time() < deadline, containers_of(arn)
        time.sleep(0.3)
    time.sleep(1)
    sm.stop_transform_job(TransformJobName=name)
    assert wait_transform(sm, name)["TransformJobStatus"] == "Stopped"
    assert containers_of(arn) == []
    assert outputs(s3, bucket, name) == {}


SDK_SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.transformer import Transformer
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    t = Transformer(model_name=args["model"], instance_count=2, instance_type="ml.m5.large",
                    output_path=f"s3://{args['bucket']}/sdk-out", accept="text/csv", assemble_with="Line",
                    strategy="MultiRecord", max_concurrent_transforms=2, sagemaker_session=sess)
    t.transform(data=f"s3://{args['bucket']}/in/", content_type="text/csv", split_type="Line",
                job_name=args["job"], wait=True, logs=False)
    d = sess.sagemaker_client.describe_transform_job(TransformJobName=args["job"])
    print("JOB_STATUS=" + d["TransformJobStatus"])
    print("INSTANCES=" + str(d["TransformResources"]["InstanceCount"]))
""")


def test_sdk_transformer_with_two_instances(jobs_server, sm, s3, bucket, tmp_path):
    model = make_model(sm, {"SAMPLE_LOG_INVOCATIONS": "1"})
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(jobs_server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    job = uniq("sdk-x2")
    out = subprocess.run([sys.executable, "-c", SDK_SCRIPT, json.dumps({"bucket": bucket, "model": model, "job": job})],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "JOB_STATUS=Completed" in out.stdout and "INSTANCES=2" in out.stdout, out.stdout
    for key in INPUTS:
        body = s3.get_object(Bucket=bucket, Key=f"sdk-out/{key}.out")["Body"].read()
        assert len(body.split()) == 3
    counts = invocations_per_stream(jobs_server.client(service="logs"), job)
    assert sorted(counts.values()) == [3, 3], counts
