"""Hyperparameter tuning jobs (docs/tuning.md) with boto3: the sample
algorithm declares `learning_rate` tunable, and with few epochs its
`train:mse` depends on it, so a search finds a better objective than the
default. Children are ordinary training jobs named `<tuning job>-NNN-<hex>`
with `_tuning_objective_metric`; Describe's counters and BestTrainingJob,
ListTrainingJobsForHyperParameterTuningJob's sort and paging, Grid's job
count, Stop, the early abort after five failed children, an objective
metric that never matches, and every rejection with its message."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from conftest import _start
from e2e_helpers import TEST_ACCOUNT_ENV
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, linear_rows, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_validation import algorithm, wait_resource

MSE = r"^train:mse=([0-9.eE+-]+)"
EPOCHS = "4"  # few passes: the learning rate decides how far training gets


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "tuning", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(server):
    return server.client()


@pytest.fixture(scope="module")
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "tune")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n")
    return b


def tunable_algorithm(name: str, bucket: str) -> dict:
    """The sample algorithm with `learning_rate` and `l2` tunable and a
    Minimize train:mse objective."""
    req = algorithm(name, bucket)
    spec = req["TrainingSpecification"]
    spec["SupportedHyperParameters"] += [
        {"Name": "learning_rate", "Type": "Continuous", "IsTunable": True, "IsRequired": False,
         "DefaultValue": "0.1",
         "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.0001", "MaxValue": "1.0"}}},
        {"Name": "l2", "Type": "Continuous", "IsTunable": True, "IsRequired": False,
         "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0", "MaxValue": "10"}}},
        {"Name": "optimizer", "Type": "Categorical", "IsTunable": True, "IsRequired": False,
         "Range": {"CategoricalParameterRangeSpecification": {"Values": ["sgd", "adam", "rmsprop"]}}},
    ]
    spec["SupportedTuningJobObjectiveMetrics"] = [{"Type": "Minimize", "MetricName": "train:mse"}]
    return req


@pytest.fixture(scope="module")
def algo(sm, bucket):
    name = uniq("tunable")
    sm.create_algorithm(**tunable_algorithm(name, bucket))
    a = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    return a["AlgorithmArn"]


def definition(bucket: str, *, algorithm: str | None = None, static: dict | None = None,
               metrics: list | None = None) -> dict:
    spec = {"TrainingInputMode": "File"}
    if algorithm:
        spec["AlgorithmName"] = algorithm
    else:
        spec["TrainingImage"] = SAMPLE_IMAGE
        spec["MetricDefinitions"] = metrics if metrics is not None else [{"Name": "train:mse", "Regex": MSE}]
    return {
        "StaticHyperParameters": static if static is not None else {"epochs": EPOCHS},
        "AlgorithmSpecification": spec,
        "RoleArn": ROLE,
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/tuning-out/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def config(strategy: str = "Random", *, max_jobs: int | None = 4, parallel: int = 2, ranges: dict | None = None,
           objective: str = "train:mse", kind: str = "Minimize", **extra) -> dict:
    c = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": kind, "MetricName": objective},
        "ResourceLimits": {"MaxParallelTrainingJobs": parallel},
        "ParameterRanges": ranges if ranges is not None else {"ContinuousParameterRanges": [
            {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "1.0", "ScalingType": "Logarithmic"}]},
        **extra,
    }
    if max_jobs is not None:
        c["ResourceLimits"]["MaxNumberOfTrainingJobs"] = max_jobs
    return c


def wait_tuning(sm, name: str, timeout: float = 300) -> dict:
    deadline = time.time() + timeout
    while True:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if d["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        assert time.time() < deadline, d
        time.sleep(0.5)


def children(sm, name: str, **kw) -> list[dict]:
    out, token = [], None
    while True:
        page = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name, **kw, **({"NextToken": token} if token else {}))
        out += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            return out


def error(excinfo) -> tuple[str, str]:
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


def default_mse(sm, bucket: str, algo: str) -> float:
    """train:mse of one training job with the algorithm's defaults."""
    job = uniq("default")
    d = definition(bucket, algorithm=algo)
    sm.create_training_job(TrainingJobName=job, HyperParameters=d["StaticHyperParameters"],
                           AlgorithmSpecification={"AlgorithmName": algo, "TrainingInputMode": "File"},
                           RoleArn=ROLE, InputDataConfig=d["InputDataConfig"], OutputDataConfig=d["OutputDataConfig"],
                           ResourceConfig=d["ResourceConfig"], StoppingCondition=d["StoppingCondition"])
    t = wait_resource(lambda: sm.describe_training_job(TrainingJobName=job), "TrainingJobStatus")
    assert t["TrainingJobStatus"] == "Completed", t.get("FailureReason")
    return next(m["Value"] for m in t["FinalMetricDataList"] if m["MetricName"] == "train:mse")


def test_random_search_with_an_algorithm_beats_its_defaults(sm, bucket, algo):
    baseline = default_mse(sm, bucket, algo)
    name = uniq("rand")[:32]
    arn = sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config(max_jobs=6, parallel=2, RandomSeed=7),
        TrainingJobDefinition=definition(bucket, algorithm=algo))["HyperParameterTuningJobArn"]
    assert arn.endswith(f":hyper-parameter-tuning-job/{name}")
    seen_parallel = 0
    deadline = time.time() + 300
    while (d := sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name))[
            "HyperParameterTuningJobStatus"] == "InProgress":
        seen_parallel = max(seen_parallel, d["TrainingJobStatusCounters"]["InProgress"])
        assert time.time() < deadline
        time.sleep(0.2)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert 1 <= seen_parallel <= 2
    assert d["TrainingJobStatusCounters"] == {"Completed": 6, "InProgress": 0, "RetryableError": 0,
                                              "NonRetryableError": 0, "Stopped": 0}
    assert d["ObjectiveStatusCounters"] == {"Succeeded": 6, "Pending": 0, "Failed": 0}
    best = d["BestTrainingJob"]
    metric = best["FinalHyperParameterTuningJobObjectiveMetric"]
    assert metric["MetricName"] == "train:mse" and metric["Type"] == "Minimize"
    assert metric["Value"] < baseline, (metric, baseline)
    assert d["HyperParameterTuningJobConfig"]["Strategy"] == "Random"
    assert d["HyperParameterTuningEndTime"] >= d["CreationTime"]

    kids = children(sm, name, MaxResults=2)
    assert len(kids) == 6 and len({k["TrainingJobName"] for k in kids}) == 6
    for k in kids:
        assert k["TrainingJobName"].startswith(f"{name}-") and k["TuningJobName"] == name
        number, tag = k["TrainingJobName"][len(name) + 1:].split("-")
        assert len(number) == 3 and len(tag) == 8 and int(tag, 16) >= 0
        lr = float(k["TunedHyperParameters"]["learning_rate"])
        assert 0.01 <= lr <= 1.0 and set(k["TunedHyperParameters"]) == {"learning_rate"}
        assert k["ObjectiveStatus"] == "Succeeded"
    ranked = children(sm, name, SortBy="FinalObjectiveMetricValue")  # Ascending by default
    assert ranked[0]["TrainingJobName"] == best["TrainingJobName"]
    values = [k["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for k in ranked]
    assert values == sorted(values)  # Minimize: best first
    assert len(children(sm, name, StatusEquals="Completed")) == 6
    assert children(sm, name, StatusEquals="Failed") == []

    # Each child is an ordinary training job, with the objective's name added.
    job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert job["HyperParameters"]["_tuning_objective_metric"] == "train:mse"
    assert job["HyperParameters"]["epochs"] == EPOCHS
    assert job["TuningJobArn"] == arn
    listed = sm.list_training_jobs(NameContains=name, MaxResults=100)["TrainingJobSummaries"]
    assert len(listed) == 6
    summaries = sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobName"] for s in summaries] == [name]
    assert summaries[0]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 6
    assert summaries[0]["TrainingJobStatusCounters"]["Completed"] == 6


def test_grid_runs_one_job_per_point(sm, bucket):
    name = uniq("grid")[:32]
    ranges = {"CategoricalParameterRanges": [{"Name": "learning_rate", "Values": ["0.05", "0.5"]},
                                             {"Name": "l2", "Values": ["0", "1", "5"]}]}
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Grid", max_jobs=None, parallel=3,
                                                                               ranges=ranges),
        TrainingJobDefinition=definition(bucket))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    points = {(k["TunedHyperParameters"]["learning_rate"], k["TunedHyperParameters"]["l2"])
              for k in children(sm, name)}
    assert points == {(lr, l2) for lr in ("0.05", "0.5") for l2 in ("0", "1", "5")}
    best = d["BestTrainingJob"]["TunedHyperParameters"]
    assert best == {"learning_rate": "0.5", "l2": "0"}


def test_stop_ends_the_children_and_the_job_stopped(sm, bucket):
    name = uniq("stop")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config(max_jobs=4, parallel=2),
        TrainingJobDefinition=definition(bucket, static={"mode": "slow", "seconds": "120"}))
    deadline = time.time() + 60
    while sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "TrainingJobStatusCounters"]["InProgress"] < 2:
        assert time.time() < deadline
        time.sleep(0.3)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    d = wait_tuning(sm, name, timeout=120)
    assert d["HyperParameterTuningJobStatus"] == "Stopped"
    assert d["TrainingJobStatusCounters"]["Stopped"] == 2 and d["TrainingJobStatusCounters"]["InProgress"] == 0
    for k in children(sm, name):
        assert sm.describe_training_job(TrainingJobName=k["TrainingJobName"])["TrainingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as ei:
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert error(ei) == ("ValidationException",
                         "The request was rejected because the hyperparameter tuning job is in status Stopped.")
    sm.delete_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    with pytest.raises(ClientError) as ei:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert error(ei)[0] == "ResourceNotFound"


def test_five_failed_children_fail_the_job_with_their_reasons(sm, bucket):
    name = uniq("fail")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config(max_jobs=20, parallel=5),
        TrainingJobDefinition=definition(bucket, static={"mode": "fail", "failure_message": "bad input file"}))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("No training job succeeded after 5 attempts."), d["FailureReason"]
    assert "bad input file" in d["FailureReason"]
    assert d["TrainingJobStatusCounters"]["NonRetryableError"] == 5
    assert len(children(sm, name)) == 5  # no sixth launched


def test_an_objective_that_never_matches_is_named(sm, bucket):
    name = uniq("nomatch")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config(max_jobs=2, parallel=2),
        TrainingJobDefinition=definition(bucket, metrics=[{"Name": "train:mse", "Regex": r"^loss=([0-9.]+)"}]))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Failed"
    assert "The objective metric train:mse never matched the logs of any child job" in d["FailureReason"]
    assert d["ObjectiveStatusCounters"]["Failed"] == 2


def test_instance_pools_run_children_on_the_first_configuration(sm, bucket):
    """HyperParameterTuningResourceConfig.InstanceConfigs, AllocationStrategy
    Prioritized: AWS moves past the first configuration only when it lacks
    capacity, which this server never does; the request is echoed as sent."""
    pools = {"AllocationStrategy": "Prioritized", "InstanceConfigs": [
        {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1}]}
    td = definition(bucket)
    del td["ResourceConfig"]
    name = uniq("pools")[:32]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name,
                                         HyperParameterTuningJobConfig=config(max_jobs=2, parallel=2),
                                         TrainingJobDefinition=dict(td, HyperParameterTuningResourceConfig=pools))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert d["TrainingJobDefinition"]["HyperParameterTuningResourceConfig"] == pools
    kids = children(sm, name)
    assert len(kids) == 2
    for k in kids:
        job = sm.describe_training_job(TrainingJobName=k["TrainingJobName"])
        assert job["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge", job["ResourceConfig"]
        assert job["ResourceConfig"]["InstanceCount"] == 1
    # AWS's rule: with InstanceConfigs, no InstanceType, InstanceCount or VolumeSizeInGB.
    for extra in ({"InstanceType": "ml.m5.large"}, {"InstanceCount": 1}, {"VolumeSizeInGB": 1}):
        with pytest.raises(ClientError) as ei:
            sm.create_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=uniq("pools-bad")[:32], HyperParameterTuningJobConfig=config(),
                TrainingJobDefinition=dict(td, HyperParameterTuningResourceConfig=dict(pools, **extra)))
        assert error(ei) == ("ValidationException", "If you use InstanceConfigs, do not provide values for "
                             "InstanceType, VolumeSizeInGB or InstanceCount."), extra
    # The model's own limit: at most 6 configurations.
    seven = dict(pools, InstanceConfigs=pools["InstanceConfigs"][:1] * 7)
    with pytest.raises(ClientError) as ei:
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=uniq("pools-bad")[:32], HyperParameterTuningJobConfig=config(),
            TrainingJobDefinition=dict(td, HyperParameterTuningResourceConfig=seven))
    code, msg = error(ei)
    assert code == "ValidationException" and "length less than or equal to 6" in msg, msg


def test_requests_aws_refuses(sm, bucket, algo):
    def refused(cfg=None, td=None, name=None, **kw):
        with pytest.raises(ClientError) as ei:
            sm.create_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name or uniq("bad")[:32], HyperParameterTuningJobConfig=cfg or config(),
                TrainingJobDefinition=td or definition(bucket), **kw)
        return error(ei)

    code, msg = refused(name="x" * 33)
    assert code == "ValidationException" and "hyperParameterTuningJobName" in msg and "length less than or equal to 32" in msg
    code, msg = refused(td=definition(bucket, metrics=[]))
    assert code == "ValidationException" and msg.startswith(
        "A metric is required for this hyperparameter tuning job objective. Provide a metric in the metric definitions.")
    code, msg = refused(td=definition(bucket, algorithm=algo, static={}), cfg=config(ranges={"IntegerParameterRanges": [
        {"Name": "epochs", "MinValue": "1", "MaxValue": "10"}]}))
    assert msg.startswith("The hyperparameter tuning job that you requested has the following untunable "
                          "hyperparameters: [epochs]."), msg
    code, msg = refused(td=definition(bucket, algorithm=algo), cfg=config(ranges={"ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0.01", "MaxValue": "5"}]}))
    assert "outside the range [0.0001, 1.0]" in msg, msg
    code, msg = refused(td=definition(bucket, algorithm=algo), cfg=config(ranges={"IntegerParameterRanges": [
        {"Name": "learning_rate", "MinValue": "1", "MaxValue": "2"}]}))
    assert "is of type Continuous" in msg, msg
    code, msg = refused(td=definition(bucket, algorithm=algo), cfg=config(ranges={"CategoricalParameterRanges": [
        {"Name": "optimizer", "Values": ["sgd", "lbfgs"]}]}))
    assert "lbfgs" in msg and "not one the algorithm" in msg, msg
    code, msg = refused(td=definition(bucket, algorithm=algo), cfg=config(objective="validation:accuracy"))
    assert "isn't valid for the" in msg, msg
    code, msg = refused(td=definition(bucket, algorithm=algo), cfg=config(kind="Maximize"))
    assert msg.startswith("The objective metric type, [Maximize]"), msg
    # 31 of one kind: the model's own length check; 31 over the three kinds: the tuning limit.
    many = {"ContinuousParameterRanges": [{"Name": f"p{i}", "MinValue": "0", "MaxValue": "1"} for i in range(31)]}
    code, msg = refused(cfg=config(ranges=many))
    assert "failed to satisfy constraint: Member must have length less than or equal to 30" in msg, msg
    mixed = {"ContinuousParameterRanges": [{"Name": f"c{i}", "MinValue": "0", "MaxValue": "1"} for i in range(11)],
             "IntegerParameterRanges": [{"Name": f"i{i}", "MinValue": "0", "MaxValue": "9"} for i in range(10)],
             "CategoricalParameterRanges": [{"Name": f"k{i}", "Values": ["a", "b"]} for i in range(10)]}
    code, msg = refused(cfg=config(ranges=mixed))
    assert msg == "The number of hyperparameters to tune (31) exceeds the limit of 30.", msg
    wide = {"CategoricalParameterRanges": [{"Name": "c", "Values": [str(i) for i in range(31)]}]}
    code, msg = refused(cfg=config(ranges=wide))
    assert code == "ValidationException", msg
    code, msg = refused(cfg=config(max_jobs=2, parallel=3))
    assert "MaxParallelTrainingJobs (3) must be less than or equal to MaxNumberOfTrainingJobs (2)" in msg
    code, msg = refused(cfg=config("Grid", max_jobs=None))
    assert "The Grid strategy supports only CategoricalParameterRanges" in msg, msg
    code, msg = refused(cfg=config("Hyperband", TrainingJobEarlyStoppingType="Auto"))
    assert "TrainingJobEarlyStoppingType must be Off for the Hyperband strategy" in msg, msg
    code, msg = refused(cfg=config(ranges={"ContinuousParameterRanges": [
        {"Name": "learning_rate", "MinValue": "0", "MaxValue": "1", "ScalingType": "Logarithmic"}]}))
    assert "Logarithmic scaling works only for ranges that have only values greater than 0" in msg, msg
    code, msg = refused(td=definition(bucket, static={"learning_rate": "0.1"}))
    assert "both in StaticHyperParameters and in ParameterRanges" in msg, msg
    code, msg = refused(td=definition(bucket, algorithm="no-such-algorithm"))
    assert code == "ValidationException" and "does not exist" in msg, msg
    code, msg = refused(cfg=config(max_jobs=None))
    assert "MaxNumberOfTrainingJobs is required for the Random strategy" in msg
    # A name in use.
    name = uniq("dup")[:32]
    sm.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name,
                                         HyperParameterTuningJobConfig=config(max_jobs=1, parallel=1),
                                         TrainingJobDefinition=definition(bucket))
    code, msg = refused(name=name)
    assert code == "ResourceInUse", (code, msg)
    wait_tuning(sm, name)
    with pytest.raises(ClientError) as ei:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="never-made")
    assert error(ei) == ("ResourceNotFound", "Amazon SageMaker can't find a tuning job with name never-made")


def test_a_reached_target_objective_ends_the_search(sm, bucket):
    """TuningJobCompletionCriteria.TargetObjectiveMetricValue: once a child
    reaches it, no more are launched; the job completes early."""
    name = uniq("target")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=config(max_jobs=10, parallel=1,
                                             TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 1e9}),
        TrainingJobDefinition=definition(bucket))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert len(children(sm, name)) == 1
    assert d["TuningJobCompletionDetails"]["ConvergenceDetectedTime"] >= d["CreationTime"]
