"""Heterogeneous clusters end to end (docs/jobs.md "Heterogeneous
clusters"): `ResourceConfig.InstanceGroups` runs one container per instance
of every group, hosts `algo-1` … `algo-N` across the groups in request
order, each with its own group's resourceconfig.json and only the channels
meant for its group. The sample seller logs its resourceconfig.json and the
entries of /opt/ml/input/data (docs/sample-seller.md), and its distributed
mode makes every host report its share of `train` to algo-1, so what each
host saw is read from the containers' own output. Driven by boto3 and the
SageMaker Python SDK v2 (`InstanceGroup`, `TrainingInput(instance_groups=…)`)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, Slipway, clean_env, error_of
from jobs_helpers import (
    METRICS, ROLE, SAMPLE_IMAGE, channel, containers_of, ensure_images, linear_rows, read_tar,
    training_request, uniq, wait_for,
)
from s3_helpers import new_bucket, s3 as s3_client

GROUP = "/aws/sagemaker/TrainingJobs"
GROUPS = [
    {"InstanceGroupName": "gpu", "InstanceType": "ml.m5.large", "InstanceCount": 1},
    {"InstanceGroupName": "cpu", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
]
CLUSTER = [
    {"instance_group_name": "gpu", "instance_type": "ml.m5.large", "hosts": ["algo-1"]},
    {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "hosts": ["algo-2", "algo-3"]},
]


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Slipway(tmp_path_factory.mktemp("groups") / "data", env=dict(TEST_ACCOUNT_ENV)).start()
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
    b = new_bucket(s3, "groups")
    for i, n in enumerate((50, 70, 30)):
        s3.put_object(Bucket=b, Key=f"train/part-{i}.csv", Body=linear_rows(n))
    s3.put_object(Bucket=b, Key="validation/v.csv", Body=linear_rows(20))
    return b


def for_groups(ch: dict, *groups: str) -> dict:
    ch["DataSource"]["S3DataSource"]["InstanceGroupNames"] = list(groups)
    return ch


def hetero_request(name: str, bucket: str, hyper: dict | None = None, **extra) -> dict:
    """`train` for the gpu group only, `validation` for both."""
    req = training_request(name, bucket, [
        for_groups(channel("train", f"s3://{bucket}/train/", ContentType="text/csv"), "gpu"),
        for_groups(channel("validation", f"s3://{bucket}/validation/", ContentType="text/csv"), "gpu", "cpu"),
    ], hyper=hyper or {"epochs": "100"}, **extra)
    req["ResourceConfig"] = {"InstanceGroups": [dict(g) for g in GROUPS], "VolumeSizeInGB": 5}
    return req


def stream_text(server, name: str, host: str) -> str:
    logs = server.client(service="logs")
    streams = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{name}/{host}-")["logStreams"]
    assert len(streams) == 1, streams
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=streams[0]["logStreamName"],
                                 startFromHead=True)["events"]
    return "\n".join(e["message"] for e in events)


def seen_by(text: str) -> tuple[dict, list[str]]:
    """The resourceconfig.json and /opt/ml/input/data entries a host logged."""
    rc = next(l for l in text.splitlines() if l.startswith("resource config: "))
    data = next(l for l in text.splitlines() if l.startswith("input data: "))
    return json.loads(rc.removeprefix("resource config: ")), json.loads(data.removeprefix("input data: "))


def assert_hosts_saw_their_groups(text_of) -> None:
    for host, group, itype, channels in [
        ("algo-1", "gpu", "ml.m5.large", ["train", "validation"]),
        ("algo-2", "cpu", "ml.c5.xlarge", ["validation"]),
        ("algo-3", "cpu", "ml.c5.xlarge", ["validation"]),
    ]:
        rc, data = seen_by(text_of(host))
        assert rc == {
            "current_host": host, "current_instance_type": itype, "current_group_name": group,
            "hosts": ["algo-1", "algo-2", "algo-3"], "instance_groups": CLUSTER,
            "network_interface_name": "eth0",
        }, (host, rc)
        assert data == channels, (host, data)


def test_two_groups_each_host_sees_its_group_and_gets_its_channels(server, sm, s3, bucket):
    name = uniq("hetero")
    arn = sm.create_training_job(**hetero_request(name, bucket))["TrainingJobArn"]
    d = wait_for(sm, name, timeout=300)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    # Described as sent.
    assert d["ResourceConfig"] == {"InstanceGroups": GROUPS, "VolumeSizeInGB": 5}
    assert [c["DataSource"]["S3DataSource"]["InstanceGroupNames"] for c in d["InputDataConfig"]] == [
        ["gpu"], ["gpu", "cpu"]]
    assert d["BillableTimeInSeconds"] >= 1
    assert_hosts_saw_their_groups(lambda host: stream_text(server, name, host))
    # The hosts found each other and reported their share of `train`: only
    # the gpu host had any.
    cluster = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["cluster.json"])
    assert cluster["hosts"] == ["algo-1", "algo-2", "algo-3"]
    assert cluster["records_by_host"] == {"algo-1": 150, "algo-2": 0, "algo-3": 0}, cluster
    assert {m["MetricName"] for m in d["FinalMetricDataList"]} == {"train:mse"}
    assert containers_of(arn) == []


def test_each_container_gets_its_groups_limits(sm, bucket):
    """While the job runs, each container has its own group's memory limit
    (ml.m5.large: 8 GiB; ml.t3.medium: 4 GiB) and CPUs (2 each)."""
    name = uniq("hetero-limits")
    req = hetero_request(name, bucket, hyper={"mode": "hang"}, max_runtime=600)
    req["ResourceConfig"]["InstanceGroups"][1]["InstanceType"] = "ml.t3.medium"
    arn = sm.create_training_job(**req)["TrainingJobArn"]
    try:
        wait_for(sm, name, until=("Training",), timeout=120)
        deadline = time.time() + 30
        while len(running := [c for c in containers_of(arn) if c.get("State") == "running"]) < 3:
            assert time.time() < deadline, containers_of(arn)
            time.sleep(0.2)
        limits = {}
        for c in running:
            host, cpus, memory = subprocess.run(
                ["podman", "inspect", c["Id"], "--format",
                 "{{.Config.Hostname}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}"],
                check=True, capture_output=True, text=True).stdout.split()
            limits[host] = (int(cpus) / 1e9, int(memory) >> 30)
        assert limits == {"algo-1": (2, 8), "algo-2": (2, 4), "algo-3": (2, 4)}, limits
    finally:
        sm.stop_training_job(TrainingJobName=name)
    d = wait_for(sm, name, timeout=120)
    assert d["TrainingJobStatus"] == "Stopped", d
    assert containers_of(arn) == []


def refused(sm, req: dict) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    code, message, status = error_of(e)
    assert (code, status) == ("ValidationException", 400), message
    return code, message


def test_refusals_say_what_is_wrong(server, sm, bucket):
    def req(change) -> dict:
        r = hetero_request(uniq("hetero-bad"), bucket)
        change(r)
        return r

    def strip_groups(r):
        for ch in r["InputDataConfig"]:
            ch["DataSource"]["S3DataSource"].pop("InstanceGroupNames", None)

    def both(r):
        r["ResourceConfig"]["InstanceType"] = "ml.m5.large"

    def dup(r):
        r["ResourceConfig"]["InstanceGroups"][1]["InstanceGroupName"] = "gpu"

    def zero(r):
        r["ResourceConfig"]["InstanceGroups"][1]["InstanceCount"] = 0

    def unknown(r):
        r["InputDataConfig"][1]["DataSource"]["S3DataSource"]["InstanceGroupNames"] = ["tpu"]

    def mixed(r):
        r["InputDataConfig"][1]["DataSource"]["S3DataSource"].pop("InstanceGroupNames")

    def homogeneous(r):
        r["ResourceConfig"] = {"InstanceType": "ml.m5.large", "InstanceCount": 2, "VolumeSizeInGB": 5}

    def too_many_hosts(r):
        r["ResourceConfig"]["InstanceGroups"][1]["InstanceCount"] = 10_000

    for change, message in [
        (both, "InstanceType or InstanceCount cannot be specified with InstanceGroups"),
        (dup, "Instance group names must be unique; 'gpu' appears more than once."),
        (zero, "InstanceCount of instance group 'cpu' must be at least 1; it is 0."),
        (unknown, "Channel 'validation' names instance group 'tpu', which is not one of "
                  "ResourceConfig.InstanceGroups [gpu, cpu]."),
        (mixed, "Some channels have assigned instance groups: [train] while others not: [validation]"),
        (homogeneous, "Channel 'train' has InstanceGroupNames, but ResourceConfig has no InstanceGroups."),
        (too_many_hosts, "InstanceGroups ask for 10001 instances in all, more than this server runs at once: "
                         "it runs at most 4 training containers (SLIPWAY_MAX_TRAINING_CONTAINERS)."),
    ]:
        _, got = refused(sm, req(change))
        assert got == message, (change.__name__, got)

    # What the service model says (botocore checks it too; unchecked here).
    raw = server.client(validate=False)

    def six(r):
        r["ResourceConfig"]["InstanceGroups"] = [
            {"InstanceGroupName": f"g{i}", "InstanceType": "ml.m5.large", "InstanceCount": 1} for i in range(6)]
        strip_groups(r)

    def unnamed(r):
        del r["ResourceConfig"]["InstanceGroups"][0]["InstanceGroupName"]

    _, got = refused(raw, req(six))
    assert "at 'resourceConfig.instanceGroups' failed to satisfy constraint: " \
           "Member must have length less than or equal to 5" in got, got
    _, got = refused(raw, req(unnamed))
    assert "instanceGroupName" in got and "Member must not be null" in got, got


def algorithm_doc(name: str, *, distributed: bool) -> dict:
    return {
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": SAMPLE_IMAGE,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}}],
            "SupportedTrainingInstanceTypes": ["ml.m5.large", "ml.c5.xlarge"],
            "SupportsDistributedTraining": distributed,
            "TrainingChannels": [
                {"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                 "SupportedInputModes": ["File"]},
                {"Name": "validation", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
            "MetricDefinitions": METRICS,
        },
    }


def test_an_algorithm_runs_on_groups_only_with_distributed_support_and_its_types(sm, bucket):
    single, multi = uniq("algo-hetero-single"), uniq("algo-hetero-multi")
    sm.create_algorithm(**algorithm_doc(single, distributed=False))
    sm.create_algorithm(**algorithm_doc(multi, distributed=True))
    deadline = time.time() + 60
    while any(sm.describe_algorithm(AlgorithmName=a)["AlgorithmStatus"] != "Completed" for a in (single, multi)):
        assert time.time() < deadline
        time.sleep(0.3)

    def with_algorithm(algo: str) -> dict:
        r = hetero_request(uniq("hetero-algo"), bucket)
        r["AlgorithmSpecification"] = {"AlgorithmName": algo, "TrainingInputMode": "File"}
        r["EnableNetworkIsolation"] = True
        return r

    _, message = refused(sm, with_algorithm(single))
    assert message == ("InstanceGroups with 3 instances in all need an algorithm with "
                       "SupportsDistributedTraining=true."), message
    r = with_algorithm(multi)
    r["ResourceConfig"]["InstanceGroups"][1]["InstanceType"] = "ml.p3.2xlarge"
    _, message = refused(sm, r)
    assert message.startswith("Instance type ml.p3.2xlarge is not in the algorithm's "
                              "SupportedTrainingInstanceTypes"), message
    # A distributed algorithm runs on both groups (isolated: the hosts still
    # reach each other on the job's internal network).
    r = with_algorithm(multi)
    sm.create_training_job(**r)
    d = wait_for(sm, r["TrainingJobName"], timeout=300)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")


def test_a_validation_profile_on_groups_validates_and_its_refusals(sm, bucket):
    def with_profile(name: str, distributed: bool) -> dict:
        doc = algorithm_doc(name, distributed=distributed)
        job = hetero_request("unused", bucket)
        doc["ValidationSpecification"] = {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "groups",
            "TrainingJobDefinition": {
                "TrainingInputMode": "File",
                "HyperParameters": {"epochs": "50"},
                "InputDataConfig": job["InputDataConfig"],
                "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/validation-output/"},
                "ResourceConfig": job["ResourceConfig"],
                "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            }}]}
        return doc

    # Three hosts need SupportsDistributedTraining, in a profile as in a job.
    with pytest.raises(ClientError) as e:
        sm.create_algorithm(**with_profile(uniq("algo-groups-single"), False))
    assert error_of(e)[0] == "ValidationException" and "SupportsDistributedTraining" in error_of(e)[1], error_of(e)
    name = uniq("algo-groups")
    sm.create_algorithm(**with_profile(name, True))
    deadline = time.time() + 300
    while (d := sm.describe_algorithm(AlgorithmName=name))["AlgorithmStatus"] not in ("Completed", "Failed"):
        assert time.time() < deadline, d["AlgorithmStatus"]
        time.sleep(0.5)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    job = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"][0]["TrainingJobName"]
    t = sm.describe_training_job(TrainingJobName=job)
    assert t["ResourceConfig"]["InstanceGroups"] == GROUPS and t["EnableNetworkIsolation"] is True


SDK_SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.instance_group import InstanceGroup
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    est = Estimator(image_uri=args["image"], role="arn:aws:iam::123456789012:role/SellerRole",
                    instance_groups=[InstanceGroup("gpu", "ml.m5.large", 1),
                                     InstanceGroup("cpu", "ml.c5.xlarge", 2)],
                    sagemaker_session=sess, output_path=f"s3://{args['bucket']}/sdk-out", max_run=600,
                    hyperparameters={"epochs": 100}, metric_definitions=args["metrics"])
    train = TrainingInput(f"s3://{args['bucket']}/train/", content_type="text/csv", instance_groups=["gpu"])
    validation = TrainingInput(f"s3://{args['bucket']}/validation/", content_type="text/csv",
                               instance_groups=["gpu", "cpu"])
    est.fit({"train": train, "validation": validation}, job_name=args["job"], logs=True)
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


def test_sdk_estimator_with_instance_groups(server, sm, s3, bucket, tmp_path):
    """`Estimator(instance_groups=[InstanceGroup(…), …])` with
    `TrainingInput(instance_groups=[…])`: the SDK sends InstanceGroups and
    InstanceGroupNames, follows every host's log, and each host saw its own
    group."""
    job = uniq("sdk-hetero")
    args = {"image": SAMPLE_IMAGE, "bucket": bucket, "job": job, "metrics": METRICS}
    out = subprocess.run([sys.executable, "-c", SDK_SCRIPT, json.dumps(args)], env=sdk_env(server, tmp_path),
                         capture_output=True, text=True, timeout=400)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert f"MODEL_DATA=s3://{bucket}/sdk-out/{job}/output/model.tar.gz" in text
    d = sm.describe_training_job(TrainingJobName=job)
    assert d["TrainingJobStatus"] == "Completed"
    assert d["ResourceConfig"]["InstanceGroups"] == GROUPS, d["ResourceConfig"]
    assert "InstanceType" not in d["ResourceConfig"]
    assert_hosts_saw_their_groups(lambda host: stream_text(server, job, host))
    cluster = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["cluster.json"])
    assert cluster["records_by_host"] == {"algo-1": 150, "algo-2": 0, "algo-3": 0}, cluster


def test_a_tuning_job_runs_its_children_on_the_groups(server, sm, bucket):
    name = uniq("hetero-tune")[:32]
    child = hetero_request("unused", bucket)
    definition = {
        "StaticHyperParameters": {"epochs": "20"},
        "AlgorithmSpecification": {"TrainingImage": SAMPLE_IMAGE, "TrainingInputMode": "File",
                                   "MetricDefinitions": METRICS},
        "RoleArn": ROLE,
        "InputDataConfig": child["InputDataConfig"],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/tuning-out/"},
        "ResourceConfig": child["ResourceConfig"],
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "train:mse"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "0.5"}]},
        },
        TrainingJobDefinition=definition)
    deadline = time.time() + 300
    while (d := sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))[
            "HyperParameterTuningJobStatus"] not in ("Completed", "Failed", "Stopped"):
        assert time.time() < deadline, d["HyperParameterTuningJobStatus"]
        time.sleep(0.5)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["TrainingJobStatusCounters"]["Completed"] == 2, d["TrainingJobStatusCounters"]
    assert d["TrainingJobDefinition"]["ResourceConfig"]["InstanceGroups"] == GROUPS
    assert "FinalHyperParameterTuningJobObjectiveMetric" in d["BestTrainingJob"], d["BestTrainingJob"]
    children = sm.list_training_jobs_for_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "TrainingJobSummaries"]
    for c in children:
        t = sm.describe_training_job(TrainingJobName=c["TrainingJobName"])
        assert t["ResourceConfig"]["InstanceGroups"] == GROUPS, t["ResourceConfig"]
        texts = {h: stream_text(server, c["TrainingJobName"], h) for h in ("algo-1", "algo-2", "algo-3")}
        assert_hosts_saw_their_groups(texts.__getitem__)
