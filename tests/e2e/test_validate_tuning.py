"""`slipway validate --tuning` (docs/jobs.md "Tuning check"): after the
algorithm validates, one training job per end of each tunable range and
per categorical value (the real `slipway` binary, the sample image). The
sample's `mode` declared tunable with the value `fail` is reported as
rejected and the run exits 5; a clean algorithm exits 0."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from e2e_helpers import REPO, SLIPWAY_BIN, clean_env
from jobs_helpers import ensure_images

SAMPLES = REPO / "samples" / "validate"
LEARNING_RATE = {"Name": "learning_rate", "Type": "Continuous", "IsTunable": True, "IsRequired": False,
                 "DefaultValue": "0.1",
                 "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.01", "MaxValue": "0.5"}}}
EPOCHS = {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False, "DefaultValue": "50",
          "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}}
MODE = {"Name": "mode", "Type": "Categorical", "IsTunable": True, "IsRequired": False, "DefaultValue": "normal",
        "Range": {"CategoricalParameterRangeSpecification": {"Values": ["normal", "fail"]}}}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


def request(tmp_path, hyperparameters: list[dict]):
    dest = tmp_path / "seller"
    shutil.copytree(SAMPLES, dest, ignore=shutil.ignore_patterns("output"))
    doc = json.loads((dest / "algorithm.json").read_text())
    spec = doc["TrainingSpecification"]
    spec["SupportedHyperParameters"] = hyperparameters
    spec["SupportedTuningJobObjectiveMetrics"] = [{"Type": "Minimize", "MetricName": "train:mse"}]
    path = dest / "tunable.json"
    path.write_text(json.dumps(doc))
    return path


def validate(path, *args):
    return subprocess.run([str(SLIPWAY_BIN), "validate", str(path), "--tuning", *args], env=clean_env(),
                          capture_output=True, text=True, timeout=600)


def test_a_value_the_container_rejects_is_reported_and_exits_5(tmp_path):
    r = validate(request(tmp_path, [EPOCHS, LEARNING_RATE, MODE]), "--output", "json")
    assert r.returncode == 5, r.stderr[-3000:]
    report = json.loads(r.stdout)
    assert report["Status"] == "Completed"  # the validation itself passed
    tuning = report["Tuning"]
    assert tuning["Status"] == "Failed" and tuning["ObjectiveMetrics"] == ["train:mse"]
    probes = {(p["Parameter"], p["Value"]): p for p in tuning["Probes"]}
    assert set(probes) == {("learning_rate", "0.01"), ("learning_rate", "0.5"), ("mode", "normal"), ("mode", "fail")}
    for key in [("learning_rate", "0.01"), ("learning_rate", "0.5"), ("mode", "normal")]:
        p = probes[key]
        assert p["Accepted"] and p["Passed"] and p["TrainingJobStatus"] == "Completed", p
        assert isinstance(p["ObjectiveMetrics"]["train:mse"], float), p
    rejected = probes[("mode", "fail")]
    assert rejected["TrainingJobStatus"] == "Failed" and not rejected["Accepted"] and not rejected["Passed"]
    assert rejected["FailureReason"] and rejected["ObjectiveMetrics"] == {"train:mse": None}
    assert "tuning probe mode=fail: Failed" in r.stderr


def test_an_algorithm_whose_ranges_all_work_passes_with_a_table(tmp_path):
    r = validate(request(tmp_path, [EPOCHS, LEARNING_RATE]))
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    assert "validation Completed" in r.stdout
    assert "tuning check (2 training jobs, 2 at a time): PASSED" in r.stdout
    rows = [line.split() for line in r.stdout.splitlines() if line.strip().startswith("learning_rate")]
    assert [row[:4] for row in rows] == [["learning_rate", "0.01", "Completed", "yes"],
                                         ["learning_rate", "0.5", "Completed", "yes"]], r.stdout
    assert all(float(row[4]) >= 0 for row in rows)


def test_tuning_is_for_algorithms(tmp_path):
    dest = tmp_path / "seller"
    shutil.copytree(SAMPLES, dest, ignore=shutil.ignore_patterns("output"))
    r = validate(dest / "broken-model-package.json")
    assert r.returncode == 2 and "--tuning" in r.stderr
