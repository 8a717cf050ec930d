"""Durability: every acknowledged change survives SIGKILL and a full disk,
and nothing half-written is visible after a restart."""

from __future__ import annotations

import errno
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from e2e_helpers import Slipway, algorithm_doc, assert_described, model_package_doc, simple_inference_spec

THREADS = 8
KILL_AFTER = 0.5

ALG_MEMBERS = ["AlgorithmName", "AlgorithmDescription", "TrainingSpecification", "InferenceSpecification",
               "ValidationSpecification", "CertifyForMarketplace"]
MP_MEMBERS = ["ModelPackageName", "ModelPackageDescription", "InferenceSpecification", "ValidationSpecification",
              "CertifyForMarketplace"]


def _storm(server, account_id, group):
    """Create algorithms, unversioned packages and versions from THREADS
    threads until the server dies. Returns (sent, acked, version_sent,
    version_acked)."""
    lock = threading.Lock()
    sent: dict[str, tuple[str, dict]] = {}
    acked: dict[str, str] = {}
    version_sent: dict[str, dict] = {}  # description -> doc
    version_acked: dict[str, str] = {}  # arn -> description
    errors: list[str] = []
    stop = threading.Event()

    # clients are built up front: building one takes longer than the storm lasts
    clients = [server.client(connect_timeout=2, read_timeout=10) for _ in range(THREADS)]
    go = threading.Event()

    def worker(t: int) -> None:
        c = clients[t]
        go.wait()
        n = 0
        while not stop.is_set():
            n += 1
            kind = ("alg", "mp", "ver")[n % 3]
            try:
                if kind == "alg":
                    name = f"storm-alg-{t}-{n}"
                    doc = algorithm_doc(account_id, name, AlgorithmDescription=f"algorithm {t}/{n}")
                    with lock:
                        sent[name] = ("alg", doc)
                    arn = c.create_algorithm(**doc)["AlgorithmArn"]
                    with lock:
                        acked[name] = arn
                elif kind == "mp":
                    name = f"storm-mp-{t}-{n}"
                    doc = model_package_doc(account_id, name, ModelPackageDescription=f"package {t}/{n}")
                    with lock:
                        sent[name] = ("mp", doc)
                    arn = c.create_model_package(**doc)["ModelPackageArn"]
                    with lock:
                        acked[name] = arn
                else:
                    desc = f"version {t}/{n}"
                    doc = {"ModelPackageGroupName": group, "ModelPackageDescription": desc,
                           "InferenceSpecification": simple_inference_spec(account_id)}
                    with lock:
                        version_sent[desc] = doc
                    arn = c.create_model_package(**doc)["ModelPackageArn"]
                    with lock:
                        version_acked[arn] = desc
            except ClientError as e:
                with lock:
                    errors.append(f"{kind}: {e}")
            except BotoCoreError:
                if not server.alive():
                    return
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    for th in threads:
        th.start()
    go.set()
    t0 = time.monotonic()
    time.sleep(KILL_AFTER)
    while len(acked) + len(version_acked) < 20 and time.monotonic() - t0 < 10:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for th in threads:
        th.join(30)
    assert not errors, f"the storm itself produced errors before the kill: {errors[:5]}"
    return sent, acked, version_sent, version_acked


def _list_all(c, op, key, **kw):
    out = []
    for page in c.get_paginator(op).paginate(**kw):
        out += page[key]
    return out


def test_sigkill_mid_create_storm(fresh_server):
    s = fresh_server
    account_id = s.account_id
    group = "storm-group"
    s.client().create_model_package_group(ModelPackageGroupName=group)
    extra = s.create_account("storm-extra")

    sent, acked, version_sent, version_acked = _storm(s, account_id, group)
    assert not s.alive()
    print(f"\nstorm: {len(sent) + len(version_sent)} creates sent, {len(acked) + len(version_acked)} acknowledged")
    assert len(acked) + len(version_acked) >= 20, "the storm was too small to mean anything"
    old_keys = (s.access_key, s.secret_key)

    s.start()  # same data dir, new process
    assert (s.access_key, s.secret_key) == old_keys, "the default account's keys changed across restart"
    c = s.client()

    # every acknowledged create is there, exactly as sent
    for name, arn in sorted(acked.items()):
        kind, doc = sent[name]
        if kind == "alg":
            d = c.describe_algorithm(AlgorithmName=name)
            assert d["AlgorithmArn"] == arn
            assert_described(doc, d, ALG_MEMBERS)
            assert d["AlgorithmStatus"] == "Pending"
        else:
            d = c.describe_model_package(ModelPackageName=name)
            assert d["ModelPackageArn"] == arn
            assert_described(doc, d, MP_MEMBERS)
            assert d["ModelPackageStatus"] == "Pending"
    for arn, desc in version_acked.items():
        d = c.describe_model_package(ModelPackageName=arn)
        assert d["ModelPackageDescription"] == desc
        assert_described(version_sent[desc], d, ["InferenceSpecification"])

    # nothing half-written: every listed item describes fine, with content that was sent
    algs = _list_all(c, "list_algorithms", "AlgorithmSummaryList")
    listed_algs = {a["AlgorithmName"] for a in algs}
    assert {n for n, (k, _) in sent.items() if k == "alg" and n in acked} <= listed_algs
    for a in algs:
        assert a["AlgorithmName"] in sent, f"listed algorithm nobody created: {a}"
        d = c.describe_algorithm(AlgorithmName=a["AlgorithmName"])
        assert_described(sent[a["AlgorithmName"]][1], d, ALG_MEMBERS)

    pkgs = _list_all(c, "list_model_packages", "ModelPackageSummaryList")
    assert {n for n, (k, _) in sent.items() if k == "mp" and n in acked} <= {p["ModelPackageName"] for p in pkgs}
    for p in pkgs:
        assert p["ModelPackageName"] in sent, f"listed package nobody created: {p}"
        d = c.describe_model_package(ModelPackageName=p["ModelPackageArn"])
        assert_described(sent[p["ModelPackageName"]][1], d, MP_MEMBERS)

    versions = _list_all(c, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=group)
    numbers = [v["ModelPackageVersion"] for v in versions]
    assert numbers == list(range(1, len(numbers) + 1)), f"versions are not 1..n without gaps or repeats: {numbers}"
    assert set(version_acked) <= {v["ModelPackageArn"] for v in versions}
    for v in versions:
        d = c.describe_model_package(ModelPackageName=v["ModelPackageArn"])
        assert d["ModelPackageDescription"] in version_sent, f"version with content nobody sent: {d}"

    # new writes work after recovery and continue the numbering
    arn = c.create_model_package(ModelPackageGroupName=group, InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"]
    assert arn.endswith(f"/{group}/{len(numbers) + 1}")

    # accounts survive too
    e = s.client(extra)
    e.create_model_package_group(ModelPackageGroupName="after-restart")
    assert e.describe_model_package_group(ModelPackageGroupName="after-restart")["ModelPackageGroupArn"].split(":")[4] \
        == extra.account_id


def test_acknowledged_delete_and_update_survive_sigkill(fresh_server):
    s = fresh_server
    c = s.client()
    acct = s.account_id
    c.create_algorithm(**algorithm_doc(acct, "gone-alg"))
    c.create_model_package_group(ModelPackageGroupName="kept-group")
    arn = c.create_model_package(ModelPackageGroupName="kept-group", InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"]
    c.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    c.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    c.delete_algorithm(AlgorithmName="gone-alg")
    s.kill()
    s.start()
    c = s.client()
    with pytest.raises(ClientError):
        c.describe_algorithm(AlgorithmName="gone-alg")
    d = c.describe_model_package(ModelPackageName=arn)
    assert (d["ModelApprovalStatus"], d.get("ApprovalDescription")) == ("Approved", "ok")
    assert c.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_accounts_and_keys_survive_restart(fresh_server):
    s = fresh_server
    acct = s.account_id
    b = s.create_account("durable-b")
    s.client(b).create_model_package_group(ModelPackageGroupName="b-group")
    old = s.export
    s.stop()
    s.start()
    assert s.export["AWS_ACCESS_KEY_ID"] == old["AWS_ACCESS_KEY_ID"]
    assert s.export["AWS_SECRET_ACCESS_KEY"] == old["AWS_SECRET_ACCESS_KEY"]
    assert s.client().list_algorithms()["AlgorithmSummaryList"] == []
    s._account_id = None
    assert s.account_id == acct, "the default account is the same account after restart"
    groups = s.client(b).list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert [g["ModelPackageGroupName"] for g in groups] == ["b-group"]
    assert groups[0]["ModelPackageGroupArn"].split(":")[4] == b.account_id


# -- a full disk -------------------------------------------------------------

# Bodies up to 64 KiB live in the metadata rows, larger ones in blob files:
# both paths meet the full disk.
FULL_DISK_SIZES = [300, 5_000, 40_000, 100_000, 300_000]
# What a refusal may look like: a 5xx in AWS's shape (S3 XML / SageMaker JSON).
REFUSALS = {"InternalError", "InternalFailure", "ServiceUnavailable", "SlowDown"}


@pytest.fixture
def small_disk_server(tmp_path):
    """A server whose --data-dir is a 24 MiB tmpfs mounted for the test (its
    log stays outside, on the parent directory). Unmounted, lazily, even when
    the test fails; skipped with the reason when mounting is not allowed."""
    data = tmp_path / "data"
    data.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(data)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({r.stderr.decode().strip()}); run as root to test disk-full")
    s = Slipway(data, env={"SLIPWAY_JOBS": "off"})
    try:
        yield s.start()
    finally:
        s.stop()
        s.kill()
        subprocess.run(["umount", "-l", str(data)], check=False)


def _fill(directory, leave: int):
    """Fills the file system under `directory` with one file, then gives
    back `leave` bytes of it. Only ever the small tmpfs the test mounted:
    it checks, and never writes more than 64 MiB."""
    assert os.path.ismount(directory), f"{directory} is not the test's tmpfs"
    path = directory / "filler.bin"
    size = 0
    block = b"\xa5" * (1 << 20)
    with open(path, "wb", buffering=0) as f:
        while True:
            assert size < 64 << 20, "the file system is larger than the tmpfs the test mounted"
            try:
                n = f.write(block)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                # a partial block may have landed: count what is there
                size = f.seek(0, os.SEEK_END)
                break
            size += n
        f.truncate(max(0, size - leave))
    return path


class _Ledger:
    """What each write answered: acknowledged, refused (5xx in AWS's shape),
    or anything else (a hang, a 4xx, a malformed error), which fails the test."""

    def __init__(self):
        self.lock = threading.Lock()
        self.objects: dict[str, bytes] = {}
        self.groups: set[str] = set()
        self.refused_objects: set[str] = set()
        self.refused_groups: set[str] = set()
        self.codes: dict[str, int] = {}
        self.unexpected: list[str] = []

    def run(self, kind: str, name: str, call, body: bytes | None = None) -> None:
        try:
            call()
        except ClientError as e:
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            code = e.response["Error"]["Code"]
            with self.lock:
                if status >= 500 and code in REFUSALS:
                    (self.refused_objects if kind == "put" else self.refused_groups).add(name)
                    self.codes[f"{status} {code}"] = self.codes.get(f"{status} {code}", 0) + 1
                else:
                    self.unexpected.append(f"{kind} {name}: {status} {code} {e}")
            return
        except Exception as e:  # a timeout is a hang: the write must be answered
            with self.lock:
                self.unexpected.append(f"{kind} {name}: {type(e).__name__}: {e}")
            return
        with self.lock:
            if kind == "put":
                self.objects[name] = body
            else:
                self.groups.add(name)

    @property
    def refused(self) -> int:
        return len(self.refused_objects) + len(self.refused_groups)


_CLIENTS: dict[str, tuple] = {}


def _clients(s) -> tuple:
    """(S3, SageMaker) clients for the server's current endpoint (a restart
    changes the port); built once each, as building one takes longer than
    the writes of a round."""
    if s.endpoint not in _CLIENTS:
        _CLIENTS[s.endpoint] = (s.client(service="s3", s3={"addressing_style": "path"}, read_timeout=20),
                                s.client(read_timeout=20))
    return _CLIENTS[s.endpoint]


def _write_round(s, bucket: str, tag: str, ledger: _Ledger) -> None:
    """Concurrent PutObjects of assorted sizes and CreateModelPackageGroups."""
    s3c, sm = _clients(s)
    jobs = []
    for i in range(40):
        key = f"{tag}/obj-{i}"
        body = os.urandom(FULL_DISK_SIZES[i % len(FULL_DISK_SIZES)])
        jobs.append(("put", key, lambda k=key, b=body: s3c.put_object(Bucket=bucket, Key=k, Body=b), body))
        if i % 4 == 0:
            name = f"{tag}-group-{i}"
            jobs.append(("group", name, lambda n=name: sm.create_model_package_group(ModelPackageGroupName=n), None))
    with ThreadPoolExecutor(8) as pool:
        for f in [pool.submit(ledger.run, *job) for job in jobs]:
            f.result()


def _check_ledger(s, bucket: str, baseline: set[str], ledger: _Ledger, when: str) -> None:
    """Every acknowledged write is readable, whole; every refused one is
    absent, from reads and from listings."""
    s3c, sm = _clients(s)
    lost = []
    for key, body in ledger.objects.items():
        try:
            if s3c.get_object(Bucket=bucket, Key=key)["Body"].read() != body:
                lost.append(f"{key} (other bytes)")
        except ClientError as e:
            lost.append(f"{key} ({e.response['Error']['Code']})")
    for name in ledger.groups:
        try:
            sm.describe_model_package_group(ModelPackageGroupName=name)
        except ClientError as e:
            lost.append(f"{name} ({e.response['Error']['Code']})")
    acked = len(ledger.objects) + len(ledger.groups)
    assert not lost, f"{when}: {len(lost)} of {acked} acknowledged writes lost: {sorted(lost)[:8]}"
    listed = {o["Key"] for p in s3c.get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in p.get("Contents", [])}
    assert listed == set(ledger.objects) | baseline, \
        f"{when}: refused puts listed: {sorted(listed & ledger.refused_objects)[:8]}"
    groups = {g["ModelPackageGroupName"] for p in sm.get_paginator("list_model_package_groups").paginate()
              for g in p["ModelPackageGroupSummaryList"]}
    assert groups == ledger.groups, f"{when}: refused groups listed: {sorted(groups & ledger.refused_groups)[:8]}"
    for key in sorted(ledger.refused_objects)[:10]:
        with pytest.raises(ClientError) as e:
            s3c.get_object(Bucket=bucket, Key=key)
        assert e.value.response["Error"]["Code"] == "NoSuchKey", when


def test_writes_through_a_full_disk_are_answered_truthfully_and_survive_restart(small_disk_server):
    """The data directory fills up mid-storm. Every write is answered (no
    hang): 200 and durable, or a 5xx in AWS's shape and absent. Once space is
    back, writes work again without a restart; after a restart and after a
    SIGKILL every acknowledged write is still there."""
    s = small_disk_server
    s3c, _ = _clients(s)
    bucket = "full-disk"
    s3c.create_bucket(Bucket=bucket)
    s3c.put_object(Bucket=bucket, Key="baseline", Body=b"before the disk filled")
    baseline = {"baseline"}
    ledger = _Ledger()

    filler = _fill(s.data_dir, leave=256 * 1024)
    t0 = time.monotonic()
    _write_round(s, bucket, "full-a", ledger)
    _write_round(s, bucket, "full-b", ledger)
    print(f"\nfull disk: {ledger.refused} refused ({ledger.codes}), "
          f"{len(ledger.objects) + len(ledger.groups)} acknowledged, in {time.monotonic() - t0:.1f}s")
    assert not ledger.unexpected, ledger.unexpected[:5]
    assert ledger.refused >= 10, "the full disk refused (almost) nothing: the test proves nothing"
    _check_ledger(s, bucket, baseline, ledger, "disk full")

    filler.unlink()
    refused = ledger.refused
    _write_round(s, bucket, "after", ledger)
    assert not ledger.unexpected, ledger.unexpected[:5]
    assert ledger.refused == refused, "writes still refused after space came back"
    _check_ledger(s, bucket, baseline, ledger, "space back")

    s.stop()
    s.start()
    _check_ledger(s, bucket, baseline, ledger, "after a restart")
    s.kill()
    s.start()
    _check_ledger(s, bucket, baseline, ledger, "after a SIGKILL")
    s3c, _ = _clients(s)  # the port changed
    assert s3c.get_object(Bucket=bucket, Key="baseline")["Body"].read() == b"before the disk filled"
