"""The `slipway` command line: serve's export block, `account create`,
configuration by flags / SLIPWAY_* environment / config file, and health."""

from __future__ import annotations

import subprocess

from e2e_helpers import (
    AWS_CLI,
    VENV_BIN,
    Account,
    clean_env,
    create_account,
    send_raw,
    uniq,
)

FIXED = Account("111122223333", "AKIAEXAMPLEKEY000001", "secret-of-at-least-some-length")


def _arn_account(arn: str) -> str:
    return arn.split(":")[4]


def test_health(server):
    r = send_raw(server.host_port, "GET", "/_slipway/health", b"", {})
    assert r.status == 200, r


def test_export_line_shape(server):
    e = server.export
    assert set(e) >= {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    assert e["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert e["AWS_ENDPOINT_URL"] != "http://127.0.0.1:0", "the export line names the real, bound port"
    assert e["AWS_DEFAULT_REGION"] == "us-east-1"
    assert len(e["AWS_ACCESS_KEY_ID"]) >= 16 and len(e["AWS_SECRET_ACCESS_KEY"]) >= 20


def test_pasted_export_block_works_with_the_cli(server, account_id):
    """Paste the printed line into a shell and use the AWS CLI, nothing else configured."""
    env = clean_env()
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    name = uniq("pasted")
    script = (
        f"{server.export_line}\n"
        f"{AWS_CLI} sagemaker create-model-package-group --model-package-group-name {name} --output json &&\n"
        f"{AWS_CLI} sagemaker list-model-package-groups --name-contains {name} --output json\n"
    )
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"arn:aws:sagemaker:us-east-1:{account_id}:model-package-group/{name}" in out.stdout
    assert out.stdout.count(f"model-package-group/{name}") == 2


def test_account_create_while_serving(server, account_id):
    acct = server.create_account(uniq("cli-new"))
    assert len(acct.account_id) == 12 and acct.account_id.isdigit()
    assert acct.account_id != account_id
    # usable immediately, no restart, by boto3 ...
    c = server.client(acct)
    arn = c.create_model_package_group(ModelPackageGroupName="fresh-account-group")["ModelPackageGroupArn"]
    assert _arn_account(arn) == acct.account_id
    # ... and by the AWS CLI
    out = server.cli("sagemaker", "list-model-package-groups", creds=acct).json
    assert [g["ModelPackageGroupArn"] for g in out["ModelPackageGroupSummaryList"]] == [arn]


def test_account_create_gives_distinct_accounts(server):
    a = server.create_account(uniq("dist-a"))
    b = server.create_account(uniq("dist-b"))
    assert a.account_id != b.account_id
    assert a.access_key != b.access_key and a.secret_key != b.secret_key


def test_account_create_without_a_running_server(tmp_path):
    acct = create_account(tmp_path / "offline-data", "offline")
    assert len(acct.account_id) == 12


def test_fixed_account_from_environment(server_factory):
    s = server_factory(env={
        "SLIPWAY_ACCOUNT_ID": FIXED.account_id,
        "SLIPWAY_ACCESS_KEY_ID": FIXED.access_key,
        "SLIPWAY_SECRET_ACCESS_KEY": FIXED.secret_key,
    }).start()
    assert s.export["AWS_ACCESS_KEY_ID"] == FIXED.access_key
    assert s.export["AWS_SECRET_ACCESS_KEY"] == FIXED.secret_key
    arn = s.client(FIXED).create_model_package_group(ModelPackageGroupName="env-group")["ModelPackageGroupArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:{FIXED.account_id}:model-package-group/env-group"
    out = s.cli("sagemaker", "describe-model-package-group", "--model-package-group-name", "env-group", creds=FIXED)
    assert out.json["ModelPackageGroupArn"] == arn


def test_config_file(server_factory, tmp_path):
    cfg = tmp_path / "slipway.toml"
    cfg.write_text(
        'listen = "127.0.0.1:0"\n'
        'region = "eu-west-1"\n'
        "[[accounts]]\n"
        f'account_id = "{FIXED.account_id}"\n'
        f'access_key_id = "{FIXED.access_key}"\n'
        f'secret_access_key = "{FIXED.secret_key}"\n'
        'name = "seller-a"\n'
    )
    s = server_factory(args=["--config", str(cfg)], listen=None).start()
    assert s.export["AWS_DEFAULT_REGION"] == "eu-west-1"
    arn = s.client(FIXED).create_model_package_group(ModelPackageGroupName="file-group")["ModelPackageGroupArn"]
    assert arn == f"arn:aws:sagemaker:eu-west-1:{FIXED.account_id}:model-package-group/file-group"


def test_config_file_via_environment_and_precedence(server_factory, tmp_path):
    """Flags win over SLIPWAY_* environment, which wins over the file."""
    cfg = tmp_path / "slipway.toml"
    cfg.write_text('listen = "127.0.0.1:1"\nregion = "ap-south-1"\n')
    env_dir = tmp_path / "env-data"
    s = server_factory(
        data_dir=tmp_path / "flag-data",
        env={"SLIPWAY_CONFIG": str(cfg), "SLIPWAY_REGION": "eu-central-1", "SLIPWAY_LISTEN": "127.0.0.1:2",
             "SLIPWAY_DATA_DIR": str(env_dir)},
    ).start()  # --listen 127.0.0.1:0 and --data-dir flag-data are flags
    assert s.endpoint not in ("http://127.0.0.1:1", "http://127.0.0.1:2")
    arn = s.client().create_model_package_group(ModelPackageGroupName="prec")["ModelPackageGroupArn"]
    assert arn.split(":")[3] == "eu-central-1", "SLIPWAY_REGION must win over the config file"
    assert (tmp_path / "flag-data").is_dir() and any((tmp_path / "flag-data").iterdir())
    assert not env_dir.exists(), "--data-dir must win over SLIPWAY_DATA_DIR"


def test_max_json_body_setting(server_factory):
    s = server_factory(env={"SLIPWAY_MAX_JSON_BODY": "1024"}).start()
    small = s.raw("SageMaker.ListAlgorithms", {})
    assert small.status == 200, small
    big = s.raw("SageMaker.CreateModelPackageGroup",
                {"ModelPackageGroupName": "big", "ModelPackageGroupDescription": "x" * 1024})
    assert 400 <= big.status < 500 and big.error_type, big
    assert s.alive()


def test_health_needs_no_signature_but_the_api_does(fresh_server):
    s = fresh_server
    assert send_raw(s.host_port, "GET", "/_slipway/health", b"", {}).status == 200
    assert s.raw("SageMaker.ListAlgorithms", {}, sign=False).status == 403
