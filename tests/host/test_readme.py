"""The README's promises: its plugin works when copied, its commands are what CI runs."""

import re
import subprocess
import sys
from pathlib import Path

from gateway.app import create_app
from gateway.config import load_config

README = Path(__file__).resolve().parents[2] / "README.md"


def block_after(marker: str) -> str:
    # Other comments (tests/docs' runnable markers) may stand between the name and the block.
    pattern = rf"<!-- {marker} -->\s*(?:<!--.*?-->\s*)*```\w+\n(.*?)```"
    match = re.search(pattern, README.read_text(), re.DOTALL)
    assert match, f"README has no code block after <!-- {marker} -->"
    return match.group(1)


async def test_readme_plugin_mounts_and_answers(tmp_path, aiohttp_client):
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "hello.py").write_text(block_after("readme-plugin"))
    config_text = block_after("readme-plugin-config") + "\n[plugins.health]\n"
    (tmp_path / "plugins.toml").write_text(config_text)

    client = await aiohttp_client(await create_app(load_config(tmp_path / "plugins.toml")))
    response = await client.get("/hello/Ada")
    assert await response.json() == {"message": "Howdy, Ada!"}
    assert await (await client.get("/hello")).json() == {"message": "Howdy, world!"}
    health = await (await client.get("/health")).json()
    assert health["checks"]["hello:greeting"][0]["status"] == "pass"


def test_ci_runs_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    assert "test-command" in ci  # .ci/run executes the block after this README marker
    assert "pytest" in block_after("test-command")


def test_readme_testing_example_passes_in_an_authors_own_project(tmp_path):
    """The README's plugin, its pyproject snippet and its test, in a project with no conftest:
    the fixtures come from the installed gateway's pytest11 entry point."""
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "hello.py").write_text(block_after("readme-plugin"))
    (tmp_path / "pyproject.toml").write_text(block_after("readme-test-pyproject"))
    (tmp_path / "test_hello.py").write_text(block_after("readme-test"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_ci_installs_and_tests_the_chat_example_from_its_folder():
    """CI runs the README's command; that command installs examples/chat as a distribution, and
    pytest's testpaths include its tests."""
    import tomllib
    from importlib.metadata import distribution

    command = block_after("test-command")
    assert '-e "./examples/chat[test]"' in command
    config = tomllib.loads((README.parent / "pyproject.toml").read_text())
    assert "examples/chat/tests" in config["tool"]["pytest"]["ini_options"]["testpaths"]
    chat = distribution("gateway-chat")
    assert chat.entry_points.select(group="gateway.plugins", name="chat")
    import gateway_chat

    assert Path(gateway_chat.__file__).is_relative_to(README.parent / "examples" / "chat")
