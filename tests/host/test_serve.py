"""`gateway serve` as an operator runs it: a real process on 127.0.0.1, signals, start-up errors."""

import asyncio
import signal

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.host.conftest import run_cli
from tests.processes import GatewayProcess, free_port


@pytest.fixture
def slow_config(write_config, plugin_folder):
    plugin_folder(slow=plugin_sources.SLOW)
    return write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        shutdown_timeout = 10
        [plugins.health]
        [plugins.slow]
        """
    )


async def test_serve_answers_and_sigterm_lets_in_flight_requests_finish(slow_config):
    gateway = await GatewayProcess(slow_config, slow_config.parent / "gateway.log").listening()
    try:
        async with aiohttp.ClientSession(gateway.url) as session:
            async with session.get("/health") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "pass"
            slow = asyncio.create_task(session.get("/slow", params={"seconds": "1.5"}))
            await asyncio.sleep(0.5)  # the request is in flight
            gateway.terminate()
            response = await asyncio.wait_for(slow, 10)
            assert response.status == 200
            assert await response.json() == {"slept": True}
    finally:
        code = await asyncio.to_thread(gateway.stop, 15)
    log = gateway.text()
    assert code == 0, log
    assert "draining: readiness now fails" in log
    assert "GET /slow?seconds=1.5 200" in log
    assert "mounted health at /health (built-in 0.1.0)" in log  # what is served, and where
    assert f"mounted slow at /slow (folder {slow_config.parent / 'my_plugins'})" in log
    assert "Traceback" not in log


async def test_access_log_has_request_id(slow_config):
    gateway = await GatewayProcess(slow_config, slow_config.parent / "gateway.log").listening()
    try:
        async with aiohttp.ClientSession() as session:
            headers = {"X-Request-ID": "trace-77"}
            async with session.get(f"{gateway.url}/health/live", headers=headers) as response:
                assert response.headers["X-Request-ID"] == "trace-77"
        gateway.process.send_signal(signal.SIGINT)  # Ctrl-C, as an operator stops it
        code = await asyncio.to_thread(gateway.process.wait, 15)
    finally:
        gateway.stop()
    log = gateway.text()
    assert code == 0, log
    line = next(line for line in log.splitlines() if "/health/live" in line)
    assert "[trace-77]" in line
    assert "GET /health/live 200" in line
    assert "ms" in line


def test_plugin_failing_at_start_stops_the_gateway_with_its_name(write_config, plugin_folder):
    plugin_folder(flaky=plugin_sources.FAILS_AT_START)
    config = write_config(
        """
        [gateway]
        plugin_dirs = ["my_plugins"]
        [plugins.health]
        [plugins.flaky]
        """
    )
    result = run_cli("serve", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 1
    assert (
        "error: plugin 'flaky' failed to start: ConnectionRefusedError: "
        "database at 127.0.0.1:1 refused the connection"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_broken_config_without_traceback(write_config):
    config = write_config('[plugins.health]\nprefix = "oops"\n')
    result = run_cli("serve", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 2
    assert "plugins.health.prefix: 'oops' is not a usable URL prefix" in result.stderr
    assert "Traceback" not in result.stderr
