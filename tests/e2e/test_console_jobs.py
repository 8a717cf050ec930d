"""The console's job pages (docs/console.md): training jobs seen while they
run (metric plot and log tail growing without a reload, then the model
artifact downloaded), failed and stopped jobs, a job of an algorithm
resource, and a batch transform job with its outputs and model. Real jobs
in real containers (the sample seller image and busybox), driven by boto3;
the pages are checked in headless Chromium."""

from __future__ import annotations

import json
import re
import time

import pytest

from console_helpers import run_scenario
from jobs_helpers import (
    ROLE, SAMPLE_IMAGE, channel, ensure_images, put_training_data, shell_job, training_request, uniq,
    wait_for,
)
from s3_helpers import new_bucket, s3 as s3_client

TRAINING_LOGS = "/aws/sagemaker/TrainingJobs"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(jobs_server):
    return jobs_server


@pytest.fixture(scope="module")
def sm(server):
    return server.client()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server)


@pytest.fixture(scope="module")
def bucket(s3):
    b = new_bucket(s3, "console-jobs")
    put_training_data(s3, b)
    return b


def log_messages(server, job: str) -> list[str]:
    logs = server.client(service="logs")
    out = []
    for stream in logs.describe_log_streams(logGroupName=TRAINING_LOGS, logStreamNamePrefix=f"{job}/")["logStreams"]:
        token = None
        while True:
            kw = {"nextToken": token} if token else {}
            page = logs.get_log_events(logGroupName=TRAINING_LOGS, logStreamName=stream["logStreamName"],
                                       startFromHead=True, **kw)
            out += [e["message"] for e in page["events"]]
            if page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
    return out


def test_a_running_training_job_plots_its_metric_and_tails_its_log(server, sm, s3, bucket):
    """The job prints one metric line every 0.7 s for ~14 s: the page,
    opened while it runs, shows the plot and the log growing, then the
    artifact of the Completed job downloads."""
    lines = 20
    script = (
        f"i=1; while [ $i -le {lines} ]; do "
        f"echo \"epoch $i of {lines}\"; echo \"train:mse=0.$((100 - i * 4))\"; sleep 0.7; i=$((i + 1)); done; "
        "echo 'a model' > /opt/ml/model/model.txt; echo 'training complete'"
    )
    name = uniq("console-live")
    sm.create_training_job(**shell_job(s3, name, bucket, script))
    wait_for(sm, name, until=("Training",), timeout=60)
    figures = run_scenario("training_job_live", server, JOB=name, LINES=lines, METRIC="train:mse",
                           FINAL_VALUE="0.2")
    assert figures["grown_points"] > figures["early_points"] >= 3
    d = sm.describe_training_job(TrainingJobName=name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")


def test_training_list_failed_job_algorithm_metrics_and_stop(server, sm, s3, bucket):
    tag = uniq("cj")
    failed = f"{tag}-failed"
    sm.create_training_job(**training_request(
        failed, bucket, [channel("train", f"s3://{bucket}/train/")],
        hyper={"mode": "fail", "failure_message": "column 7 is not numeric"}))

    algorithm = f"{tag}-linreg"
    epoch_metric = {"Name": "epoch:mse", "Regex": r"^epoch=\d+ train:mse=([0-9.eE+-]+)"}
    sm.create_algorithm(AlgorithmName=algorithm, TrainingSpecification={
        "TrainingImage": SAMPLE_IMAGE,
        "SupportedHyperParameters": [
            {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
             "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}},
        ],
        "SupportedTrainingInstanceTypes": ["ml.m5.large"],
        "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                              "SupportedInputModes": ["File"]}],
        "MetricDefinitions": [epoch_metric],
    })
    via = f"{tag}-via-algorithm"
    req = training_request(via, bucket, [channel("train", f"s3://{bucket}/train/", ContentType="text/csv")],
                           hyper={"epochs": "300"})
    req["AlgorithmSpecification"] = {"AlgorithmName": algorithm, "TrainingInputMode": "File"}
    sm.create_training_job(**req)

    hanging = f"{tag}-hang"
    sm.create_training_job(**training_request(hanging, bucket, [channel("train", f"s3://{bucket}/train/")],
                                              hyper={"mode": "hang"}))
    assert wait_for(sm, failed)["TrainingJobStatus"] == "Failed"
    assert wait_for(sm, via)["TrainingJobStatus"] == "Completed"
    points = sum(1 for m in log_messages(server, via) if re.search(epoch_metric["Regex"], m))
    assert points > 100
    run_scenario("training_jobs", server, TAG=tag, FAILED_JOB=failed, ALGORITHM_JOB=via, ALGORITHM=algorithm,
                 ALGORITHM_POINTS=points, HANGING_JOB=hanging)
    assert sm.describe_training_job(TrainingJobName=hanging)["TrainingJobStatus"] == "Stopped"


def test_a_transform_job_lists_its_outputs_and_links_its_model(server, sm, s3, bucket):
    model = uniq("console-model")
    sm.create_model(ModelName=model, ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": SAMPLE_IMAGE, "Environment": {"SAMPLE_MODE": "echo"}})
    prefix = f"in/{uniq('tin')}/"
    s3.put_object(Bucket=bucket, Key=f"{prefix}a.csv", Body=b"1\n2\n")
    s3.put_object(Bucket=bucket, Key=f"{prefix}b.csv", Body=b"3\n")
    name = uniq("console-transform")
    out = f"s3://{bucket}/out/{name}"
    sm.create_transform_job(
        TransformJobName=name, ModelName=model, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}"}},
                        "SplitType": "Line", "ContentType": "text/csv"},
        TransformOutput={"S3OutputPath": out},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.time() + 120
    while (d := sm.describe_transform_job(TransformJobName=name))["TransformJobStatus"] == "InProgress":
        assert time.time() < deadline, "the transform job did not end"
        time.sleep(0.5)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    outputs = {}
    for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"out/{name}/")["Contents"]:
        outputs[o["Key"].rsplit("/", 1)[1]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode()
    assert sorted(outputs) == ["a.csv.out", "b.csv.out"]
    run_scenario("transform_job", server, JOB=name, MODEL=model, OUTPUTS=json.dumps(outputs), IMAGE=SAMPLE_IMAGE)


def test_a_distributed_job_s_log_and_metric_per_host(server, sm, bucket):
    """Two instances of the sample seller's distributed mode: every host logs
    its share's record count, which the page plots once per host, and the
    log can be narrowed to one host."""
    name = uniq("console-dist")
    req = training_request(name, bucket, [channel("train", f"s3://{bucket}/train/")])
    req["ResourceConfig"]["InstanceCount"] = 2
    req["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "share:records", "Regex": r"cluster: (\d+) record\(s\) in this host's share"}]
    sm.create_training_job(**req)
    d = wait_for(sm, name, timeout=180)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    run_scenario("training_distributed", server, JOB=name, METRIC="share:records")
