"""The admin listener ([gateway] admin_port): real `gateway serve` processes, one and two
workers, asked on both addresses for the admin paths and a plugin's."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.host.conftest import run_cli
from tests.host.test_workers import BOOT_TIMEOUT
from tests.processes import GatewayProcess, free_port

ADMIN_PATHS = ["/_gateway/", "/_gateway/plugins", "/_gateway/status", "/metrics"]
HEALTH_PATHS = ["/health", "/health/live", "/health/ready"]


@pytest.fixture
def admin_config(write_config, plugin_folder):
    plugin_folder(whoami=plugin_sources.WHOAMI)

    def config() -> tuple[Path, int]:
        admin_port = free_port()
        path = write_config(
            f"""
            [gateway]
            plugin_dirs = ["my_plugins"]
            shutdown_timeout = 5
            metrics = true
            admin_port = {admin_port}
            [plugins.health]
            [plugins.whoami]
            """
        )
        return path, admin_port

    return config


async def _status(session: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with session.get(url) as response:
        return response.status, response.content_type


async def _wait_ready(admin: str, process: GatewayProcess, within: float) -> None:
    deadline = time.monotonic() + within
    await process.listening(within)  # its own banner names the admin port too
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.process.poll() is None, process.text()
            assert time.monotonic() < deadline, f"admin listener never ready:\n{process.text()}"
            try:
                if (await _status(session, f"{admin}/health/ready"))[0] == 200:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def _check_split(public: str, admin: str) -> set[int]:
    """Every admin path 404 on the public address and served on the admin one, and the
    reverse for the plugin; the pids that answered the plugin."""
    pids = set()
    # A new connection per request: under --workers each may reach either worker.
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(4):
            for path in ADMIN_PATHS + HEALTH_PATHS + ["/%5Fgateway/plugins"]:
                status, kind = await _status(session, public + path)
                assert (status, kind) == (404, "application/problem+json"), path
                assert (await _status(session, admin + path))[0] == 200, path
            async with session.get(f"{public}/whoami") as response:
                assert response.status == 200
                pids.add((await response.json())["pid"])
            assert (await _status(session, f"{admin}/whoami"))[0] == 404
            # The API's description is served on both: the dashboard links to /docs.
            for path in ("/openapi.json", "/docs"):
                assert (await _status(session, public + path))[0] == 200, path
                assert (await _status(session, admin + path))[0] == 200, path
    return pids


async def test_one_process_serves_admin_paths_only_on_the_admin_port(admin_config, tmp_path):
    config, admin_port = admin_config()
    gateway = GatewayProcess(config, tmp_path / "gateway.log")
    try:
        admin = f"http://127.0.0.1:{admin_port}"
        await _wait_ready(admin, gateway, 30)
        pids = await _check_split(gateway.url, admin)
        assert pids == {gateway.process.pid}
        assert f"admin on {admin}" in gateway.text()
    finally:
        assert gateway.stop() == 0


async def test_two_workers_serve_admin_paths_only_on_the_admin_port(admin_config, tmp_path):
    config, admin_port = admin_config()
    gateway = GatewayProcess(config, tmp_path / "gateway.log", "--workers", "2")
    try:
        await gateway.logged(r"Booting worker", 2, within=BOOT_TIMEOUT)
        admin = f"http://127.0.0.1:{admin_port}"
        await _wait_ready(admin, gateway, BOOT_TIMEOUT)
        await _check_split(gateway.url, admin)
        assert f"http://127.0.0.1:{admin_port}" in gateway.text()  # gunicorn's "Listening at"
        # A reload cannot move the admin listener (the master's sockets stay): refused, and
        # the workers keep serving both addresses.
        moved = config.read_text().replace(f"admin_port = {admin_port}", "admin_port = 9")
        config.write_text(moved)
        gateway.process.send_signal(signal.SIGHUP)
        await gateway.logged("reload refused", within=BOOT_TIMEOUT)
        assert "gateway.admin_port: the admin listener (127.0.0.1:9) differs" in gateway.text()
        await _check_split(gateway.url, admin)
    finally:
        assert gateway.stop() == 0


def test_admin_port_equal_to_the_port_is_a_config_error(write_config):
    config = write_config("[gateway]\nport = 9000\nadmin_port = 9000\n[plugins.health]\n")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}: gateway: " in result.stderr
    assert "admin_port and port are both 9000" in result.stderr
    assert "Traceback" not in result.stderr

    config = write_config("[gateway]\nadmin_port = 9001\n[plugins.health]\n")
    result = run_cli("serve", "--config", str(config), "--port", "9001")
    assert result.returncode == 2
    assert "--port 9001 is [gateway] admin_port" in result.stderr
