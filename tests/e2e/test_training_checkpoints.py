"""Checkpoints synced during training and the managed spot fields, end to
end with boto3 (docs/jobs.md "Checkpoints", "Managed spot training"): the
sample seller writes `sample-checkpoint.json` under CheckpointConfig's
LocalPath before it trains (here: then sleeps), and the object is in S3
while the job is still InProgress; a re-run with the same CheckpointConfig
starts with it. Then each spot rule AWS applies, and the times Describe
reports."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import error_of
from jobs_helpers import channel, ensure_images, put_training_data, training_request, uniq, wait_for
from s3_helpers import new_bucket, s3 as s3_client

LOG_GROUP = "/aws/sagemaker/TrainingJobs"


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
    b = new_bucket(s3, "ckpt")
    put_training_data(s3, b)
    return b


def log_text(jobs_server, name: str) -> str:
    logs = jobs_server.client(service="logs")
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP, logStreamNamePrefix=f"{name}/")["logStreams"]
    lines = []
    for s in streams:
        lines += [e["message"] for e in logs.get_log_events(
            logGroupName=LOG_GROUP, logStreamName=s["logStreamName"], startFromHead=True)["events"]]
    return "\n".join(lines)


def test_checkpoints_reach_s3_during_training_and_a_rerun_starts_with_them(jobs_server, sm, s3, bucket):
    prefix = f"ckpt/{uniq('run')}"
    config = {"S3Uri": f"s3://{bucket}/{prefix}", "LocalPath": "/opt/ml/checkpoints"}
    train = [channel("train", f"s3://{bucket}/train/")]
    first = uniq("ckpt")
    sm.create_training_job(**training_request(first, bucket, train, hyper={"mode": "slow", "seconds": "60"},
                                              CheckpointConfig=config))
    key = f"{prefix}/sample-checkpoint.json"
    deadline = time.time() + 60
    while True:
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            break
        except ClientError:
            assert time.time() < deadline, "no checkpoint in S3 while the job ran"
            time.sleep(0.5)
    assert json.loads(body) == {"runs": 1}
    d = sm.describe_training_job(TrainingJobName=first)
    assert d["TrainingJobStatus"] == "InProgress" and d["SecondaryStatus"] == "Training", d["SecondaryStatus"]
    sm.stop_training_job(TrainingJobName=first)
    assert wait_for(sm, first)["TrainingJobStatus"] == "Stopped"

    again = uniq("ckpt-again")
    sm.create_training_job(**training_request(again, bucket, train, CheckpointConfig=config))
    d = wait_for(sm, again)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["CheckpointConfig"] == config
    assert "1 earlier run(s)" in log_text(jobs_server, again)
    assert json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()) == {"runs": 2}


SPOT_ONLY = "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true"
SPOT_WAIT = "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds"


@pytest.mark.parametrize("extra, message", [
    ({"StoppingCondition": {"MaxRuntimeInSeconds": 300, "MaxWaitTimeInSeconds": 600}}, SPOT_ONLY),
    ({"EnableManagedSpotTraining": False,
      "StoppingCondition": {"MaxRuntimeInSeconds": 300, "MaxWaitTimeInSeconds": 600}}, SPOT_ONLY),
    ({"EnableManagedSpotTraining": True}, SPOT_WAIT),
    ({"EnableManagedSpotTraining": True,
      "StoppingCondition": {"MaxRuntimeInSeconds": 300, "MaxWaitTimeInSeconds": 299}}, SPOT_WAIT),
    # No MaxRuntimeInSeconds: its default (86400) is what MaxWait must reach.
    ({"EnableManagedSpotTraining": True, "StoppingCondition": {"MaxWaitTimeInSeconds": 3600}}, SPOT_WAIT),
], ids=["wait-without-spot", "wait-with-spot-false", "spot-without-wait", "wait-below-runtime",
        "wait-below-default-runtime"])
def test_spot_rules(sm, bucket, extra, message):
    req = training_request(uniq("spot"), bucket, [channel("train", f"s3://{bucket}/train/")])
    req.update(extra)
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    assert error_of(e)[:2] == ("ValidationException", message)


def test_a_spot_job_runs_and_reports_billable_time(sm, bucket):
    name = uniq("spot-ok")
    req = training_request(name, bucket, [channel("train", f"s3://{bucket}/train/")],
                           EnableManagedSpotTraining=True,
                           StoppingCondition={"MaxRuntimeInSeconds": 300, "MaxWaitTimeInSeconds": 300})
    sm.create_training_job(**req)
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["EnableManagedSpotTraining"] is True
    assert d["StoppingCondition"]["MaxWaitTimeInSeconds"] == 300
    # Nothing interrupts a spot job here: billable = training time.
    assert d["BillableTimeInSeconds"] == d["TrainingTimeInSeconds"] >= 1
    plain = uniq("on-demand")
    sm.create_training_job(**training_request(plain, bucket, [channel("train", f"s3://{bucket}/train/")]))
    d = wait_for(sm, plain)
    assert d["EnableManagedSpotTraining"] is False
    assert d["BillableTimeInSeconds"] == d["TrainingTimeInSeconds"] >= 1
