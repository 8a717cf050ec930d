"""`[blob] kind = "s3"`: a Slipway whose object bytes live in an external S3
— here a second Slipway — chosen by configuration alone (README "Configuration", [blob] kind = "s3")."""

from __future__ import annotations

import io
import os

from s3_helpers import md5, new_bucket, s3


def test_objects_stream_through_an_external_s3(fresh_server, server_factory):
    external = s3(fresh_server)
    store_bucket = new_bucket(external, "blobs")
    front = server_factory(env={
        "SLIPWAY_BLOB_KIND": "s3",
        "SLIPWAY_BLOB_ENDPOINT": fresh_server.endpoint,
        "SLIPWAY_BLOB_BUCKET": store_bucket,
        "SLIPWAY_BLOB_PREFIX": "front-1",
        "SLIPWAY_BLOB_ACCESS_KEY_ID": fresh_server.access_key,
        "SLIPWAY_BLOB_SECRET_ACCESS_KEY": fresh_server.secret_key,
    }).start()
    c = s3(front)
    b = new_bucket(c)
    small = b"small object"  # up to 64 KiB: kept in the metadata row
    medium = os.urandom(100_000)  # one blob
    big = os.urandom(20 * 1024 * 1024)  # several parts of the external multipart upload
    c.put_object(Bucket=b, Key="small", Body=small)
    c.put_object(Bucket=b, Key="medium", Body=medium)
    c.upload_fileobj(io.BytesIO(big), b, "big")
    assert c.get_object(Bucket=b, Key="small")["Body"].read() == small
    assert c.get_object(Bucket=b, Key="medium")["Body"].read() == medium
    assert md5(c.get_object(Bucket=b, Key="big")["Body"].read()) == md5(big)
    rng = c.get_object(Bucket=b, Key="big", Range="bytes=9000000-12000000")["Body"].read()
    assert rng == big[9_000_000:12_000_001]

    # The bytes are in the external store, under the prefix, named by
    # generated blob keys; none are on the front server's disk.
    stored = [o for p in external.get_paginator("list_objects_v2").paginate(Bucket=store_bucket)
              for o in p.get("Contents", [])]
    assert stored and all(o["Key"].startswith("front-1/") for o in stored)
    assert sum(o["Size"] for o in stored) == len(medium) + len(big)
    assert not list((front.data_dir / "blobs").glob("??/*"))

    # Deleting through the front deletes the external blobs.
    for key in ["small", "medium", "big"]:
        c.delete_object(Bucket=b, Key=key)
    assert external.list_objects_v2(Bucket=store_bucket)["KeyCount"] == 0
