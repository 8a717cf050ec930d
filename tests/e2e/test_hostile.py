"""A hostile seller's containers (docs/architecture.md "Security model"): what a container leaves in
/opt/ml is read without following its links and with bounds, isolated
inference containers reach nothing, floods of output keep their last
lines, and no container gets more processes than the limit. Every image
here is the FROM-scratch busybox one: the hostility is in the scripts."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import tarfile
import time
import uuid

import pytest

from e2e_helpers import TEST_ACCOUNT_ENV
from jobs_helpers import (
    ensure_images, shell_job, split_uri, uniq, wait_for, wait_for_container,
)
from s3_helpers import new_bucket, s3 as s3_client

# A host file no account may read; the tests plant links to it.
SECRET = b"slipway-host-secret-" + uuid.uuid4().hex.encode()


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "secret.txt"
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def s3(jobs_server):
    return s3_client(jobs_server)


@pytest.fixture(scope="module")
def bucket(s3):
    return new_bucket(s3, "hostile")


def tar_members(s3, uri: str) -> dict[str, tarfile.TarInfo | bytes]:
    """Every member of a tar.gz object: bytes for regular files, the
    TarInfo for anything else (links keep their target in .linkname)."""
    b, k = split_uri(uri)
    body = s3.get_object(Bucket=b, Key=k)["Body"].read()
    assert SECRET not in body, "the host secret leaked into the archive (compressed bytes)"
    out: dict[str, tarfile.TarInfo | bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        for m in tar.getmembers():
            f = tar.extractfile(m) if m.isfile() else None
            out[m.name] = f.read() if f is not None else m
    for v in out.values():
        assert not (isinstance(v, bytes) and SECRET in v), "the host secret leaked into the archive"
    return out


def all_objects(s3, bucket: str, prefix: str) -> dict[str, bytes]:
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return out


def test_links_in_model_and_output_are_stored_as_links_never_followed(sm, s3, bucket, secret_file):
    name = uniq("links")
    script = f"""
# The mount points themselves cannot be replaced (each is a mount).
rm -rf /opt/ml/model /opt/ml/output/data 2>/dev/null
ln -s / /opt/ml/model/root 2>/dev/null
ln -s {secret_file} /opt/ml/model/secret
ln -s /proc/self/cwd /opt/ml/model/server-cwd
mkdir -p /opt/ml/model/sub && echo real > /opt/ml/model/sub/real.txt
ln -s {secret_file} /opt/ml/output/data/secret
ln -s {secret_file.parent} /opt/ml/output/data/dir
mkfifo /opt/ml/model/pipe
echo done
"""
    sm.create_training_job(**shell_job(s3, name, bucket, script))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    model = tar_members(s3, d["ModelArtifacts"]["S3ModelArtifacts"])
    assert model["sub/real.txt"] == b"real\n"
    assert model["secret"].issym() and model["secret"].linkname == str(secret_file)
    assert model["server-cwd"].issym() and model["server-cwd"].linkname == "/proc/self/cwd"
    assert model["root"].issym() and model["root"].linkname == "/"
    assert "pipe" not in model
    out_uri = d["ModelArtifacts"]["S3ModelArtifacts"].replace("model.tar.gz", "output.tar.gz")
    output = tar_members(s3, out_uri)
    assert output["secret"].issym() and output["dir"].issym()


def test_uncompressed_outputs_and_checkpoints_skip_links(sm, s3, bucket, secret_file):
    name = uniq("nolinks")
    script = f"""
echo weights > /opt/ml/model/w.bin
ln -s {secret_file} /opt/ml/model/secret
mkdir -p /opt/ml/model/d && ln -s {secret_file.parent} /opt/ml/model/d/up
echo step > /opt/ml/checkpoints/ckpt-1
ln -s {secret_file} /opt/ml/checkpoints/secret
"""
    req = shell_job(s3, name, bucket, script,
                    CheckpointConfig={"S3Uri": f"s3://{bucket}/ckpt/{name}/"})
    req["OutputDataConfig"]["CompressionType"] = "NONE"
    sm.create_training_job(**req)
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    model = all_objects(s3, bucket, f"output/{name}/output/model/")
    assert list(model) == [f"output/{name}/output/model/w.bin"], list(model)
    ckpt = all_objects(s3, bucket, f"ckpt/{name}/")
    assert list(ckpt) == [f"ckpt/{name}/ckpt-1"], list(ckpt)
    assert all(SECRET not in v for v in list(model.values()) + list(ckpt.values()))


@pytest.mark.parametrize("plant, says", [
    ("ln -s {secret} /opt/ml/output/failure", "is a symbolic link, which is not read"),
    ("mkfifo /opt/ml/output/failure", "is a FIFO, which is not read"),
    ("ln -s /dev/zero /opt/ml/output/failure", "is a symbolic link, which is not read"),
])
def test_a_failure_file_that_is_not_a_plain_file_is_not_read(sm, s3, bucket, secret_file, plant, says):
    name = uniq("failink")
    script = plant.format(secret=secret_file) + "\necho planted; exit 2\n"
    started = time.time()
    sm.create_training_job(**shell_job(s3, name, bucket, script))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Failed"
    reason = d["FailureReason"]
    assert SECRET.decode() not in reason
    assert reason.startswith("AlgorithmError: the training container exited with code 2"), reason
    assert says in reason and "planted" in reason, reason
    assert time.time() - started < 60


def _peak_rss(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_a_huge_failure_file_is_read_up_to_a_bound(jobs_server, sm, s3, bucket):
    """200 MB of failure text: the reason is its first 1,024 characters and
    the server's peak memory does not grow by the file's size (it used to
    read the whole file, twice over)."""
    name = uniq("bigfail")
    script = "head -c 200000000 /dev/zero | tr '\\0' 'y' > /opt/ml/output/failure; exit 1\n"
    before = _peak_rss(jobs_server.proc.pid)
    sm.create_training_job(**shell_job(s3, name, bucket, script))
    d = wait_for(sm, name, timeout=180)
    reason = d["FailureReason"]
    assert len(reason) == 1024 and reason.startswith("AlgorithmError: yyyy"), reason[:40]
    assert set(reason[len("AlgorithmError: "):-1]) == {"y"}, reason[-5:]
    grown = _peak_rss(jobs_server.proc.pid) - before
    assert grown < 100_000_000, f"peak RSS grew by {grown} bytes"


def test_every_container_gets_an_explicit_pids_limit(sm, s3, bucket):
    name = uniq("pids")
    # PID 1 ignores SIGTERM unless it traps it: trap it, so the stop is quick.
    script = "trap 'exit 0' TERM\nsleep 60 &\nwait\n"
    arn = sm.create_training_job(**shell_job(s3, name, bucket, script))["TrainingJobArn"]
    c = wait_for_container(arn)
    inspect = json.loads(subprocess.run(["podman", "inspect", c["Id"]], check=True,
                                        capture_output=True, text=True).stdout)[0]
    assert inspect["HostConfig"]["PidsLimit"] == 4096
    sm.stop_training_job(TrainingJobName=name)
    wait_for(sm, name, timeout=60)


def test_a_log_flood_keeps_its_last_lines_and_says_it_was_cut(jobs_server, sm, s3, bucket):
    """About 150 MB of output, then the line that matters: it is in
    CloudWatch, after a marker saying what was not stored, and the job's
    terminal status message says the log was truncated."""
    name = uniq("flood")
    script = ("i=0; line=$(head -c 1000 /dev/zero | tr '\\0' 'x')\n"
              "yes \"$line\" | head -n 150000\n"
              "echo 'THE REAL ERROR IS HERE'\n")
    sm.create_training_job(**shell_job(s3, name, bucket, script))
    d = wait_for(sm, name, timeout=300)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    last = d["SecondaryStatusTransitions"][-1]
    assert "log lines were not stored" in last["StatusMessage"] or "log was truncated" in last["StatusMessage"], last
    logs = jobs_server.client(service="logs")
    stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                       logStreamNamePrefix=name)["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream,
                                 startFromHead=False, limit=1200)["events"]
    messages = [e["message"] for e in events]
    assert messages[-1] == "THE REAL ERROR IS HERE", messages[-3:]
    # The marker stands just before the kept last lines (at most 1,000).
    markers = [i for i, m in enumerate(messages) if m.startswith("[slipway] ")]
    assert len(markers) == 1, [messages[i] for i in markers]
    assert "not stored" in messages[markers[0]], messages[markers[0]]
    assert len(messages) - markers[0] - 1 <= 1000


def test_a_log_flood_on_host_2_is_noted_naming_it(server_factory):
    """On two hosts, only algo-2 floods its log: the job's terminal status
    message names algo-2, and algo-1's stream has no marker. On a server of
    its own: 128 MiB of log rows would slow every later log query of the
    shared one."""
    jobs_server = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, s3 = jobs_server.client(), s3_client(jobs_server)
    bucket = new_bucket(s3, "flood")
    name = uniq("flood-2")
    script = ("if [ \"$(hostname)\" = algo-2 ]; then\n"
              "  line=$(head -c 1000 /dev/zero | tr '\\0' 'x')\n"
              "  yes \"$line\" | head -n 150000\n"
              "fi\n"
              "echo done\n")
    req = shell_job(s3, name, bucket, script)
    req["ResourceConfig"]["InstanceCount"] = 2
    sm.create_training_job(**req)
    d = wait_for(sm, name, timeout=300)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    last = d["SecondaryStatusTransitions"][-1]["StatusMessage"]
    assert "Note: algo-2: " in last and ("not stored" in last or "truncated" in last), last
    assert "algo-1" not in last.replace("algo-2", ""), last
    logs = jobs_server.client(service="logs")
    for host, marked in (("algo-1", False), ("algo-2", True)):
        stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                           logStreamNamePrefix=f"{name}/{host}-")["logStreams"][0]["logStreamName"]
        events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream,
                                     startFromHead=False, limit=1200)["events"]
        messages = [e["message"] for e in events]
        assert messages[-1] == "done", (host, messages[-3:])
        assert any(m.startswith("[slipway] ") for m in messages) == marked, host


def test_half_open_connections_are_closed(jobs_server):
    """A client that connects and never sends a whole request head is
    disconnected after the header-read timeout (30 s)."""
    host, port = jobs_server.endpoint.split("//", 1)[1].split(":")
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
    s.settimeout(60)
    started = time.time()
    data = s.recv(4096)
    elapsed = time.time() - started
    assert elapsed < 45, elapsed
    # Closed (empty read) or answered with a timeout status, never held open.
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), data
    s.close()


def test_a_relative_data_dir_runs_jobs(server_factory, tmp_path):
    """`--data-dir ./slipway-data` (the README's own) used to fail every
    job: bind sources were passed relative and the engine resolved them
    against its own working directory."""
    from pathlib import Path
    srv = server_factory(Path("slipway-data"), env=dict(TEST_ACCOUNT_ENV), cwd=tmp_path).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "reldir")
    name = uniq("reldir")
    sm.create_training_job(**shell_job(s3, name, b, "echo hello > /opt/ml/model/hello.txt\n"))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert (tmp_path / "slipway-data" / "metadata.sqlite").exists()


def _host_address() -> str:
    """A non-loopback address of this host (where a server on 0.0.0.0
    would answer)."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return out[0] if out else "10.0.2.15"


def test_isolated_inference_containers_have_no_network_and_still_serve(sm, s3, bucket):
    """An isolated transform container has only its loopback: no address
    another container could reach, no route to the host's ports. The
    server still drives it (through its own namespace)."""
    prefix = f"in/{uniq('iso')}/"
    for i in range(3):
        s3.put_object(Bucket=bucket, Key=f"{prefix}r{i}.csv", Body=f"{i},1\n".encode())
    model = uniq("isomodel")
    sm.create_model(ModelName=model, ExecutionRoleArn="arn:aws:iam::123456789012:role/SlipwayTests",
                    PrimaryContainer={"Image": "localhost/slipway-sample:latest",
                                      "Environment": {"SAMPLE_MODE": "echo", "SAMPLE_DELAY_MS": "1500"}},
                    EnableNetworkIsolation=True)
    name = uniq("isotj")
    arn = sm.create_transform_job(
        TransformJobName=name, ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}"}},
                        "ContentType": "text/csv"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/out/{name}"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})["TransformJobArn"]
    c = wait_for_container(arn, timeout=60)
    inspect = json.loads(subprocess.run(["podman", "inspect", c["Id"]], check=True,
                                        capture_output=True, text=True).stdout)[0]
    assert inspect["HostConfig"]["NetworkMode"] == "none", inspect["HostConfig"]["NetworkMode"]
    pid = str(inspect["State"]["Pid"])
    nets = subprocess.run(["nsenter", "-t", pid, "-n", "cat", "/proc/net/dev"], check=True,
                          capture_output=True, text=True).stdout
    names = [line.split(":")[0].strip() for line in nets.splitlines()[2:]]
    assert names == ["lo"], names
    # The host's own address (where anything on 0.0.0.0 answers): no route.
    probe = subprocess.run(["nsenter", "-t", pid, "-n", "/bin/busybox", "nc", "-w", "2",
                            _host_address(), "22"], capture_output=True, text=True, input="")
    assert probe.returncode != 0, probe
    deadline = time.time() + 120
    while True:
        d = sm.describe_transform_job(TransformJobName=name)
        if d["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            break
        assert time.time() < deadline
        time.sleep(0.25)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    outs = all_objects(s3, bucket, f"out/{name}/")
    assert sorted(outs) == [f"out/{name}/r{i}.csv.out" for i in range(3)], sorted(outs)
    assert outs[f"out/{name}/r1.csv.out"] == b"1,1\n"
