"""The console's hyperparameter tuning job pages (docs/console.md): a small
Random search (sample image, 4 children, 2 at a time) opened from the
navigation while it runs and watched to Completed; what the page shows —
counters, best training job and objective, the children in both orders,
the chart — is what boto3's Describe and ListTrainingJobsForHyperParameter-
TuningJob answer; a child's page names its tuning job. A second, slow
search is stopped from the console (Stopped with boto3), then deleted."""

from __future__ import annotations

import decimal

import time

import pytest
from botocore.exceptions import ClientError

from console_helpers import run_scenario
from jobs_helpers import ensure_images, linear_rows, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_tuning import EPOCHS, children, config, definition, wait_tuning


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
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "console-tune")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    return b


def shown(value: float) -> str:
    """A number as the page prints it: JavaScript's Number.prototype.toString
    (ECMA-262 Number::toString): the shortest round-trip digits, which
    Python's repr also finds, laid out by JavaScript's rules (exponent form
    only below 1e-6 or from 1e21, written `e-8` rather than `e-08`)."""
    v = float(value)
    if v == 0:
        return "0"
    if v < 0:
        return "-" + shown(-v)
    sign, digits, exp = decimal.Decimal(repr(v)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    k, n = len(ds), len(ds) + exp  # v = 0.ds × 10^n
    if k <= n <= 21:
        return ds + "0" * (n - k)
    if 0 < n <= 21:
        return ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + ds
    e = n - 1
    return ds[0] + ("." + ds[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-") + str(abs(e))


def test_a_tuning_job_watched_to_completion_shows_what_the_api_answers(server, sm, bucket):
    name = uniq("ctune")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Random", max_jobs=4, parallel=2),
        # Each child waits a few seconds before training, so the search
        # still runs when the browser opens it.
        TrainingJobDefinition=definition(bucket, static={"epochs": EPOCHS, "mode": "slow", "seconds": "8"}))
    page = run_scenario("tuning", server, JOB=name, timeout=400)
    d = wait_tuning(sm, name, timeout=30)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert page["first_status"] == "InProgress"  # opened while it ran: the page followed it live

    t, o = d["TrainingJobStatusCounters"], d["ObjectiveStatusCounters"]
    assert page["counters"] == {
        "Completed": str(t["Completed"]), "In progress": str(t["InProgress"]),
        "Failed": str(t["RetryableError"] + t["NonRetryableError"]),
        "Retryable errors": str(t["RetryableError"]), "Non-retryable errors": str(t["NonRetryableError"]),
        "Stopped": str(t["Stopped"]), "Objective succeeded": str(o["Succeeded"]),
        "Objective pending": str(o["Pending"]), "Objective failed": str(o["Failed"]),
    }
    assert t["Completed"] == 4

    best = d["BestTrainingJob"]
    assert page["best_job"] == best["TrainingJobName"]
    assert page["best_value"] == shown(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert page["best_tuned"] == sorted([k, v] for k, v in best["TunedHyperParameters"].items())

    def rows(kids):
        return [{"name": k["TrainingJobName"], "status": k["TrainingJobStatus"],
                 "objective": shown(k["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])} for k in kids]

    ranked = children(sm, name, SortBy="FinalObjectiveMetricValue", SortOrder="Ascending")  # Minimize: best first
    assert page["by_objective"] == rows(ranked)
    assert page["by_objective"][0]["name"] == best["TrainingJobName"]
    assert page["by_creation"] == rows(children(sm, name, SortBy="CreationTime", SortOrder="Ascending"))
    assert "learning_rate" in page["columns"] and "Early stopped" in page["columns"]

    assert page["chart_points"] == 4 and page["chart_points_by_end"] == 4
    assert page["chart_pixels"] > 500, "the chart's canvas is drawn"

    assert page["part_of"] == f"Part of tuning job {name}"
    first_child = page["by_creation"][0]["name"]
    assert sm.describe_training_job(TrainingJobName=first_child)["TuningJobArn"] == d["HyperParameterTuningJobArn"]

    assert page["list_row"][:7] == [name, "Completed", "Random", "4", "0", "0", "0"]


def test_a_slow_tuning_job_is_stopped_then_deleted_from_the_console(server, sm, bucket):
    name = uniq("cstop")[:32]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, HyperParameterTuningJobConfig=config("Random", max_jobs=4, parallel=2),
        TrainingJobDefinition=definition(bucket, static={"mode": "slow", "seconds": "120"}))
    deadline = time.time() + 60
    while sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "TrainingJobStatusCounters"]["InProgress"] < 1:
        assert time.time() < deadline
        time.sleep(0.3)
    page = run_scenario("tuning", server, STOP_JOB=name, timeout=300)
    d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert d["HyperParameterTuningJobStatus"] == "Stopped"
    assert page["stopped_counters"]["Stopped"] == str(d["TrainingJobStatusCounters"]["Stopped"])
    assert d["TrainingJobStatusCounters"]["InProgress"] == 0

    run_scenario("tuning", server, DELETE_JOB=name)
    with pytest.raises(ClientError) as ei:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert ei.value.response["Error"]["Code"] == "ResourceNotFound"
