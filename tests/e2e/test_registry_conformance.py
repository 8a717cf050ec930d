"""Registry conformance end to end: the corners of the OCI distribution
spec (v1.1) and of the ECR API that image tools rarely touch but the
conformance suites and SDK users do — sha512 content, malformed tags,
`Content-Range` on the closing PUT, referrers annotations and filters; ECR's
own error shape for constraint violations, tag-mutability exclusions, KMS
encryption settings and missing repositories. docs/registry.md states each
behaviour tested here.

Raw HTTP for /v2/ (what the conformance suite sends), boto3 for ECR.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from registry_helpers import Oci, token_password, unique

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_CONFIG = "application/vnd.oci.empty.v1+json"


@pytest.fixture(scope="module")
def srv(module_server):
    return module_server


@pytest.fixture(scope="module")
def ecr(srv):
    return srv.client(service="ecr")


def oci(srv, ecr) -> Oci:
    host, port = srv.host_port
    return Oci(host, port, token_password(ecr))


def sha256(b: bytes) -> str:
    return "sha256:" + hashlib.sha256(b).hexdigest()


def sha512(b: bytes) -> str:
    return "sha512:" + hashlib.sha512(b).hexdigest()


def manifest(config: tuple[str, int], layers: list[tuple[str, int]], **extra) -> bytes:
    doc = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {"mediaType": EMPTY_CONFIG, "digest": config[0], "size": config[1]},
           "layers": [{"mediaType": "application/octet-stream", "digest": d, "size": n} for d, n in layers]}
    doc.update(extra)
    return json.dumps(doc).encode()


def new_repo(ecr, prefix: str, **kw) -> str:
    name = unique(prefix)
    ecr.create_repository(repositoryName=name, **kw)
    return name


def error(e: ClientError) -> tuple[str, str]:
    return e.response["Error"]["Code"], e.response["Error"]["Message"]


# ---------------------------------------------------------------- sha512


def test_sha512_blobs_every_upload_path(srv, ecr):
    repo = new_repo(ecr, "sha512-blobs")
    reg = oci(srv, ecr)

    # POST, PATCH, then PUT naming a sha512 digest (no hint on the POST).
    data = b"hashed with sha512, said only at the end " * 100
    d = sha512(data)
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    assert st == 202
    st, h, _ = reg.request("PATCH", h["location"], data[:1000], {"Content-Range": "0-999"})
    assert st == 202
    st, h, body = reg.request("PUT", f"{h['location']}?digest={d}", data[1000:])
    assert st == 201, body
    assert h["docker-content-digest"] == d
    assert h["location"] == f"/v2/{repo}/blobs/{d}"
    st, h, body = reg.request("GET", f"/v2/{repo}/blobs/{d}")
    assert st == 200 and body == data and h["docker-content-digest"] == d
    st, h, _ = reg.request("HEAD", f"/v2/{repo}/blobs/{d}")
    assert st == 200 and h["content-length"] == str(len(data)) and h["docker-content-digest"] == d
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=5-9"})
    assert st == 206 and body == data[5:10]

    # The algorithm named on the POST (`digest-algorithm`, end-4c).
    other = b"other"
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest-algorithm=sha512")
    assert st == 202
    st, h, body = reg.request("PUT", f"{h['location']}?digest={sha512(other)}", other)
    assert st == 201 and h["docker-content-digest"] == sha512(other), body

    # Monolithic POST with a sha512 digest.
    mono = b"monolithic sha512"
    st, h, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest={sha512(mono)}", mono,
                              {"Content-Type": "application/octet-stream"})
    assert st == 201 and h["docker-content-digest"] == sha512(mono), body
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{sha512(mono)}")
    assert st == 200 and body == mono

    # Mounting a sha512 blob into another repository.
    repo2 = new_repo(ecr, "sha512-mount")
    st, h, _ = reg.request("POST", f"/v2/{repo2}/blobs/uploads/?mount={sha512(mono)}&from={repo}")
    assert st == 201 and h["docker-content-digest"] == sha512(mono)

    # A sha512 digest the bytes do not have: refused, nothing stored.
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    st, _, body = reg.request("PUT", f"{h['location']}?digest={sha512(b'not this')}", b"this")
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID"
    for d in (sha512(b"not this"), sha512(b"this")):
        st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{d}")
        assert st == 404 and reg.error_code(body) == "BLOB_UNKNOWN"
    st, _, _ = reg.request("HEAD", f"/v2/{repo}/blobs/{sha512(b'this')}")
    assert st == 404
    # The same content under sha256 is another name for the same bytes.
    st, _, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(mono)}", mono)
    assert st == 201, body
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{sha256(mono)}")
    assert st == 200 and body == mono

    # Malformed sha512 digests are invalid, not unknown.
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/sha512:{'a' * 64}")
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID"


def test_unsupported_digest_algorithms_are_digest_invalid(srv, ecr):
    repo = new_repo(ecr, "algo")
    reg = oci(srv, ecr)
    for bad in ("sha384:" + "0" * 96, "md5:" + "0" * 32, "unknown:12345"):
        for method in ("GET", "HEAD"):
            st, _, body = reg.request(method, f"/v2/{repo}/blobs/{bad}")
            assert st == 400, (method, bad)
            if method == "GET":
                assert reg.error_code(body) == "DIGEST_INVALID", (bad, body)
            st, _, body = reg.request(method, f"/v2/{repo}/manifests/{bad}")
            assert st == 400, (method, bad)
        st, _, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest={bad}", b"x")
        assert st == 400 and reg.error_code(body) == "DIGEST_INVALID", body
        st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{bad}", b"{}", {"Content-Type": OCI_MANIFEST})
        assert st == 400 and reg.error_code(body) == "DIGEST_INVALID", body
    st, _, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest-algorithm=md5")
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID", body


def test_sha512_manifests_by_digest(srv, ecr):
    repo = new_repo(ecr, "sha512-man")
    reg = oci(srv, ecr)
    config, layer = b"{}", b"layer bytes under sha512"
    for b in (config, layer):
        st, _, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest={sha512(b)}", b)
        assert st == 201, body
    m = manifest((sha512(config), len(config)), [(sha512(layer), len(layer))])
    d = sha512(m)
    st, h, body = reg.request("PUT", f"/v2/{repo}/manifests/{d}", m, {"Content-Type": OCI_MANIFEST})
    assert st == 201, body
    assert h["docker-content-digest"] == d and h["location"] == f"/v2/{repo}/manifests/{d}"
    st, h, body = reg.request("GET", f"/v2/{repo}/manifests/{d}", headers={"Accept": OCI_MANIFEST})
    assert st == 200 and body == m and h["docker-content-digest"] == d
    assert h["content-type"] == OCI_MANIFEST
    st, h, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{d}")
    assert st == 200 and h["docker-content-digest"] == d and h["content-length"] == str(len(m))

    # An index naming the sha512 manifest, pushed by tag: sha256 is the
    # digest a tag push gets, and the child is found by its sha512.
    idx = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                      "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": len(m)}]}).encode()
    st, h, body = reg.request("PUT", f"/v2/{repo}/manifests/multi", idx, {"Content-Type": OCI_INDEX})
    assert st == 201 and h["docker-content-digest"] == sha256(idx), body

    # A sha512 reference the body does not have.
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{sha512(b'x')}", m, {"Content-Type": OCI_MANIFEST})
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID"
    for method in ("GET", "HEAD"):
        st, _, body = reg.request(method, f"/v2/{repo}/manifests/{sha512(b'x')}")
        assert st == 404, method
        if method == "GET":
            assert reg.error_code(body) == "MANIFEST_UNKNOWN"
    # ECR sees the image under the digest it was pushed by.
    ids = ecr.list_images(repositoryName=repo)["imageIds"]
    assert {"imageDigest": d} in ids
    st, _, _ = reg.request("DELETE", f"/v2/{repo}/manifests/multi")
    assert st == 202
    st, _, _ = reg.request("DELETE", f"/v2/{repo}/manifests/{d}")
    assert st == 202
    st, _, _ = reg.request("GET", f"/v2/{repo}/manifests/{d}")
    assert st == 404


def test_acknowledged_sha512_pushes_and_settings_survive_a_kill(fresh_server):
    s = fresh_server
    ecr = s.client(service="ecr")
    repo = new_repo(ecr, "durable", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                    imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}],
                    encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "alias/slipway-test"})
    reg = oci(s, ecr)
    blob = b"durable sha512 chunked blob" * 1000
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    st, h, _ = reg.request("PATCH", h["location"], blob[:5000])
    st, _, body = reg.request("PUT", f"{h['location']}?digest={sha512(blob)}", blob[5000:])
    assert st == 201, body
    m = manifest((sha512(blob), len(blob)), [])
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{sha512(m)}", m, {"Content-Type": OCI_MANIFEST})
    assert st == 201, body
    s.kill()
    s.start()
    ecr = s.client(service="ecr")
    reg = oci(s, ecr)
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{sha512(blob)}")
    assert st == 200 and body == blob
    st, _, body = reg.request("GET", f"/v2/{repo}/manifests/{sha512(m)}")
    assert st == 200 and body == m
    r = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert r["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert r["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "dev-*"}]
    assert r["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": "alias/slipway-test"}


# ---------------------------------------------------------------- tags


def test_malformed_tags(srv, ecr):
    repo = new_repo(ecr, "badtag")
    reg = oci(srv, ecr)
    config = reg.push_blob(repo, b"{}")
    m = manifest((config, 2), [])
    for tag in ("invalid**tag--string", ".hidden", "t" * 129, "-dash"):
        # Pulling a tag that cannot exist is a miss (404), as for any
        # unknown tag; pushing one is refused as invalid.
        for method in ("GET", "HEAD"):
            st, _, body = reg.request(method, f"/v2/{repo}/manifests/{tag}")
            assert st == 404, (method, tag, body)
            if method == "GET":
                assert reg.error_code(body) == "MANIFEST_UNKNOWN", (tag, body)
        st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{tag}", m, {"Content-Type": OCI_MANIFEST})
        assert st == 400 and reg.error_code(body) == "TAG_INVALID", (tag, body)
    assert ecr.list_images(repositoryName=repo)["imageIds"] == []


# ---------------------------------------------------------------- Content-Range


def test_closing_put_checks_content_range(srv, ecr):
    repo = new_repo(ecr, "closing")
    reg = oci(srv, ecr)
    data = bytes(range(256)) * 10
    d = sha256(data)
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    loc = h["location"]
    st, h, _ = reg.request("PATCH", loc, data[:1000], {"Content-Range": "0-999"})
    assert st == 202 and h["range"] == "0-999"

    # The last chunk claims to start elsewhere than where the upload ends.
    st, h, _ = reg.request("PUT", f"{loc}?digest={d}", data[1000:], {"Content-Range": f"999-{len(data) - 2}"})
    assert st == 416
    assert h["range"] == "0-999" and h["location"] == loc
    # Its range does not span the bytes sent.
    st, h, _ = reg.request("PUT", f"{loc}?digest={d}", data[1000:], {"Content-Range": "1000-1009"})
    assert st == 416 and h["range"] == "0-999"
    # A range that is no range.
    st, h, _ = reg.request("PUT", f"{loc}?digest={d}", data[1000:], {"Content-Range": "bytes"})
    assert st == 416 and h["range"] == "0-999"
    # None of it was appended or committed: the upload resumes.
    st, h, _ = reg.request("GET", loc)
    assert st == 204 and h["range"] == "0-999"
    st, _, _ = reg.request("HEAD", f"/v2/{repo}/blobs/{d}")
    assert st == 404
    st, h, body = reg.request("PUT", f"{loc}?digest={d}", data[1000:], {"Content-Range": f"1000-{len(data) - 1}"})
    assert st == 201, body
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{d}")
    assert st == 200 and body == data

    # PATCH with a malformed range: 416 with where the upload stands.
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    loc = h["location"]
    st, h, _ = reg.request("PATCH", loc, b"abc", {"Content-Range": "0-x"})
    assert st == 416 and h["range"] == "0-0" and h["location"] == loc
    st, h, _ = reg.request("PATCH", loc, b"abc", {"Content-Range": "0-9"})
    assert st == 416 and h["range"] == "0-0"


# ---------------------------------------------------------------- referrers


def test_referrers_carry_annotations_and_filter_by_artifact_type(srv, ecr):
    repo = new_repo(ecr, "referrers")
    reg = oci(srv, ecr)
    config = reg.push_blob(repo, b"{}")
    layer = reg.push_blob(repo, b"signature bytes")
    subject = manifest((config, 2), [])
    st, _, _ = reg.request("PUT", f"/v2/{repo}/manifests/v1", subject, {"Content-Type": OCI_MANIFEST})
    assert st == 201
    subj = {"mediaType": OCI_MANIFEST, "digest": sha256(subject), "size": len(subject)}
    sig = manifest((config, 2), [(layer, len(b"signature bytes"))], artifactType="application/vnd.example.sig",
                   subject=subj, annotations={"org.example.signed-by": "ci", "org.opencontainers.image.created": "2024-01-01T00:00:00Z"})
    sbom = manifest((config, 2), [(layer, len(b"signature bytes"))], artifactType="application/vnd.example.sbom",
                    subject=subj)
    for m in (sig, sbom):
        st, h, body = reg.request("PUT", f"/v2/{repo}/manifests/{sha256(m)}", m, {"Content-Type": OCI_MANIFEST})
        assert st == 201 and h["oci-subject"] == sha256(subject), body

    st, h, body = reg.request("GET", f"/v2/{repo}/referrers/{sha256(subject)}")
    assert st == 200 and h["content-type"] == OCI_INDEX
    assert "oci-filters-applied" not in h
    entries = {e["digest"]: e for e in json.loads(body)["manifests"]}
    assert set(entries) == {sha256(sig), sha256(sbom)}
    assert entries[sha256(sig)]["annotations"] == {"org.example.signed-by": "ci",
                                                  "org.opencontainers.image.created": "2024-01-01T00:00:00Z"}
    assert entries[sha256(sig)]["artifactType"] == "application/vnd.example.sig"
    assert entries[sha256(sig)]["size"] == len(sig)
    assert "annotations" not in entries[sha256(sbom)]

    st, h, body = reg.request("GET", f"/v2/{repo}/referrers/{sha256(subject)}?artifactType=application/vnd.example.sbom")
    assert st == 200 and h["oci-filters-applied"] == "artifactType"
    assert [e["digest"] for e in json.loads(body)["manifests"]] == [sha256(sbom)]
    st, h, body = reg.request("GET", f"/v2/{repo}/referrers/{sha256(subject)}?artifactType=application/none")
    assert st == 200 and json.loads(body)["manifests"] == [] and h["oci-filters-applied"] == "artifactType"
    # No referrers is an empty index, not a miss.
    st, _, body = reg.request("GET", f"/v2/{repo}/referrers/{sha256(b'nothing')}")
    assert st == 200 and json.loads(body)["manifests"] == []


# ---------------------------------------------------------------- ECR


def test_ecr_constraint_violations_are_invalid_parameter(srv):
    # What the AWS CLI or an SDK without client-side checks sends.
    ecr = srv.client(service="ecr", validate=False)
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName="UPPER/case")
    code, msg = error(e.value)
    assert code == "InvalidParameterException"
    assert msg.startswith("Invalid parameter at 'repositoryName' failed to satisfy constraint: "
                          "'must satisfy regular expression '"), msg
    with pytest.raises(ClientError) as e:
        ecr.describe_images(repositoryName="a")
    assert error(e.value) == ("InvalidParameterException",
                              "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
                              "'must have length greater than or equal to 2'")
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=unique("enum"), imageTagMutability="SOMETIMES")
    code, msg = error(e.value)
    assert code == "InvalidParameterException"
    assert msg == ("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: "
                   "'must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'")
    with pytest.raises(ClientError) as e:
        ecr.list_images(repositoryName=unique("max"), maxResults=0)
    assert error(e.value) == ("InvalidParameterException",
                              "Invalid parameter at 'maxResults' failed to satisfy constraint: "
                              "'must have value greater than or equal to 1'")


def test_ecr_tag_mutability_exclusions(srv, ecr):
    filters = [{"filterType": "WILDCARD", "filter": "dev-*"}, {"filterType": "WILDCARD", "filter": "latest"}]
    repo = new_repo(ecr, "excl", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                    imageTagMutabilityExclusionFilters=filters)
    r = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert r["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert r["imageTagMutabilityExclusionFilters"] == filters
    reg = oci(srv, ecr)
    config = reg.push_blob(repo, b"{}")
    m1 = manifest((config, 2), [], annotations={"n": "1"})
    m2 = manifest((config, 2), [], annotations={"n": "2"})

    def push(tag: str, m: bytes) -> tuple[int, bytes]:
        st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{tag}", m, {"Content-Type": OCI_MANIFEST})
        return st, body

    for tag in ("v1", "dev-1", "latest", "dev-"):
        assert push(tag, m1)[0] == 201
    # Not excluded: immutable.
    st, body = push("v1", m2)
    assert st == 400 and reg.error_code(body) == "TAG_INVALID"
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=repo, imageManifest=m2.decode(), imageTag="v1")
    assert error(e.value)[0] == "ImageTagAlreadyExistsException"
    # Excluded: mutable ('*' matches any run, even an empty one).
    for tag in ("dev-1", "latest", "dev-"):
        assert push(tag, m2)[0] == 201, tag
        st, h, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{tag}")
        assert h["docker-content-digest"] == sha256(m2)
    assert push("v1", m1)[0] == 201  # the same manifest again is no move

    # The other way round, through PutImageTagMutability.
    out = ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE_WITH_EXCLUSION",
                                       imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "release-*"}])
    assert out["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert out["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "release-*"}]
    assert push("v1", m2)[0] == 201
    assert push("release-1", m1)[0] == 201
    st, body = push("release-1", m2)
    assert st == 400 and reg.error_code(body) == "TAG_INVALID"

    # Back to plain MUTABLE: the filters go.
    out = ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE")
    assert "imageTagMutabilityExclusionFilters" not in out
    r = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]
    assert r["imageTagMutability"] == "MUTABLE" and "imageTagMutabilityExclusionFilters" not in r
    assert push("release-1", m2)[0] == 201

    # Filters belong to the *_WITH_EXCLUSION settings only, and those need them.
    for kw in ({"imageTagMutability": "IMMUTABLE_WITH_EXCLUSION"},
               {"imageTagMutability": "IMMUTABLE", "imageTagMutabilityExclusionFilters": filters}):
        with pytest.raises(ClientError) as e:
            ecr.create_repository(repositoryName=unique("excl-bad"), **kw)
        assert error(e.value)[0] == "InvalidParameterException", kw
        with pytest.raises(ClientError) as e:
            ecr.put_image_tag_mutability(repositoryName=repo, **kw)
        assert error(e.value)[0] == "InvalidParameterException", kw
    assert ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["imageTagMutability"] == "MUTABLE"


def test_ecr_encryption_configuration_is_kept(ecr):
    plain = new_repo(ecr, "enc-default")
    kms = new_repo(ecr, "enc-kms", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:000000000000:key/abc"})
    kms_default = new_repo(ecr, "enc-kms-default", encryptionConfiguration={"encryptionType": "KMS"})
    dsse = new_repo(ecr, "enc-dsse", encryptionConfiguration={"encryptionType": "KMS_DSSE", "kmsKey": "alias/dsse"})
    got = {r["repositoryName"]: r["encryptionConfiguration"]
           for r in ecr.describe_repositories(repositoryNames=[plain, kms, kms_default, dsse])["repositories"]}
    assert got[plain] == {"encryptionType": "AES256"}
    assert got[kms] == {"encryptionType": "KMS", "kmsKey": "arn:aws:kms:us-east-1:000000000000:key/abc"}
    assert got[kms_default] == {"encryptionType": "KMS"}
    assert got[dsse] == {"encryptionType": "KMS_DSSE", "kmsKey": "alias/dsse"}
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=unique("enc-bad"),
                              encryptionConfiguration={"encryptionType": "AES256", "kmsKey": "alias/x"})
    assert error(e.value)[0] == "InvalidParameterException"


def test_ecr_calls_on_a_missing_repository(ecr):
    missing = unique("missing")
    calls = {
        "DescribeImages(imageIds tag)": lambda: ecr.describe_images(repositoryName=missing, imageIds=[{"imageTag": "v1"}]),
        "DescribeImages(imageIds digest)": lambda: ecr.describe_images(repositoryName=missing, imageIds=[{"imageDigest": sha256(b"x")}]),
        "DescribeImages": lambda: ecr.describe_images(repositoryName=missing),
        "ListImages": lambda: ecr.list_images(repositoryName=missing),
        "BatchGetImage": lambda: ecr.batch_get_image(repositoryName=missing, imageIds=[{"imageTag": "v1"}]),
        "BatchDeleteImage": lambda: ecr.batch_delete_image(repositoryName=missing, imageIds=[{"imageTag": "v1"}]),
        "BatchCheckLayerAvailability": lambda: ecr.batch_check_layer_availability(repositoryName=missing, layerDigests=[sha256(b"x")]),
        "PutImage": lambda: ecr.put_image(repositoryName=missing, imageManifest="{}", imageTag="v1"),
        "PutImageTagMutability": lambda: ecr.put_image_tag_mutability(repositoryName=missing, imageTagMutability="IMMUTABLE"),
        "PutImageScanningConfiguration": lambda: ecr.put_image_scanning_configuration(repositoryName=missing, imageScanningConfiguration={"scanOnPush": True}),
        "DeleteRepository": lambda: ecr.delete_repository(repositoryName=missing),
        "DescribeRepositories": lambda: ecr.describe_repositories(repositoryNames=[missing]),
    }
    for name, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        code, msg = error(e.value)
        assert code == "RepositoryNotFoundException", (name, code, msg)
        assert f"'{missing}'" in msg, (name, msg)
