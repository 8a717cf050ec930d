"""Shared helpers for the end-to-end tests: a real `slipway serve` process,
real boto3 clients, the real AWS CLI, and raw SigV4-signed HTTP requests.

Nothing here fakes the server: every helper talks to a process started from
the binary named by SLIPWAY_BIN over a loopback socket.
"""

from __future__ import annotations

import copy
import datetime as dt
import http.client
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
VENV_BIN = Path(sys.executable).parent
AWS_CLI = VENV_BIN / "aws"
SLIPWAY_BIN = Path(os.environ.get("SLIPWAY_BIN", REPO / "target" / "release" / "slipway"))
JSON_CT = "application/x-amz-json-1.1"
REGION = "us-east-1"

# SageMaker's role parameters must name an existing role of the caller's
# account that trusts SageMaker (as on AWS). The job tests run as this
# fixed account, so `jobs_helpers.ROLE` names a real role of it.
TEST_ACCOUNT_ID = "123456789012"
TEST_ACCOUNT_ENV = {
    "SLIPWAY_ACCOUNT_ID": TEST_ACCOUNT_ID,
    "SLIPWAY_ACCESS_KEY_ID": "AKIASLIPWAYTESTS0001",
    "SLIPWAY_SECRET_ACCESS_KEY": "slipway-e2e-tests-secret-key-0000000000001",
}
# The role names the tests use; every test server's default account gets them.
TEST_ROLE_NAMES = ("SlipwayTests", "SellerRole", "SageMakerRole", "SlipwayValidation", "SlipwayExecutionRole")
SAGEMAKER_TRUST_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})


def ensure_roles(server: "Slipway", creds: "Account | None" = None, names=TEST_ROLE_NAMES) -> list[str]:
    """Creates (if missing) roles SageMaker may assume, through the server's
    IAM API, in the account of `creds` (default: the server's); returns
    their ARNs."""
    import botocore.exceptions

    iam = server.client(creds, service="iam")
    arns = []
    for name in names:
        try:
            arns.append(iam.create_role(RoleName=name, AssumeRolePolicyDocument=SAGEMAKER_TRUST_POLICY)["Role"]["Arn"])
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
            arns.append(iam.get_role(RoleName=name)["Role"]["Arn"])
    return arns


@dataclass(frozen=True)
class Account:
    account_id: str | None
    access_key: str
    secret_key: str


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def error_type(self) -> str | None:
        try:
            doc = self.json
        except ValueError:
            return None
        return doc.get("__type") if isinstance(doc, dict) else None

    @property
    def message(self) -> str:
        try:
            doc = self.json
        except ValueError:
            return ""
        return (doc.get("message") or doc.get("Message") or "") if isinstance(doc, dict) else ""

    def __repr__(self) -> str:  # short, readable in assertion output
        return f"RawResponse({self.status}, {self.body[:400]!r})"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None


def clean_env() -> dict[str, str]:
    """The current environment without any AWS_* / SLIPWAY_* settings, with
    config and credential files pointed nowhere so nothing leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLIPWAY_"))}
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_PAGER"] = ""
    return env


def parse_export_line(line: str) -> dict[str, str]:
    words = shlex.split(line)
    assert words and words[0] == "export", f"not an export line: {line!r}"
    out = {}
    for w in words[1:]:
        k, _, v = w.partition("=")
        out[k] = v
    return out


class Slipway:
    """One `slipway serve` process on an ephemeral loopback port."""

    def __init__(
        self,
        data_dir: Path,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        listen: str | None = "127.0.0.1:0",
        cwd: Path | None = None,
    ):
        # `data_dir` may be relative to `cwd` (the server's working directory).
        self.cwd = cwd
        self.data_dir = Path(data_dir)
        self.extra_env = dict(env or {})
        self.extra_args = list(args or [])
        self.listen = listen
        self.proc: subprocess.Popen | None = None
        self.export: dict[str, str] = {}
        self.export_line = ""
        where = (cwd / self.data_dir) if cwd is not None else self.data_dir
        self.log_path = where.parent / f"{where.name}-server.log"
        self._account_id: str | None = None
        self.starts = 0
        # Create TEST_ROLE_NAMES in the default account at every start.
        self.test_roles = True

    # -- process lifecycle -------------------------------------------------
    def start(self, timeout: float = 30.0) -> "Slipway":
        assert SLIPWAY_BIN.exists(), f"SLIPWAY_BIN {SLIPWAY_BIN} does not exist (cargo build --release -p slipway)"
        cmd = [str(SLIPWAY_BIN), "serve", "--data-dir", str(self.data_dir)]
        if self.listen is not None:
            cmd += ["--listen", self.listen]
        cmd += self.extra_args
        env = clean_env()
        env.update(self.extra_env)
        env.setdefault("RUST_LOG", "warn")
        log = open(self.log_path, "ab")
        self.starts += 1
        log.write(f"\n==== start #{self.starts}: {' '.join(cmd)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, env=env,
                                     start_new_session=True, cwd=self.cwd)
        log.close()
        line = self._read_export_line(timeout)
        self.export_line = line
        self.export = parse_export_line(line)
        # keep draining stdout so the server can never block on a full pipe
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        if self.test_roles:
            try:
                ensure_roles(self)
            except Exception as e:  # a test of a broken server sees it itself
                with open(self.log_path, "ab") as f:
                    f.write(f"e2e: could not create the test roles: {e}\n".encode())
        return self

    def _read_export_line(self, timeout: float) -> str:
        assert self.proc and self.proc.stdout
        result: list[str] = []

        def reader() -> None:
            assert self.proc and self.proc.stdout
            for raw in self.proc.stdout:
                text = raw.decode("utf-8", "replace").strip()
                if text.startswith("export "):
                    result.append(text)
                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        if not result:
            self.kill()
            raise AssertionError(
                f"slipway serve printed no export line within {timeout}s; log:\n{self.log_tail()}"
            )
        return result[0]

    @staticmethod
    def _drain(proc: subprocess.Popen) -> None:
        try:
            for _ in proc.stdout:  # type: ignore[union-attr]
                pass
        except Exception:
            pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, no chance to flush anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> "Slipway":
        self.stop()
        return self.start()

    # -- connection facts --------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self.export["AWS_ENDPOINT_URL"]

    @property
    def host_port(self) -> tuple[str, int]:
        u = urlsplit(self.endpoint)
        return u.hostname or "127.0.0.1", int(u.port or 80)

    @property
    def region(self) -> str:
        return self.export.get("AWS_DEFAULT_REGION", REGION)

    @property
    def creds(self) -> Account:
        return Account(self._account_id, self.export["AWS_ACCESS_KEY_ID"], self.export["AWS_SECRET_ACCESS_KEY"])

    @property
    def access_key(self) -> str:
        return self.export["AWS_ACCESS_KEY_ID"]

    @property
    def secret_key(self) -> str:
        return self.export["AWS_SECRET_ACCESS_KEY"]

    @property
    def account_id(self) -> str:
        """The default account's id, read from an ARN the server hands out."""
        if self._account_id is None:
            self._account_id = account_id_of(self.client())
        return self._account_id

    # -- clients -----------------------------------------------------------
    def client(self, creds: Account | None = None, *, validate: bool = True, service: str = "sagemaker", **cfg: Any):
        creds = creds or self.creds
        settings = dict(
            parameter_validation=validate,
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )
        settings.update(cfg)
        config = Config(**settings)
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key,
            aws_secret_access_key=creds.secret_key,
            region_name=self.region,
        )
        return session.client(service, endpoint_url=self.endpoint, config=config)

    def cli_env(self, creds: Account | None = None) -> dict[str, str]:
        creds = creds or self.creds
        env = clean_env()
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=creds.access_key,
            AWS_SECRET_ACCESS_KEY=creds.secret_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_MAX_ATTEMPTS="1",
        )
        return env

    def cli(self, *args: str, creds: Account | None = None, check: bool = True, timeout: float = 60) -> CliResult:
        """Run the real AWS CLI (from this venv) against the server."""
        return run_aws_cli(list(args), self.cli_env(creds), check=check, timeout=timeout)

    def create_account(self, name: str) -> Account:
        return create_account(self.data_dir, name)

    # -- raw HTTP ----------------------------------------------------------
    def raw(
        self,
        target: str | None,
        body: bytes | str | dict | list | None = None,
        *,
        creds: Account | None = None,
        sign: bool = True,
        headers: dict[str, str] | None = None,
        content_type: str | None = JSON_CT,
        when: dt.datetime | None = None,
        after_sign: Callable[[dict[str, str]], None] | None = None,
        method: str = "POST",
        path: str = "/",
        timeout: float = 30,
    ) -> RawResponse:
        """Send one request over a fresh connection, SigV4-signed by botocore
        (unless sign=False). `target` is e.g. "SageMaker.ListAlgorithms"."""
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body or b""
        hdrs: dict[str, str] = {}
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if target is not None:
            hdrs["X-Amz-Target"] = target
        hdrs.update(headers or {})
        if sign:
            hdrs = sign_headers(self.endpoint + path, method, data, hdrs, creds or self.creds, self.region, when)
        if after_sign:
            after_sign(hdrs)
        return send_raw(self.host_port, method, path, data, hdrs, timeout=timeout)


def account_id_of(client) -> str:
    """Learn an account id from an ARN: create a throw-away group, read its
    ARN, delete it again."""
    name = "acct-probe-" + uuid.uuid4().hex[:12]
    arn = client.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"]
    client.delete_model_package_group(ModelPackageGroupName=name)
    return arn.split(":")[4]


def create_account(data_dir: Path, name: str, env: dict[str, str] | None = None) -> Account:
    e = clean_env()
    e.update(env or {})
    out = subprocess.run(
        [str(SLIPWAY_BIN), "account", "create", "--data-dir", str(data_dir), "--name", name],
        capture_output=True,
        text=True,
        env=e,
        timeout=60,
    )
    assert out.returncode == 0, f"slipway account create failed: {out.stderr}"
    vals = {}
    for line in out.stdout.splitlines():
        k, sep, v = line.strip().partition("=")
        if sep:
            vals[k.replace("export ", "").strip()] = v.strip()
    for k in ("ACCOUNT_ID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert k in vals, f"`slipway account create` printed no {k}=: {out.stdout!r}"
    return Account(vals["ACCOUNT_ID"], vals["AWS_ACCESS_KEY_ID"], vals["AWS_SECRET_ACCESS_KEY"])


def run_aws_cli(args: list[str], env: dict[str, str], check: bool = True, timeout: float = 60) -> CliResult:
    assert AWS_CLI.exists(), f"no AWS CLI at {AWS_CLI}"
    out = subprocess.run(
        [str(AWS_CLI), *args, "--output", "json"], capture_output=True, text=True, env=env, timeout=timeout
    )
    res = CliResult(out.returncode, out.stdout, out.stderr)
    if check:
        assert out.returncode == 0, f"aws {' '.join(args)} failed ({out.returncode}): {out.stderr}"
    return res


# -- SigV4 ---------------------------------------------------------------------
def sign_headers(
    url: str,
    method: str,
    data: bytes,
    headers: dict[str, str],
    creds: Account,
    region: str,
    when: dt.datetime | None = None,
) -> dict[str, str]:
    """Sign with botocore's own SigV4 signer; `when` pins the signing time."""
    req = AWSRequest(method=method, url=url, data=data, headers=dict(headers))
    signer = SigV4Auth(Credentials(creds.access_key, creds.secret_key), "sagemaker", region)
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            signer.add_auth(req)
    return {k: v for k, v in req.headers.items()}


class _BodyKeepingQueryAuth(SigV4QueryAuth):
    """botocore's presigner moves a body into the query string (query
    protocols); a JSON-protocol presigned request keeps its body, and its
    payload hash is the hash of that body."""

    def _modify_request_before_signing(self, request):
        data = request.data
        request.data = b""
        super()._modify_request_before_signing(request)
        request.data = data


def presign(
    url: str,
    data: bytes,
    headers: dict[str, str],
    creds: Account,
    region: str,
    expires: int = 300,
    when: dt.datetime | None = None,
) -> tuple[str, dict[str, str]]:
    req = AWSRequest(method="POST", url=url, data=data, headers=dict(headers))
    signer = _BodyKeepingQueryAuth(Credentials(creds.access_key, creds.secret_key), "sagemaker", region, expires)
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
            signer.add_auth(req)
    u = urlsplit(req.url)
    return u.path + ("?" + u.query if u.query else ""), {k: v for k, v in req.headers.items()}


def send_raw(
    host_port: tuple[str, int], method: str, path: str, data: bytes, headers: dict[str, str], timeout: float = 30
) -> RawResponse:
    conn = http.client.HTTPConnection(*host_port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(data)))
        conn.endheaders()
        try:
            # send in chunks; a server may answer early (e.g. 413) and close
            view = memoryview(data)
            for i in range(0, len(data), 1 << 16):
                conn.send(view[i : i + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = conn.getresponse()
        body = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# -- documents -----------------------------------------------------------------
def load_example(name: str, account_id: str, **overrides: Any) -> dict:
    text = (EXAMPLES / name).read_text().replace("ACCOUNT", account_id)
    doc = json.loads(text)
    doc.update(overrides)
    return doc


def algorithm_doc(account_id: str, name: str, **overrides: Any) -> dict:
    return load_example("create-algorithm.json", account_id, AlgorithmName=name, **overrides)


def model_package_doc(account_id: str, name: str, **overrides: Any) -> dict:
    return load_example("create-model-package.json", account_id, ModelPackageName=name, **overrides)


def simple_inference_spec(account_id: str = "123456789012") -> dict:
    return {
        "Containers": [
            {
                "Image": f"{account_id}.dkr.ecr.us-east-1.amazonaws.com/slipway-sample:latest",
                "ModelDataUrl": "s3://quickstart/model/model.tar.gz",
            }
        ],
        "SupportedTransformInstanceTypes": ["ml.m5.large"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def diff(sent: Any, got: Any, path: str = "") -> list[str]:
    """Human-readable differences between what was sent and what came back."""
    out: list[str] = []
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{path or '<root>'}: sent an object, got {got!r}"]
        for k in sorted(set(sent) | set(got)):
            p = f"{path}.{k}" if path else k
            if k not in got:
                out.append(f"{p}: sent {sent[k]!r}, missing in response")
            elif k not in sent:
                out.append(f"{p}: not sent, response has {got[k]!r}")
            else:
                out += diff(sent[k], got[k], p)
    elif isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return [f"{path}: sent {sent!r}, got {got!r}"]
        for i, (a, b) in enumerate(zip(sent, got)):
            out += diff(a, b, f"{path}[{i}]")
    elif type(sent) is not type(got) and not (isinstance(sent, (int, float)) and isinstance(got, (int, float)) and not isinstance(sent, bool) and not isinstance(got, bool)):
        out.append(f"{path}: sent {sent!r} ({type(sent).__name__}), got {got!r} ({type(got).__name__})")
    elif sent != got:
        out.append(f"{path}: sent {sent!r}, got {got!r}")
    return out


def assert_described(sent: dict, described: dict, members: list[str] | None = None) -> None:
    """Every sent member comes back exactly as sent (deep, strict inside each
    member: no missing, changed or extra nested members)."""
    members = members if members is not None else [k for k in sent if k != "Tags"]
    problems: list[str] = []
    for m in members:
        problems += diff({m: sent[m]}, {m: described[m]} if m in described else {})
    assert not problems, "described document differs from what was sent:\n  " + "\n  ".join(problems)


def error_of(excinfo) -> tuple[str, str, int]:
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"].get("Message", ""), e["ResponseMetadata"]["HTTPStatusCode"]


def deepcopy(x: Any) -> Any:
    return copy.deepcopy(x)


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
