"""`gateway serve` as an operator runs it: a real process on 127.0.0.1, signals, start-up errors."""

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.host import plugin_sources
from tests.host.conftest import run_cli
from tests.processes import free_port

START_TIMEOUT = 20


def start_gateway(config: Path, port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gateway exited at start:\n{process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("gateway did not start listening in time")


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
    port = free_port()
    process = start_gateway(slow_config, port)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            async with session.get("/health") as response:
                assert response.status == 200
                assert (await response.json())["status"] == "pass"
            slow = asyncio.create_task(session.get("/slow", params={"seconds": "1.5"}))
            await asyncio.sleep(0.5)  # the request is in flight
            process.send_signal(signal.SIGTERM)
            response = await asyncio.wait_for(slow, 10)
            assert response.status == 200
            assert await response.json() == {"slept": True}
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    log = process.stdout.read()
    assert "draining: readiness now fails" in log
    assert "GET /slow?seconds=1.5 200" in log
    assert "mounted health at /health (built-in 0.1.0)" in log  # what is served, and where
    assert f"mounted slow at /slow (folder {slow_config.parent / 'my_plugins'})" in log
    assert "Traceback" not in log


def test_access_log_has_request_id(slow_config):
    port = free_port()
    process = start_gateway(slow_config, port)
    try:
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/health/live", headers={"X-Request-ID": "trace-77"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["X-Request-ID"] == "trace-77"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    log = process.stdout.read()
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
