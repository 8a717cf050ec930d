"""Fixtures: real `slipway serve` processes on ephemeral loopback ports.

- `server`         one process for the whole session (tests that tolerate
                   shared state use unique names);
- `module_server`  a fresh process per test module (listing, conformance);
- `fresh_server`   a fresh process per test (durability, CLI, config).

Each yields an `e2e_helpers.Slipway` with: endpoint, access_key/secret_key,
region, data_dir, account_id (read from an ARN), client(creds=...) (boto3),
cli(...) (the real AWS CLI), create_account(name) (`slipway account
create`), and raw(...) (SigV4-signed raw HTTP). Teardown kills the process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import SLIPWAY_BIN, TEST_ACCOUNT_ENV, Slipway  # noqa: E402

# Never let a developer's ~/.aws or AWS_* environment leak into the clients
# created in-process (explicit credentials are always passed, but botocore
# still reads config files for other settings).
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _k in [k for k in os.environ if k.startswith("AWS_") and k not in (
        "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED")]:
    del os.environ[_k]


def pytest_report_header(config):
    return f"slipway binary: {SLIPWAY_BIN}"


# The shared fixtures serve the control plane and S3 only: resources
# created with validation profiles stay Pending there, as the control-plane tests
# expect. Tests that run containers use `jobs_server`.
CONTROL_PLANE_ONLY = {"SLIPWAY_JOBS": "off"}


def _start(tmp_path_factory, name: str, env: dict | None = None, **kw) -> Slipway:
    base = tmp_path_factory.mktemp(name)
    return Slipway(base / "data", env=CONTROL_PLANE_ONLY if env is None else env, **kw).start()


@pytest.fixture(scope="session")
def jobs_server(tmp_path_factory):
    """A server that runs jobs (training, transform, validation) through the
    container engine; validation jobs run network-isolated. Its default
    account is the fixed TEST_ACCOUNT_ID, whose role `jobs_helpers.ROLE` is."""
    s = _start(tmp_path_factory, "jobs", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "session")
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory, request):
    s = _start(tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1])
    yield s
    s.stop()
    s.kill()


@pytest.fixture
def fresh_server(tmp_path_factory, request):
    """A started server of its own; the test may also stop/kill/restart it."""
    s = _start(tmp_path_factory, request.node.name[:40].replace("[", "-").replace("]", ""))
    yield s
    s.stop()
    s.kill()


@pytest.fixture
def server_factory(tmp_path_factory):
    """Build (not start) servers with custom env/args; all are killed at teardown."""
    made: list[Slipway] = []

    def make(data_dir: Path | None = None, **kw) -> Slipway:
        d = data_dir or (tmp_path_factory.mktemp("custom") / "data")
        s = Slipway(d, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
        s.kill()


@pytest.fixture(scope="session")
def sm(server):
    """boto3 SageMaker client for the session server's default account."""
    return server.client()


@pytest.fixture(scope="session")
def account_id(server):
    return server.account_id


# scripts/test.sh runs the modules in parallel (pytest-xdist, `--dist
# loadfile --no-loadscope-reorder`): a worker takes the next module in
# collection order when it is free. The longest modules (test_readiness
# alone waits minutes on containers) go first, so that none of them starts
# last and leaves the other workers idle at the end. Only the order of
# whole modules changes; a serial run keeps the usual order.
LONGEST_MODULES = ("test_marketplace_usage", "test_readiness", "test_seller_sdk_flow", "test_endpoints_sdk", "test_s3_cli",
                   "test_console_storage", "test_training", "test_endpoints", "test_marketplace_buyers",
                   "test_tuning_lifecycle", "test_hostile")


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(LONGEST_MODULES)}
    # A stable sort: the modules' own order and their tests' order are kept.
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


def pytest_terminal_summary(terminalreporter):
    """Report how many constraint mutations the conformance test generated."""
    mod = sys.modules.get("test_conformance")
    if mod is None:
        return
    counts = getattr(mod, "COUNTS", {})
    skipped = getattr(mod, "SKIPPED", {})
    tr = terminalreporter
    tr.section("conformance mutations")
    for op, n in counts.items():
        extra = f" (+{len(skipped.get(op, []))} members whose pattern admits every value)" if skipped.get(op) else ""
        tr.write_line(f"{op:28s} {n:4d}{extra}")
    tr.write_line(f"{'total':28s} {sum(counts.values()):4d}")
