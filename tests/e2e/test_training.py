"""Training jobs end to end (docs/jobs.md "Training jobs"; docs/contracts.md §3): a real server runs real containers
through Podman, driven by boto3. Each test checks what a seller's image
sees (the /opt/ml contract) or what a seller is told (status, reason)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, error_of
from jobs_helpers import (
    BUSYBOX_IMAGE, METRICS, ROLE, SAMPLE_IMAGE, channel, containers_of, ensure_images,
    put_training_data, read_tar, shell_job, training_request, uniq, wait_for,
    wait_for_container,
)
from s3_helpers import new_bucket, s3 as s3_client


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(jobs_server):
    return jobs_server


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server)


@pytest.fixture(scope="module")
def bucket(s3):
    b = new_bucket(s3, "train")
    put_training_data(s3, b)
    return b


def test_sample_algorithm_learns_and_its_model_is_uploaded(sm, s3, bucket):
    name = uniq("learn")
    arn = sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/", ContentType="text/csv")],
        hyper={"epochs": "300"}))["TrainingJobArn"]
    assert arn.endswith(f":training-job/{name}")
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["SecondaryStatus"] == "Completed"
    assert [t["Status"] for t in d["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    for earlier, later in zip(d["SecondaryStatusTransitions"], d["SecondaryStatusTransitions"][1:]):
        assert earlier["EndTime"] == later["StartTime"]
    assert d["TrainingTimeInSeconds"] >= 1 and d["BillableTimeInSeconds"] >= 1
    assert d["TrainingStartTime"] <= d["TrainingEndTime"] <= d["LastModifiedTime"]
    model_uri = d["ModelArtifacts"]["S3ModelArtifacts"]
    assert model_uri == f"s3://{bucket}/output/{name}/output/model.tar.gz"
    model = json.loads(read_tar(s3, model_uri)["model.json"])
    w1, w2 = model["weights"]
    assert abs(w1 - 3) < 0.05 and abs(w2 + 2) < 0.05 and abs(model["bias"] - 1) < 0.05, model
    report = json.loads(read_tar(s3, f"s3://{bucket}/output/{name}/output/output.tar.gz")["report.json"])
    assert report["records"]["train"] == 200, report
    metrics = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
    assert set(metrics) == {"train:mse"} and metrics["train:mse"] < 0.01
    # Echoed request, defaults filled in, and no container left behind.
    assert d["StoppingCondition"]["MaxRuntimeInSeconds"] == 300
    assert d["HyperParameters"] == {"epochs": "300"}
    assert d["RoleArn"] == ROLE and d["EnableNetworkIsolation"] is False
    assert containers_of(arn) == []


def test_container_sees_the_training_contract(sm, s3, bucket):
    """hyperparameters.json, inputdataconfig.json, resourceconfig.json,
    channel files by relative key (prefix and manifest), env, hostname."""
    s3.put_object(Bucket=bucket, Key="contract/a.csv", Body=b"1,2\n")
    s3.put_object(Bucket=bucket, Key="contract/deep/er/b.csv", Body=b"3,4\n")
    s3.put_object(Bucket=bucket, Key="contract/folder/", Body=b"")
    s3.put_object(Bucket=bucket, Key="m/x/one.txt", Body=b"one")
    s3.put_object(Bucket=bucket, Key="m/y/two.txt", Body=b"two")
    manifest = json.dumps([{"prefix": f"s3://{bucket}/m/"}, "x/one.txt", "y/two.txt"])
    s3.put_object(Bucket=bucket, Key="manifests/list.json", Body=manifest.encode())
    name = uniq("contract")
    script = (
        "set -e; cd /opt/ml; cp input/config/*.json model/; "
        "(cd input/data && find . -type f | sort) > model/files.txt; "
        "cat input/data/train/deep/er/b.csv > model/b.csv; "
        "env > model/env.txt; hostname > model/hostname.txt; echo \"$@\" > model/args.txt; "
        "echo report > output/data/r.txt"
    )
    req = shell_job(s3, name, bucket, script, [
        channel("train", f"s3://{bucket}/contract/", ContentType="text/csv", CompressionType="None"),
        channel("extra", f"s3://{bucket}/manifests/list.json", data_type="ManifestFile",
                InputMode="FastFile"),
    ], hyper={"alpha": "0.5", "layers": "[1, 2]"}, Environment={"SELLER_FLAG": "on"})
    arn = sm.create_training_job(**req)["TrainingJobArn"]
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    files = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])
    assert json.loads(files["hyperparameters.json"]) == {"alpha": "0.5", "layers": "[1, 2]"}
    assert json.loads(files["inputdataconfig.json"]) == {
        "train": {"ContentType": "text/csv", "TrainingInputMode": "File",
                  "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None",
                  "CompressionType": "None"},
        "extra": {"TrainingInputMode": "FastFile", "S3DistributionType": "FullyReplicated",
                  "RecordWrapperType": "None"},
        "code": {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated",
                 "RecordWrapperType": "None"},
    }
    rc = json.loads(files["resourceconfig.json"])
    assert rc["current_host"] == "algo-1" and rc["hosts"] == ["algo-1"]
    assert rc["current_instance_type"] == "ml.m5.large" and rc["network_interface_name"] == "eth0"
    assert files["files.txt"].decode().split() == [
        "./code/run.sh", "./extra/x/one.txt", "./extra/y/two.txt", "./train/a.csv", "./train/deep/er/b.csv"]
    assert files["b.csv"] == b"3,4\n"
    env = dict(l.split("=", 1) for l in files["env.txt"].decode().splitlines() if "=" in l)
    assert env["TRAINING_JOB_NAME"] == name and env["TRAINING_JOB_ARN"] == arn
    assert env["SELLER_FLAG"] == "on"
    assert not any(k.startswith("AWS_SECRET") for k in env)
    assert files["hostname.txt"].strip() == b"algo-1"
    assert files["args.txt"].strip() == b"train"  # the platform's argument
    out = read_tar(s3, f"s3://{bucket}/output/{name}/output/output.tar.gz")
    assert out == {"r.txt": b"report\n"}


def test_every_line_is_in_cloudwatch_once_when_the_job_ends(server, sm, bucket):
    """A burst of lines just before the container exits: the job reports
    Completed only after all of them are stored, each once and in order
    (the runner stops following the engine's stream at the exit and reads
    the rest; no line may be lost or repeated at the seam)."""
    name = uniq("burst")
    lines = 20000
    sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")],
        hyper={"mode": "metrics", "metric_lines": str(lines), "epochs": "2"}))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    logs = server.client(service="logs")
    group = "/aws/sagemaker/TrainingJobs"
    stream = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name)["logStreams"][0]
    messages, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                   startFromHead=True, **kw)
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    steps = [m for m in messages if m.startswith("step=")]
    assert steps == [f"step={i} " + m.split(" ", 1)[1] for i, m in enumerate(steps, 1)]
    assert len(steps) == lines
    assert messages[-1] == "training complete", messages[-3:]
    assert messages.count("training complete") == 1


def test_failure_file_becomes_the_failure_reason(sm, bucket):
    name = uniq("fail")
    sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")],
        hyper={"mode": "fail", "failure_message": "column 7 is not numeric"}))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Failed" and d["SecondaryStatus"] == "Failed"
    assert d["FailureReason"] == "AlgorithmError: column 7 is not numeric"
    assert d["ModelArtifacts"]["S3ModelArtifacts"] == ""


def test_crash_reports_exit_code_and_last_lines(sm, bucket):
    name = uniq("crash")
    arn = sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")], hyper={"mode": "crash"}))["TrainingJobArn"]
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Failed"
    reason = d["FailureReason"]
    assert reason.startswith("AlgorithmError: the training container exited with code 3"), reason
    assert "simulated crash" in reason and len(reason) <= 1024
    assert containers_of(arn) == []


def test_long_failure_text_is_clipped_to_1024(sm, bucket):
    name = uniq("longfail")
    sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")],
        hyper={"mode": "fail", "failure_message": "x" * 2000}))
    d = wait_for(sm, name)
    assert len(d["FailureReason"]) == 1024 and d["FailureReason"].startswith("AlgorithmError: xxx")


def test_missing_image_fails_with_a_client_error(sm, bucket):
    name = uniq("noimage")
    arn = sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")],
        image="localhost/slipway-no-such-image:1"))["TrainingJobArn"]
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("ClientError: the training image localhost/slipway-no-such-image:1"), d["FailureReason"]
    assert "TrainingStartTime" not in d
    assert containers_of(arn) == []


def test_missing_channel_data_fails_before_training(sm, bucket):
    name = uniq("nodata")
    sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/nothing-here/")]))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Failed"
    assert d["FailureReason"] == (
        f"ClientError: Data download failed: no objects found under s3://{bucket}/nothing-here/ for channel 'train'")
    assert [t["Status"] for t in d["SecondaryStatusTransitions"]] == ["Starting", "Downloading", "Failed"]
    name2 = uniq("nobucket")
    sm.create_training_job(**training_request(
        name2, bucket, [channel("train", "s3://no-such-bucket-slipway/x/")]))
    d2 = wait_for(sm, name2)
    assert "bucket 'no-such-bucket-slipway'" in d2["FailureReason"], d2["FailureReason"]


def test_max_runtime_stops_the_job(sm, bucket):
    name = uniq("maxrt")
    arn = sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")], hyper={"mode": "hang"},
        max_runtime=2))["TrainingJobArn"]
    d = wait_for(sm, name, timeout=60)
    assert d["TrainingJobStatus"] == "Stopped" and d["SecondaryStatus"] == "MaxRuntimeExceeded"
    statuses = [t["Status"] for t in d["SecondaryStatusTransitions"]]
    assert statuses[-2:] == ["Stopping", "MaxRuntimeExceeded"], statuses
    assert 2 <= d["TrainingTimeInSeconds"] <= 10
    assert containers_of(arn) == []


def test_stop_training_job(sm, bucket):
    name = uniq("stop")
    arn = sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")], hyper={"mode": "hang"}))["TrainingJobArn"]
    wait_for_container(arn)
    sm.stop_training_job(TrainingJobName=name)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    d = wait_for(sm, name, timeout=60)
    assert d["TrainingJobStatus"] == "Stopped" and d["SecondaryStatus"] == "Stopped"
    assert containers_of(arn) == []
    with pytest.raises(ClientError) as e:
        sm.stop_training_job(TrainingJobName=name)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "status Stopped" in message


def test_labels_limits_and_network_isolation(sm, s3, bucket):
    name = uniq("isolated")
    script = "ls /sys/class/net > /opt/ml/model/nets.txt; sleep 30"
    req = shell_job(s3, name, bucket, script, EnableNetworkIsolation=True)
    arn = sm.create_training_job(**req)["TrainingJobArn"]
    c = wait_for_container(arn)
    inspect = json.loads(subprocess.run(["podman", "inspect", c["Id"]], check=True,
                                        capture_output=True, text=True).stdout)[0]
    labels = inspect["Config"]["Labels"]
    assert labels["slipway.job-arn"] == arn and labels["slipway.account"] == arn.split(":")[4]
    host = inspect["HostConfig"]
    assert host["Memory"] == 8 * 1024**3
    assert host["NetworkMode"] == "none"
    assert not host.get("Privileged") and not host.get("CapAdd")
    sm.stop_training_job(TrainingJobName=name)
    d = wait_for(sm, name, timeout=60)
    assert d["TrainingJobStatus"] == "Stopped" and d["EnableNetworkIsolation"] is True
    # A stopped job's model is still uploaded (the docs call it valid).
    nets = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["nets.txt"].split()
    assert nets == [b"lo"]


def test_many_files_model_is_packed(sm, s3, bucket):
    name = uniq("manyfiles")
    sm.create_training_job(**training_request(
        name, bucket, [channel("train", f"s3://{bucket}/train/")],
        hyper={"mode": "many-files", "files": "3000"}))
    d = wait_for(sm, name, timeout=180)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    files = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])
    assert len(files) >= 3001 and "model.json" in files


@pytest.mark.parametrize("mutate, field, text", [
    (lambda r: r["AlgorithmSpecification"].update(AlgorithmName="algo"), "", "Only one of TrainingImage or AlgorithmName"),
    (lambda r: r["AlgorithmSpecification"].pop("TrainingImage"), "", "either TrainingImage or AlgorithmName"),
    (lambda r: r["ResourceConfig"].update(InstanceCount=0), "", "InstanceCount must be at least 1"),
    (lambda r: r["InputDataConfig"].append(r["InputDataConfig"][0]), "", "must be unique"),
    (lambda r: r["InputDataConfig"][0]["DataSource"]["S3DataSource"].update(S3DataType="AugmentedManifestFile"), "", "only valid in Pipe mode"),
    (lambda r: r["AlgorithmSpecification"].update(MetricDefinitions=[{"Name": "m", "Regex": "(unclosed"}]), "", "does not compile"),
])
def test_bad_requests_are_refused_before_anything_runs(sm, bucket, mutate, field, text):
    req = training_request(uniq("bad"), bucket, [channel("train", f"s3://{bucket}/train/")])
    mutate(req)
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and text in message, message
    with pytest.raises(ClientError) as e:
        sm.describe_training_job(TrainingJobName=req["TrainingJobName"])
    assert error_of(e)[:2] == ("ValidationException", "Requested resource not found.")


def test_duplicate_names_are_resource_in_use(sm, bucket):
    name = uniq("dup")
    req = training_request(name, bucket, [channel("train", f"s3://{bucket}/train/")])
    arn = sm.create_training_job(**req)["TrainingJobArn"]
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    code, message, _ = error_of(e)
    assert code == "ResourceInUse" and arn in message
    wait_for(sm, name)


def test_training_with_an_algorithm_resource(sm, bucket):
    algo = uniq("linreg")
    sm.create_algorithm(
        AlgorithmName=algo,
        TrainingSpecification={
            "TrainingImage": SAMPLE_IMAGE,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}},
            ],
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"]}],
            "MetricDefinitions": METRICS,
        })
    base = training_request(uniq("viaalgo"), bucket, [channel("train", f"s3://{bucket}/train/", ContentType="text/csv")],
                            hyper={"epochs": "100"})
    base["AlgorithmSpecification"] = {"AlgorithmName": algo, "TrainingInputMode": "File"}
    sm.create_training_job(**base)
    d = wait_for(sm, base["TrainingJobName"])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["AlgorithmSpecification"]["AlgorithmName"] == algo
    assert [m["MetricName"] for m in d["FinalMetricDataList"]] == ["train:mse"]
    # The algorithm's rules apply to the request.
    bad = dict(base, TrainingJobName=uniq("viaalgo-bad"), HyperParameters={"epochs": "0"})
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**bad)
    assert error_of(e)[0] == "ValidationException" and "epochs" in error_of(e)[1]
    missing = dict(base, TrainingJobName=uniq("viaalgo-nochan"))
    del missing["InputDataConfig"]
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**missing)
    assert "Channel 'train' is required" in error_of(e)[1]


def test_list_training_jobs_filters_and_pages(sm, bucket):
    tag = uniq("lst")
    names = [f"{tag}-{i}" for i in range(3)]
    for n in names:
        sm.create_training_job(**training_request(n, bucket, [channel("train", f"s3://{bucket}/train/")],
                                                  hyper={"epochs": "5"}))
    for n in names:
        wait_for(sm, n)
    got = sm.list_training_jobs(NameContains=tag, SortBy="Name", SortOrder="Descending")["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in got] == names[::-1]
    assert all(s["TrainingJobStatus"] == "Completed" and s["SecondaryStatus"] == "Completed"
               and "TrainingEndTime" in s for s in got)
    page1 = sm.list_training_jobs(NameContains=tag, MaxResults=2)
    assert len(page1["TrainingJobSummaries"]) == 2 and "NextToken" in page1
    page2 = sm.list_training_jobs(NameContains=tag, MaxResults=2, NextToken=page1["NextToken"])
    seen = [s["TrainingJobName"] for s in page1["TrainingJobSummaries"] + page2["TrainingJobSummaries"]]
    assert sorted(seen) == names
    assert sm.list_training_jobs(NameContains=tag, StatusEquals="Failed")["TrainingJobSummaries"] == []
    assert sm.list_training_jobs(WarmPoolStatusEquals="Available")["TrainingJobSummaries"] == []


def test_out_of_memory_is_reported_against_the_limit(server_factory, tmp_path):
    srv = server_factory(env={**TEST_ACCOUNT_ENV, "SLIPWAY_JOB_MEMORY_CAP_MB": "64"}).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "oom")
    put_training_data(s3, b)
    name = uniq("oom")
    arn = sm.create_training_job(**training_request(name, b, [channel("train", f"s3://{b}/train/")],
                                                    hyper={"mode": "oom"}))["TrainingJobArn"]
    d = wait_for(sm, name, timeout=120)
    assert d["TrainingJobStatus"] == "Failed"
    reason = d["FailureReason"]
    assert "exit code 137" in reason and "ml.m5.large (64 MiB)" in reason and "out of memory" in reason, reason
    assert containers_of(arn) == []


def test_sigterm_ignored_is_killed_after_the_grace(server_factory):
    srv = server_factory(env={**TEST_ACCOUNT_ENV, "SLIPWAY_JOB_STOP_GRACE_SECONDS": "2"}).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "grace")
    put_training_data(s3, b)
    name = uniq("stubborn")
    arn = sm.create_training_job(**training_request(name, b, [channel("train", f"s3://{b}/train/")],
                                                    hyper={"mode": "ignore-sigterm"}))["TrainingJobArn"]
    wait_for_container(arn)
    t0 = time.time()
    sm.stop_training_job(TrainingJobName=name)
    d = wait_for(sm, name, timeout=60)
    assert d["TrainingJobStatus"] == "Stopped"
    assert 1.5 <= time.time() - t0 < 20
    assert containers_of(arn) == []


def test_server_killed_mid_job_reattaches_and_completes(server_factory):
    srv = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "restart")
    put_training_data(s3, b)
    name = uniq("survivor")
    arn = sm.create_training_job(**training_request(name, b, [channel("train", f"s3://{b}/train/")],
                                                    hyper={"mode": "slow", "seconds": "4"}))["TrainingJobArn"]
    wait_for_container(arn)
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.start()
    sm = srv.client()
    d = wait_for(sm, name, timeout=90)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"/{name}/output/model.tar.gz")
    assert containers_of(arn) == []


def test_vanished_container_fails_with_a_reason_on_restart(server_factory):
    srv = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "vanish")
    put_training_data(s3, b)
    name = uniq("vanish")
    arn = sm.create_training_job(**training_request(name, b, [channel("train", f"s3://{b}/train/")],
                                                    hyper={"mode": "hang"}))["TrainingJobArn"]
    c = wait_for_container(arn)
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    subprocess.run(["podman", "rm", "-f", c["Id"]], check=True, capture_output=True)
    srv.start()
    d = wait_for(srv.client(), name, timeout=30)
    assert d["TrainingJobStatus"] == "Failed"
    assert "restarted while the job was Training" in d["FailureReason"] and "no longer exists" in d["FailureReason"]
