"""Helpers for the host's tests: config files, plugin folders, fake distributions, the CLI."""

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

CLI_TIMEOUT = 60


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gateway ARGS`` in a subprocess, as an operator would run it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=CLI_TIMEOUT,
        check=False,
    )


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str, name: str = "plugins.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Callable[..., Path]:
    """Write plugin modules (name=source) into ``tmp_path/my_plugins``."""

    def write(**sources: str) -> Path:
        folder = tmp_path / "my_plugins"
        folder.mkdir(exist_ok=True)
        for name, source in sources.items():
            (folder / f"{name}.py").write_text(source, encoding="utf-8")
        return folder

    return write


def make_distribution(
    root: Path, dist: str, version: str, entry_name: str, module: str, source: str
) -> None:
    """An installed distribution as importlib.metadata sees it: a module plus a .dist-info
    that registers it in the ``gateway.plugins`` entry-point group."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[gateway.plugins]\n{entry_name} = {module}\n", encoding="utf-8"
    )
