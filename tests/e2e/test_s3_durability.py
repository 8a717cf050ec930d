"""S3 account isolation, hostile keys and crash safety (docs/architecture.md "Security model" and "Durability: disk full, kill and restart")."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time

import pytest
from botocore.exceptions import ClientError

from s3_helpers import error_code, files_under, md5, new_bucket, s3


def test_another_account_gets_access_denied_on_everything(server):
    owner = s3(server)
    b = new_bucket(owner)
    owner.put_object(Bucket=b, Key="secret", Body=b"mine")
    uid = owner.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    other = s3(server, server.create_account("s3-intruder"))
    calls = {
        "HeadBucket": lambda: other.head_bucket(Bucket=b),
        "GetBucketLocation": lambda: other.get_bucket_location(Bucket=b),
        "DeleteBucket": lambda: other.delete_bucket(Bucket=b),
        "CreateBucket": lambda: other.create_bucket(Bucket=b),
        "GetObject": lambda: other.get_object(Bucket=b, Key="secret"),
        "HeadObject": lambda: other.head_object(Bucket=b, Key="secret"),
        "PutObject": lambda: other.put_object(Bucket=b, Key="x", Body=b"x"),
        "DeleteObject": lambda: other.delete_object(Bucket=b, Key="secret"),
        "DeleteObjects": lambda: other.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "secret"}]}),
        "CopyObject(source)": lambda: other.copy_object(Bucket=new_bucket(other), Key="k",
                                                        CopySource={"Bucket": b, "Key": "secret"}),
        "CopyObject(dest)": lambda: other.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "secret"}),
        "ListObjects": lambda: other.list_objects(Bucket=b),
        "ListObjectsV2": lambda: other.list_objects_v2(Bucket=b),
        "CreateMultipartUpload": lambda: other.create_multipart_upload(Bucket=b, Key="k"),
        "UploadPart": lambda: other.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=1, Body=b"x"),
        "ListParts": lambda: other.list_parts(Bucket=b, Key="mp", UploadId=uid),
        "AbortMultipartUpload": lambda: other.abort_multipart_upload(Bucket=b, Key="mp", UploadId=uid),
        "CompleteMultipartUpload": lambda: other.complete_multipart_upload(
            Bucket=b, Key="mp", UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}),
        "ListMultipartUploads": lambda: other.list_multipart_uploads(Bucket=b),
    }
    for name, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        err = e.value.response
        want = "BucketAlreadyExists" if name == "CreateBucket" else "AccessDenied"
        if name in ("HeadBucket", "HeadObject"):  # no body on HEAD: the status says it
            assert err["ResponseMetadata"]["HTTPStatusCode"] == 403, name
        else:
            assert err["Error"]["Code"] == want, (name, err["Error"])
    assert b not in [x["Name"] for x in other.list_buckets()["Buckets"]]
    # Nothing changed for the owner.
    assert owner.get_object(Bucket=b, Key="secret")["Body"].read() == b"mine"
    assert [u["UploadId"] for u in owner.list_multipart_uploads(Bucket=b)["Uploads"]] == [uid]


def test_unsigned_and_unknown_key_requests_are_refused(server):
    from s3_helpers import curl
    b = new_bucket(s3(server))
    code, body = curl(f"{server.endpoint}/{b}/x")
    assert code == 403 and b"<Error>" in body
    from e2e_helpers import Account
    stranger = s3(server, Account(None, "AKIAUNKNOWNUNKNOWN00", "x" * 40))
    with pytest.raises(ClientError) as e:
        stranger.list_objects_v2(Bucket=b)
    assert error_code(e.value) == "InvalidAccessKeyId"


HOSTILE_KEYS = [
    "../escape.txt",
    "../../../../../../tmp/slipway-escape",
    "/leading/slash",
    "//double/leading",
    "a/../../b",
    "./dot",
    "ünïcødé/ключ/鍵.txt",
    "with space and +plus & = ?query#frag",
    "trailing/",
    "tab\tnewline\nkey",
]


def test_hostile_keys_round_trip_and_stay_inside_the_data_dir(fresh_server):
    root = fresh_server.data_dir.parent
    before = files_under(root)
    c = s3(fresh_server)
    b = new_bucket(c)
    # Every other body is over 64 KiB, so it lives in a blob file named by
    # Slipway; the small ones live in the metadata rows.
    bodies = {k: k.encode() * 3 + (b"x" * 70_000 if i % 2 == 0 else b"") for i, k in enumerate(HOSTILE_KEYS)}
    for k in HOSTILE_KEYS:
        c.put_object(Bucket=b, Key=k, Body=bodies[k])
    for k in HOSTILE_KEYS:
        assert c.get_object(Bucket=b, Key=k)["Body"].read() == bodies[k], k
    listed = [o["Key"] for p in c.get_paginator("list_objects_v2").paginate(Bucket=b) for o in p.get("Contents", [])]
    assert sorted(listed) == sorted(HOSTILE_KEYS)
    # NUL is not a valid key character for the clients' URL layer, but
    # must be harmless if a client sends it anyway.
    nul_stored = False
    try:
        c.put_object(Bucket=b, Key="nul\x00key", Body=b"nul")
        nul_stored = True
    except ClientError:
        pass
    if nul_stored:
        assert c.get_object(Bucket=b, Key="nul\x00key")["Body"].read() == b"nul"
        c.delete_object(Bucket=b, Key="nul\x00key")
    created = files_under(root) - before
    data = fresh_server.data_dir.name + "/"
    assert all(p.startswith(data) for p in created), [p for p in created if not p.startswith(data)]
    blob_names = [p.rsplit("/", 1)[-1] for p in created if p.startswith(data + "blobs/")]
    assert blob_names and all(re.fullmatch(r"[0-9a-f]{32}", n) for n in blob_names)
    assert not os.path.exists("/tmp/slipway-escape")
    for k in HOSTILE_KEYS:
        c.delete_object(Bucket=b, Key=k)
    c.delete_bucket(Bucket=b)


def test_sigkill_during_upload_storm_loses_nothing_acknowledged(fresh_server):
    """Writers PUT (single and multipart) as fast as they can; the server is
    SIGKILLed mid-storm. After a restart every acknowledged object is there
    with exactly its bytes, and every listed object is whole."""
    c = s3(fresh_server)
    b = new_bucket(c)
    acked: dict[str, str] = {}
    attempted: dict[str, set[str]] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        client = s3(fresh_server, connect_timeout=2, read_timeout=10)
        i = 0
        while not stop.is_set():
            key = f"w{n}/obj-{i}"
            i += 1
            multipart = i % 5 == 0
            body = os.urandom(5 * 1024 * 1024 + 17 if multipart else 1000 + (i * 7919) % 700_000)
            digest = md5(body)
            with lock:
                attempted.setdefault(key, set()).add(digest)
            try:
                if multipart:
                    uid = client.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
                    half = 5 * 1024 * 1024
                    e1 = client.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=1, Body=body[:half])["ETag"]
                    e2 = client.upload_part(Bucket=b, Key=key, UploadId=uid, PartNumber=2, Body=body[half:])["ETag"]
                    client.complete_multipart_upload(Bucket=b, Key=key, UploadId=uid, MultipartUpload={
                        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
                else:
                    client.put_object(Bucket=b, Key=key, Body=body)
            except Exception:
                if stop.is_set() or not fresh_server.alive():
                    return
                raise
            with lock:
                acked[key] = digest

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(6)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while time.time() < deadline and len(acked) < 60:
        time.sleep(0.05)
    fresh_server.kill()
    stop.set()
    for t in threads:
        t.join(30)
    assert len(acked) >= 20, f"only {len(acked)} uploads acknowledged before the kill"

    fresh_server.start()
    c = s3(fresh_server)
    listed = {o["Key"]: o for p in c.get_paginator("list_objects_v2").paginate(Bucket=b) for o in p.get("Contents", [])}
    missing = [k for k in acked if k not in listed]
    assert not missing, f"acknowledged but lost: {missing[:5]}"
    for key, obj in listed.items():
        body = c.get_object(Bucket=b, Key=key)["Body"].read()
        digest = hashlib.md5(body).hexdigest()
        assert len(body) == obj["Size"], key
        assert digest in attempted[key], f"{key}: partial or foreign content"
        if key in acked:
            assert digest == acked[key], key
    # No temp file survives the restart, and no unreferenced blob either:
    # every blob file belongs to an object segment or a pending part.
    tmp = fresh_server.data_dir / "blobs" / "tmp"
    assert not any(tmp.iterdir())
    # (A single-part object of up to 64 KiB has no blob: its bytes are in
    # its metadata row.)
    segments = sum(int(o["ETag"].strip('"').rpartition("-")[2]) if "-" in o["ETag"] else int(o["Size"] > 65536)
                   for o in listed.values())
    for u in c.list_multipart_uploads(Bucket=b).get("Uploads", []):
        segments += len(c.list_parts(Bucket=b, Key=u["Key"], UploadId=u["UploadId"]).get("Parts", []))
    blob_files = [p for p in (fresh_server.data_dir / "blobs").glob("??/*") if p.is_file()]
    assert len(blob_files) == segments
