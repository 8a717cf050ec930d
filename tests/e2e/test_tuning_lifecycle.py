"""Tuning jobs over time (docs/tuning.md): Hyperband and early stopping
(Auto) act on the children's intermediate objective values (the sample's
per-epoch `train:mse` lines, paced with `epoch_ms`); warm start from a
parent; a server killed mid-tuning resumes without re-running a finished
child; an algorithm deleted while its tuning job runs ends it in a defined
state."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import _start
from e2e_helpers import TEST_ACCOUNT_ENV
from jobs_helpers import ensure_images, linear_rows, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_tuning import children, config, definition, tunable_algorithm, wait_tuning
from test_validation import wait_resource

CURVE = [{"Name": "train:mse", "Regex": r"train:mse=([0-9.eE+-]+)"}]  # every epoch line too


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "tuning-life", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(server):
    return server.client()


@pytest.fixture(scope="module")
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "tunelife")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="other/data.csv", Body=linear_rows(150))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n")
    return b


def samples(server, job: str) -> int:
    """How many train:mse values the job reported (CloudWatch)."""
    cw = server.client(service="cloudwatch")
    points = cw.get_metric_statistics(Namespace="/aws/sagemaker/TrainingJobs", MetricName="train:mse",
                                      Dimensions=[{"Name": "TrainingJobName", "Value": job}],
                                      StartTime=time.time() - 3600, EndTime=time.time() + 60, Period=3600,
                                      Statistics=["SampleCount"])["Datapoints"]
    return int(sum(p["SampleCount"] for p in points))


def test_hyperband_stops_children_at_its_rungs(server, sm, bucket):
    name = uniq("hb")[:32]
    cfg = config("Hyperband", max_jobs=6, parallel=3, RandomSeed=3,
                 StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 9}},
                 ranges={"ContinuousParameterRanges": [
                     {"Name": "learning_rate", "MinValue": "0.001", "MaxValue": "1.0", "ScalingType": "Logarithmic"}]})
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=cfg,
        TrainingJobDefinition=definition(bucket, static={"epochs": "40", "epoch_ms": "150"}, metrics=CURVE))
    d = wait_tuning(sm, name, timeout=240)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    kids = children(sm, name)
    assert len(kids) == 6
    # No child trains past MaxResource (40 epochs were asked for): each is
    # stopped at a rung, with the objective it had there.
    for k in kids:
        assert k["TrainingJobStatus"] == "Stopped", k
        assert k["ObjectiveStatus"] == "Succeeded"
        assert samples(server, k["TrainingJobName"]) < 40
    assert d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(
        k["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for k in kids)


def test_early_stopping_auto_stops_children_behind_the_median(server, sm, bucket):
    name = uniq("auto")[:32]
    cfg = config("Random", max_jobs=8, parallel=2, RandomSeed=11, TrainingJobEarlyStoppingType="Auto",
                 ranges={"ContinuousParameterRanges": [
                     {"Name": "learning_rate", "MinValue": "0.0005", "MaxValue": "1.0", "ScalingType": "Logarithmic"}]})
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=cfg,
        TrainingJobDefinition=definition(bucket, static={"epochs": "30", "epoch_ms": "120"}, metrics=CURVE))
    d = wait_tuning(sm, name, timeout=300)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    kids = children(sm, name)
    stopped = [k for k in kids if k["TrainingJobStatus"] == "Stopped"]
    completed = [k for k in kids if k["TrainingJobStatus"] == "Completed"]
    assert stopped and completed, [(k["TrainingJobStatus"], k["TunedHyperParameters"]) for k in kids]
    # Those stopped early were behind: slower learning rates than the best.
    best_lr = float(d["BestTrainingJob"]["TunedHyperParameters"]["learning_rate"])
    assert all(float(k["TunedHyperParameters"]["learning_rate"]) < best_lr for k in stopped)
    assert d["TrainingJobStatusCounters"]["Stopped"] == len(stopped)


def test_warm_start_from_a_parent(sm, bucket):
    parent = uniq("parent")[:32]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=parent,
                                         HyperParameterTuningJobConfig=config(max_jobs=3, parallel=3, RandomSeed=5),
                                         TrainingJobDefinition=definition(bucket))
    p = wait_tuning(sm, parent)
    assert p["HyperParameterTuningJobStatus"] == "Completed", p.get("FailureReason")
    child = uniq("warm")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=child, HyperParameterTuningJobConfig=config(max_jobs=2, parallel=2),
        TrainingJobDefinition=definition(bucket),
        WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent}],
                         "WarmStartType": "IdenticalDataAndAlgorithm"})
    d = wait_tuning(sm, child)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    overall = d["OverallBestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert overall <= d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert overall <= p["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert d["OverallBestTrainingJob"]["TuningJobName"] in (parent, child)
    assert len(children(sm, child)) == 2  # the parent's children are not this job's

    # Identical data means identical: another input is refused; TransferLearning takes it.
    other = definition(bucket)
    other["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{bucket}/other/"
    warm = {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": parent}],
            "WarmStartType": "IdenticalDataAndAlgorithm"}
    with pytest.raises(ClientError) as ei:
        sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=uniq("w2")[:32],
                                             HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
                                             TrainingJobDefinition=other, WarmStartConfig=warm)
    assert "use TransferLearning" in ei.value.response["Error"]["Message"]
    warm["WarmStartType"] = "TransferLearning"
    name = uniq("w3")[:32]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name,
                                         HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
                                         TrainingJobDefinition=other, WarmStartConfig=warm)
    assert wait_tuning(sm, name)["HyperParameterTuningJobStatus"] == "Completed"
    with pytest.raises(ClientError) as ei:
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=uniq("w4")[:32], HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
            TrainingJobDefinition=definition(bucket),
            WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "no-such-parent"}],
                             "WarmStartType": "TransferLearning"})
    assert "no-such-parent does not exist" in ei.value.response["Error"]["Message"]


def test_a_killed_server_resumes_tuning_without_rerunning_children(server, sm, bucket):
    name = uniq("resume")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config(max_jobs=4, parallel=2, RandomSeed=9),
        TrainingJobDefinition=definition(bucket, static={"epochs": "20", "epoch_ms": "150"}, metrics=CURVE))
    deadline = time.time() + 60
    while sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "TrainingJobStatusCounters"]["Completed"] < 1:
        assert time.time() < deadline
        time.sleep(0.2)
    before = {k["TrainingJobName"]: k for k in children(sm, name)}
    done_before = {n for n, k in before.items() if k["TrainingJobStatus"] == "Completed"}
    server.kill()
    server.restart()
    sm = server.client()
    d = wait_tuning(sm, name, timeout=240)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    after = children(sm, name)
    assert len(after) == 4 and len({k["TrainingJobName"] for k in after}) == 4
    # Every child is one training job; a finished one was not run again.
    listed = sm.list_training_jobs(NameContains=name, MaxResults=100)["TrainingJobSummaries"]
    assert sorted(j["TrainingJobName"] for j in listed) == sorted(k["TrainingJobName"] for k in after)
    for n in done_before:
        k = next(k for k in after if k["TrainingJobName"] == n)
        assert k["TrainingEndTime"] == before[n]["TrainingEndTime"]


def test_deleting_the_algorithm_while_tuning_ends_the_job(server, bucket):
    sm = server.client()  # the server restarted above: a new port
    algo = uniq("doomed")
    sm.create_algorithm(**tunable_algorithm(algo, bucket))
    assert wait_resource(lambda: sm.describe_algorithm(AlgorithmName=algo), "AlgorithmStatus")[
        "AlgorithmStatus"] == "Completed"
    name = uniq("orphan")[:32]
    d = definition(bucket, algorithm=algo, static={"epochs": "10", "mode": "slow", "seconds": "3"})
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name,
                                         HyperParameterTuningJobConfig=config(max_jobs=3, parallel=1),
                                         TrainingJobDefinition=d)
    deadline = time.time() + 60
    while (t := sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))[
            "TrainingJobStatusCounters"]["InProgress"] < 1:
        assert time.time() < deadline, {k: t.get(k) for k in ("HyperParameterTuningJobStatus", "TrainingJobStatusCounters", "FailureReason")}
        time.sleep(0.2)
    sm.delete_algorithm(AlgorithmName=algo)
    d = wait_tuning(sm, name, timeout=120)
    # The running child finishes; the later ones cannot be created.
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    kids = sorted(children(sm, name), key=lambda k: k["TrainingJobName"])
    assert kids[0]["TrainingJobStatus"] == "Completed"
    assert all(k["TrainingJobStatus"] == "Failed" and "does not exist" in k["FailureReason"] for k in kids[1:])


def test_the_server_runs_no_more_training_containers_than_its_limit(tmp_path_factory):
    """SLIPWAY_MAX_TRAINING_CONTAINERS=1: a tuning job's two parallel
    children are both InProgress, but one waits in Starting until the other
    has ended."""
    s = _start(tmp_path_factory, "slots", env=dict(TEST_ACCOUNT_ENV, SLIPWAY_MAX_TRAINING_CONTAINERS="1"))
    try:
        sm = s.client()
        s3 = s3_client(s)
        b = new_bucket(s3, "slots")
        s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(50))
        name = uniq("slots")[:32]
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config(max_jobs=2, parallel=2),
            TrainingJobDefinition=definition(b, static={"epochs": "5", "mode": "slow", "seconds": "2"}))
        both_in_progress = False
        deadline = time.time() + 120
        while (d := sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))[
                "HyperParameterTuningJobStatus"] == "InProgress":
            kids = [sm.describe_training_job(TrainingJobName=k["TrainingJobName"]) for k in children(sm, name)]
            running = [k for k in kids if k["TrainingJobStatus"] == "InProgress"]
            past_starting = [k for k in running if k["SecondaryStatus"] != "Starting"]
            assert len(past_starting) <= 1, [(k["TrainingJobName"], k["SecondaryStatus"]) for k in kids]
            both_in_progress |= len(running) == 2
            assert time.time() < deadline
            time.sleep(0.1)
        assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
        assert both_in_progress
    finally:
        s.stop()
        s.kill()
