"""The README's five minutes, from an existing service to keys, limits and CORS in front of
it, run as written: its shell commands in a folder of their own, its plugins.toml, a real
`gateway serve` and a real upstream process, and each `curl` line answered with the status its
comment says. docs/proxy.md shows the same plugins.toml."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import aiohttp
import pytest

from tests.processes import GatewayProcess
from tests.proxy.test_processes import _wait_upstream, upstream_process

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PAGE = ROOT / "docs" / "proxy.md"
DOCUMENTED_UPSTREAM = "http://127.0.0.1:9001"


def block_after(marker: str) -> str:
    """The code block after ``<!-- marker -->`` in the README, its list indent removed."""
    match = re.search(rf"<!-- {marker} -->\s*```\w+\n(.*?)```", README.read_text(), re.DOTALL)
    assert match, f"README has no code block after <!-- {marker} -->"
    lines = [line.removeprefix("   ") for line in match.group(1).splitlines()]
    return "\n".join(lines).rstrip() + "\n"


def shell(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """``command`` in bash, in ``folder``, with this Python's ``gateway`` first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_docs_proxy_shows_the_readme_config() -> None:
    section = PAGE.read_text().split("## Five minutes", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block, "docs/proxy.md's five-minute section has no TOML block"
    assert block.group(1).rstrip() + "\n" == block_after("five-minutes-config")
    config = tomllib.loads(block.group(1))
    assert config["plugins"]["billing"]["upstreams"] == [DOCUMENTED_UPSTREAM]


@pytest.mark.slow
async def test_the_readme_five_minutes_as_written(tmp_path: Path) -> None:
    with upstream_process() as upstream:
        config = tmp_path / "plugins.toml"
        config.write_text(
            block_after("five-minutes-config").replace(DOCUMENTED_UPSTREAM, upstream),
            encoding="utf-8",
        )
        made = shell(block_after("five-minutes-key"), tmp_path)
        assert made.returncode == 0, made.stdout + made.stderr  # `gateway check` passed
        key = (tmp_path / "billing-ui.key").read_text().splitlines()[0]
        assert key not in config.read_text()  # only its hash went into the config

        gateway = GatewayProcess(config, tmp_path / "gateway.log", cwd=tmp_path)
        try:
            await _wait_upstream(upstream)
            await gateway.ready()
            address = gateway.url.removeprefix("http://")
            lines = [line for line in block_after("five-minutes-try").splitlines() if line.strip()]
            assert len(lines) == 5
            for line in lines:
                command, _, said = line.partition("  #")
                expected = re.search(r"\b(\d{3})\b", said)
                assert command.startswith("curl ") and expected, line
                command = command.replace("localhost:8080", address)
                ran = shell(f"{command} -s -o /dev/null -w '%{{http_code}}'", tmp_path)
                assert ran.stdout == expected.group(1), f"{line}\n{ran.stdout}{ran.stderr}"

            # What the section promises beyond the statuses.
            async with aiohttp.ClientSession() as session:
                write = await session.post(
                    f"{gateway.url}/billing/invoices", headers={"X-API-Key": key}
                )
                sent = (await write.json())["headers"]
                seen = {name.lower(): value for name, value in sent}
                assert seen["x-gateway-identity"] == "billing-ui"
                assert "x-api-key" not in seen and seen["x-forwarded-for"] == "127.0.0.1"
                assert "RateLimit-Policy" in write.headers or "RateLimit" in write.headers
                read = await session.get(f"{gateway.url}/billing/invoices/7")
                assert (await read.json())["raw_path"] == "/invoices/7"
                health = await (await session.get(f"{gateway.url}/health")).json()
                assert health["checks"]["billing:targets"][0]["status"] == "pass"
                admin = await session.get(f"{gateway.url}/_gateway/plugins")
                assert admin.status == 401  # the shipped rules keep /_gateway for admins
        finally:
            gateway.stop()
