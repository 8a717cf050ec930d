"""Pipe input mode end to end (docs/contracts.md §3.3, docs/jobs.md
"Training jobs"): the sample seller reads `/opt/ml/input/data/train_<epoch>`
FIFOs that the server feeds from S3, through gzip, RecordIO and shuffles;
containers that stop reading early or never read still finish; a link
planted in place of a FIFO is never written through; a restarted server
feeds a re-attached container again."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, clean_env, error_of
from jobs_helpers import (
    SAMPLE_IMAGE, channel, containers_of, ensure_images, linear_rows, put_training_data,
    read_tar, shell_job, training_request, uniq, wait_for, wait_for_container,
)
from s3_helpers import new_bucket, s3 as s3_client
from test_validation import algorithm, wait_resource



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
    b = new_bucket(s3, "pipe")
    put_training_data(s3, b)  # train/nested/part-2.csv, train/part-1.csv
    for key, body in (("gz/nested/part-2.csv.gz", linear_rows(80)), ("gz/part-1.csv.gz", linear_rows(120))):
        s3.put_object(Bucket=b, Key=key, Body=gzip.compress(body))
    return b


def pipe_channel(uri: str, **extra) -> dict:
    return channel("train", uri, InputMode="Pipe", ContentType="text/csv", **extra)


def run(sm, s3, bucket, channels, hyper=None, *, timeout=150, **extra):
    name = uniq("pipe")
    sm.create_training_job(**training_request(name, bucket, channels, hyper=hyper or {"epochs": "300"},
                                              **extra))
    d = wait_for(sm, name, timeout=timeout)
    model = None
    if d["TrainingJobStatus"] == "Completed":
        model = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["model.json"])
    return d, model


@pytest.fixture(scope="module")
def file_model(sm, s3, bucket):
    d, model = run(sm, s3, bucket, [channel("train", f"s3://{bucket}/train/", ContentType="text/csv")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    return model


def test_pipe_training_gives_the_file_mode_model(sm, s3, bucket, file_model):
    name = uniq("pipe-job-mode")
    req = training_request(name, bucket, [channel("train", f"s3://{bucket}/train/", ContentType="text/csv")],
                           hyper={"epochs": "300"})
    req["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe"  # the job's mode, no channel override
    sm.create_training_job(**req)
    d = wait_for(sm, name, timeout=150)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    model = json.loads(read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["model.json"])
    assert model == file_model


def test_gzip_objects_are_gunzipped(sm, s3, bucket, file_model):
    d, model = run(sm, s3, bucket, [pipe_channel(f"s3://{bucket}/gz/", CompressionType="Gzip")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert model == file_model


def test_recordio_wraps_each_object_and_combines_with_gzip(sm, s3, bucket, file_model):
    d, model = run(sm, s3, bucket, [pipe_channel(f"s3://{bucket}/train/", RecordWrapperType="RecordIO")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert model == file_model
    d, model = run(sm, s3, bucket, [pipe_channel(f"s3://{bucket}/gz/", RecordWrapperType="RecordIO",
                                                 CompressionType="Gzip")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert model == file_model


def test_shuffled_epochs_hold_the_same_records(sm, s3, bucket, file_model):
    # Three passes, each in its own order; the sample checks that every
    # pass gives the same records, and trains on the first.
    d, model = run(sm, s3, bucket, [pipe_channel(f"s3://{bucket}/train/", ShuffleConfig={"Seed": 11})],
                   {"epochs": "300", "pipe_passes": "3"})
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["InputDataConfig"][0]["ShuffleConfig"] == {"Seed": 11}
    for a, b in zip(model["weights"] + [model["bias"]], file_model["weights"] + [file_model["bias"]]):
        assert abs(a - b) < 1e-6


def test_a_reader_that_stops_early_gets_the_next_epoch(sm, s3, bucket, file_model):
    d, model = run(sm, s3, bucket, [pipe_channel(f"s3://{bucket}/train/")],
                   {"epochs": "300", "pipe_read_bytes": "10", "pipe_passes": "2"})
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert model == file_model


def test_a_channel_never_read_does_not_hold_the_job(sm, s3, bucket, file_model):
    d, model = run(sm, s3, bucket, [
        channel("train", f"s3://{bucket}/train/", ContentType="text/csv"),
        channel("unused", f"s3://{bucket}/train/", InputMode="Pipe")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert model == file_model


def test_a_stop_ends_a_job_whose_reader_never_came(sm, s3, bucket):
    name = uniq("pipe-hang")
    arn = sm.create_training_job(**training_request(
        name, bucket, [pipe_channel(f"s3://{bucket}/train/")], hyper={"mode": "hang"}))["TrainingJobArn"]
    wait_for_container(arn)
    sm.stop_training_job(TrainingJobName=name)
    d = wait_for(sm, name, timeout=60)
    assert d["TrainingJobStatus"] == "Stopped"
    assert containers_of(arn) == []


def test_a_corrupt_gzip_object_mid_stream_fails_the_job(sm, s3, bucket):
    # A good object, then one whose middle is damaged: the feeder fails on
    # it after the good one was streamed. The job fails naming the channel
    # and the object, the reader never sees an end of stream that would let
    # it train on half the data, and the container is gone.
    good = gzip.compress(linear_rows(120))
    body = gzip.compress(linear_rows(200))
    mid = len(body) // 2
    bad = body[:mid] + bytes(b ^ 0xFF for b in body[mid:mid + 16]) + body[mid + 16:]
    s3.put_object(Bucket=bucket, Key="corrupt/a-good.csv.gz", Body=good)
    s3.put_object(Bucket=bucket, Key="corrupt/b-bad.csv.gz", Body=bad)
    name = uniq("pipe-corrupt")
    arn = sm.create_training_job(**training_request(
        name, bucket, [pipe_channel(f"s3://{bucket}/corrupt/", CompressionType="Gzip")],
        hyper={"epochs": "300"}))["TrainingJobArn"]
    d = wait_for(sm, name, timeout=120)
    assert d["TrainingJobStatus"] == "Failed", d
    want = (f"ClientError: Data download failed: channel 'train', object "
            f"s3://{bucket}/corrupt/b-bad.csv.gz: reading it failed: ")
    assert d["FailureReason"].startswith(want), d["FailureReason"]
    assert d["SecondaryStatus"] == "Failed"
    assert containers_of(arn) == []


def test_fifos_exist_only_in_pipe_mode_and_links_are_never_followed(sm, s3, bucket, tmp_path):
    # The container replaces train_1 with a link to a host file; the
    # server must not write through it. It also reports what it sees.
    canary = tmp_path / f"canary-{uuid.uuid4().hex}"
    canary.write_bytes(b"untouched")
    script = textwrap.dedent(f"""
        set -e
        d=/opt/ml/input/data
        [ -p $d/train_0 ] || {{ echo "no FIFO train_0" > /opt/ml/output/failure; exit 1; }}
        [ -e $d/train ] && {{ echo "a train directory exists" > /opt/ml/output/failure; exit 1; }}
        n=$(cat $d/train_0 | wc -l)
        [ "$n" = 200 ] || {{ echo "read $n lines" > /opt/ml/output/failure; exit 1; }}
        while [ ! -p $d/train_1 ]; do sleep 0.05; done
        ln -s {canary} $d/link
        mv -f $d/link $d/train_1
        sleep 1
        grep -q '"TrainingInputMode": "Pipe"' /opt/ml/input/config/inputdataconfig.json
        echo ok > /opt/ml/model/ok
    """)
    name = uniq("pipe-link")
    req = shell_job(s3, name, bucket, script, [pipe_channel(f"s3://{bucket}/train/")])
    sm.create_training_job(**req)
    d = wait_for(sm, name, timeout=90)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert canary.read_bytes() == b"untouched"


def test_refusals(sm, bucket):
    req = training_request(uniq("bad"), bucket, [pipe_channel(f"s3://{bucket}/train/")])
    req["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataType"] = "AugmentedManifestFile"
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    assert error_of(e)[:2] == ("ValidationException", "AttributeNames must name at least one attribute for channel "
                           "'train' with S3DataType AugmentedManifestFile.")
    req["InputDataConfig"][0]["InputMode"] = "File"
    req["InputDataConfig"][0]["DataSource"]["S3DataSource"]["AttributeNames"] = ["source-ref"]
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    assert "only valid in Pipe mode" in error_of(e)[1]


def augmented_channel(uri: str, attributes: list[str], **extra) -> dict:
    ch = pipe_channel(uri, **extra)
    ch["DataSource"]["S3DataSource"].update(S3DataType="AugmentedManifestFile", AttributeNames=attributes)
    return ch


def test_an_augmented_manifest_streams_each_lines_attributes(sm, s3, bucket, file_model):
    # Referenced objects only, each one RecordIO record: the File-mode data.
    part2, part1 = f"s3://{bucket}/train/nested/part-2.csv", f"s3://{bucket}/train/part-1.csv"
    lines = [{"label": "ignored", "source-ref": part2}, {"source-ref": part1, "label": 1}]
    s3.put_object(Bucket=bucket, Key="aug/refs.manifest",
                  Body="\n".join(json.dumps(l) for l in lines).encode())
    d, model = run(sm, s3, bucket, [augmented_channel(f"s3://{bucket}/aug/refs.manifest", ["source-ref"],
                                                      RecordWrapperType="RecordIO")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["InputDataConfig"][0]["DataSource"]["S3DataSource"]["AttributeNames"] == ["source-ref"]
    assert model == file_model

    # A value streamed as its text, after its line's object: the same
    # model as File mode on the same bytes in one object.
    row_a, row_b = "14.0,3.5,-1.0\n", "-2.0,0.5,2.0\n"
    lines = [{"source-ref": part2, "row": row_a}, {"row": row_b, "source-ref": part1}]
    s3.put_object(Bucket=bucket, Key="aug/rows.manifest",
                  Body="\n".join(json.dumps(l) for l in lines).encode())
    s3.put_object(Bucket=bucket, Key="augfile/all.csv",
                  Body=linear_rows(80) + row_a.encode() + linear_rows(120) + row_b.encode())
    d, want = run(sm, s3, bucket, [channel("train", f"s3://{bucket}/augfile/", ContentType="text/csv")])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    d, model = run(sm, s3, bucket, [augmented_channel(f"s3://{bucket}/aug/rows.manifest", ["source-ref", "row"])])
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    for a, b in zip(model["weights"] + [model["bias"]], want["weights"] + [want["bias"]]):
        assert abs(a - b) < 1e-6

    # A line without an attribute fails the job, naming the line.
    s3.put_object(Bucket=bucket, Key="aug/bad.manifest",
                  Body=(json.dumps({"source-ref": part1}) + "\n" + json.dumps({"row": "x"})).encode())
    d, _ = run(sm, s3, bucket, [augmented_channel(f"s3://{bucket}/aug/bad.manifest", ["source-ref"])])
    assert d["TrainingJobStatus"] == "Failed"
    assert d["FailureReason"] == (f"ClientError: Data download failed: augmented manifest s3://{bucket}/aug/bad.manifest, "
                                  "line 2: no attribute 'source-ref'")


def test_algorithm_channels_decide_pipe(sm, s3, bucket):
    # An algorithm whose channel supports Pipe only validates with a Pipe
    # profile; one supporting File only refuses a Pipe job.
    b = new_bucket(s3, "pipe-algo")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    doc = algorithm(uniq("pipe-algo"), b, transform=False)
    doc["TrainingSpecification"]["TrainingChannels"][0]["SupportedInputModes"] = ["Pipe"]
    doc["ValidationSpecification"]["ValidationProfiles"][0]["TrainingJobDefinition"]["TrainingInputMode"] = "Pipe"
    sm.create_algorithm(**doc)
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=doc["AlgorithmName"]), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Completed", d.get("AlgorithmStatusDetails")

    file_only = algorithm(uniq("file-algo"), b, transform=False)
    del file_only["ValidationSpecification"]
    file_only["CertifyForMarketplace"] = False
    sm.create_algorithm(**file_only)
    req = training_request(uniq("bad"), b, [pipe_channel(f"s3://{b}/train/")])
    del req["AlgorithmSpecification"]["TrainingImage"]
    del req["AlgorithmSpecification"]["MetricDefinitions"]
    req["AlgorithmSpecification"]["AlgorithmName"] = file_only["AlgorithmName"]
    with pytest.raises(ClientError) as e:
        sm.create_training_job(**req)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and "Input mode Pipe is not supported by channel" in message, message


SDK_SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.estimator import Estimator
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    est = Estimator(image_uri=args["image"], role="arn:aws:iam::123456789012:role/SellerRole",
                    instance_count=1, instance_type="ml.m5.large", sagemaker_session=sess,
                    output_path=f"s3://{args['bucket']}/sdk-out", max_run=600, input_mode="Pipe",
                    hyperparameters={"epochs": 150})
    est.fit({"train": f"s3://{args['bucket']}/train/"}, job_name=args["job"], logs=False)
    desc = sess.sagemaker_client.describe_training_job(TrainingJobName=args["job"])
    print("STATUS=" + desc["TrainingJobStatus"])
    print("MODE=" + desc["AlgorithmSpecification"]["TrainingInputMode"])
""")


def test_sdk_estimator_in_pipe_mode(server, bucket, tmp_path):
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    args = {"bucket": bucket, "image": SAMPLE_IMAGE, "job": uniq("sdk-pipe")}
    out = subprocess.run([sys.executable, "-c", SDK_SCRIPT, json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "STATUS=Completed" in out.stdout and "MODE=Pipe" in out.stdout, out.stdout


def test_a_restarted_server_feeds_the_reattached_container(server_factory):
    srv = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "pipe-restart")
    put_training_data(s3, b)
    name = uniq("pipe-survivor")
    # The sample sleeps 4 s before it opens train_0: the server dies before.
    arn = sm.create_training_job(**training_request(
        name, b, [pipe_channel(f"s3://{b}/train/")],
        hyper={"mode": "slow", "seconds": "4", "pipe_passes": "2"}))["TrainingJobArn"]
    wait_for_container(arn)
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.start()
    sm = srv.client()
    d = wait_for(sm, name, timeout=90)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert containers_of(arn) == []
