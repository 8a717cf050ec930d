"""S3 on the shared port, driven by boto3 and curl (README "What works today", S3): every bucket,
object and multipart operation, ranges, conditional requests, listings with
delimiters and pagination, presigned URLs, checksums."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import urllib.parse

import pytest
from botocore.exceptions import ClientError

from s3_helpers import bucket_name, curl, error_code, md5, new_bucket, s3, status


@pytest.fixture(scope="module")
def c(module_server):
    return s3(module_server)


@pytest.fixture
def b(c):
    return new_bucket(c)


# -- buckets -------------------------------------------------------------------
def test_bucket_lifecycle(c):
    name = bucket_name()
    c.create_bucket(Bucket=name)
    c.head_bucket(Bucket=name)
    assert name in [x["Name"] for x in c.list_buckets()["Buckets"]]
    assert c.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    # us-east-1 keeps S3's legacy answer to re-creating your own bucket
    # (other regions: test_s3_conformance.py).
    c.create_bucket(Bucket=name)
    c.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        c.head_bucket(Bucket=name)
    assert status(e.value) == 404
    with pytest.raises(ClientError) as e:
        c.delete_bucket(Bucket=name)
    assert error_code(e.value) == "NoSuchBucket"


def test_bucket_names_are_checked(c):
    for bad in ["UPPER-case", "ab", "a..b", "192.168.1.1"]:
        with pytest.raises(ClientError) as e:
            c.create_bucket(Bucket=bad)
        assert error_code(e.value) == "InvalidBucketName", bad


def test_non_empty_bucket_cannot_be_deleted(c, b):
    c.put_object(Bucket=b, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        c.delete_bucket(Bucket=b)
    assert error_code(e.value) == "BucketNotEmpty"
    c.delete_object(Bucket=b, Key="k")
    # Unfinished uploads do not keep a bucket, as on AWS (docs/s3.md;
    # test_s3_conformance.py checks their parts are deleted with it).
    c.create_multipart_upload(Bucket=b, Key="pending")
    c.delete_bucket(Bucket=b)


# -- objects -------------------------------------------------------------------
def test_put_get_head_keep_metadata_and_content_headers(c, b):
    body = os.urandom(100_000)
    put = c.put_object(
        Bucket=b, Key="dir/obj.bin", Body=body, ContentType="application/x-test",
        ContentEncoding="identity", ContentDisposition='attachment; filename="o.bin"',
        ContentLanguage="en", CacheControl="max-age=60",
        Expires=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        Metadata={"Colour": "blue", "n": "1"},
    )
    assert put["ETag"] == f'"{md5(body)}"'
    for r in (c.head_object(Bucket=b, Key="dir/obj.bin"), c.get_object(Bucket=b, Key="dir/obj.bin")):
        assert r["ContentLength"] == len(body)
        assert r["ETag"] == put["ETag"]
        assert r["ContentType"] == "application/x-test"
        assert r["ContentEncoding"] == "identity"
        assert r["ContentDisposition"] == 'attachment; filename="o.bin"'
        assert r["ContentLanguage"] == "en"
        assert r["CacheControl"] == "max-age=60"
        assert r["Expires"] == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert r["Metadata"] == {"colour": "blue", "n": "1"}
    assert c.get_object(Bucket=b, Key="dir/obj.bin")["Body"].read() == body


def test_missing_objects(c, b):
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=b, Key="nope")
    assert error_code(e.value) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket=b, Key="nope")
    assert status(e.value) == 404
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=bucket_name("missing"), Key="k")
    assert error_code(e.value) == "NoSuchBucket"
    c.delete_object(Bucket=b, Key="nope")  # deleting a missing key succeeds


def test_ranges(c, b):
    body = bytes(range(256)) * 40
    c.put_object(Bucket=b, Key="r", Body=body)
    for rng, want in [("bytes=0-0", body[:1]), ("bytes=10-19", body[10:20]), ("bytes=10000-", body[10000:]),
                      ("bytes=-5", body[-5:]), ("bytes=10000-999999", body[10000:])]:
        r = c.get_object(Bucket=b, Key="r", Range=rng)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert r["Body"].read() == want, rng
        assert r["ContentLength"] == len(want)
    r = c.get_object(Bucket=b, Key="r", Range="bytes=10-19")
    assert r["ContentRange"] == f"bytes 10-19/{len(body)}"
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=b, Key="r", Range=f"bytes={len(body)}-")
    assert error_code(e.value) == "InvalidRange" and status(e.value) == 416


# Objects up to 64 KiB keep their bytes in the metadata row, larger ones in
# a blob file: both sides of the line behave the same through every call.
@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000])
def test_sizes_around_the_inline_limit(c, b, size):
    body = os.urandom(size)
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = c.put_object(Bucket=b, Key=f"s{size}", Body=body, ContentMD5=good, ChecksumAlgorithm="CRC32")
    assert r["ETag"] == f'"{md5(body)}"'
    got = c.get_object(Bucket=b, Key=f"s{size}", ChecksumMode="ENABLED")
    assert got["Body"].read() == body and got["ContentLength"] == size
    assert got["ChecksumCRC32"] == r["ChecksumCRC32"]
    assert c.head_object(Bucket=b, Key=f"s{size}")["ContentLength"] == size
    if size > 2:
        r = c.get_object(Bucket=b, Key=f"s{size}", Range=f"bytes=1-{size - 2}")
        assert r["Body"].read() == body[1:-1]
        assert r["Body"].read() == b"" and r["ContentRange"] == f"bytes 1-{size - 2}/{size}"
        assert c.get_object(Bucket=b, Key=f"s{size}", Range="bytes=-2")["Body"].read() == body[-2:]
    c.copy_object(Bucket=b, Key=f"copy{size}", CopySource={"Bucket": b, "Key": f"s{size}"})
    assert c.get_object(Bucket=b, Key=f"copy{size}")["Body"].read() == body
    listed = c.list_objects_v2(Bucket=b, Prefix=f"s{size}")["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [(f"s{size}", size, f'"{md5(body)}"')]
    # Replaced by a version on the other side of the line, then deleted.
    other = os.urandom(70_000 if size <= 65536 else 10)
    c.put_object(Bucket=b, Key=f"s{size}", Body=other)
    assert c.get_object(Bucket=b, Key=f"s{size}")["Body"].read() == other
    wrong = base64.b64encode(hashlib.md5(b"not it").digest()).decode()
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=b, Key=f"s{size}", Body=body, ContentMD5=wrong)
    assert error_code(e.value) == "BadDigest"
    assert c.get_object(Bucket=b, Key=f"s{size}")["Body"].read() == other
    c.delete_object(Bucket=b, Key=f"s{size}")
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket=b, Key=f"s{size}")
    assert status(e.value) == 404


# A single-request body over 16 MiB sent without Content-MD5 gets an ETag
# from a faster hash, in the multipart form ("<32 hex>-1"), so that MD5 does
# not bound the PUT; with Content-MD5 (or up to 16 MiB) the ETag is the MD5.
def test_large_single_put_etag(c, b):
    body = os.urandom(17 * 1024 * 1024)
    tag = c.put_object(Bucket=b, Key="big", Body=body)["ETag"].strip('"')
    assert tag.endswith("-1") and len(tag) == 34 and int(tag[:32], 16) >= 0, tag
    assert tag[:32] != md5(body)
    h = c.head_object(Bucket=b, Key="big")
    assert h["ETag"] == f'"{tag}"' and h["ContentLength"] == len(body)
    assert c.get_object(Bucket=b, Key="big", IfMatch=f'"{tag}"')["Body"].read() == body
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=b, Key="big", IfNoneMatch=f'"{tag}"')
    assert status(e.value) == 304
    # The same bytes give the same ETag; other bytes another.
    assert c.put_object(Bucket=b, Key="again", Body=body)["ETag"].strip('"') == tag
    other = body[:-1] + bytes([body[-1] ^ 1])
    assert c.put_object(Bucket=b, Key="other", Body=other)["ETag"].strip('"') != tag
    # Asked to check an MD5, the server returns it as the ETag.
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert c.put_object(Bucket=b, Key="md5", Body=body, ContentMD5=good)["ETag"] == f'"{md5(body)}"'
    # Checksums the client asks for are still verified and returned.
    r = c.put_object(Bucket=b, Key="ck", Body=body, ChecksumAlgorithm="SHA256")
    assert r["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "ChecksumSHA256" not in c.head_object(Bucket=b, Key="big", ChecksumMode="ENABLED")
    copied = c.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "big"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{tag}"'
    assert md5(c.get_object(Bucket=b, Key="copy")["Body"].read()) == md5(body)


def test_conditional_get(c, b):
    etag = c.put_object(Bucket=b, Key="c", Body=b"conditional")["ETag"]
    modified = c.head_object(Bucket=b, Key="c")["LastModified"]
    before, after = modified - dt.timedelta(hours=1), modified + dt.timedelta(hours=1)
    assert c.get_object(Bucket=b, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    assert c.get_object(Bucket=b, Key="c", IfNoneMatch='"other"')["Body"].read() == b"conditional"
    assert c.get_object(Bucket=b, Key="c", IfModifiedSince=before)["Body"].read() == b"conditional"
    assert c.get_object(Bucket=b, Key="c", IfUnmodifiedSince=after)["Body"].read() == b"conditional"
    for kw, code in [(dict(IfMatch='"other"'), 412), (dict(IfUnmodifiedSince=before), 412),
                     (dict(IfNoneMatch=etag), 304), (dict(IfModifiedSince=after), 304)]:
        with pytest.raises(ClientError) as e:
            c.get_object(Bucket=b, Key="c", **kw)
        assert status(e.value) == code, kw
        with pytest.raises(ClientError) as e:
            c.head_object(Bucket=b, Key="c", **kw)
        assert status(e.value) == code, kw


def test_overwrite_replaces_whole_object(c, b):
    c.put_object(Bucket=b, Key="o", Body=b"first version, long")
    c.put_object(Bucket=b, Key="o", Body=b"second")
    assert c.get_object(Bucket=b, Key="o")["Body"].read() == b"second"


def test_copy_object(c, b):
    c.put_object(Bucket=b, Key="src", Body=b"copy me", ContentType="text/plain", Metadata={"a": "1"})
    other = new_bucket(c)
    r = c.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": b, "Key": "src"})
    assert r["CopyObjectResult"]["ETag"] == f'"{md5(b"copy me")}"'
    got = c.get_object(Bucket=other, Key="dst")
    assert got["Body"].read() == b"copy me"
    assert got["Metadata"] == {"a": "1"} and got["ContentType"] == "text/plain"
    c.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"},
                  MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/x")
    h = c.head_object(Bucket=b, Key="src")
    assert h["Metadata"] == {"b": "2"} and h["ContentType"] == "text/x"
    with pytest.raises(ClientError) as e:
        c.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"})
    assert error_code(e.value) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        c.copy_object(Bucket=b, Key="x", CopySource={"Bucket": b, "Key": "src"}, CopySourceIfMatch='"nope"')
    assert error_code(e.value) == "PreconditionFailed"


# User metadata is at most 2 KB: the UTF-8 bytes of every key (without the
# x-amz-meta- prefix) and value, summed. Over it, S3 answers 400
# MetadataTooLarge, for every request that sets metadata. (botocore sends
# ASCII metadata only; the byte count of other text is a unit test.)
METADATA_TOO_LARGE = "Your metadata headers exceed the maximum allowed metadata size."


def _metadata(size: int) -> dict[str, str]:
    """Two entries whose keys and values add up to `size` bytes."""
    return {"alpha": "a" * 1000, "b": "x" * (size - len("alpha") - 1000 - len("b"))}


def _too_large(call):
    with pytest.raises(ClientError) as e:
        call()
    assert (error_code(e.value), status(e.value)) == ("MetadataTooLarge", 400)
    assert e.value.response["Error"]["Message"] == METADATA_TOO_LARGE


def test_metadata_up_to_2_kb_is_kept(c, b):
    meta = _metadata(2048)
    c.put_object(Bucket=b, Key="meta-2k", Body=b"x", Metadata=meta)
    assert c.head_object(Bucket=b, Key="meta-2k")["Metadata"] == meta
    uid = c.create_multipart_upload(Bucket=b, Key="mp-2k", Metadata=meta)["UploadId"]
    c.abort_multipart_upload(Bucket=b, Key="mp-2k", UploadId=uid)
    c.copy_object(Bucket=b, Key="meta-2k", CopySource={"Bucket": b, "Key": "meta-2k"},
                  MetadataDirective="REPLACE", Metadata=_metadata(2048))


def test_metadata_over_2_kb_is_refused(c, b):
    meta = _metadata(2049)
    _too_large(lambda: c.put_object(Bucket=b, Key="meta-big", Body=b"x", Metadata=meta))
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket=b, Key="meta-big")
    assert status(e.value) == 404
    _too_large(lambda: c.create_multipart_upload(Bucket=b, Key="mp-big", Metadata=meta))
    assert c.list_multipart_uploads(Bucket=b, Prefix="mp-big").get("Uploads", []) == []
    c.put_object(Bucket=b, Key="src", Body=b"x", Metadata={"a": "1"})
    _too_large(lambda: c.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src"},
                                     MetadataDirective="REPLACE", Metadata=meta))
    _too_large(lambda: c.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src"},
                                     MetadataDirective="REPLACE", Metadata=meta))
    assert c.head_object(Bucket=b, Key="src")["Metadata"] == {"a": "1"}
    # Many small entries add up as well: 40 x (6 + 48) = 2160.
    many = {f"key{i:03d}": "v" * 48 for i in range(40)}
    _too_large(lambda: c.put_object(Bucket=b, Key="meta-many", Body=b"x", Metadata=many))


def test_delete_objects(c, b):
    for k in ["d/1", "d/2", "d/3"]:
        c.put_object(Bucket=b, Key=k, Body=b"x")
    r = c.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "d/1"}, {"Key": "d/2"}, {"Key": "never"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["d/1", "d/2", "never"]
    assert not r.get("Errors")
    r = c.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "d/3"}], "Quiet": True})
    assert not r.get("Deleted")
    assert c.list_objects_v2(Bucket=b)["KeyCount"] == 0


# -- listings ------------------------------------------------------------------
KEYS = ["a.txt", "dir/1", "dir/2", "dir/sub/3", "dir2/x", "photos/2024/jan/1.jpg",
        "photos/2024/feb/2.jpg", "photos/2025/3.jpg", "z", "sp ace+plus%.txt", "ünï/cødé"]


@pytest.fixture(scope="module")
def listing_bucket(c):
    name = new_bucket(c, "list")
    for k in KEYS:
        c.put_object(Bucket=name, Key=k, Body=k.encode())
    return name


def _walk(pages):
    keys, prefixes = [], []
    for p in pages:
        keys += [o["Key"] for o in p.get("Contents", [])]
        prefixes += [x["Prefix"] for x in p.get("CommonPrefixes", [])]
    return keys, prefixes


def test_list_v2_all_sorted_by_utf8_bytes(c, listing_bucket):
    r = c.list_objects_v2(Bucket=listing_bucket)
    assert [o["Key"] for o in r["Contents"]] == sorted(KEYS, key=lambda k: k.encode())
    assert r["KeyCount"] == len(KEYS) and r["IsTruncated"] is False
    assert all(o["Size"] == len(o["Key"].encode()) for o in r["Contents"])


@pytest.mark.parametrize("version", ["list_objects", "list_objects_v2"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_list_delimiter_and_pagination(c, listing_bucket, version, page_size):
    pages = c.get_paginator(version).paginate(
        Bucket=listing_bucket, Delimiter="/", PaginationConfig={"PageSize": page_size})
    keys, prefixes = _walk(pages)
    assert keys == ["a.txt", "sp ace+plus%.txt", "z"]
    assert prefixes == ["dir/", "dir2/", "photos/", "ünï/"]
    pages = c.get_paginator(version).paginate(
        Bucket=listing_bucket, Prefix="photos/", Delimiter="/", PaginationConfig={"PageSize": page_size})
    assert _walk(pages) == ([], ["photos/2024/", "photos/2025/"])
    pages = c.get_paginator(version).paginate(
        Bucket=listing_bucket, Prefix="dir/", PaginationConfig={"PageSize": page_size})
    assert _walk(pages) == (["dir/1", "dir/2", "dir/sub/3"], [])


def test_list_v2_start_after_and_max_keys(c, listing_bucket):
    r = c.list_objects_v2(Bucket=listing_bucket, StartAfter="dir/2", MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["dir/sub/3", "dir2/x"]
    assert r["IsTruncated"] is True and r["NextContinuationToken"]
    r2 = c.list_objects_v2(Bucket=listing_bucket, ContinuationToken=r["NextContinuationToken"], MaxKeys=1)
    assert [o["Key"] for o in r2["Contents"]] == ["photos/2024/feb/2.jpg"]
    assert c.list_objects_v2(Bucket=listing_bucket, MaxKeys=0)["KeyCount"] == 0


def test_list_v1_marker(c, listing_bucket):
    r = c.list_objects(Bucket=listing_bucket, Marker="photos/", MaxKeys=2)
    assert [o["Key"] for o in r["Contents"]] == ["photos/2024/feb/2.jpg", "photos/2024/jan/1.jpg"]
    assert r["IsTruncated"] is True
    r = c.list_objects(Bucket=listing_bucket, Delimiter="/", MaxKeys=2)
    assert r["NextMarker"] == "dir/"


def test_list_with_url_encoding_round_trips_odd_keys(c, listing_bucket):
    # boto3 asks for encoding-type=url itself and decodes (as the CLI does).
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=listing_bucket)["Contents"]]
    assert "sp ace+plus%.txt" in keys and "ünï/cødé" in keys
    # Asked for explicitly, the caller gets the encoded form to decode.
    r = c.list_objects_v2(Bucket=listing_bucket, EncodingType="url")
    raw = [o["Key"] for o in r["Contents"]]
    assert "sp%20ace%2Bplus%25.txt" in raw
    assert sorted(urllib.parse.unquote_plus(k) for k in raw) == sorted(KEYS)


# -- multipart -----------------------------------------------------------------
MIB = 1024 * 1024


def test_multipart_upload_etag_ranges_and_listings(c, b):
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(123)]
    up = c.create_multipart_upload(Bucket=b, Key="mp", ContentType="application/x-mp", Metadata={"m": "1"})
    uid = up["UploadId"]
    assert uid in [u["UploadId"] for u in c.list_multipart_uploads(Bucket=b)["Uploads"]]
    etags = []
    for i, p in enumerate(parts, 1):
        etags.append(c.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=i, Body=p)["ETag"])
    # Re-uploading a part replaces it.
    parts[1] = os.urandom(5 * MIB)
    etags[1] = c.upload_part(Bucket=b, Key="mp", UploadId=uid, PartNumber=2, Body=parts[1])["ETag"]
    listed = c.list_parts(Bucket=b, Key="mp", UploadId=uid)["Parts"]
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] == [
        (i + 1, len(p), etags[i]) for i, p in enumerate(parts)]
    page = c.list_parts(Bucket=b, Key="mp", UploadId=uid, MaxParts=2)
    assert page["IsTruncated"] and page["NextPartNumberMarker"] == 2
    r = c.complete_multipart_upload(Bucket=b, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]})
    want = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    assert r["ETag"] == f'"{want}"'
    whole = b"".join(parts)
    got = c.get_object(Bucket=b, Key="mp")
    assert got["ETag"] == f'"{want}"' and got["ContentType"] == "application/x-mp"
    assert got["Metadata"] == {"m": "1"}
    assert got["Body"].read() == whole
    # A range across the part boundaries.
    lo, hi = 5 * MIB - 7, 10 * MIB + 3
    rng = c.get_object(Bucket=b, Key="mp", Range=f"bytes={lo}-{hi}")["Body"].read()
    assert rng == whole[lo:hi + 1]
    assert uid not in [u["UploadId"] for u in c.list_multipart_uploads(Bucket=b).get("Uploads", [])]


def test_multipart_errors(c, b):
    uid = c.create_multipart_upload(Bucket=b, Key="e")["UploadId"]
    e1 = c.upload_part(Bucket=b, Key="e", UploadId=uid, PartNumber=1, Body=b"small")["ETag"]
    e2 = c.upload_part(Bucket=b, Key="e", UploadId=uid, PartNumber=2, Body=b"small")["ETag"]
    for parts, code in [
        ([{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}], "InvalidPartOrder"),
        ([{"PartNumber": 1, "ETag": '"0000"'}], "InvalidPart"),
        ([{"PartNumber": 3, "ETag": e1}], "InvalidPart"),
        ([{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}], "EntityTooSmall"),
    ]:
        with pytest.raises(ClientError) as e:
            c.complete_multipart_upload(Bucket=b, Key="e", UploadId=uid, MultipartUpload={"Parts": parts})
        assert error_code(e.value) == code
    c.abort_multipart_upload(Bucket=b, Key="e", UploadId=uid)
    for call in (lambda: c.upload_part(Bucket=b, Key="e", UploadId=uid, PartNumber=1, Body=b"x"),
                 lambda: c.list_parts(Bucket=b, Key="e", UploadId=uid),
                 lambda: c.abort_multipart_upload(Bucket=b, Key="e", UploadId=uid)):
        with pytest.raises(ClientError) as e:
            call()
        assert error_code(e.value) == "NoSuchUpload"


def test_upload_part_copy(c, b):
    src = os.urandom(6 * MIB)
    c.put_object(Bucket=b, Key="copy-src", Body=src)
    uid = c.create_multipart_upload(Bucket=b, Key="assembled")["UploadId"]
    p1 = c.upload_part_copy(Bucket=b, Key="assembled", UploadId=uid, PartNumber=1,
                            CopySource={"Bucket": b, "Key": "copy-src"})["CopyPartResult"]["ETag"]
    p2 = c.upload_part_copy(Bucket=b, Key="assembled", UploadId=uid, PartNumber=2,
                            CopySource={"Bucket": b, "Key": "copy-src"},
                            CopySourceRange="bytes=100-199")["CopyPartResult"]["ETag"]
    c.complete_multipart_upload(Bucket=b, Key="assembled", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]})
    assert c.get_object(Bucket=b, Key="assembled")["Body"].read() == src + src[100:200]


def test_list_multipart_uploads_pagination(c, b):
    ids = [c.create_multipart_upload(Bucket=b, Key=k)["UploadId"] for k in ["u/a", "u/a", "u/b", "v"]]
    seen = []
    for p in c.get_paginator("list_multipart_uploads").paginate(
            Bucket=b, Prefix="u/", PaginationConfig={"PageSize": 1}):
        seen += [(u["Key"], u["UploadId"]) for u in p.get("Uploads", [])]
    assert seen == [("u/a", ids[0]), ("u/a", ids[1]), ("u/b", ids[2])]


# -- checksums -----------------------------------------------------------------
def test_content_md5_is_verified(c, b):
    good = base64.b64encode(hashlib.md5(b"payload").digest()).decode()
    c.put_object(Bucket=b, Key="md5", Body=b"payload", ContentMD5=good)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=b, Key="md5-bad", Body=b"payload", ContentMD5=wrong)
    assert error_code(e.value) == "BadDigest"
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket=b, Key="md5-bad", Body=b"payload", ContentMD5="not-base64-md5")
    assert error_code(e.value) == "InvalidDigest"
    # The rejected object never became visible.
    with pytest.raises(ClientError):
        c.head_object(Bucket=b, Key="md5-bad")
    uid = c.create_multipart_upload(Bucket=b, Key="mp-md5")["UploadId"]
    with pytest.raises(ClientError) as e:
        c.upload_part(Bucket=b, Key="mp-md5", UploadId=uid, PartNumber=1, Body=b"payload", ContentMD5=wrong)
    assert error_code(e.value) == "BadDigest"


# (CRC32C needs botocore[crt] on the client side; the server computes it
# with the others — see the service's digest tests.)
@pytest.mark.parametrize("algo", ["CRC32", "SHA1", "SHA256"])
def test_additional_checksums_are_verified_and_returned(c, b, algo):
    r = c.put_object(Bucket=b, Key=f"ck-{algo}", Body=b"hello world", ChecksumAlgorithm=algo)
    value = r[f"Checksum{algo}"]
    h = c.head_object(Bucket=b, Key=f"ck-{algo}", ChecksumMode="ENABLED")
    assert h[f"Checksum{algo}"] == value
    got = c.get_object(Bucket=b, Key=f"ck-{algo}", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"hello world"


def test_additional_checksum_mismatch_is_rejected(c, b):
    for algo in ["CRC32", "SHA256"]:
        wrong = base64.b64encode(b"\0" * (4 if algo == "CRC32" else 32)).decode()
        with pytest.raises(ClientError) as e:
            c.put_object(Bucket=b, Key="ck-bad", Body=b"hello world", **{f"Checksum{algo}": wrong})
        assert error_code(e.value) == "BadDigest", algo
    with pytest.raises(ClientError):
        c.head_object(Bucket=b, Key="ck-bad")


# -- presigned URLs ------------------------------------------------------------
@pytest.mark.parametrize("sig", [None, "s3v4"], ids=["boto-default", "s3v4"])
def test_presigned_get_and_put_with_curl(module_server, b, sig, tmp_path):
    cfg = {"signature_version": sig} if sig else {}
    client = s3(module_server, **cfg)
    client.put_object(Bucket=b, Key="pre/get.txt", Body=b"fetched by curl")
    url = client.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "pre/get.txt"}, ExpiresIn=300)
    assert ("X-Amz-Signature=" in url) == (sig == "s3v4")
    assert curl(url) == (200, b"fetched by curl")
    put_url = client.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "pre/put.bin"}, ExpiresIn=300)
    payload = os.urandom(300_000)
    f = tmp_path / "payload.bin"
    f.write_bytes(payload)
    code, body = curl(put_url, upload=f)
    assert code == 200, body
    assert client.get_object(Bucket=b, Key="pre/put.bin")["Body"].read() == payload
    # The signature covers the key: reusing it for another key is refused
    # with an S3 XML error.
    code, body = curl(url.replace("pre/get.txt", "pre/put.bin"))
    assert code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body, body
