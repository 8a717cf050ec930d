"""The sample seller's readiness misbehaviours, run with podman directly
(no Slipway server): each serve mode and image variant shows its one
problem and otherwise behaves. Images: samples/build-sample-image.sh and
samples/build-readiness-images.sh (built here when missing). No traffic
leaves the machine: ports are published on 127.0.0.1 and the dial-out runs
with `--network none`. The last test runs the valid no-entrypoint variant
through a real `slipway serve` (algorithm validation)."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time

import pytest

from jobs_helpers import (READINESS_IMAGES, ROLE, SAMPLE_IMAGE, ensure_images,
                          ensure_readiness_images, linear_rows, uniq)
from s3_helpers import new_bucket, s3 as s3_client

BODY_CAP = 5 * 1024 * 1024
# The image's baked-in model: y = 0.5·x1 + 0.25·x2 + 10.
ROW, PREDICTION = "1,1\n", "10.75\n"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()
    ensure_readiness_images()


@pytest.fixture
def run():
    """Starts containers (`podman run --rm -d ...`) and removes them after."""
    started: list[str] = []

    def start(image: str, *args: str, env: dict | None = None, publish: bool = True,
              opts: tuple = ()) -> str:
        cmd = ["podman", "run", "--rm", "-d", *opts]
        if publish:
            cmd += ["-p", "127.0.0.1::8080"]
        for k, v in (env or {}).items():
            cmd += ["-e", f"{k}={v}"]
        cid = subprocess.run(cmd + [image, *args], check=True, capture_output=True,
                             text=True).stdout.strip()
        started.append(cid)
        return cid

    yield start
    for cid in started:
        subprocess.run(["podman", "rm", "-f", "-t", "0", cid], capture_output=True)


def logs(cid: str) -> str:
    out = subprocess.run(["podman", "logs", cid], capture_output=True, text=True)
    return out.stdout + out.stderr


def wait_log(cid: str, needle: str, limit: float = 15) -> str:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        text = logs(cid)
        if needle in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"no {needle!r} in the logs within {limit} s:\n{logs(cid)}")


def port(cid: str) -> int:
    """The host port published for 8080, once the server listens."""
    wait_log(cid, "listening on")
    out = subprocess.run(["podman", "port", cid, "8080"], check=True, capture_output=True,
                         text=True).stdout
    return int(out.strip().splitlines()[0].rsplit(":", 1)[1])


def request(p: int, method: str, path: str, body: bytes | None = None,
            timeout: float = 20) -> tuple[int, str, str, float]:
    """(status, reason, body, seconds) of one request through http.client."""
    conn = http.client.HTTPConnection("127.0.0.1", p, timeout=timeout)
    t = time.monotonic()
    headers = {"Content-Type": "text/csv"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read().decode()
    conn.close()
    return resp.status, resp.reason, data, time.monotonic() - t


def test_slow_ping_answers_after_the_default_3_s(run):
    p = port(run(SAMPLE_IMAGE, "serve", env={"SAMPLE_MODE": "slow-ping"}))
    status, _, _, took = request(p, "GET", "/ping")
    assert status == 200
    assert 3.0 <= took < 6, took
    status, _, body, took = request(p, "POST", "/invocations", ROW.encode())
    assert (status, body) == (200, PREDICTION)
    assert took < 1.5, took


def test_body_cap_answers_nginx_413_over_5_mib(run):
    p = port(run(SAMPLE_IMAGE, "serve", env={"SAMPLE_MODE": "body-cap"}))
    # Only the headers: the 413 is decided from Content-Length, unread body.
    with socket.create_connection(("127.0.0.1", p), timeout=10) as s:
        s.sendall(f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                  f"Content-Length: {BODY_CAP + 1}\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    text = answer.decode()
    assert text.startswith("HTTP/1.1 413 Request Entity Too Large\r\n"), text
    assert "<center><h1>413 Request Entity Too Large</h1></center>" in text
    assert "<hr><center>nginx/1.22.1</center>" in text
    # Exactly 5 MiB is served (6 MiB is the sample's own limit).
    body = (ROW * (BODY_CAP // len(ROW))).encode()
    assert len(body) == BODY_CAP
    status, _, out, _ = request(p, "POST", "/invocations", body)
    assert status == 200
    assert out.count("\n") == BODY_CAP // len(ROW)


def test_slow_invoke_answers_correctly_after_the_delay(run):
    p = port(run(SAMPLE_IMAGE, "serve",
                 env={"SAMPLE_MODE": "slow-invoke", "SAMPLE_INVOKE_DELAY_MS": "1500"}))
    status, _, _, took = request(p, "GET", "/ping")
    assert status == 200 and took < 1.0, took
    status, _, body, took = request(p, "POST", "/invocations", ROW.encode())
    assert (status, body) == (200, PREDICTION)
    assert 1.5 <= took < 5, took


def test_dial_out_fails_fast_without_network_and_still_trains(run, tmp_path):
    root = tmp_path / "ml"
    (root / "input" / "data" / "train").mkdir(parents=True)
    rows = "".join(f"{2 * i + 1},{i}\n" for i in range(30))
    (root / "input" / "data" / "train" / "d.csv").write_text(rows)
    t = time.monotonic()
    out = subprocess.run(["podman", "run", "--rm", "--network", "none",
                          "-e", "SAMPLE_MODE=dial-out", "-v", f"{root}:/opt/ml",
                          SAMPLE_IMAGE, "train"], capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t
    assert out.returncode == 0, out.stderr
    assert "downloading weights from http://models.example.com/weights.bin" in out.stdout
    assert "weights download failed: " in out.stderr
    assert (root / "model" / "model.json").exists()
    assert took < 20, took

    # Serving, with a nameserver in resolv.conf (nothing answers on the
    # isolated loopback): the static binary really queries it, gives up
    # within the bound and serves all along.
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 127.0.0.1\n")
    t = time.monotonic()
    cid = run(SAMPLE_IMAGE, "serve", env={"SAMPLE_MODE": "dial-out"}, publish=False,
              opts=("--network", "none", "-v", f"{conf}:/etc/resolv.conf:ro"))
    text = wait_log(cid, "weights download failed: ")
    assert "weights download failed: cannot resolve models.example.com" in text, text
    assert "listening on 0.0.0.0:8080" in text, text
    assert time.monotonic() - t < 15


def test_arm64_image_says_arm64():
    arch = subprocess.run(["podman", "image", "inspect", "--format",
                           "{{.Os}}/{{.Architecture}}", READINESS_IMAGES["arm64"]],
                          check=True, capture_output=True, text=True).stdout.strip()
    assert arch == "linux/arm64"
    native = subprocess.run(["podman", "image", "inspect", "--format", "{{.Architecture}}",
                             SAMPLE_IMAGE], check=True, capture_output=True, text=True)
    assert native.stdout.strip() == "amd64"


def test_ignores_argv_serves_when_asked_to_train(run):
    p = port(run(READINESS_IMAGES["ignores-argv"], "train"))
    assert request(p, "GET", "/ping")[0] == 200


def test_no_entrypoint_runs_serve_and_train_from_path(run, tmp_path):
    image = READINESS_IMAGES["no-entrypoint"]
    entry = subprocess.run(["podman", "image", "inspect", "--format",
                            "{{json .Config.Entrypoint}}", image],
                           check=True, capture_output=True, text=True).stdout.strip()
    assert entry in ("null", "[]"), entry
    p = port(run(image, "serve"))
    assert request(p, "GET", "/ping")[0] == 200
    status, _, body, _ = request(p, "POST", "/invocations", ROW.encode())
    assert (status, body) == (200, PREDICTION)

    root = tmp_path / "ml"
    (root / "input" / "data" / "train").mkdir(parents=True)
    (root / "input" / "data" / "train" / "d.csv").write_text(
        "".join(f"{3 * i - 1},{i}\n" for i in range(30)))
    out = subprocess.run(["podman", "run", "--rm", "-v", f"{root}:/opt/ml", image, "train"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert (root / "model" / "model.json").exists()


def test_serve_not_executable_fails_to_start():
    image = READINESS_IMAGES["serve-not-executable"]
    # As the platform runs it: the runtime's PATH lookup skips a file
    # without the execute bit, so runc reports it as not found (exit 127).
    out = subprocess.run(["podman", "run", "--rm", image, "serve"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 127, out
    assert 'exec: "serve": executable file not found in $PATH' in out.stderr, out.stderr
    # By its full path the kernel's refusal shows: permission denied (126).
    out = subprocess.run(["podman", "run", "--rm", image, "/usr/local/bin/serve"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 126, out
    assert '"/usr/local/bin/serve": permission denied' in out.stderr, out.stderr
    # `train` (0755) in the same image is fine.
    ok = subprocess.run(["podman", "run", "--rm", image, "train"],
                        capture_output=True, text=True, timeout=60)
    assert "starting" in ok.stdout, ok


def test_nonroot_runs_as_1000_and_serves(run):
    image = READINESS_IMAGES["nonroot"]
    user = subprocess.run(["podman", "image", "inspect", "--format", "{{.Config.User}}", image],
                          check=True, capture_output=True, text=True).stdout.strip()
    assert user == "1000:1000"
    p = port(run(image, "serve"))
    status, _, body, _ = request(p, "POST", "/invocations", ROW.encode())
    assert (status, body) == (200, PREDICTION)


def test_no_entrypoint_image_validates_normally(jobs_server):
    """The valid variant through Slipway itself: algorithm validation (a
    training job, then a transform job, network-isolated) completes."""
    sm, s3 = jobs_server.client(), s3_client(jobs_server)
    image = READINESS_IMAGES["no-entrypoint"]
    b = new_bucket(s3, "noentry")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n")
    s3_prefix = {"S3DataType": "S3Prefix"}
    name = uniq("noentry")
    sm.create_algorithm(
        AlgorithmName=name,
        TrainingSpecification={
            "TrainingImage": image,
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"]}],
        },
        InferenceSpecification={
            "Containers": [{"Image": image}],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "smoke",
            "TrainingJobDefinition": {
                "TrainingInputMode": "File",
                "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {
                    "S3DataSource": {**s3_prefix, "S3Uri": f"s3://{b}/train/"}}}],
                "OutputDataConfig": {"S3OutputPath": f"s3://{b}/out/"},
                "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                   "VolumeSizeInGB": 1},
                "StoppingCondition": {"MaxRuntimeInSeconds": 300},
            },
            "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {
                    **s3_prefix, "S3Uri": f"s3://{b}/batch/"}},
                    "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{b}/batch-out/", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            },
        }]},
    )
    deadline = time.monotonic() + 120
    while (d := sm.describe_algorithm(AlgorithmName=name))["AlgorithmStatus"] not in (
            "Completed", "Failed"):
        assert time.monotonic() < deadline, d["AlgorithmStatus"]
        time.sleep(0.3)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    out = s3.get_object(Bucket=b, Key="batch-out/q.csv.out")["Body"].read().split()
    preds = [float(x) for x in out]
    assert abs(preds[0] - 2) < 0.05 and abs(preds[1] - 9) < 0.05, preds
