"""Every Python block of README.md and docs/*.md that says it is runnable runs (see
tests/docs/examples.py for the markers): plugins are loaded as folder plugins and called
through gateway.testing's client and CLI runner; test files pass under pytest."""

import os
import re
import subprocess
import sys
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway.testing import (
    UndecoratedHookWarning,
    assert_problem,
    import_folder_plugin,
    run_gateway_command,
)
from tests.docs.examples import blocks, plugins, pytest_files

# What docs/testing.md tells an author to put in pyproject.toml.
PYPROJECT = """[tool.pytest.ini_options]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""
TOKEN = "a-token-of-sixteen-chars"

Check = Callable[[dict[str, Any], Callable[..., Any]], Awaitable[None]]
CHECKS: dict[tuple[str, str], Check] = {}


def check(document: str, name: str) -> Callable[[Check], Check]:
    """What the example ``name`` of ``document`` does, asserted through the real gateway."""

    def register(function: Check) -> Check:
        CHECKS[(document, name)] = function
        return function

    return register


@check("README.md", "hello")
async def _readme_hello(examples, gateway_client):
    client = await gateway_client(
        {"plugins": {"hello": {"greeting": "Howdy"}}}, plugins=[examples["hello"]]
    )
    assert await (await client.get("/hello/Ada")).json() == {"message": "Howdy, Ada!"}
    assert await (await client.get("/hello")).json() == {"message": "Howdy, world!"}


@check("README.md", "stamp")
async def _readme_stamp(examples, gateway_client):
    client = await gateway_client(
        {"plugins": {"hello": {}, "stamp": {"served_by": "edge-1"}}},
        plugins=[examples["hello"], examples["stamp"]],
    )
    for path, status in (("/hello/Ada", 200), ("/hello/a/b", 404)):
        response = await client.get(path)
        assert (response.status, response.headers["X-Served-By"]) == (status, "edge-1")


@check("docs/plugins.md", "hello")
async def _plugins_hello(examples, gateway_client):
    hello = examples["hello"]
    client = await gateway_client(plugins=[hello], builtins=["health"])
    assert await (await client.get("/hello/Ada")).json() == {"message": "Hello, Ada!"}
    posted = await client.post("/hello/Ada", json={"greeting": "Howdy"})
    assert await posted.json() == {"message": "Howdy, Ada!"}
    body = await assert_problem(await client.post("/hello/Ada", json={"greeting": ""}), 422)
    assert body["errors"][0]["pointer"] == "#/greeting"
    health = await (await client.get("/health")).json()
    assert health["checks"]["hello:greeting"][0]["status"] == "pass"
    document = await (await client.get("/openapi.json")).json()
    operation = document["paths"]["/hello/{name}"]["post"]
    assert operation["operationId"] == "hello.greet"
    assert "422" in operation["responses"]
    assert "hello.Greeting" in document["components"]["schemas"]
    result = run_gateway_command("hello", "Ada", plugins=[hello])
    assert (result.exit_code, result.stdout) == (0, "Hello, Ada!\n"), result.stderr


@check("docs/plugins.md", "guard")
async def _plugins_guard(examples, gateway_client):
    client = await gateway_client(
        {"plugins": {"hello": {}, "guard": {"token": TOKEN}}},
        plugins=[examples["hello"], examples["guard"]],
    )
    await assert_problem(await client.get("/hello/Ada"), 401)
    wrong = await client.get("/hello/Ada", headers={"Authorization": "Bearer wrong"})
    await assert_problem(wrong, 401)
    allowed = await client.get("/hello/Ada", headers={"Authorization": f"Bearer {TOKEN}"})
    assert await allowed.json() == {"message": "Hello, Ada!"}
    document = await (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    operation = document["paths"]["/hello/{name}"]["get"]
    assert operation["security"] == [{"bearer": []}]
    assert "401" in operation["responses"]


PLUGIN_EXAMPLES = sorted(
    (document, name) for document in {b.document for b in blocks()} for name in plugins(document)
)


def test_every_block_says_what_it_is():
    unmarked = [f"{b.document}:{b.line}" for b in blocks() if b.marker is None]
    assert not unmarked, (
        "precede each ```python block with <!-- runnable: plugin NAME -->, "
        "<!-- runnable: test PATH -->, <!-- hook: NAME --> or <!-- not runnable: WHY --> "
        f"(tests/docs/examples.py): {unmarked}"
    )


def test_every_plugin_example_is_checked_and_every_check_has_its_example():
    assert sorted(CHECKS) == PLUGIN_EXAMPLES


@pytest.mark.parametrize(("document", "name"), PLUGIN_EXAMPLES)
async def test_plugin_example_runs(document, name, tmp_path, gateway_client):
    folder = tmp_path / "my_plugins"
    folder.mkdir()
    examples = {}
    for each, source in plugins(document).items():
        (folder / f"{each}.py").write_text(source, encoding="utf-8")
        examples[each] = import_folder_plugin(folder / f"{each}.py")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndecoratedHookWarning)
        await CHECKS[(document, name)](examples, gateway_client)


TEST_DOCUMENTS = sorted({b.document for b in blocks() if pytest_files(b.document)})


@pytest.mark.parametrize("document", TEST_DOCUMENTS)
def test_test_examples_pass(document, tmp_path):
    # In a process of its own: this one may hold another test's gateway_hello in sys.modules,
    # which new-plugin (rightly) refuses to shadow.
    scaffolded = subprocess.run(
        [sys.executable, "-m", "gateway", "new-plugin", "hello", "--with-command"],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scaffolded.returncode == 0, scaffolded.stderr
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    files = pytest_files(document)
    for source in {f.plugins_from for f in files}:
        (tmp_path / "my_plugins").mkdir(exist_ok=True)
        for name, code in plugins(source).items():
            (tmp_path / "my_plugins" / f"{name}.py").write_text(code, encoding="utf-8")
    for file in files:
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / file.path).write_text(file.code, encoding="utf-8")
    expected = sum(len(re.findall(r"^(?:async )?def test_", f.code, re.M)) for f in files)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"]
        + [file.path for file in files],
        cwd=tmp_path,
        env={**_environment(), "PYTHONPATH": str(tmp_path / "gateway-hello")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{expected} passed" in result.stdout, result.stdout


def test_the_runnable_tests_are_found():
    assert {"README.md", "docs/testing.md"} <= set(TEST_DOCUMENTS)
    for document in TEST_DOCUMENTS:
        for file in pytest_files(document):
            assert re.search(r"^(?:async )?def test_", file.code, re.M), file.path


def _environment() -> dict[str, str]:
    # The project's own config must not leak into an example's gateway.
    return {k: v for k, v in os.environ.items() if k not in ("GATEWAY_CONFIG", "PYTHONPATH")}
