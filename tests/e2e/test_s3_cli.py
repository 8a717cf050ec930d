"""The AWS CLI's high-level `aws s3` commands against Slipway (README "What works today", S3):
a 1 GiB multipart copy both ways and a tree synchronised both ways, byte
for byte."""

from __future__ import annotations

import filecmp
import os
import subprocess

from e2e_helpers import run_aws_cli
from s3_helpers import new_bucket, random_file, s3

GIB = 1024 * 1024 * 1024


def _same_tree(a, b) -> None:
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files, (
        cmp.left_only, cmp.right_only, cmp.diff_files)
    for f in cmp.common_files:
        assert filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False), f
    for d in cmp.common_dirs:
        _same_tree(os.path.join(a, d), os.path.join(b, d))


def test_aws_s3_cp_of_one_gib_round_trips(module_server, tmp_path):
    b = new_bucket(s3(module_server))
    src = random_file(tmp_path / "one-gib.bin", GIB)
    module_server.cli("s3", "cp", str(src), f"s3://{b}/big/one-gib.bin", timeout=900)
    head = s3(module_server).head_object(Bucket=b, Key="big/one-gib.bin")
    assert head["ContentLength"] == GIB
    assert head["ETag"].strip('"').endswith("-128")  # 8 MiB parts: multipart
    dst = tmp_path / "back.bin"
    module_server.cli("s3", "cp", f"s3://{b}/big/one-gib.bin", str(dst), timeout=900)
    assert subprocess.run(["cmp", str(src), str(dst)]).returncode == 0
    src.unlink()
    dst.unlink()
    module_server.cli("s3", "rm", f"s3://{b}/big/one-gib.bin")


# Small files, an empty one and a multipart-sized one (9 MiB: the CLI
# uploads it in 8 MiB parts) in one tree. The empty file matters: botocore
# sends `Expect: 100-continue` with its zero-length PUT, gets the final
# status without a `100 Continue`, and used to misread the next response
# on that pooled connection (boto/botocore#3755), hanging the sync.
SYNC_ROUNDS = 4


def _sync_tree(root) -> dict[str, bytes]:
    files = {
        "top.txt": b"top",
        "empty.bin": b"",
        "dir/a.csv": b"1,2,3\n" * 1000,
        "dir/sub/deep/b.bin": os.urandom(9 * 1024 * 1024),  # multipart
        "spaces and + plus/f i l e.txt": b"odd names",
        "ünïcødé/ファイル.txt": "unicode".encode(),
        "dir/percent%20name.txt": b"percent",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return files


def _sync(server, src: str, dst: str, *flags: str) -> str:
    # A short read timeout turns a client-side hang into a failure in
    # seconds; a sync that works never waits that long for one response.
    return server.cli("s3", "sync", *flags, "--cli-read-timeout", "20", src, dst, timeout=300).stdout


def test_aws_s3_sync_both_ways(module_server, tmp_path):
    client = s3(module_server)
    b = new_bucket(client)
    for n in range(SYNC_ROUNDS):
        src, down = tmp_path / f"tree{n}", tmp_path / f"down{n}"
        files = _sync_tree(src)
        prefix = f"s3://{b}/tree{n}"
        _sync(module_server, str(src), prefix)
        listed = {o["Key"] for o in client.list_objects_v2(Bucket=b, Prefix=f"tree{n}/")["Contents"]}
        assert listed == {f"tree{n}/{k}" for k in files}
        _sync(module_server, prefix, str(down))
        _same_tree(src, down)

        # A second sync after a change moves only the change, and --delete removes.
        (src / "top.txt").write_bytes(b"changed top")
        (src / "dir/a.csv").unlink()
        out = _sync(module_server, str(src), prefix, "--delete")
        assert "top.txt" in out and "a.csv" in out and "b.bin" not in out
        _sync(module_server, prefix, str(down), "--delete")
        _same_tree(src, down)


def test_empty_file_then_another_on_one_connection(module_server, tmp_path):
    """The sync hang made deterministic: with one transfer thread every PUT
    goes over the same pooled connection, an empty file's PUT first. The
    CLI's botocore then misparsed the next PUT's response and waited for
    the read timeout (boto/botocore#3755); the server now closes the
    connection after a final status that was not preceded by `100 Continue`."""
    b = new_bucket(s3(module_server))
    src = tmp_path / "seq"
    src.mkdir()
    for i in range(3):
        (src / f"{i}-empty.bin").write_bytes(b"")
        (src / f"{i}-full.txt").write_bytes(b"x" * 1000)
    config = tmp_path / "aws-config"
    config.write_text("[default]\ns3 =\n  max_concurrent_requests = 1\n")
    env = module_server.cli_env()
    env["AWS_CONFIG_FILE"] = str(config)
    run_aws_cli(["s3", "sync", "--cli-read-timeout", "5", str(src), f"s3://{b}/seq"], env, timeout=120)
    keys = {o["Key"] for o in s3(module_server).list_objects_v2(Bucket=b)["Contents"]}
    assert keys == {f"seq/{p.name}" for p in src.iterdir()}


def test_aws_s3_ls_mb_rb(module_server):
    name = "cli-bucket-" + os.urandom(4).hex()
    module_server.cli("s3", "mb", f"s3://{name}")
    assert name in module_server.cli("s3", "ls").stdout
    module_server.cli("s3", "rb", f"s3://{name}")
    assert name not in module_server.cli("s3", "ls").stdout
    r = module_server.cli("s3", "ls", f"s3://{name}", check=False)
    assert r.returncode != 0 and "NoSuchBucket" in r.stderr
