"""Runs a browser scenario of the web console (tests/console/*.mjs) against
a server: real headless Chromium through playwright-core (Node.js)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "tests" / "console"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def require_browser() -> None:
    if not Path(CHROMIUM).exists() or shutil.which("node") is None:
        pytest.fail(f"the console tests need {CHROMIUM} and node (scripts/setup.sh installs both)")
    if not (REPO / "console" / "node_modules" / "playwright-core").exists():
        pytest.fail("console/node_modules is missing: run scripts/build-console.sh")


def run_scenario(name: str, server, creds=None, timeout: float = 300, **env: str) -> dict:
    """Runs tests/console/NAME.mjs signed in as `creds` (default: the
    server's default account); returns its RESULT figures, if any."""
    require_browser()
    creds = creds or server.creds
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "SLIPWAY_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "CHROMIUM": CHROMIUM,
        **{k: str(v) for k, v in env.items()},
    }
    if os.environ.get("SCREENSHOTS"):
        full["SCREENSHOTS"] = os.environ["SCREENSHOTS"]
    p = subprocess.run(["node", str(SCENARIOS / f"{name}.mjs")], env=full, capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, f"scenario {name} failed:\n{p.stdout}\n{p.stderr}\nserver log:\n{server.log_tail()}"
    figures: dict = {}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            figures.update(json.loads(line[len("RESULT "):]))
    return figures
