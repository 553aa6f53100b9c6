"""The wheel and sdist as a user gets them: built with ``python -m build``, installed (not
editable) into a fresh virtual environment, and run from a folder that holds the user's own
``plugins/`` package, a name the built-in plugins must not depend on."""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STEP_TIMEOUT = 300
START_TIMEOUT = 30

pytestmark = pytest.mark.slow
# What a checkout holds that is not the project's source (never in a build).
NOT_SOURCES = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.so",
    ".*_cache",
    ".hypothesis",
)


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The installed program must not see this checkout: no PYTHONPATH, no editable finder.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GATEWAY_CONFIG")}
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=STEP_TIMEOUT,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: a build writes into its source tree (egg-info, build/), and parallel
    # test workers may each be building this fixture at once.
    source = tmp_path_factory.mktemp("source") / "gateway"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    out = tmp_path_factory.mktemp("dist")
    ok(run(sys.executable, "-m", "build", "--outdir", out, source))
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    ok(run(sys.executable, "-m", "venv", root))
    (wheel,) = dist.glob("*.whl")
    ok(run(root / "bin" / "python", "-m", "pip", "install", "--quiet", wheel))
    return root


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A user's project: their own ``plugins`` package, and a plugins.toml enabling the three."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "__init__.py").write_text('"""The user\'s own plugins."""\n')
    (tmp_path / "plugins" / "mine.py").write_text("VALUE = 1\n")
    (tmp_path / "plugins.toml").write_text(
        "[gateway]\naccess_log = false\n\n[plugins.health]\n\n"
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n\n'
        '[plugins.crypto]\nbase_url = "http://127.0.0.1:9/api/v3"\n',
        encoding="utf-8",
    )
    return tmp_path


def package_folders(root: Path, name: str) -> set[str]:
    return {
        ".".join([name, *p.parent.relative_to(root).parts])
        for p in root.rglob("__init__.py")
        if "__pycache__" not in p.parts
    }


def test_the_wheel_holds_every_package_and_data_file_and_no_tests(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    packages = {n.rsplit("/", 1)[0].replace("/", ".") for n in names if n.endswith("__init__.py")}
    expected = package_folders(REPO / "gateway", "gateway")
    expected |= package_folders(REPO / "plugins", "gateway_plugins")
    assert packages == expected
    for data in (
        "gateway/py.typed",
        "gateway_plugins/py.typed",
        "gateway_plugins/notes/migrations/script.py.mako",
        "gateway_plugins/notes/migrations/env.py",
        "gateway_plugins/notes/migrations/versions/0001_create_notes.py",
        "gateway_plugins/notes/migrations/versions/0002_pad_years_before_1000.py",
        "gateway_plugins/notes/migrations/versions/0003_idempotency_keys.py",
        "gateway_plugins/notes/migrations/versions/0004_stored_representation.py",
        "gateway/scaffold/templates/package_init.py.tmpl",
        "gateway/scaffold/templates/middleware_init.py.tmpl",
        "gateway/static/docs.html",
        "gateway/static/swagger-ui/swagger-ui-bundle.js",
        "gateway/static/swagger-ui/LICENSE",
        "gateway/static/dashboard/index.html",
        "gateway/static/dashboard/dashboard.js",
    ):
        assert data in names
    assert not [n for n in names if n.startswith(("tests/", "plugins/"))]
    # The rate counters and the access lines compiled by mypyc (setup.py), beside their Python
    # sources.
    for module in ("window_counts", "access_lines"):
        assert f"gateway/{module}.py" in names
        assert [n for n in names if n.startswith(f"gateway/{module}.") and n.endswith(".so")]
    assert not [n for n in names if "/" not in n and n.endswith(".so")]  # nothing at the top
    assert "health = gateway_plugins.health" in text
    assert "notes = gateway_plugins.notes" in text


def test_the_sdist_holds_the_sources_and_no_tests(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    assert f"{top}/plugins/notes/migrations/script.py.mako" in names
    assert f"{top}/pyproject.toml" in names
    assert f"{top}/setup.py" in names  # what compiles the two modules
    assert not [n for n in names if n.startswith(f"{top}/tests")]


def test_installed_cli_lists_and_checks_beside_a_users_own_plugins_package(
    venv: Path, user_folder: Path
) -> None:
    python = venv / "bin" / "python"
    where = ok(run(python, "-c", "import gateway_plugins; print(gateway_plugins.__file__)"))
    assert where.startswith(str(venv)), where  # the installed copy, not this checkout

    listed = json.loads(ok(run(python, "-m", "gateway", "plugins", "--json", cwd=user_folder)))
    rows = {row["name"]: row for row in listed["plugins"]}
    for name in ("health", "notes", "crypto"):
        assert rows[name]["status"] == "mounted", rows[name]
        assert rows[name]["source"] == "built-in"
    assert ok(run(python, "-m", "gateway", "plugins", cwd=user_folder))

    checked = ok(run(venv / "bin" / "gateway", "check", cwd=user_folder))
    assert "OK (crypto at /v1/crypto, health at /health, notes at /notes)" in checked

    # new-plugin's templates ship in the wheel.
    ok(run(venv / "bin" / "gateway", "new-plugin", "hello", "--with-command", cwd=user_folder))
    assert (user_folder / "gateway-hello" / "gateway_hello" / "cli.py").is_file()


@pytest.fixture
def served(venv: Path, user_folder: Path) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [venv / "bin" / "gateway", "serve", "--port", str(port)],
        cwd=user_folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                with urllib.request.urlopen(f"{base}/health/ready", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the installed gateway did not get ready"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_installed_gateway_serves_and_migrates_from_installed_files(
    served: str, user_folder: Path, venv: Path
) -> None:
    with urllib.request.urlopen(f"{served}/health/live", timeout=5) as response:
        assert response.status == 200
    created = urllib.request.Request(
        f"{served}/notes",
        data=json.dumps({"title": "from the wheel", "priority": 2}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(created, timeout=5) as response:
        assert response.status == 201
        note = json.loads(response.read())
    with urllib.request.urlopen(f"{served}/notes/{note['id']}", timeout=5) as response:
        assert json.loads(response.read())["title"] == "from the wheel"
    # The docs page and the dashboard are served from the files the wheel installed.
    for path in ("/docs", "/docs/assets/swagger-ui/swagger-ui-bundle.js", "/_gateway/"):
        with urllib.request.urlopen(f"{served}{path}", timeout=5) as response:
            assert response.status == 200, path
    with urllib.request.urlopen(f"{served}/openapi.json", timeout=5) as response:
        assert "/notes/{note_id}" in json.loads(response.read())["paths"]

    with sqlite3.connect(user_folder / "notes.db") as db:
        (revision,) = db.execute("SELECT version_num FROM notes_alembic_version").fetchone()
    heads = ok(run(venv / "bin" / "gateway", "notes", "current", cwd=user_folder))
    assert revision in heads


def test_the_installed_rate_counters_are_compiled_and_count(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import gateway.window_counts as w\n"
        "print(w.__file__.rsplit('.', 1)[-1])\n"
        "table = w.MemoryCounts('sliding-window').table(60)\n"
        "print([table.count('k', 2, 1_800_000_000.0 + n)[0] for n in range(3)])\n"
    )
    out = ok(run(venv / "bin" / "python", "-c", probe, cwd=tmp_path)).split()
    assert out == ["so", "[True,", "True,", "False]"]


def test_the_installed_access_lines_are_compiled_and_render(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import gateway.access_lines as a\n"
        "print(a.__file__.rsplit('.', 1)[-1])\n"
        "entry = (a.text_line, 1_800_000_000.0, 0.00125, 'abc', '::1', 'GET', '/x\\n', 200, 42,\n"
        "         a.GATEWAY_NAMES, 'curl', None)\n"
        "print(a.text_line(entry).split(' ', 2)[2], end='')\n"
    )
    out = ok(run(venv / "bin" / "python", "-c", probe, cwd=tmp_path)).splitlines()
    assert out == ["so", 'INFO aiohttp.access [abc] ::1 GET /x\\n 200 42B 1.25ms gateway - "curl"']
