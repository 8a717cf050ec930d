"""S3 conformance edges that public suites (ceph s3-tests style) and
everyday tools (AWS CLI, boto3 retries, sync tools) hit: real boto3, the
real AWS CLI and raw HTTP against a real `slipway serve`. docs/s3.md says
what is implemented and what is refused on purpose."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import zlib
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from e2e_helpers import send_raw
from s3_helpers import bucket_name, error_code, files_under, new_bucket, s3, status

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def c(module_server):
    return s3(module_server)


@pytest.fixture
def b(c):
    return new_bucket(c)


def _path(url: str) -> str:
    u = urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def _xml_error(body: bytes) -> dict[str, str | None]:
    doc = ElementTree.fromstring(body)
    assert doc.tag == "Error", body
    return {child.tag: child.text for child in doc}


def _signed(server, method: str, path: str, body: bytes = b"", headers: dict | None = None, trailer: bool = False):
    """Sends a SigV4 (s3) request built by hand, for headers boto3 will not
    send as such; `trailer` signs it STREAMING-UNSIGNED-PAYLOAD-TRAILER, as
    SDKs sign aws-chunked bodies with a trailing checksum."""
    req = AWSRequest(method=method, url=server.endpoint + path, data=body, headers=dict(headers or {}))
    if trailer:
        req.context["checksum"] = {
            "request_algorithm": {"in": "trailer", "algorithm": "crc32", "name": "x-amz-checksum-crc32"}
        }
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    return send_raw(server.host_port, method, path, body, dict(req.headers))


# -- 1. presigned URL lifetime -------------------------------------------------
def test_presigned_url_lifetime_over_a_week_or_negative_is_refused(module_server, b):
    c4 = s3(module_server, signature_version="s3v4")
    c4.put_object(Bucket=b, Key="k", Body=b"x")

    def get(expires):
        url = c4.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=expires)
        return send_raw(module_server.host_port, "GET", _path(url), b"", {})

    assert get(604800).status == 200
    for expires, message in [
        (604801, "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                 "must be less than 604800 seconds"),
        (-1, "X-Amz-Expires must be non-negative"),
    ]:
        r = get(expires)
        assert r.status == 400, r
        e = _xml_error(r.body)
        assert (e["Code"], e["Message"]) == ("AuthorizationQueryParametersError", message)


# -- 2. CreateBucket of a bucket you own -----------------------------------------
def test_recreating_an_owned_bucket_in_us_east_1_succeeds(module_server, c, b):
    assert module_server.region == "us-east-1"
    c.put_object(Bucket=b, Key="kept", Body=b"still here")
    r = c.create_bucket(Bucket=b)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # Nothing was reset.
    assert c.get_object(Bucket=b, Key="kept")["Body"].read() == b"still here"
    other = s3(module_server, creds=module_server.create_account("conf-other"))
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=b)
    assert (status(e.value), error_code(e.value)) == (409, "BucketAlreadyExists")


def test_recreating_an_owned_bucket_elsewhere_is_already_owned(server_factory):
    srv = server_factory(env={"SLIPWAY_JOBS": "off", "SLIPWAY_REGION": "eu-west-1"}).start()
    c = s3(srv)
    name = bucket_name()
    cfg = {"LocationConstraint": "eu-west-1"}
    c.create_bucket(Bucket=name, CreateBucketConfiguration=cfg)
    with pytest.raises(ClientError) as e:
        c.create_bucket(Bucket=name, CreateBucketConfiguration=cfg)
    assert (status(e.value), error_code(e.value)) == (409, "BucketAlreadyOwnedByYou")


# -- 3. 304 Not Modified -------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_not_modified_carries_the_validators_and_no_body(module_server, c, b, method):
    etag = c.put_object(Bucket=b, Key="k", Body=b"cached")["ETag"]
    head = c.head_object(Bucket=b, Key="k")
    last_modified = head["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    url = c.generate_presigned_url("get_object" if method == "GET" else "head_object",
                                   Params={"Bucket": b, "Key": "k"}, ExpiresIn=300)
    for cond in [{"If-None-Match": etag}, {"If-Modified-Since": future}]:
        r = send_raw(module_server.host_port, method, _path(url), b"", cond)
        assert r.status == 304, (cond, r)
        assert r.headers.get("etag") == etag, (cond, r.headers)
        assert r.headers.get("last-modified") == last_modified, (cond, r.headers)
        assert r.body == b"", (cond, r)
    # boto3 sees the same.
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=b, Key="k", IfNoneMatch=etag)
    assert status(e.value) == 304
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag


# -- 4. copy-source conditionals -----------------------------------------------
def test_copy_source_conditionals_answer_412_as_s3(c, b):
    etag = c.put_object(Bucket=b, Key="src", Body=b"source")["ETag"]
    src = {"Bucket": b, "Key": "src"}
    past = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    future = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
    refused = [
        {"CopySourceIfNoneMatch": etag},
        {"CopySourceIfModifiedSince": future},
        {"CopySourceIfMatch": '"0123"'},
        {"CopySourceIfUnmodifiedSince": past},
    ]
    for cond in refused:
        with pytest.raises(ClientError) as e:
            c.copy_object(Bucket=b, Key="dst", CopySource=src, **cond)
        assert (status(e.value), error_code(e.value)) == (412, "PreconditionFailed"), cond
    # S3's documented pairs: If-Match true beats If-Unmodified-Since false;
    # If-None-Match true (no match) beats If-Modified-Since false.
    for cond in [
        {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": past},
        {"CopySourceIfNoneMatch": '"0123"', "CopySourceIfModifiedSince": future},
        {"CopySourceIfNoneMatch": '"0123"'},
    ]:
        c.copy_object(Bucket=b, Key="dst", CopySource=src, **cond)
    up = c.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as e:
        c.upload_part_copy(Bucket=b, Key="mp", UploadId=up, PartNumber=1, CopySource=src,
                           CopySourceIfNoneMatch=etag)
    assert (status(e.value), error_code(e.value)) == (412, "PreconditionFailed")


# -- 5. empty Content-MD5 ------------------------------------------------------
def test_an_empty_content_md5_is_an_invalid_digest(module_server, c, b):
    r = _signed(module_server, "PUT", f"/{b}/k", b"body", {"Content-MD5": ""})
    assert r.status == 400, r
    assert _xml_error(r.body)["Code"] == "InvalidDigest"
    with pytest.raises(ClientError):
        c.head_object(Bucket=b, Key="k")


# -- 6-8. listing details --------------------------------------------------------
def test_an_empty_delimiter_is_not_echoed(c, b):
    c.put_object(Bucket=b, Key="a/b", Body=b"x")
    v2 = c.list_objects_v2(Bucket=b, Delimiter="")
    assert "Delimiter" not in v2 and [o["Key"] for o in v2["Contents"]] == ["a/b"]
    v1 = c.list_objects(Bucket=b, Delimiter="")
    assert "Delimiter" not in v1 and [o["Key"] for o in v1["Contents"]] == ["a/b"]
    assert c.list_objects_v2(Bucket=b, Delimiter="/")["Delimiter"] == "/"


def test_max_keys_zero_is_an_empty_page_that_is_not_truncated(c, b):
    for k in ["a", "b"]:
        c.put_object(Bucket=b, Key=k, Body=b"x")
    v2 = c.list_objects_v2(Bucket=b, MaxKeys=0)
    assert (v2["IsTruncated"], v2.get("Contents"), v2["KeyCount"]) == (False, None, 0)
    v1 = c.list_objects(Bucket=b, MaxKeys=0)
    assert (v1["IsTruncated"], v1.get("Contents")) == (False, None)


def test_list_objects_v2_has_owners_only_when_asked(module_server, c, b):
    c.put_object(Bucket=b, Key="k", Body=b"x")
    assert "Owner" not in c.list_objects_v2(Bucket=b)["Contents"][0]
    owner = c.list_objects_v2(Bucket=b, FetchOwner=True)["Contents"][0]["Owner"]
    assert owner["ID"] == module_server.account_id
    # v1 always has them.
    assert "Owner" in c.list_objects(Bucket=b)["Contents"][0]


# -- 9. ListBuckets pages ------------------------------------------------------
def test_list_buckets_pages_with_max_buckets_and_continuation_token(module_server, c):
    prefix = bucket_name("lb")
    names = [f"{prefix}-{i}" for i in range(3)]
    for n in names:
        c.create_bucket(Bucket=n)
    first = c.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [x["Name"] for x in first["Buckets"]] == names[:2]
    assert first["Prefix"] == prefix
    token = first["ContinuationToken"]
    second = c.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=token)
    assert [x["Name"] for x in second["Buckets"]] == names[2:]
    assert "ContinuationToken" not in second
    # The paginator follows the tokens.
    pages = c.get_paginator("list_buckets").paginate(Prefix=prefix, PaginationConfig={"PageSize": 1})
    assert [x["Name"] for p in pages for x in p["Buckets"]] == names
    unchecked = s3(module_server, parameter_validation=False)
    for bad in [0, 10001]:
        with pytest.raises(ClientError) as e:
            unchecked.list_buckets(MaxBuckets=bad)
        assert error_code(e.value) == "InvalidArgument", bad
    with pytest.raises(ClientError) as e:
        c.list_buckets(ContinuationToken="!!not-a-token!!")
    assert error_code(e.value) == "InvalidArgument"


# -- 10. aws-chunked is no stored Content-Encoding -------------------------------
@pytest.mark.parametrize("sent,stored", [("aws-chunked,gzip", "gzip"), ("aws-chunked", None)])
def test_aws_chunked_is_not_stored_as_a_content_encoding(module_server, c, b, sent, stored):
    data = b"chunked body"
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    body = f"{len(data):x}\r\n".encode() + data + f"\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    headers = {
        "Content-Encoding": sent,
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(data)),
    }
    r = _signed(module_server, "PUT", f"/{b}/k", body, headers, trailer=True)
    assert r.status == 200, r
    got = c.get_object(Bucket=b, Key="k")
    assert got["Body"].read() == data
    assert got.get("ContentEncoding") == stored
    assert c.head_object(Bucket=b, Key="k").get("ContentEncoding") == stored


# -- 11. UploadPartCopy ranges -----------------------------------------------------
def test_upload_part_copy_range_past_the_source_is_invalid_range(c, b):
    c.put_object(Bucket=b, Key="src", Body=b"0123456789")
    up = c.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
    src = {"Bucket": b, "Key": "src"}
    for rng in ["bytes=0-10", "bytes=10-12"]:
        with pytest.raises(ClientError) as e:
            c.upload_part_copy(Bucket=b, Key="dst", UploadId=up, PartNumber=1, CopySource=src, CopySourceRange=rng)
        assert (status(e.value), error_code(e.value)) == (416, "InvalidRange"), rng
    part = c.upload_part_copy(Bucket=b, Key="dst", UploadId=up, PartNumber=1, CopySource=src,
                              CopySourceRange="bytes=2-9")
    etag = part["CopyPartResult"]["ETag"]
    c.complete_multipart_upload(Bucket=b, Key="dst", UploadId=up,
                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert c.get_object(Bucket=b, Key="dst")["Body"].read() == b"23456789"


# -- 12. a retried CompleteMultipartUpload -------------------------------------------
def test_a_repeated_complete_multipart_upload_answers_the_same(c, b):
    up = c.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    e1 = c.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"a" * (5 * MIB))["ETag"]
    e2 = c.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=2, Body=b"tail")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}
    first = c.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload=parts)
    again = c.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload=parts)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert (again["ETag"], again["Bucket"], again["Key"]) == (first["ETag"], b, "big")
    assert c.head_object(Bucket=b, Key="big")["ContentLength"] == 5 * MIB + 4
    # Other parts, or another key, name an upload that is gone.
    for key, other in [("big", {"Parts": parts["Parts"][:1]}), ("other", parts)]:
        with pytest.raises(ClientError) as e:
            c.complete_multipart_upload(Bucket=b, Key=key, UploadId=up, MultipartUpload=other)
        assert error_code(e.value) == "NoSuchUpload"


# -- 13. DeleteObjects limit -----------------------------------------------------
def test_delete_objects_refuses_more_than_1000_keys(c, b):
    c.put_object(Bucket=b, Key="k0", Body=b"x")
    keys = [{"Key": f"k{i}"} for i in range(1001)]
    with pytest.raises(ClientError) as e:
        c.delete_objects(Bucket=b, Delete={"Objects": keys})
    assert (status(e.value), error_code(e.value)) == (400, "MalformedXML")
    assert c.head_object(Bucket=b, Key="k0")["ContentLength"] == 1
    done = c.delete_objects(Bucket=b, Delete={"Objects": keys[:1000]})
    assert len(done["Deleted"]) == 1000


# -- 14. request ids -------------------------------------------------------------
def test_answers_carry_request_ids(module_server, c, b):
    ok = c.put_object(Bucket=b, Key="k", Body=b"x")["ResponseMetadata"]
    assert ok["RequestId"] and ok["HostId"]
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket=b, Key="missing")
    meta = e.value.response["ResponseMetadata"]
    assert meta["RequestId"] and meta["HostId"] and meta["RequestId"] != ok["RequestId"]
    # In the XML body too, matching the headers (unsigned: AccessDenied).
    r = send_raw(module_server.host_port, "GET", f"/{b}/k", b"", {})
    assert r.status == 403, r
    err = _xml_error(r.body)
    assert err["RequestId"] == r.headers["x-amz-request-id"]
    assert err["HostId"] == r.headers["x-amz-id-2"]


# -- 15. ListObjectVersions of an unversioned bucket -----------------------------
def test_list_object_versions_lists_null_versions(module_server, c, b):
    for k in ["a", "d/1", "d/2", "z"]:
        c.put_object(Bucket=b, Key=k, Body=b"v")
    r = c.list_object_versions(Bucket=b)
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in r["Versions"]] == [
        (k, "null", True) for k in ["a", "d/1", "d/2", "z"]
    ]
    assert "DeleteMarkers" not in r and r["IsTruncated"] is False
    # The bucket reports itself as never versioned (no Status); turning
    # versioning on is refused.
    assert "Status" not in c.get_bucket_versioning(Bucket=b)
    with pytest.raises(ClientError) as e:
        c.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    assert (status(e.value), error_code(e.value)) == (501, "NotImplemented")
    page = c.list_object_versions(Bucket=b, MaxKeys=2)
    assert (page["IsTruncated"], page["NextKeyMarker"], page["NextVersionIdMarker"]) == (True, "d/1", "null")
    rest = c.list_object_versions(Bucket=b, KeyMarker="d/1", VersionIdMarker="null")
    assert [v["Key"] for v in rest["Versions"]] == ["d/2", "z"]
    grouped = c.list_object_versions(Bucket=b, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["d/"]
    cli = module_server.cli("s3api", "list-object-versions", "--bucket", b).json
    assert sorted(v["Key"] for v in cli["Versions"]) == ["a", "d/1", "d/2", "z"]
    # Version `null` is the object; any other version id names nothing.
    c.delete_object(Bucket=b, Key="a", VersionId="null")
    with pytest.raises(ClientError) as e:
        c.delete_object(Bucket=b, Key="z", VersionId="3HL4kqtJlcpXroDTDmJ")
    assert error_code(e.value) == "InvalidArgument"
    assert c.get_object(Bucket=b, Key="z", VersionId="null")["Body"].read() == b"v"
    out = c.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "d/1", "VersionId": "null"}, {"Key": "z", "VersionId": "bogus"}]})
    assert [(d["Key"], d.get("VersionId")) for d in out["Deleted"]] == [("d/1", "null")]
    assert [(x["Key"], x["Code"]) for x in out["Errors"]] == [("z", "InvalidArgument")]
    # How tools empty a bucket: every version, then the bucket.
    res = boto3.resource(
        "s3", endpoint_url=module_server.endpoint, region_name=module_server.region,
        aws_access_key_id=module_server.access_key, aws_secret_access_key=module_server.secret_key,
        config=Config(s3={"addressing_style": "path"}),
    )
    res.Bucket(b).object_versions.delete()
    assert "Contents" not in c.list_objects_v2(Bucket=b)
    res.Bucket(b).delete()
    with pytest.raises(ClientError) as e:
        c.head_bucket(Bucket=b)
    assert status(e.value) == 404


# -- 16. SigV2 at the bucket level -------------------------------------------------
def test_sigv2_signs_bucket_level_requests(module_server):
    v2 = s3(module_server, signature_version="s3")
    name = bucket_name("v2")
    v2.create_bucket(Bucket=name)
    v2.put_object(Bucket=name, Key="d/k", Body=b"v2")
    assert [o["Key"] for o in v2.list_objects(Bucket=name)["Contents"]] == ["d/k"]
    assert [o["Key"] for o in v2.list_objects_v2(Bucket=name, Prefix="d/")["Contents"]] == ["d/k"]
    v2.head_bucket(Bucket=name)
    up = v2.create_multipart_upload(Bucket=name, Key="mp")["UploadId"]
    assert [u["UploadId"] for u in v2.list_multipart_uploads(Bucket=name)["Uploads"]] == [up]
    v2.abort_multipart_upload(Bucket=name, Key="mp", UploadId=up)
    assert v2.list_object_versions(Bucket=name)["Versions"][0]["Key"] == "d/k"
    url = v2.generate_presigned_url("list_objects", Params={"Bucket": name}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url
    r = send_raw(module_server.host_port, "GET", _path(url), b"", {})
    assert r.status == 200 and b"<Key>d/k</Key>" in r.body, r
    v2.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "d/k"}]})
    v2.delete_bucket(Bucket=name)
    # A wrong secret is still refused.
    bad = s3(module_server, signature_version="s3")
    bad._request_signer._credentials = Credentials(module_server.access_key, "wrong")
    with pytest.raises(ClientError) as e:
        bad.create_bucket(Bucket=bucket_name("v2"))
    assert error_code(e.value) == "SignatureDoesNotMatch"


# -- 17. CORS --------------------------------------------------------------------
def test_cors_preflight_is_refused_as_for_a_bucket_without_cors(module_server, c, b):
    c.put_object(Bucket=b, Key="k", Body=b"x")
    pre = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    for path in [f"/{b}/k", f"/{b}", f"/{bucket_name('nosuch')}/k"]:
        r = send_raw(module_server.host_port, "OPTIONS", path, b"", pre)
        assert r.status == 403, (path, r)
        err = _xml_error(r.body)
        assert (err["Code"], err["Message"]) == (
            "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."), path
        assert "access-control-allow-origin" not in r.headers
    r = send_raw(module_server.host_port, "OPTIONS", f"/{b}/k", b"", {"Access-Control-Request-Method": "GET"})
    assert (r.status, _xml_error(r.body)["Code"]) == (400, "BadRequest")
    r = send_raw(module_server.host_port, "OPTIONS", f"/{b}/k", b"", {"Origin": "https://app.example.com"})
    assert (r.status, _xml_error(r.body)["Code"]) == (400, "BadRequest")
    # Configuring CORS is refused in S3's shape.
    with pytest.raises(ClientError) as e:
        c.put_bucket_cors(Bucket=b, CORSConfiguration={
            "CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert (status(e.value), error_code(e.value)) == (501, "NotImplemented")


# -- 18. DeleteBucket with unfinished uploads ----------------------------------------
def test_delete_bucket_takes_its_unfinished_uploads_with_it(fresh_server):
    c = s3(fresh_server)
    root = fresh_server.data_dir
    name = new_bucket(c)
    before = {p for p in files_under(root) if p.startswith("blobs/")}
    for key in ["one", "two"]:
        up = c.create_multipart_upload(Bucket=name, Key=key)["UploadId"]
        c.upload_part(Bucket=name, Key=key, UploadId=up, PartNumber=1, Body=b"p" * (1 * MIB))
    parts = {p for p in files_under(root) if p.startswith("blobs/")} - before
    assert parts, "the parts are files"
    # An object still keeps the bucket.
    c.put_object(Bucket=name, Key="obj", Body=b"x")
    with pytest.raises(ClientError) as e:
        c.delete_bucket(Bucket=name)
    assert error_code(e.value) == "BucketNotEmpty"
    c.delete_object(Bucket=name, Key="obj")
    c.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        c.head_bucket(Bucket=name)
    assert status(e.value) == 404
    assert not ({p for p in files_under(root) if p.startswith("blobs/")} & parts), "part files are deleted"
    # Durable: after a kill and restart the bucket and uploads stay gone,
    # and a bucket of the same name starts empty.
    fresh_server.kill()
    fresh_server.start()
    c = s3(fresh_server)
    with pytest.raises(ClientError):
        c.head_bucket(Bucket=name)
    c.create_bucket(Bucket=name)
    assert "Uploads" not in c.list_multipart_uploads(Bucket=name)
    assert not ({p for p in files_under(root) if p.startswith("blobs/")} & parts)


def test_content_md5_still_checked(module_server, c, b):
    """The empty-header rule does not loosen a real Content-MD5."""
    good = base64.b64encode(hashlib.md5(b"body").digest()).decode()
    assert _signed(module_server, "PUT", f"/{b}/k", b"body", {"Content-MD5": good}).status == 200
    r = _signed(module_server, "PUT", f"/{b}/k", b"body", {"Content-MD5": "not-base64"})
    assert (r.status, _xml_error(r.body)["Code"]) == (400, "InvalidDigest")


# -- SSE-C over plain HTTP ---------------------------------------------------------
@pytest.mark.parametrize("call", ["put", "get", "copy", "multipart"])
def test_customer_provided_keys_are_refused_over_plain_http(c, b, call):
    """S3 refuses SSE-C keys on a connection that is not TLS; Slipway is
    plain HTTP and encrypts nothing, so nothing may be stored as if it were
    encrypted with the client's key."""
    key = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": "k" * 32}
    c.put_object(Bucket=b, Key="plain", Body=b"x")
    calls = {
        "put": lambda: c.put_object(Bucket=b, Key="secret", Body=b"x", **key),
        "get": lambda: c.get_object(Bucket=b, Key="plain", **key),
        "copy": lambda: c.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "plain"},
                                      CopySourceSSECustomerAlgorithm="AES256",
                                      CopySourceSSECustomerKey="k" * 32),
        "multipart": lambda: c.create_multipart_upload(Bucket=b, Key="mp", **key),
    }
    with pytest.raises(ClientError) as e:
        calls[call]()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_code(e.value) == "InvalidRequest"
    assert "must be made over a secure connection" in e.value.response["Error"]["Message"]
    names = [o["Key"] for o in c.list_objects_v2(Bucket=b).get("Contents", [])]
    assert names == ["plain"], names
