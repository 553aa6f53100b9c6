"""`gateway auth new-key` as an operator uses it: the key pasted into a real gateway's config,
or its hash given through the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.host.conftest import run_cli
from tests.processes import GatewayProcess

pytestmark = pytest.mark.slow


def call(url: str, method: str = "GET", key: str | None = None, body: dict | None = None):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_new_key_prints_the_key_then_toml_that_makes_it_valid(tmp_path: Path) -> None:
    made = run_cli(
        "auth", "new-key", "deploy-bot", "--scope", "write", "--scope", "admin", cwd=tmp_path
    )
    assert made.returncode == 0, made.stderr  # no config needed to make a key
    key, *toml = made.stdout.splitlines()
    assert key.startswith("gw_") and len(key) > 40
    assert key not in "\n".join(toml)

    config = tmp_path / "plugins.toml"
    config.write_text(
        "[plugins.health]\n"
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n'
        "[plugins.auth]\n" + "\n".join(toml) + "\n"
    )
    with GatewayProcess(config, tmp_path / "gateway.log", cwd=tmp_path) as gateway:
        base = gateway.url
        assert call(f"{base}/notes", "POST", body={"title": "x"})[0] == 401
        status, note = call(f"{base}/notes", "POST", key=key, body={"title": "x"})
        assert status == 201 and note["created_by"] == "deploy-bot"
        assert call(f"{base}/_gateway/plugins", key=key)[0] == 200
    assert key not in gateway.text()


def test_a_bad_key_name_is_refused(tmp_path: Path) -> None:
    made = run_cli("auth", "new-key", "no spaces", cwd=tmp_path)
    assert made.returncode == 2
    assert "a key's name is 1-64 of" in made.stdout + made.stderr


def test_a_key_hash_from_the_environment(tmp_path: Path) -> None:
    made = run_cli("auth", "new-key", "ci", "--scope", "write", cwd=tmp_path)
    key = made.stdout.splitlines()[0]
    digest = next(line for line in made.stdout.splitlines() if line.startswith("hash"))
    config = tmp_path / "plugins.toml"
    config.write_text(
        "[plugins.health]\n"
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n'
        '[plugins.auth.keys.ci]\nhash = "${CI_KEY_HASH}"\nscopes = ["write"]\n'
    )
    env = {**os.environ, "CI_KEY_HASH": json.loads(digest.split("=", 1)[1])}
    checked = subprocess.run(
        [sys.executable, "-m", "gateway", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    with GatewayProcess(
        config, tmp_path / "gateway.log", env={"CI_KEY_HASH": env["CI_KEY_HASH"]}, cwd=tmp_path
    ) as gateway:
        status, _ = call(f"{gateway.url}/notes", "POST", key=key, body={"title": "y"})
        assert status == 201
    missing = run_cli("check", "--config", str(config))
    assert missing.returncode == 2
    assert (
        "plugins.auth.keys.ci.hash: environment variable CI_KEY_HASH is not set" in missing.stderr
    )
    config.write_text(config.read_text().replace("${CI_KEY_HASH}", key))  # the key, not its hash
    pasted = run_cli("check", "--config", str(config))
    assert pasted.returncode == 2
    assert "plugins.auth.keys.ci.hash" in pasted.stderr and key not in pasted.stderr
