"""The image registry end to end: podman and skopeo pushing and pulling
through ECR-style logins, the ECR API through boto3 and the AWS CLI,
cross-account isolation, and bad input refused with OCI error codes.

Images are built FROM scratch (busybox-static), so nothing is fetched from
a public registry. Needs rootful podman and skopeo (scripts/setup.sh).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from registry_helpers import Oci, build_image, remove_image, run, token_password, unique

pytestmark = pytest.mark.skipif(
    shutil.which("podman") is None or shutil.which("skopeo") is None,
    reason="podman and skopeo are needed (scripts/setup.sh)",
)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def srv(module_server):
    return module_server


@pytest.fixture(scope="module")
def ecr(srv):
    return srv.client(service="ecr")


@pytest.fixture(scope="module")
def hostport(srv):
    host, port = srv.host_port
    return f"{host}:{port}"


@pytest.fixture(scope="module")
def authfile(srv, tmp_path_factory, hostport):
    """`aws ecr get-login-password | podman login --password-stdin`, into an
    auth file of the test's own (the machine's logins stay untouched)."""
    path = tmp_path_factory.mktemp("auth") / "auth.json"
    password = srv.cli("ecr", "get-login-password").stdout.strip()
    run("podman", "login", "--authfile", str(path), "--tls-verify=false",
        "--username", "AWS", "--password-stdin", hostport, input=password)
    return str(path)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Two local images sharing their busybox layer: v1 (3 layers) and v2
    (v1 plus one layer)."""
    base = tmp_path_factory.mktemp("img")
    v1 = f"localhost/{unique('slipway-regtest')}:v1"
    v2 = v1.replace(":v1", ":v2")
    build_image(v1, base / "v1", {"a.txt": b"hello\n", "b.bin": bytes(range(256)) * 4096})
    build_image(v2, base / "v2", {"c.txt": b"more\n"}, base=v1)
    yield v1, v2
    remove_image(v2)
    remove_image(v1)


def oci(srv, password):
    host, port = srv.host_port
    return Oci(host, port, password)


def test_base_check_challenges_without_credentials(srv):
    st, h, body = oci(srv, None).request("GET", "/v2/")
    assert st == 401
    assert h["www-authenticate"].startswith("Basic realm=")
    assert json.loads(body)["errors"][0]["code"] == "UNAUTHORIZED"
    assert h["docker-distribution-api-version"] == "registry/2.0"


def test_podman_push_pull_round_trip(srv, ecr, images, authfile, hostport, tmp_path):
    v1, v2 = images
    repo = unique("podman/model")
    ecr.create_repository(repositoryName=repo)
    remote = f"{hostport}/{repo}"
    tls = "--tls-verify=false"
    digest_file = tmp_path / "digest"
    run("podman", "push", tls, "--authfile", authfile, "--digestfile", str(digest_file), v1, f"{remote}:v1")
    d1 = digest_file.read_text().strip()
    blobs_before = sum(p.is_file() for p in (srv.data_dir / "registry-blobs").rglob("*"))
    run("podman", "push", tls, "--authfile", authfile, "--digestfile", str(digest_file), v2, f"{remote}:v2")
    d2 = digest_file.read_text().strip()
    blobs_after = sum(p.is_file() for p in (srv.data_dir / "registry-blobs").rglob("*"))
    # v2 shares v1's three layers: only its own layer, config (and no
    # re-upload of shared layers) add files.
    assert d1 != d2
    assert blobs_after - blobs_before <= 2, (blobs_before, blobs_after)

    imgs = ecr.describe_images(repositoryName=repo)["imageDetails"]
    by_digest = {i["imageDigest"]: i for i in imgs}
    assert by_digest[d1]["imageTags"] == ["v1"]
    assert by_digest[d2]["imageTags"] == ["v2"]
    assert by_digest[d1]["imageSizeInBytes"] > 1_000_000

    # Pull back by tag and by digest into fresh names.
    for ref in (f"{remote}:v1", f"{remote}@{d2}"):
        run("podman", "pull", tls, "--authfile", authfile, "--quiet", ref)
        try:
            out = run("podman", "run", "--rm", ref, "/bin/busybox", "cat", "/data/a.txt").stdout
            assert out == "hello\n"
        finally:
            remove_image(ref)


def test_skopeo_copy_and_inspect(srv, ecr, images, hostport, tmp_path):
    v1, _ = images
    repo = unique("skopeo")
    ecr.create_repository(repositoryName=repo)
    password = token_password(ecr)
    creds = f"AWS:{password}"
    run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", creds,
        f"containers-storage:{v1}", f"docker://{hostport}/{repo}:s1")
    info = json.loads(run("skopeo", "inspect", "--tls-verify=false", "--creds", creds,
                          f"docker://{hostport}/{repo}:s1").stdout)
    assert len(info["Layers"]) == 3
    # Copy out by digest to an OCI layout and check every blob's digest.
    layout = tmp_path / "layout"
    run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds,
        f"docker://{hostport}/{repo}@{info['Digest']}", f"oci:{layout}:x")
    for blob in (layout / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    tags = json.loads(run("skopeo", "list-tags", "--tls-verify=false", "--creds", creds,
                          f"docker://{hostport}/{repo}").stdout)["Tags"]
    assert tags == ["s1"]


@pytest.fixture(scope="module")
def engine_sock(tmp_path_factory):
    """A Docker-API podman service of this test's own: a long-running
    service reads registries.conf.d once, so one started before
    scripts/podman-service.sh wrote the loopback drop-in would not see it."""
    import subprocess
    sock = tmp_path_factory.mktemp("engine") / "podman.sock"
    proc = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{sock}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.1)
    yield str(sock)
    proc.terminate()
    proc.wait(timeout=30)


def test_pull_through_the_engine_api(srv, ecr, images, hostport, engine_sock):
    """The job runtime's path: the Docker API of the podman service pulls
    from loopback over plain HTTP with the account's registry credentials
    (scripts/podman-service.sh marks 127.0.0.1 insecure)."""
    import base64
    import http.client
    v1, _ = images
    repo = unique("engine")
    ecr.create_repository(repositoryName=repo)
    password = token_password(ecr)
    run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"AWS:{password}",
        f"containers-storage:{v1}", f"docker://{hostport}/{repo}:e1")
    sock = engine_sock

    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(sock)

    auth = base64.urlsafe_b64encode(json.dumps(
        {"username": "AWS", "password": password, "serveraddress": hostport}).encode()).decode()
    conn = Unix("d", timeout=120)
    conn.request("POST", f"/images/create?fromImage={hostport}/{repo}&tag=e1", headers={"X-Registry-Auth": auth})
    resp = conn.getresponse()
    body = resp.read().decode()
    try:
        assert resp.status == 200, body
        assert "error" not in body.lower(), body
        run("podman", "image", "exists", f"{hostport}/{repo}:e1")
    finally:
        remove_image(f"{hostport}/{repo}:e1")


def test_ecr_api_through_boto3(ecr, srv):
    repo = unique("boto/api")
    r = ecr.create_repository(repositoryName=repo, imageTagMutability="IMMUTABLE")["repository"]
    assert r["repositoryUri"] == f"{srv.account_id}.dkr.ecr.{srv.region}.amazonaws.com/{repo}"
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=repo)
    assert e.value.response["Error"]["Code"] == "RepositoryAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName="Bad/Name")
    assert e.value.response["Error"]["Code"] in ("InvalidParameterException", "ValidationException")

    # Push a tiny image over raw OCI, then read it through the ECR API.
    reg = oci(srv, token_password(ecr))
    config = reg.push_blob(repo, b"{}")
    layer = reg.push_blob(repo, b"layer-bytes")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": 11}],
    }).encode()
    st, h, body = reg.request("PUT", f"/v2/{repo}/manifests/t1", manifest, {"Content-Type": OCI_MANIFEST})
    assert st == 201, body
    digest = h["docker-content-digest"]
    assert digest == "sha256:" + hashlib.sha256(manifest).hexdigest()

    got = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "t1"}, {"imageTag": "nope"}])
    assert got["images"][0]["imageManifest"].encode() == manifest
    assert got["images"][0]["imageId"]["imageDigest"] == digest
    assert got["failures"][0]["failureCode"] == "ImageNotFound"
    assert ecr.list_images(repositoryName=repo)["imageIds"] == [{"imageDigest": digest, "imageTag": "t1"}]

    # Immutable tags refuse to move; mutability can be switched.
    other = manifest.replace(b'"size": 11', b'"size": 11 ')
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/t1", other, {"Content-Type": OCI_MANIFEST})
    assert st == 400 and reg.error_code(body) == "TAG_INVALID", body
    ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE")
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/t1", other, {"Content-Type": OCI_MANIFEST})
    assert st == 201, body

    with pytest.raises(ClientError) as e:
        ecr.delete_repository(repositoryName=repo)
    assert e.value.response["Error"]["Code"] == "RepositoryNotEmptyException"
    deleted = ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageDigest": digest}])
    assert deleted["imageIds"] == [{"imageDigest": digest}]
    ecr.delete_repository(repositoryName=repo, force=True)
    with pytest.raises(ClientError) as e:
        ecr.describe_repositories(repositoryNames=[repo])
    assert e.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    st, _, body = reg.request("GET", f"/v2/{repo}/manifests/t1")
    assert st == 404 and reg.error_code(body) == "NAME_UNKNOWN"


def test_ecr_api_through_the_aws_cli(srv):
    repo = unique("cli")
    out = srv.cli("ecr", "create-repository", "--repository-name", repo).json
    assert out["repository"]["repositoryName"] == repo
    names = [r["repositoryName"] for r in srv.cli("ecr", "describe-repositories").json["repositories"]]
    assert repo in names
    assert srv.cli("ecr", "list-images", "--repository-name", repo).json["imageIds"] == []
    srv.cli("ecr", "delete-repository", "--repository-name", repo)
    gone = srv.cli("ecr", "describe-repositories", "--repository-names", repo, check=False)
    assert gone.returncode != 0 and "RepositoryNotFoundException" in gone.stderr


def test_one_account_cannot_reach_anothers_images(srv, ecr, hostport):
    repo = unique("private")
    ecr.create_repository(repositoryName=repo)
    reg_a = oci(srv, token_password(ecr))
    layer = reg_a.push_blob(repo, b"secret layer")
    other = srv.create_account(unique("other"))
    ecr_b = srv.client(creds=other, service="ecr")
    reg_b = oci(srv, token_password(ecr_b))
    st, _, body = reg_b.request("GET", f"/v2/{repo}/blobs/{layer}")
    assert st == 404 and reg_b.error_code(body) == "NAME_UNKNOWN"
    # Even with a repository of the same name, B cannot read A's blob.
    ecr_b.create_repository(repositoryName=repo)
    st, _, body = reg_b.request("GET", f"/v2/{repo}/blobs/{layer}")
    assert st == 404 and reg_b.error_code(body) == "BLOB_UNKNOWN"
    st, _, _ = reg_b.request("POST", f"/v2/{repo}/blobs/uploads/?mount={layer}&from={repo}")
    assert st == 202  # no mount across accounts: an ordinary upload starts
    with pytest.raises(ClientError) as e:
        ecr_b.describe_repositories(registryId=srv.account_id)
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    fail = run("skopeo", "inspect", "--tls-verify=false", "--creds", "AWS:forged.0000",
               f"docker://{hostport}/{repo}:x", check=False)
    assert fail.returncode != 0


def test_chunked_upload_range_reads_and_tag_pages(srv, ecr):
    repo = unique("chunks")
    ecr.create_repository(repositoryName=repo)
    reg = oci(srv, token_password(ecr))
    data = bytes(range(256)) * 1000
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    assert st == 202 and h["range"] == "0-0"
    loc = h["location"]
    st, h, _ = reg.request("PATCH", loc, data[:100_000], {"Content-Range": "0-99999"})
    assert st == 202 and h["range"] == "0-99999"
    # Out of order: refused with 416, nothing appended.
    st, _, _ = reg.request("PATCH", loc, b"xx", {"Content-Range": "5-6"})
    assert st == 416
    st, h, _ = reg.request("GET", loc)
    assert st == 204 and h["range"] == "0-99999"
    st, h, _ = reg.request("PATCH", loc, data[100_000:200_000])
    assert st == 202
    st, h, body = reg.request("PUT", f"{loc}?digest={digest}", data[200_000:])
    assert st == 201, body
    assert h["docker-content-digest"] == digest
    st, h, body = reg.request("GET", f"/v2/{repo}/blobs/{digest}", headers={"Range": "bytes=99990-100009"})
    assert st == 206 and body == data[99990:100010]
    assert h["content-range"] == f"bytes 99990-100009/{len(data)}"
    st, _, body = reg.request("GET", f"/v2/{repo}/blobs/{digest}")
    assert st == 200 and body == data

    config = reg.push_blob(repo, b"{}")
    for tag in ("a", "b", "c"):
        m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
                        "layers": [], "annotations": {"t": tag}}).encode()
        st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{tag}", m, {"Content-Type": OCI_MANIFEST})
        assert st == 201, body
    st, h, body = reg.request("GET", f"/v2/{repo}/tags/list?n=2")
    assert json.loads(body)["tags"] == ["a", "b"]
    assert 'rel="next"' in h["link"] and "last=b" in h["link"]
    st, h, body = reg.request("GET", f"/v2/{repo}/tags/list?n=2&last=b")
    assert json.loads(body)["tags"] == ["c"] and "link" not in h


def test_bad_input_is_refused_and_nothing_is_stored(srv, ecr):
    repo = unique("bad")
    ecr.create_repository(repositoryName=repo)
    reg = oci(srv, token_password(ecr))
    data = b"some layer"
    right = "sha256:" + hashlib.sha256(data).hexdigest()
    wrong = "sha256:" + "0" * 64
    st, _, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/?digest={wrong}", data)
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID"
    for d in (wrong, right):
        st, _, _ = reg.request("HEAD", f"/v2/{repo}/blobs/{d}")
        assert st == 404

    # A truncated upload: the connection closes before Content-Length bytes.
    host, port = srv.host_port
    auth = __import__("base64").b64encode(f"AWS:{reg.password}".encode()).decode()
    st, h, _ = reg.request("POST", f"/v2/{repo}/blobs/uploads/")
    with socket.create_connection((host, port)) as s:
        s.sendall((f"PATCH {h['location']} HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Basic {auth}\r\n"
                   "Content-Length: 1000000\r\n\r\n").encode() + b"x" * 1000)
    time.sleep(0.5)
    st, h2, _ = reg.request("GET", h["location"])
    assert st == 204 and h2["range"] == "0-0"  # nothing of the truncated chunk counts

    # An oversized manifest is refused from its Content-Length, before the
    # body is read (a raw socket: the server answers mid-upload).
    with socket.create_connection((host, port)) as s:
        s.sendall((f"PUT /v2/{repo}/manifests/big HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Basic {auth}\r\nContent-Type: {OCI_MANIFEST}\r\n"
                   f"Content-Length: {4 * 1024 * 1024 + 10}\r\n\r\n").encode() + b"{" * 1000)
        head = s.recv(65536).decode()
    assert head.startswith("HTTP/1.1 413") and "MANIFEST_INVALID" in head, head
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/x", b'{"schemaVersion":2}',
                              {"Content-Type": "application/vnd.example.unknown+json"})
    assert st == 415 and reg.error_code(body) == "UNSUPPORTED"
    missing = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": wrong, "size": 2},
                          "layers": []}).encode()
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/x", missing, {"Content-Type": OCI_MANIFEST})
    assert st == 400 and reg.error_code(body) == "MANIFEST_BLOB_UNKNOWN"
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/x", b"not json", {"Content-Type": OCI_MANIFEST})
    assert st == 400 and reg.error_code(body) == "MANIFEST_INVALID"
    st, _, body = reg.request("PUT", f"/v2/{repo}/manifests/{wrong}", missing, {"Content-Type": OCI_MANIFEST})
    assert st == 400 and reg.error_code(body) == "DIGEST_INVALID"
    assert ecr.list_images(repositoryName=repo)["imageIds"] == []
    for path in ("/v2/../etc/manifests/x", "/v2/a%2e%2e/manifests/x", "/v2/a//b/manifests/x", "/v2/UP/manifests/x"):
        st, _, body = reg.request("GET", path)
        assert st in (400, 404) and reg.error_code(body) in ("NAME_INVALID", "NAME_UNKNOWN"), (path, body)
        if "%2e" in path or "UP" in path or "//" in path:
            assert reg.error_code(body) == "NAME_INVALID", (path, body)


def test_tokens_expire(server_factory):
    # A token lasts its TTL at least, and less than a second more (its
    # expiry is whole seconds, rounded up).
    s = server_factory(env={"SLIPWAY_REGISTRY_TOKEN_TTL_SECONDS": "2"}).start()
    ecr = s.client(service="ecr")
    reg = oci(s, token_password(ecr))
    st, _, _ = reg.request("GET", "/v2/")
    assert st == 200
    time.sleep(3.2)
    st, h, body = reg.request("GET", "/v2/")
    assert st == 401 and "expired" in json.loads(body)["errors"][0]["message"]


@pytest.fixture
def distribution(tmp_path):
    """Debian's docker-registry on a free loopback port, for the
    external-registry adapter (scripts/setup.sh installs it)."""
    import subprocess
    import urllib.request
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        pytest.skip("docker-registry is not installed (scripts/setup.sh)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "registry.yml"
    cfg.write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {tmp_path / 'dist'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([binary, "serve", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_external_registry_holds_the_bytes(server_factory, distribution, images):
    """`[registry] blobs = "oci"`: the same push and pull, with every layer
    stored in the external registry rather than under the data dir."""
    import urllib.request
    v1, _ = images
    s = server_factory(env={"SLIPWAY_REGISTRY_BLOBS": "oci", "SLIPWAY_REGISTRY_OCI_URL": distribution}).start()
    ecr = s.client(service="ecr")
    repo = unique("ext")
    ecr.create_repository(repositoryName=repo)
    creds = f"AWS:{token_password(ecr)}"
    host, port = s.host_port
    run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", creds,
        f"containers-storage:{v1}", f"docker://{host}:{port}/{repo}:x1")
    info = json.loads(run("skopeo", "inspect", "--tls-verify=false", "--creds", creds,
                          f"docker://{host}:{port}/{repo}:x1").stdout)
    assert len(info["Layers"]) == 3
    out = Path(s.data_dir).parent / "ext-layout"
    run("skopeo", "copy", "--src-tls-verify=false", "--src-creds", creds,
        f"docker://{host}:{port}/{repo}@{info['Digest']}", f"oci:{out}:x")
    for blob in (out / "blobs" / "sha256").iterdir():
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
    # The bytes are in the external registry, none under the data dir.
    tags = json.loads(urllib.request.urlopen(f"{distribution}/v2/slipway/blobs/tags/list").read())["tags"]
    assert len(tags) >= 4  # three layers and the config
    local = Path(s.data_dir) / "registry-blobs"
    assert not local.exists() or not any(p.is_file() for p in local.rglob("*"))


def test_docker_schema2_and_image_index(srv, ecr, images, hostport):
    """A Docker v2 schema 2 manifest (skopeo --format v2s2) and an OCI image
    index (podman manifest push --all) round-trip with their media types."""
    v1, _ = images
    repo = unique("formats")
    ecr.create_repository(repositoryName=repo)
    creds = f"AWS:{token_password(ecr)}"
    run("skopeo", "copy", "--format", "v2s2", "--dest-tls-verify=false", "--dest-creds", creds,
        f"containers-storage:{v1}", f"docker://{hostport}/{repo}:v2s2")
    raw = json.loads(run("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
                         f"docker://{hostport}/{repo}:v2s2").stdout)
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    index = f"localhost/{unique('slipway-regtest-index')}:list"
    run("podman", "manifest", "create", index)
    try:
        run("podman", "manifest", "add", index, f"containers-storage:{v1}")
        run("podman", "manifest", "push", "--all", "--tls-verify=false", "--creds", creds,
            index, f"docker://{hostport}/{repo}:list")
    finally:
        run("podman", "manifest", "rm", index, check=False)
    raw = json.loads(run("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
                         f"docker://{hostport}/{repo}:list").stdout)
    assert raw["mediaType"] == "application/vnd.oci.image.index.v1+json"
    types = {i.get("imageTags", [None])[0]: i["imageManifestMediaType"]
             for i in ecr.describe_images(repositoryName=repo)["imageDetails"]}
    assert types["list"] == "application/vnd.oci.image.index.v1+json"
    assert types["v2s2"] == "application/vnd.docker.distribution.manifest.v2+json"
    # The index's child manifest is stored untagged beside it.
    assert types[None] == "application/vnd.oci.image.manifest.v1+json"
