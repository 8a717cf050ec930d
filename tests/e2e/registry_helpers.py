"""Helpers for the registry end-to-end tests: images built FROM scratch
with podman (busybox-static from Debian, no Docker Hub), registry logins
with ECR tokens, and raw OCI HTTP requests."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import subprocess
import uuid
from pathlib import Path

BUSYBOX = Path("/bin/busybox")


def run(*cmd: str, input: str | None = None, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    out = subprocess.run(list(cmd), input=input, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return out


def build_image(tag: str, ctx: Path, layers: dict[str, bytes], base: str = "scratch") -> None:
    """An image `FROM base` with busybox (when from scratch) plus one layer
    per file in `layers` (name -> content)."""
    ctx.mkdir(parents=True, exist_ok=True)
    lines = [f"FROM {base}"]
    if base == "scratch":
        shutil.copy(BUSYBOX, ctx / "busybox")
        lines.append("COPY busybox /bin/busybox")
    for name, data in layers.items():
        (ctx / name).write_bytes(data)
        lines.append(f"COPY {name} /data/{name}")
    (ctx / "Containerfile").write_text("\n".join(lines) + "\n")
    run("podman", "build", "--quiet", "-t", tag, "-f", str(ctx / "Containerfile"), str(ctx))


def push_to_ecr(server, local: str, repo: str, auth_dir: Path, tag: str = "v1", timeout: float = 300) -> str:
    """`local` pushed to `repo:tag` of the server's account the way the
    notebooks push (`aws ecr get-login-password | podman login`, push); its
    ECR URI. It is pushed as `podman push LOCAL DEST`, without a local tag:
    Podman 4.3 loses image names under concurrent `podman tag`/`podman rmi`
    of one image (a read-modify-write race in its image store), which made
    parallel tests' pushes fail with "image not known"."""
    host, port = server.host_port
    hostport = f"{host}:{port}"
    auth = auth_dir / "auth.json"
    password = server.cli("ecr", "get-login-password").stdout.strip()
    run("podman", "login", "--authfile", str(auth), "--tls-verify=false", "--username", "AWS",
        "--password-stdin", hostport, input=password)
    run("podman", "push", "--quiet", "--authfile", str(auth), "--tls-verify=false", local,
        f"{hostport}/{repo}:{tag}", timeout=timeout)
    return f"{server.account_id}.dkr.ecr.{server.region}.amazonaws.com/{repo}:{tag}"


def remove_image(ref: str) -> None:
    run("podman", "rmi", "-f", ref, check=False)


def token_password(ecr) -> str:
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS"
    return password


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()


class Oci:
    """Raw OCI distribution requests against host:port."""

    def __init__(self, host: str, port: int, password: str | None):
        self.host, self.port, self.password = host, port, password

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        h = dict(headers or {})
        if self.password is not None:
            h.setdefault("Authorization", basic(self.password))
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return r.status, hdrs, data

    def error_code(self, body: bytes) -> str:
        return json.loads(body)["errors"][0]["code"]

    def push_blob(self, repo: str, data: bytes) -> str:
        import hashlib
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        st, _, body = self.request("POST", f"/v2/{repo}/blobs/uploads/?digest={digest}", data,
                                   {"Content-Type": "application/octet-stream"})
        assert st == 201, body
        return digest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
