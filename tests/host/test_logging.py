"""The access log and log_format, through real `gateway serve` processes: no line of an answered
request is lost on SIGTERM or across a SIGHUP reload, JSON lines parse with stable fields, and
the start-up log names the event loop."""

import asyncio
import itertools
import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.host.conftest import run_cli
from tests.host.test_workers import BOOT_TIMEOUT, Workers
from tests.processes import GatewayProcess

ECHO = """
import asyncio
import logging

from aiohttp import web
from gateway import PluginInfo, hookimpl, json_response

log = logging.getLogger("echo")


async def echo(request):
    await asyncio.sleep(float(request.query.get("sleep", "0")))
    return json_response({"ok": True})


async def boom(request):
    raise RuntimeError("the echo plugin broke")


async def warn(request):
    log.warning("note %s is odd", 7, extra={"note_id": 7})
    return json_response({"warned": True})


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="echo", default_prefix="/echo")


@hookimpl
def gateway_create_app():
    app = web.Application()
    app.router.add_get("/", echo)
    app.router.add_get("/boom", boom)
    app.router.add_get("/warn", warn)
    return app
"""

ACCESS_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "peer",
    "method",
    "path",
    "status",
    "bytes_sent",
    "duration_ms",
    "instance",
    "plugin",
    "user",
    "user_agent",
}


@pytest.fixture
def echo_config(write_config, plugin_folder):
    plugin_folder(echo=ECHO)

    def config(settings: str = "") -> Path:
        return write_config(
            f"""
            [gateway]
            plugin_dirs = ["my_plugins"]
            shutdown_timeout = 10
            {settings}
            [plugins.health]
            [plugins.echo]
            """
        )

    return config


@pytest.fixture
async def gateway(echo_config, tmp_path):
    started: list[GatewayProcess] = []

    async def start(settings: str = "") -> GatewayProcess:
        server = GatewayProcess(echo_config(settings), tmp_path / f"gateway-{len(started)}.log")
        started.append(server)
        return await server.listening()

    yield start
    for server in started:
        server.stop()


class Load:
    """Concurrent clients sending requests, each with its own X-Request-ID, until stopped;
    the ids of every request that got a response are kept."""

    def __init__(self, url: str, concurrency: int = 8) -> None:
        self.url = url
        self.concurrency = concurrency
        self.answered: set[str] = set()
        self.failed = 0
        self._ids = itertools.count()
        self._running = True

    async def _client(self, session: aiohttp.ClientSession, number: int) -> None:
        # Every other client asks for a slow answer, so requests are in flight whenever a
        # process is told to stop, and finish while it drains, just before it exits.
        params = {"sleep": "0.3"} if number % 2 == 0 else {}
        deadline = time.monotonic() + 20  # bounded whatever happens
        while self._running and time.monotonic() < deadline:
            request_id = f"load-{next(self._ids)}"
            try:
                async with session.get(
                    f"{self.url}/echo/", params=params, headers={"X-Request-ID": request_id}
                ) as response:
                    await response.read()
                    self.answered.add(request_id)
            except aiohttp.ClientError:
                self.failed += 1
                await asyncio.sleep(0.02)

    async def run_until(self, done: asyncio.Event) -> None:
        connector = aiohttp.TCPConnector(force_close=True)  # new connections reach new workers
        async with aiohttp.ClientSession(connector=connector) as session:
            clients = [
                asyncio.create_task(self._client(session, i)) for i in range(self.concurrency)
            ]
            await done.wait()
            self._running = False
            await asyncio.gather(*clients)


def logged_request_ids(log: str) -> set[str]:
    """The request ids of every access line, in either format."""
    ids = set()
    for line in log.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record["logger"] == "aiohttp.access":
                ids.add(record["request_id"])
        elif " aiohttp.access [" in line:
            ids.add(line.split(" aiohttp.access [", 1)[1].split("]", 1)[0])
    return ids


@pytest.mark.slow
async def test_sigterm_under_load_logs_every_answered_request(gateway):
    server = await gateway()
    load = Load(server.url)
    done = asyncio.Event()
    running = asyncio.create_task(load.run_until(done))
    await asyncio.sleep(1.0)
    server.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(server.process.wait, 20) == 0
    done.set()
    await running
    log = server.log.read_text()
    assert len(load.answered) > 50, log
    missing = load.answered - logged_request_ids(log)
    assert not missing, f"{len(missing)} answered requests have no access line, e.g. {missing}"
    assert "Traceback" not in log


@pytest.mark.slow
@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_sighup_reload_under_load_logs_every_answered_request(
    echo_config, tmp_path, log_format
):
    config = echo_config(f'log_format = "{log_format}"')
    workers = Workers(config, tmp_path / "workers.log")
    try:
        await workers.started()
        load = Load(workers.url)
        done = asyncio.Event()
        running = asyncio.create_task(load.run_until(done))
        await asyncio.sleep(0.5)
        workers.process.send_signal(signal.SIGHUP)
        await workers.logged("reload done", within=BOOT_TIMEOUT)
        # Both old workers drained and left.
        await workers.logged("Worker exiting", 2, within=BOOT_TIMEOUT)
        await asyncio.sleep(0.5)  # the new workers answer too
        workers.stop()
        done.set()
        await running
    finally:
        workers.stop()
    log = workers.text()
    assert len(load.answered) > 50, log
    missing = load.answered - logged_request_ids(log)
    assert not missing, f"{len(missing)} answered requests have no access line, e.g. {missing}"
    loop_lines = [line for line in log.splitlines() if "event loop: uvloop" in line]
    assert len(loop_lines) == 4  # two workers, then two more after the reload
    if log_format == "json":
        records = [json.loads(line) for line in log.splitlines()]  # gunicorn's lines too
        booted = [
            r for r in records if r["logger"] == "gunicorn.error" and "Booting" in r["message"]
        ]
        assert len(booted) == 4


def test_text_access_line_has_size_plugin_and_agent(echo_config):
    config = echo_config()
    with GatewayProcess(config, config.parent / "gateway.log") as gateway:
        # A raw request: the agent carries a quote, and the path a percent-encoded newline.
        _raw_get(gateway.port, "/echo/?q=%0Afake", 'agent "with" quotes', "line-1")
        _raw_get(gateway.port, "/nowhere", "curl/8", "line-2")
        _raw_get(gateway.port, "/echo/?sleep=0.25", "curl/8", "line-3")
    log = gateway.text()
    first = next(line for line in log.splitlines() if "[line-1]" in line)
    assert " 127.0.0.1 GET /echo/?q=%0Afake 200 " in first
    assert first.endswith(' echo - "agent \\"with\\" quotes"')  # "-": no caller named
    size = first.split(" 200 ", 1)[1].split(" ", 1)[0]
    assert size.endswith("B") and int(size[:-1]) > 0
    second = next(line for line in log.splitlines() if "[line-2]" in line)
    assert " GET /nowhere 404 " in second and " gateway " in second  # the host answered
    # The duration: milliseconds with two decimals, the handler's quarter-second in it (less
    # a little: uvloop's timers run on a millisecond clock and may fire a fraction early).
    slow = next(line for line in log.splitlines() if "[line-3]" in line)
    took = re.search(r" 200 \d+B (\d+)\.(\d\d)ms echo - ", slow)
    assert took is not None, slow
    assert 240 <= int(took.group(1)) < 5000


def test_access_line_names_the_client_behind_a_trusted_proxy(echo_config):
    config = echo_config('trusted_proxies = ["127.0.0.1/32"]')
    with GatewayProcess(config, config.parent / "gateway.log") as gateway:
        forwarded = "X-Forwarded-For: 203.0.113.7\r\n"
        _raw_get(gateway.port, "/echo/", "curl/8", "proxied", extra=forwarded)
        _raw_get(gateway.port, "/echo/", "curl/8", "direct")
    lines = gateway.text().splitlines()
    assert " 203.0.113.7 GET /echo/ 200 " in next(line for line in lines if "[proxied]" in line)
    assert " 127.0.0.1 GET /echo/ 200 " in next(line for line in lines if "[direct]" in line)


def test_json_lines_parse_with_stable_fields(echo_config):
    config = echo_config('log_format = "json"')
    with GatewayProcess(config, config.parent / "gateway.log") as gateway:
        _raw_get(gateway.port, "/echo/", "tester/1.0", "json-1")
        _raw_get(gateway.port, "/echo/boom", "tester/1.0", "json-2")
        _raw_get(gateway.port, "/echo/warn", "tester/1.0", "json-3")
        # A header byte that is not UTF-8 must not cost the line.
        _raw_get(gateway.port, "/health/live", b"bad \xff agent", "json-4")
        _raw_get(gateway.port, "/echo/?sleep=0.25", "tester/1.0", "json-5")
    records = [json.loads(line) for line in gateway.text().splitlines()]
    access = {r["request_id"]: r for r in records if r["logger"] == "aiohttp.access"}
    assert set(access) == {"json-1", "json-2", "json-3", "json-4", "json-5"}
    for record in access.values():
        assert set(record) == ACCESS_FIELDS
        assert record["level"] == "info"
        assert record["time"].endswith("Z")
    assert access["json-1"]["path"] == "/echo/"
    assert access["json-1"]["status"] == 200
    assert access["json-1"]["plugin"] == "echo"
    assert access["json-1"]["instance"] == "echo"
    assert access["json-1"]["user_agent"] == "tester/1.0"
    assert access["json-1"]["bytes_sent"] > 0
    assert access["json-1"]["duration_ms"] >= 0
    assert 240 <= access["json-5"]["duration_ms"] < 5000
    assert access["json-5"]["duration_ms"] == round(access["json-5"]["duration_ms"], 3)
    assert access["json-2"]["status"] == 500
    assert access["json-4"]["user_agent"] == "bad \\xff agent"

    application = [r for r in records if r["logger"] != "aiohttp.access"]
    for record in application:
        assert list(record)[:5] == ["time", "level", "logger", "message", "request_id"]
    error = next(r for r in application if r.get("request_id") == "json-2")
    assert error["level"] == "error"
    assert "RuntimeError: the echo plugin broke" in error["exception"]
    warning = next(r for r in application if r["logger"] == "echo")
    assert warning["message"] == "note 7 is odd"
    assert warning["note_id"] == 7
    assert warning["request_id"] == "json-3"
    assert any(r["message"].startswith("Running on http://") for r in application)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("asyncio", "event loop: asyncio"), ("auto", "event loop: uvloop")],
)
def test_start_up_log_names_the_loop(echo_config, setting, expected):
    if expected.endswith("uvloop"):
        pytest.importorskip("uvloop")
    config = echo_config(f'loop = "{setting}"')
    gateway = GatewayProcess(config, config.parent / "gateway.log").wait_listening()
    gateway.stop()
    line = next(line for line in gateway.text().splitlines() if "event loop:" in line)
    assert f"{expected}" in line and f'(loop = "{setting}")' in line


def test_unknown_log_format_and_loop_are_config_errors(echo_config):
    result = run_cli("check", "--config", str(echo_config('log_format = "xml"\nloop = "tokio"')))
    assert result.returncode == 2
    assert "gateway.log_format: Input should be 'text' or 'json', got 'xml'" in result.stderr
    assert "gateway.loop: Input should be 'auto', 'asyncio' or 'uvloop', got 'tokio'" in (
        result.stderr
    )


def _raw_get(port: int, target: str, agent: str | bytes, request_id: str, extra: str = "") -> bytes:
    """One request over a raw socket, so that the header bytes are exactly these."""
    agent_bytes = agent.encode() if isinstance(agent, str) else agent
    request = (
        (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: {request_id}\r\n"
            f"{extra}Connection: close\r\nUser-Agent: "
        ).encode()
        + agent_bytes
        + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1.1 "), answer
    return answer


def test_loop_uvloop_without_uvloop_is_a_config_error(echo_config):
    # uvloop hidden from this interpreter as if it were not installed (find_spec sees None).
    config = str(echo_config('loop = "uvloop"'))
    script = (
        "import sys; sys.modules['uvloop'] = None; from gateway.cli import main; "
        f"sys.exit(main(['check', '--config', {config!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert (
        "gateway.loop: uvloop is not installed (fix: install it (pip install uvloop), "
        'or set loop = "auto" to use it where it is)'
    ) in result.stderr


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_instance_is_named_with_its_plugin(echo_config, log_format):
    """[plugins.shop] with plugin = "echo": the access line and the start-up line name the
    instance and its plugin as `gateway plugins` does ("shop (echo)"); JSON apart."""
    config = echo_config(f'log_format = "{log_format}"')
    config.write_text(config.read_text() + '[plugins.shop]\nplugin = "echo"\nprefix = "/shop"\n')
    listed = run_cli("plugins", "--config", str(config))
    assert listed.returncode == 0, listed.stderr
    shop = next(line for line in listed.stdout.splitlines() if line.startswith("shop"))
    assert shop.startswith("shop (echo) ") and " mounted " in shop and " /shop " in shop
    echo = next(line for line in listed.stdout.splitlines() if line.startswith("echo"))
    assert echo.startswith("echo ") and "(echo)" not in echo

    with GatewayProcess(config, config.parent / "gateway.log") as gateway:
        _raw_get(gateway.port, "/shop/", "curl/8", "to-shop")
        _raw_get(gateway.port, "/echo/", "curl/8", "to-echo")
    lines = gateway.text().splitlines()
    if log_format == "text":
        assert next(line for line in lines if "[to-shop]" in line).endswith(
            ' shop (echo) - "curl/8"'
        )
        assert next(line for line in lines if "[to-echo]" in line).endswith(' echo - "curl/8"')
        assert any("mounted shop (echo) at /shop" in line for line in lines)
        return
    records = [json.loads(line) for line in lines]
    access = {r["request_id"]: r for r in records if r["logger"] == "aiohttp.access"}
    assert (access["to-shop"]["instance"], access["to-shop"]["plugin"]) == ("shop", "echo")
    assert (access["to-echo"]["instance"], access["to-echo"]["plugin"]) == ("echo", "echo")
    assert any(r["message"].startswith("mounted shop (echo) at /shop") for r in records)
