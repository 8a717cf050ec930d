"""The web console (docs/console.md): served on the API port, signing in,
and one account never seeing another's resources. The pages' own flows are
in test_console_*.py."""
from __future__ import annotations

import gzip
import http.client

from console_helpers import run_scenario
from e2e_helpers import create_account, uniq


def get(server, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    host, port = server.host_port
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", path, headers=headers or {})
    return c.getresponse()


def test_the_console_is_served_to_browsers_and_api_clients_are_unaffected(server, sm):
    r = get(server, "/")
    body = r.read()
    assert r.status == 200
    assert r.getheader("Content-Type").startswith("text/html")
    assert b"<div id=\"app\">" in body
    assert f'content="{server.region}"'.encode() in body
    assert "default-src 'self'" in r.getheader("Content-Security-Policy")
    # A deep link answers the same page; the assets it names are served, gzipped.
    deep = get(server, "/console/algorithms/some-algorithm").read()
    assert deep == body
    script = body.split(b'src="', 1)[1].split(b'"', 1)[0].decode()
    a = get(server, script, {"Accept-Encoding": "gzip"})
    assert a.status == 200 and a.getheader("Content-Encoding") == "gzip"
    assert b"preact" in gzip.decompress(a.read()) or a.getheader("Content-Type").endswith("javascript")
    # Signed API calls on the same port are untouched.
    assert "ModelPackageSummaryList" in sm.list_model_packages()
    # An unsigned S3 call elsewhere is still S3's refusal.
    r = get(server, "/some-bucket/key")
    assert r.status == 403 and b"AccessDenied" in r.read()


def test_sign_in_wrong_key_sign_out_and_expiry(server):
    run_scenario("sign_in", server, ACCOUNT_ID=server.account_id)


def test_an_account_sees_none_of_another_accounts_resources(server, sm):
    mine = uniq("mine-group")
    sm.create_model_package_group(ModelPackageGroupName=mine)
    other = create_account(server.data_dir, uniq("console-other"))
    theirs = uniq("theirs-group")
    server.client(other).create_model_package_group(ModelPackageGroupName=theirs)
    run_scenario("isolation", server, creds=other, MINE=theirs, NOT_MINE=mine)


def test_budgets_first_page_and_a_list_of_a_thousand(server):
    """docs/benchmarks.md "Web console": the figures are printed for the record."""
    acct = create_account(server.data_dir, uniq("console-perf"))
    sm = server.client(acct)
    spec = {"Containers": [{"Image": "registry.example/perf:1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]}
    for i in range(1000):
        sm.create_model_package(ModelPackageName=f"perf-{i:04d}", InferenceSpecification=spec)
    figures = run_scenario("perf", server, creds=acct)
    print(f"\nconsole budgets: {figures}")
    assert figures["list_pages"] == 20


def test_keyboard_only_and_a_narrow_window(server):
    run_scenario("keyboard_narrow", server)
