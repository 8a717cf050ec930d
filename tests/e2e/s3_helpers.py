"""Helpers for the S3 end-to-end tests. Builds on e2e_helpers'
`Slipway` server handle from conftest.py: real boto3 clients, the real AWS
CLI, and curl for presigned URLs, all against a real `slipway serve`."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from pathlib import Path

from botocore.config import Config


def s3(server, creds=None, **cfg):
    """A boto3 S3 client for `server` (path-style, as with any custom endpoint)."""
    cfg.setdefault("s3", {"addressing_style": "path"})
    cfg.setdefault("read_timeout", 120)
    return server.client(creds, service="s3", **cfg)


def bucket_name(prefix: str = "b") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def new_bucket(client, prefix: str = "b") -> str:
    name = bucket_name(prefix)
    client.create_bucket(Bucket=name)
    return name


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def error_code(exc) -> str:
    return exc.response["Error"]["Code"]


def status(exc) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def curl(*args: str, upload: Path | None = None) -> tuple[int, bytes]:
    """Runs curl; returns (HTTP status, body). `upload` PUTs a file the way
    users do (`curl -T FILE URL`: no Content-Type added, so a SigV2
    presigned PUT signed without one still matches)."""
    cmd = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args]
    if upload is not None:
        cmd += ["-T", str(upload)]
    out = subprocess.run(cmd, capture_output=True, timeout=60, check=True).stdout
    body, _, code = out.rpartition(b"\n")
    return int(code), body


def random_file(path: Path, size: int) -> Path:
    """A file of `size` random bytes, written in 8 MiB chunks."""
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 8 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def files_under(root: Path) -> set[str]:
    """Every file path under `root`, relative, for before/after comparisons."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
