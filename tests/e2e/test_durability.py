"""Durability: every acknowledged change survives SIGKILL, and nothing
half-written is visible after a restart."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from e2e_helpers import algorithm_doc, assert_described, model_package_doc, simple_inference_spec

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
