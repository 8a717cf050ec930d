"""Distributed training end to end (docs/jobs.md "Distributed training"):
InstanceCount 2 runs the sample seller as algo-1 and algo-2 on a network
of their own, through Podman, driven by boto3 and the SageMaker Python
SDK. The hosts exchange their record counts over TCP by hostname (the
sample's distributed mode, docs/sample-seller.md), so a job that completes
proves they found each other."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, Slipway, clean_env, error_of
from jobs_helpers import (
    METRICS, ROLE, SAMPLE_IMAGE, channel, containers_of, ensure_images, linear_rows, read_tar,
    training_request, uniq, wait_for,
)
from s3_helpers import new_bucket, s3 as s3_client

GROUP = "/aws/sagemaker/TrainingJobs"
NS = "/aws/sagemaker/TrainingJobs"
# Each host prints its share's record count (docs/sample-seller.md,
# "Distributed mode"): a value per host.
SHARE = {"Name": "share:records", "Regex": r"cluster: (\d+) record\(s\) in this host's share"}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Slipway's default: loopback only (probed from the containers below).
    s = Slipway(tmp_path_factory.mktemp("dist") / "data", env=dict(TEST_ACCOUNT_ENV)).start()
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(server):
    return server.client()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server)


@pytest.fixture(scope="module")
def bucket(s3):
    b = new_bucket(s3, "dist")
    # Three objects: ShardedByS3Key gives algo-1 the 1st and 3rd, algo-2 the 2nd.
    for i, n in enumerate((50, 70, 30)):
        s3.put_object(Bucket=b, Key=f"train/part-{i}.csv", Body=linear_rows(n))
    return b


def sharded(name: str, uri: str) -> dict:
    ch = channel(name, uri, ContentType="text/csv")
    ch["DataSource"]["S3DataSource"]["S3DataDistributionType"] = "ShardedByS3Key"
    return ch


def two_hosts(req: dict) -> dict:
    req["ResourceConfig"]["InstanceCount"] = 2
    return req


def stream_text(server, name: str, host: str) -> str:
    logs = server.client(service="logs")
    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{name}/{host}-")["logStreams"]
    assert len(streams) == 1, streams
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=streams[0]["logStreamName"],
                                 startFromHead=True)["events"]
    return "\n".join(e["message"] for e in events)


def assert_per_host_metrics(server, name: str, d: dict, records_by_host: dict) -> None:
    """CloudWatch has a series per host (`Host=<job>/algo-N`), each parsed
    from that host's log, and `TrainingJobName=<job>`, algo-1's."""
    cw = server.client(service="cloudwatch")
    listed = cw.list_metrics(Namespace=NS, MetricName=SHARE["Name"])["Metrics"]
    names = sorted((m["Dimensions"][0]["Name"], m["Dimensions"][0]["Value"]) for m in listed
                   if m["Dimensions"][0]["Value"].startswith(name))
    assert names == [("Host", f"{name}/algo-1"), ("Host", f"{name}/algo-2"),
                     ("TrainingJobName", name)], listed
    start = d["TrainingStartTime"] - dt.timedelta(minutes=1)
    end = d["TrainingEndTime"] + dt.timedelta(minutes=1)

    def maximum(dim: str, value: str) -> float:
        dps = cw.get_metric_statistics(Namespace=NS, MetricName=SHARE["Name"],
                                       Dimensions=[{"Name": dim, "Value": value}], StartTime=start,
                                       EndTime=end, Period=3600, Statistics=["Maximum", "SampleCount"])
        [one] = dps["Datapoints"]
        assert one["SampleCount"] == 1, one
        return one["Maximum"]

    for host, records in records_by_host.items():
        assert maximum("Host", f"{name}/{host}") == records, host
    assert maximum("TrainingJobName", name) == records_by_host["algo-1"]
    # GetMetricData by host too.
    data = cw.get_metric_data(
        MetricDataQueries=[{"Id": "second", "MetricStat": {
            "Metric": {"Namespace": NS, "MetricName": SHARE["Name"],
                       "Dimensions": [{"Name": "Host", "Value": f"{name}/algo-2"}]},
            "Period": 3600, "Stat": "Maximum"}}],
        StartTime=start, EndTime=end)["MetricDataResults"]
    assert data[0]["Values"] == [records_by_host["algo-2"]], data


def networks_of(name_part: str) -> list[str]:
    out = subprocess.run(["podman", "network", "ls", "--format", "{{.Name}}"],
                         check=True, capture_output=True, text=True).stdout
    return [n for n in out.split() if name_part in n]


@pytest.mark.parametrize("distribution", ["FullyReplicated", "ShardedByS3Key"])
def test_two_hosts_exchange_counts_and_algo_1_writes_the_model(server, sm, s3, bucket, distribution):
    name = uniq("dist")
    ch = sharded("train", f"s3://{bucket}/train/") if distribution == "ShardedByS3Key" \
        else channel("train", f"s3://{bucket}/train/", ContentType="text/csv")
    req = two_hosts(training_request(name, bucket, [ch], hyper={"epochs": "100"}))
    req["AlgorithmSpecification"]["MetricDefinitions"] = METRICS + [SHARE]
    arn = sm.create_training_job(**req)["TrainingJobArn"]
    d = wait_for(sm, name, timeout=240)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["ResourceConfig"]["InstanceCount"] == 2
    files = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])
    assert "model.json" in files
    cluster = json.loads(files["cluster.json"])
    assert cluster["hosts"] == ["algo-1", "algo-2"]
    if distribution == "ShardedByS3Key":
        assert cluster["records_by_host"] == {"algo-1": 80, "algo-2": 70}, cluster
    else:
        assert cluster["records_by_host"] == {"algo-1": 150, "algo-2": 150}, cluster
    assert cluster["total_records"] == sum(cluster["records_by_host"].values())
    # Output (share.json) is algo-1's too.
    out = read_tar(s3, f"s3://{bucket}/output/{name}/output/output.tar.gz")
    assert json.loads(out["share.json"])["host"] == "algo-1"
    # One log stream per host, each with its own side of the exchange.
    first, second = stream_text(server, name, "algo-1"), stream_text(server, name, "algo-2")
    assert "cluster: this is algo-1 of 2 host(s)" in first and "cluster: algo-2 (" in first, first
    assert "cluster: this is algo-2 of 2 host(s)" in second and "cluster: reached algo-1 at" in second, second
    # FinalMetricDataList is algo-1's; nothing is left behind.
    finals = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
    assert set(finals) == {"train:mse", "share:records"}
    assert finals["share:records"] == cluster["records_by_host"]["algo-1"]
    assert_per_host_metrics(server, name, d, cluster["records_by_host"])
    assert containers_of(arn) == []
    # The job's network goes once its containers have (moments after the
    # terminal status): wait for it, briefly.
    left = lambda: [n for n in networks_of("slipway-train-") if n.lower().endswith(name.lower())]  # noqa: E731
    deadline = time.time() + 15
    while left() and time.time() < deadline:
        time.sleep(0.2)
    assert left() == []


def test_a_failing_host_fails_the_job_naming_it_and_stops_the_other(sm, bucket):
    name = uniq("dist-fail")
    arn = sm.create_training_job(**two_hosts(training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")], hyper={"fail_host": "algo-2"})))[
        "TrainingJobArn"]
    d = wait_for(sm, name, timeout=120)
    assert d["TrainingJobStatus"] == "Failed"
    assert d["FailureReason"].startswith(
        "AlgorithmError: algo-2: fail_host=algo-2: this host was asked to fail"), d["FailureReason"]
    # algo-1 was waiting for algo-2's count: it was stopped, not left running.
    assert containers_of(arn) == []


def test_stop_stops_both_hosts(sm, bucket):
    name = uniq("dist-stop")
    arn = sm.create_training_job(**two_hosts(training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")], hyper={"mode": "hang"}, max_runtime=600)))[
        "TrainingJobArn"]
    wait_for(sm, name, until=("Training",), timeout=120)
    deadline = time.time() + 30
    while len([c for c in containers_of(arn) if c.get("State") == "running"]) < 2:
        assert time.time() < deadline, containers_of(arn)
        time.sleep(0.2)
    sm.stop_training_job(TrainingJobName=name)
    d = wait_for(sm, name, timeout=120)
    assert d["TrainingJobStatus"] == "Stopped", d
    assert containers_of(arn) == []


def host_ip() -> str:
    return subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()[0]


class Listener:
    """A TCP listener on every address of this host, counting connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.3)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()


@pytest.mark.parametrize("isolated", [True, False])
def test_isolation_cuts_the_outside_but_not_the_cluster(server, sm, bucket, isolated):
    listener = Listener()
    slipway_port = urlsplit(server.endpoint).port
    ip = host_ip()
    # This machine's address (a listener on every address), Slipway's own
    # port through it and through the network's gateway, and the internet.
    # The host's side of the job's own bridge (no IPv4 address there under
    # isolation; an IPv6 link-local one, closed by Slipway's firewall rule)
    # is probed by the engine suite, which can name it while a container
    # runs: "an internal network is closed to the host".
    targets = [f"{ip}:{listener.port}", f"{ip}:{slipway_port}", f"gateway:{slipway_port}", "1.1.1.1:80"]
    name = uniq("dist-iso")
    try:
        sm.create_training_job(**two_hosts(training_request(
            name, bucket, [channel("train", f"s3://{bucket}/train/")],
            hyper={"epochs": "50", "probe": ",".join(targets)},
            EnableNetworkIsolation=isolated)))
        d = wait_for(sm, name, timeout=240)
    finally:
        listener.close()
    # The cluster works either way: the hosts exchanged their counts.
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    for host in ("algo-1", "algo-2"):
        text = stream_text(server, name, host)
        lines = {t: next((l for l in text.splitlines() if l.startswith(f"probe {t}:")), "") for t in targets}
        if isolated:
            # Not this machine's address, not Slipway's port, not the internet.
            assert all("unreachable" in l for l in lines.values()), lines
        else:
            assert "reached" in lines[f"{ip}:{listener.port}"], lines
    if isolated:
        assert listener.accepted == 0, "an isolated host reached this machine"
    else:
        assert listener.accepted >= 2


def test_refusals(sm, bucket):
    req = two_hosts(training_request(uniq("dist-many"), bucket, [channel("train", f"s3://{bucket}/train/")]))
    req["ResourceConfig"]["InstanceCount"] = 10_000
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "InstanceCount 10000 is more than this server runs at once" in message


def algorithm_doc(name: str, bucket: str, *, distributed: bool, count: int, mode: str = "File",
                  fail_host: str | None = None) -> dict:
    doc = {
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": SAMPLE_IMAGE,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}}],
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "SupportsDistributedTraining": distributed,
            "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"] if mode == "File" else ["File", "Pipe"]}],
            "MetricDefinitions": METRICS,
        },
        "ValidationSpecification": {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "two-hosts",
            "TrainingJobDefinition": {
                "TrainingInputMode": mode,
                "HyperParameters": {"epochs": "100"},
                "InputDataConfig": [sharded("train", f"s3://{bucket}/train/")],
                "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/validation-output/"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": count, "VolumeSizeInGB": 1},
                "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            }}]},
    }
    if fail_host:
        doc["TrainingSpecification"]["SupportedHyperParameters"].append(
            {"Name": "fail_host", "Type": "FreeText", "IsTunable": False, "IsRequired": False})
        profile = doc["ValidationSpecification"]["ValidationProfiles"][0]
        profile["TrainingJobDefinition"]["HyperParameters"]["fail_host"] = fail_host
    return doc


def test_validation_on_two_instances_completes_and_needs_distributed_support(sm, bucket):
    name = uniq("algo-dist")
    sm.create_algorithm(**algorithm_doc(name, bucket, distributed=True, count=2))
    deadline = time.time() + 300
    while (d := sm.describe_algorithm(AlgorithmName=name))["AlgorithmStatus"] not in ("Completed", "Failed"):
        assert time.time() < deadline, d["AlgorithmStatus"]
        time.sleep(0.5)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    jobs = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    tj = sm.describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"])
    assert tj["ResourceConfig"]["InstanceCount"] == 2 and tj["EnableNetworkIsolation"] is True
    # A profile whose host 2 fails fails the validation, naming the host.
    failing = uniq("algo-dist-fail")
    sm.create_algorithm(**algorithm_doc(failing, bucket, distributed=True, count=2, fail_host="algo-2"))
    deadline = time.time() + 300
    while (d := sm.describe_algorithm(AlgorithmName=failing))["AlgorithmStatus"] not in ("Completed", "Failed"):
        assert time.time() < deadline, d["AlgorithmStatus"]
        time.sleep(0.5)
    assert d["AlgorithmStatus"] == "Failed"
    reason = d["AlgorithmStatusDetails"]["ValidationStatuses"][0]["FailureReason"]
    assert "AlgorithmError: algo-2: fail_host=algo-2: this host was asked to fail" in reason, reason
    # Without SupportsDistributedTraining, a profile on two instances is refused ...
    with pytest.raises(ClientError) as e:
        sm.create_algorithm(**algorithm_doc(uniq("algo-single"), bucket, distributed=False, count=2))
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "SupportsDistributedTraining" in message, message
    # ... and so is a client's job on two instances of such an algorithm.
    single = uniq("algo-single")
    sm.create_algorithm(**algorithm_doc(single, bucket, distributed=False, count=1))
    deadline = time.time() + 300
    while sm.describe_algorithm(AlgorithmName=single)["AlgorithmStatus"] not in ("Completed", "Failed"):
        assert time.time() < deadline
        time.sleep(0.5)
    with pytest.raises(ClientError) as e:
        sm.create_training_job(
            TrainingJobName=uniq("use-single"), RoleArn=ROLE,
            AlgorithmSpecification={"AlgorithmName": single, "TrainingInputMode": "File"},
            InputDataConfig=[channel("train", f"s3://{bucket}/train/", ContentType="text/csv")],
            OutputDataConfig={"S3OutputPath": f"s3://{bucket}/client/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 1},
            StoppingCondition={"MaxRuntimeInSeconds": 300})
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "SupportsDistributedTraining" in message, message


SDK_SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    est = Estimator(image_uri=args["image"], role="arn:aws:iam::123456789012:role/SellerRole",
                    instance_count=2, instance_type="ml.m5.large", sagemaker_session=sess,
                    output_path=f"s3://{args['bucket']}/sdk-out", max_run=600,
                    hyperparameters={"epochs": 100}, metric_definitions=args["metrics"],
                    input_mode=args["input_mode"])
    train = TrainingInput(f"s3://{args['bucket']}/train/", distribution="ShardedByS3Key",
                          content_type="text/csv")
    est.fit({"train": train}, job_name=args["job"], logs=True)
    print("MODEL_DATA=" + est.model_data)
""")


def sdk_env(server, tmp_path) -> dict:
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    return env


@pytest.mark.parametrize("input_mode", ["File", "Pipe"])
def test_sdk_estimator_with_two_instances(server, sm, s3, bucket, tmp_path, input_mode):
    """`Estimator(instance_count=2, input_mode=…)`: in Pipe mode each host's
    feeders stream its share of the sharded channel."""
    env = sdk_env(server, tmp_path)
    job = uniq("sdk-dist")
    args = {"image": SAMPLE_IMAGE, "bucket": bucket, "job": job, "metrics": METRICS, "input_mode": input_mode}
    out = subprocess.run([sys.executable, "-c", SDK_SCRIPT, json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=400)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert f"MODEL_DATA=s3://{bucket}/sdk-out/{job}/output/model.tar.gz" in text
    # `logs=True` follows both hosts' streams.
    assert "cluster: this is algo-1" in text and "cluster: this is algo-2" in text, text[-3000:]
    d = sm.describe_training_job(TrainingJobName=job)
    assert d["TrainingJobStatus"] == "Completed" and d["ResourceConfig"]["InstanceCount"] == 2
    assert d["AlgorithmSpecification"]["TrainingInputMode"] == input_mode
    cluster = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["cluster.json"])
    assert cluster["records_by_host"] == {"algo-1": 80, "algo-2": 70}, cluster


ALGORITHM_SDK_SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.algorithm import AlgorithmEstimator
    from sagemaker.inputs import TrainingInput
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    est = AlgorithmEstimator(algorithm_arn=args["algorithm"], role="arn:aws:iam::123456789012:role/SellerRole",
                             instance_count=2, instance_type="ml.m5.large", sagemaker_session=sess,
                             output_path=f"s3://{args['bucket']}/sdk-algo-out", input_mode="Pipe",
                             hyperparameters={"epochs": 100})
    train = TrainingInput(f"s3://{args['bucket']}/train/", distribution="ShardedByS3Key",
                          content_type="text/csv")
    est.fit({"train": train}, job_name=args["job"], logs=False)
    print("MODEL_DATA=" + est.model_data)
""")


def wait_for_algorithm(sm, name: str) -> dict:
    deadline = time.time() + 300
    while (d := sm.describe_algorithm(AlgorithmName=name))["AlgorithmStatus"] not in ("Completed", "Failed"):
        assert time.time() < deadline, d["AlgorithmStatus"]
        time.sleep(0.5)
    return d


def test_an_algorithm_on_two_instances_in_pipe_mode_validates_and_trains_with_the_sdk(
        server, sm, s3, bucket, tmp_path):
    """An algorithm that declares distributed training and Pipe mode: its
    validation profile on 2 instances in Pipe mode reaches Completed (each
    host read its share through its FIFO), and the SDK's AlgorithmEstimator
    trains it the same way."""
    name = uniq("algo-dist-pipe")
    arn = sm.create_algorithm(**algorithm_doc(name, bucket, distributed=True, count=2, mode="Pipe"))["AlgorithmArn"]
    d = wait_for_algorithm(sm, name)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    tj = sm.describe_training_job(
        TrainingJobName=sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"][0]["TrainingJobName"])
    assert tj["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    assert tj["ResourceConfig"]["InstanceCount"] == 2
    cluster = json.loads(read_tar(s3, tj["ModelArtifacts"]["S3ModelArtifacts"])["cluster.json"])
    assert cluster["records_by_host"] == {"algo-1": 80, "algo-2": 70}, cluster

    job = uniq("sdk-algo-pipe")
    args = {"algorithm": arn, "bucket": bucket, "job": job}
    out = subprocess.run([sys.executable, "-c", ALGORITHM_SDK_SCRIPT, json.dumps(args)],
                         env=sdk_env(server, tmp_path), capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    d = sm.describe_training_job(TrainingJobName=job)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    assert d["ResourceConfig"]["InstanceCount"] == 2
    cluster = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["cluster.json"])
    assert cluster["records_by_host"] == {"algo-1": 80, "algo-2": 70}, cluster
