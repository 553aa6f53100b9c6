"""``gateway new-plugin NAME``: refuses bad names with the reason; what it writes installs, is
listed by the gateway, and passes its own tests straight away."""

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

STEP_TIMEOUT = 300


def assert_ruff_clean(root: Path) -> None:
    """The generated code is as clean as the gateway's own: ruff's check and format pass."""
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        linted = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Hello", "'Hello' is not a plugin name: use lower-case letters"),
        ("1x", "'1x' is not a plugin name"),
        ("my-plugin", "'my-plugin' is not a plugin name"),
        ("class", "'class' is reserved (a Python keyword or a gateway command)"),
        ("serve", "'serve' is reserved"),
        ("openapi", "'openapi' is reserved"),  # every host command, not a list kept by hand
        ("notes", "an installed plugin is already named 'notes' (built in); choose another name"),
    ],
)
def test_a_bad_name_is_refused_with_the_reason(gateway_cli, tmp_path, name, reason):
    result = gateway_cli("new-plugin", name, "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert reason in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_refused(gateway_cli, tmp_path):
    (tmp_path / "gateway-kept-work").mkdir()
    result = gateway_cli("new-plugin", "kept_work", "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path / 'gateway-kept-work'} already exists" in result.stderr


def test_it_needs_no_config_and_writes_a_complete_project(tmp_path):
    # A fresh folder with no plugins.toml, as an author starts.
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "new-plugin", "hello", "--with-command"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    root = tmp_path / "gateway-hello"
    assert "created gateway-hello (8 files)" in result.stdout
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."gateway.plugins"]\nhello = "gateway_hello"' in pyproject
    assert 'asyncio_mode = "auto"' in pyproject
    readme = (root / "README.md").read_text()
    assert "[plugins.hello]" in readme and "gateway hello Ada --config plugins.toml" in readme
    for path in (
        "gateway_hello/__init__.py",
        "gateway_hello/settings.py",
        "gateway_hello/views.py",
        "gateway_hello/cli.py",
        "tests/test_hello.py",
    ):
        assert (root / path).is_file(), path
    assert_ruff_clean(root)


def test_middleware_only_has_no_routes_and_is_clean(gateway_cli, tmp_path):
    result = gateway_cli(
        "new-plugin", "rate_stamp", "--middleware-only", "--directory", str(tmp_path)
    )
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "gateway-rate-stamp"
    package = root / "gateway_rate_stamp"
    assert not (package / "views.py").exists()
    source = (package / "__init__.py").read_text()
    assert "def gateway_middlewares" in source and "gateway_create_app" not in source
    assert 'HEADER = "X-Rate-Stamp"' in source
    assert "apply_to" in (root / "README.md").read_text()
    assert_ruff_clean(root)


def test_without_a_command_there_is_no_cli_module(gateway_cli, tmp_path):
    assert gateway_cli("new-plugin", "plain", "--directory", str(tmp_path)).exit_code == 0
    package = tmp_path / "gateway-plain" / "gateway_plain"
    assert not (package / "cli.py").exists()
    assert "register_commands" not in (package / "__init__.py").read_text()


@pytest.mark.slow
def test_pip_install_and_pytest_pass_straight_away(tmp_path):
    """`pip install -e ./gateway-hello && pytest` in a fresh virtual environment.

    The fresh venv sees this test venv's packages (gateway, pytest, ...) through a .pth file,
    so pip resolves `gateway` to this checkout and downloads only the build backend; the new
    plugin is installed into the fresh venv alone and never leaks into this test run.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=STEP_TIMEOUT)
    (pth_dir,) = (venv / "lib").glob("python3*/site-packages")
    (pth_dir / "_gateway_test_venv.pth").write_text(
        f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GATEWAY_CONFIG")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["VIRTUAL_ENV"] = str(venv)

    def shell(command: str, cwd: Path) -> str:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    shell("python -m gateway new-plugin hello --with-command", tmp_path)
    shell("python -m gateway new-plugin stamp_it --middleware-only", tmp_path)
    # pytest is the test venv's module, run by the fresh venv's python (its own bin has none).
    shell("pip install -q -e ./gateway-hello -e ./gateway-stamp-it", tmp_path)
    assert "8 passed" in shell(
        "python -m pytest -q -p no:cacheprovider", tmp_path / "gateway-hello"
    )
    stamped = shell("python -m pytest -q -p no:cacheprovider", tmp_path / "gateway-stamp-it")
    assert "7 passed" in stamped

    (tmp_path / "plugins.toml").write_text(
        '[plugins.hello]\ngreeting = "Howdy"\n\n[plugins.stamp_it]\napply_to = ["hello"]\n'
    )
    listed = json.loads(shell("python -m gateway plugins --json", tmp_path))["plugins"]
    row = next(r for r in listed if r["name"] == "hello")
    assert (row["status"], row["source"], row["version"]) == (
        "mounted",
        "distribution gateway-hello",
        "0.1.0",
    )
    stamp = next(r for r in listed if r["name"] == "stamp_it")
    assert (stamp["status"], stamp["source"]) == ("active", "distribution gateway-stamp-it")
    assert "OK (hello at /hello" in shell("python -m gateway check", tmp_path)
    assert (
        shell(f"python -m gateway hello Ada --config {tmp_path / 'plugins.toml'}", Path("/"))
        == "Howdy, Ada!\n"
    )
