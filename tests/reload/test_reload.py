"""Live reload in one process: SIGHUP and ``gateway reload`` swap in a new plugin tree on the
same listener and the same connections. Real ``gateway serve`` processes, raw keep-alive
sockets that never resend, a folder plugin that writes down when its tree starts and stops.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from tests.processes import START_TIMEOUT, free_port

pytestmark = pytest.mark.slow

# A plugin whose instances say which tree answers (``tag``), hold WebSockets that their
# on_shutdown closes with 1001, own a task, and write a file as they start and stop.
PROBE = """
import asyncio
import contextlib
import json
from pathlib import Path

from aiohttp import WSCloseCode, web
from gateway import PluginInfo, PluginSettings, hookimpl, json_response


class ProbeSettings(PluginSettings):
    tag: str = "one"
    fail_start: bool = False


TAG = web.AppKey("probe.tag", str)
SOCKETS = web.AppKey("probe.sockets", set)


async def answer(request):
    await asyncio.sleep(float(request.query.get("wait", "0")))
    return json_response({"tag": request.app[TAG]})


async def tasks(request):
    return json_response({"tasks": len(asyncio.all_tasks())})


async def socket(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    try:
        await ws.send_str(request.app[TAG])
        async for _ in ws:
            await ws.send_str(request.app[TAG])
    finally:
        request.app[SOCKETS].discard(ws)
    return ws


async def close_sockets(app):
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"reloading")


def lifetime(settings, folder, instance):
    async def context(app):
        if settings.fail_start:
            raise RuntimeError("told to fail at start")
        owned = asyncio.create_task(asyncio.sleep(3600))
        (folder / f"started-{instance}-{settings.tag}").write_text("")
        yield
        owned.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await owned
        record = {"sockets": len(app[SOCKETS]), "task_done": owned.done()}
        (folder / f"stopped-{instance}-{settings.tag}").write_text(json.dumps(record))

    return context


@hookimpl
def gateway_plugin_info():
    return PluginInfo(name="probe", default_prefix="/probe", settings=ProbeSettings)


@hookimpl
def gateway_create_app(settings, config_dir, instance):
    app = web.Application()
    app[TAG] = settings.tag
    app[SOCKETS] = set()
    app.router.add_get("/", answer)
    app.router.add_get("/tasks", tasks)
    app.router.add_get("/ws", socket)
    app.on_shutdown.append(close_sockets)
    app.cleanup_ctx.append(lifetime(settings, Path(config_dir), instance))
    return app
"""


def write_config(folder: Path, port: int, body: str, **gateway: object) -> Path:
    settings = "\n".join(f"{key} = {json.dumps(value)}" for key, value in gateway.items())
    path = folder / "plugins.toml"
    path.write_text(
        textwrap.dedent(
            """
            [gateway]
            port = {port}
            plugin_dirs = ["my_plugins"]
            metrics = true
            shutdown_timeout = 3
            {settings}
            [plugins.health]
            """
        ).format(port=port, settings=settings)
        + textwrap.dedent(body)
    )
    return path


@dataclass
class Served:
    """A ``gateway serve`` with the port in its config (so a reload may not move it)."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def rewrite(self, body: str, port: int | None = None, **gateway: object) -> None:
        write_config(self.folder, port or self.port, body, **gateway)

    async def logged(self, pattern: str, count: int = 1, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while len(re.findall(pattern, self.text())) < count:
            assert self.process.poll() is None, f"gateway exited:\n{self.text()}"
            assert time.monotonic() < deadline, f"no {pattern!r} in the log:\n{self.text()}"
            await asyncio.sleep(0.05)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(5)


def write_probe(folder: Path) -> None:
    plugins = folder / "my_plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / "probe.py").write_text(PROBE)


def serve(folder: Path, body: str, *extra: str, **gateway: object) -> Served:
    """Start a gateway on a free port written into its config; ours once its own log says
    "Running on" with that port (another test's gateway may have taken it first: then this
    one exits and another port is tried)."""
    write_probe(folder)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(folder)}  # the default pid file's folder
    for _ in range(3):
        port = free_port()
        config = write_config(folder, port, body, **gateway)
        log = folder / "gateway.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--config", str(config), *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        served = Served(folder, port, process, log, env)
        deadline = time.monotonic() + START_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            if re.search(rf"(Running on|Listening at).*:{port}\b", served.text()):
                return served
            time.sleep(0.05)
        served.stop()
        if "already in use" not in served.text():
            raise AssertionError(f"gateway did not start:\n{served.text()}")
    raise AssertionError("no free port after 3 tries")


SWAP_SLACK = 0.5  # seconds; see the tags_sent checks


@dataclass
class Load:
    """Clients on raw keep-alive sockets, each sending one GET after another on the same
    connection and never resending: every answer is checked, every failure counted."""

    port: int
    target: str
    clients: int = 6
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[tuple[float, float, str]] = field(default_factory=list)  # sent, got, tag
    failed: list[str] = field(default_factory=list)
    hung: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    connections: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)

    def _client(self) -> None:
        request = f"GET {self.target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.connections += 1
        try:
            while not self.stop.is_set():
                sent = time.monotonic()
                try:
                    sock.sendall(request)
                    status, headers, body = _read_answer(sock)
                except TimeoutError:
                    self.hung.append(f"no answer in 10 s to a request sent at {sent}")
                    return
                except OSError as exc:
                    self.failed.append(f"{type(exc).__name__}: {exc}")
                    return
                if status != 200 or "connection: close" in headers.lower():
                    self.wrong.append(f"{status} {headers!r} {body!r}")
                    return
                self.answers.append((sent, time.monotonic(), json.loads(body)["tag"]))
        finally:
            sock.close()

    def tags_sent(self, after: float, before: float = float("inf")) -> set[str]:
        return {tag for sent, _, tag in list(self.answers) if after <= sent < before}

    def count(self) -> int:
        return len(self.answers)


def _read_answer(sock: socket.socket) -> tuple[int, str, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the gateway before an answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the gateway in the middle of an answer")
        body += chunk
    return int(head.split(b" ", 2)[1]), head.decode("latin-1"), body


class Readiness:
    """``/health/ready`` asked every 50 ms on one keep-alive connection: every status seen."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int] = []
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                async with session.get(f"{self.url}/health/ready") as response:
                    self.statuses.append(response.status)
                await asyncio.sleep(0.05)

    def __enter__(self) -> Readiness:
        self._task = asyncio.get_running_loop().create_task(self._poll())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        if self._task.done():
            self._task.result()  # a failed probe is the test's failure
        self._task.cancel()


async def get_json(url: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json(content_type=None)


async def task_counts(url: str, samples: int = 5) -> list[int]:
    """The process's task count, a few times: requests in flight move it by one or two."""
    counts: list[int] = []
    for _ in range(samples):
        _, body = await get_json(f"{url}/probe/tasks")
        counts.append(int(body["tasks"]))  # type: ignore[call-overload]
        await asyncio.sleep(0.05)
    return counts


async def task_counts_until(url: str, at_most: int, within: float = 10) -> list[int]:
    """Task counts sampled until one is at most ``at_most`` (or ``within`` seconds pass): the
    server's side of connections a client has closed ends a moment later, and later still on
    a loaded machine, where a task left behind never ends."""
    deadline = time.monotonic() + within
    counts = await task_counts(url)
    while min(counts) > at_most and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        counts += await task_counts(url)
    return counts


async def answers_tag(url: str, tag: str, within: float = 15) -> None:
    deadline = time.monotonic() + within
    while (await get_json(f"{url}/probe/"))[1] != {"tag": tag}:
        assert time.monotonic() < deadline, f"never answered {tag!r}"
        await asyncio.sleep(0.1)


def remove(path: Path) -> None:
    path.unlink()


def written_text(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


async def wait_for_file(path: Path, within: float = 15) -> str:
    deadline = time.monotonic() + within
    while written_text(path) is None:
        assert time.monotonic() < deadline, f"{path.name} was never written"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)  # written whole
    return written_text(path) or ""


START = """
[plugins.probe]
tag = "one"
[plugins.gone]
plugin = "probe"
prefix = "/gone"
tag = "gone"
"""
SECOND = START.replace('tag = "one"', 'tag = "two"')
INVALID = SECOND.replace('tag = "two"', "tag = 2")
THIRD = """
[plugins.probe]
tag = "three"
[plugins.added]
plugin = "probe"
prefix = "/added"
tag = "added"
"""


async def test_three_sighups_under_keep_alive_load(tmp_path: Path) -> None:
    gateway = serve(tmp_path, START)
    try:
        assert (tmp_path / "started-probe-one").exists()
        _, before = await get_json(f"{gateway.url}/probe/tasks")
        with Readiness(gateway.url) as readiness, Load(gateway.port, "/probe/") as load:
            await asyncio.sleep(1)
            under_load = await task_counts(gateway.url)
            # A WebSocket on the first tree, and a request in flight on it during the swap.
            async with aiohttp.ClientSession() as session:
                ws = await session.ws_connect(f"{gateway.url}/probe/ws")
                assert (await ws.receive_str()) == "one"
                in_flight = asyncio.create_task(session.get(f"{gateway.url}/probe/?wait=1"))
                await asyncio.sleep(0.3)

                # 1: a setting changes.
                gateway.rewrite(SECOND)
                first_hup = time.monotonic()
                gateway.process.send_signal(signal.SIGHUP)
                await gateway.logged("reload done")
                first_done = time.monotonic()
                closing = await asyncio.wait_for(ws.receive(), 10)
                # A close frame, 1001 "going away" (aiohttp's server then closes the
                # connection without waiting for the client's own close frame).
                assert closing.type == aiohttp.WSMsgType.CLOSE, closing
                assert (closing.data, closing.extra) == (1001, "reloading")
                async with await in_flight as answered:  # finished on the old tree
                    assert answered.status == 200
                    assert (await answered.json())["tag"] == "one"
                stopped = json.loads(await wait_for_file(tmp_path / "stopped-probe-one"))
                assert stopped == {"sockets": 0, "task_done": True}
                assert json.loads(await wait_for_file(tmp_path / "stopped-gone-gone"))
                remove(tmp_path / "stopped-gone-gone")  # the second tree's "gone" stops later
                await asyncio.sleep(0.5)

                # 2: a file that does not validate: refused, the second tree serves on.
                gateway.rewrite(INVALID)
                gateway.process.send_signal(signal.SIGHUP)
                await gateway.logged("reload refused")
                await asyncio.sleep(0.5)

                # 3: a plugin instance removed, another added.
                gateway.rewrite(THIRD)
                third_hup = time.monotonic()
                gateway.process.send_signal(signal.SIGHUP)
                await gateway.logged("reload done", 2)
                third_done = time.monotonic()
                await asyncio.sleep(0.5)
                stopped = json.loads(await wait_for_file(tmp_path / "stopped-probe-two"))
                assert stopped == {"sockets": 0, "task_done": True}
                await wait_for_file(tmp_path / "stopped-gone-gone")  # removed, not reloaded
            await gateway.logged("the previous configuration's plugins have stopped", 2)
            # The closed sessions' connections end on the server too, in their own time.
            after = await task_counts_until(gateway.url, max(under_load))
            served_before_stop = load.count()
        # Every client kept its one connection and had every answer, each from the tree
        # that served when it was sent.
        assert (load.failed, load.hung, load.wrong) == ([], [], [])
        assert load.connections == load.clients
        assert served_before_stop > 200, served_before_stop
        # A client's clock is read just before its send, and the gateway reads a request
        # when its loop gets to it: one stamped in the last moments before a signal can be
        # read after the swap (a loaded CI machine stalled one by tens of ms). So either
        # tree may answer from SWAP_SLACK before a signal until the reload is logged.
        assert load.tags_sent(0, first_hup - SWAP_SLACK) == {"one"}
        assert load.tags_sent(first_hup - SWAP_SLACK, first_done) <= {"one", "two"}
        assert load.tags_sent(first_done, third_hup - SWAP_SLACK) == {"two"}  # refused too
        assert load.tags_sent(third_hup - SWAP_SLACK, third_done) <= {"two", "three"}
        assert load.tags_sent(third_done) == {"three"}
        assert set(readiness.statuses) == {200}, readiness.statuses
        # No task left behind by the stopped trees (the same connections are open).
        # Compared at their least and most: a stopped tree's task left behind would stay in
        # every sample, where one request in flight is in some.
        assert min(after) <= max(under_load), (before, under_load, after)

        assert (await get_json(f"{gateway.url}/added/"))[1] == {"tag": "added"}
        assert (await get_json(f"{gateway.url}/gone/"))[0] == 404
        status, body = await get_json(f"{gateway.url}/_gateway/status")
        assert status == 200
        last = body["config"]["last_reload"]  # type: ignore[index]
        assert last["outcome"] == "done"
        assert not (tmp_path / "stopped-probe-three").exists()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{gateway.url}/metrics") as response,
        ):
            metrics = await response.text()
        assert 'gateway_config_reloads_total{outcome="done"} 2.0' in metrics
        assert 'gateway_config_reloads_total{outcome="refused"} 1.0' in metrics
        assert len(re.findall(r"^gateway_config_info\{", metrics, re.M)) == 1
    finally:
        code = gateway.stop()
    text = gateway.text()
    assert code == 0, text
    # The refusal names the file and the key.
    assert f"{tmp_path / 'plugins.toml'}: plugins.probe.tag: " in text
    assert "Traceback" not in text
    assert (tmp_path / "stopped-probe-three").exists()  # the last tree stops at the exit


async def test_a_plugin_that_fails_to_start_leaves_the_old_tree_serving(tmp_path: Path) -> None:
    gateway = serve(tmp_path, START)
    try:
        # "early" starts (instances start in name order), then "probe" fails: the reload is
        # abandoned and what had started is closed again.
        gateway.rewrite(
            START.replace('tag = "one"', 'tag = "broken"\nfail_start = true')
            + '[plugins.early]\nplugin = "probe"\nprefix = "/early"\ntag = "early"\n'
        )
        gateway.process.send_signal(signal.SIGHUP)
        await gateway.logged("reload abandoned")
        assert (tmp_path / "started-early-early").exists()
        assert json.loads(await wait_for_file(tmp_path / "stopped-early-early"))
        assert (await get_json(f"{gateway.url}/probe/"))[1] == {"tag": "one"}
        assert (await get_json(f"{gateway.url}/health/ready"))[0] == 200
        _, status = await get_json(f"{gateway.url}/_gateway/status")
        last = status["config"]["last_reload"]  # type: ignore[index]
        assert last["outcome"] == "abandoned"
        assert "[plugins.probe]" in last["detail"]
        assert not (tmp_path / "stopped-probe-one").exists()

        # The listener may not move in a reload: refused, by file and key.
        gateway.rewrite(START.replace('tag = "one"', 'tag = "moved"'), port=free_port())
        gateway.process.send_signal(signal.SIGHUP)
        await gateway.logged("reload refused")
        assert f"{tmp_path / 'plugins.toml'}: gateway.port: the address" in gateway.text()
        assert (await get_json(f"{gateway.url}/probe/"))[1] == {"tag": "one"}
    finally:
        code = gateway.stop()
    text = gateway.text()
    assert code == 0, text
    assert f"told to fail at start (in {tmp_path / 'plugins.toml'}, [plugins.probe])" in text
    assert "Traceback" not in text


def pid_files_in(folder: Path) -> list[Path]:
    return list(folder.glob("gateway-*.pid"))


def reload_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "reload", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_gateway_reload_finds_the_gateway_by_its_pid_file(tmp_path: Path) -> None:
    config = tmp_path / "plugins.toml"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    # Nothing serves this config yet: the error names the pid file and the fix.
    write_probe(tmp_path)
    write_config(tmp_path, free_port(), START)
    missing = reload_cli("--config", str(config), env=env)
    assert missing.returncode == 1
    assert "error: no gateway is running: there is no pid file" in missing.stderr
    assert str(tmp_path) in missing.stderr and "--pid-file" in missing.stderr

    # The default pid file: named after the config's path, in the runtime folder.
    gateway = serve(tmp_path, START)
    try:
        pid_files = pid_files_in(tmp_path)
        assert [p.read_text().strip() for p in pid_files] == [str(gateway.process.pid)]
        gateway.rewrite(SECOND)
        done = reload_cli("--config", str(config), env=env)
        assert done.returncode == 0, done.stderr
        assert f"pid {gateway.process.pid}" in done.stdout
        await gateway.logged("reload done")
        assert (await get_json(f"{gateway.url}/probe/"))[1] == {"tag": "two"}
    finally:
        assert gateway.stop() == 0
    assert not pid_files[0].exists()  # removed at the exit
    stale = reload_cli("--config", str(config), env=env)
    assert stale.returncode == 1 and "no pid file" in stale.stderr

    # A pid file named in the config, for one process and for the master of --workers.
    for workers in ((), ("--workers", "2")):
        gateway = serve(tmp_path, START, *workers, pid_file="run/gw.pid")
        try:
            pid_file = tmp_path / "run" / "gw.pid"
            await gateway.logged("pid file: ")
            assert pid_file.read_text().strip() == str(gateway.process.pid)
            if workers:
                await gateway.logged("Booting worker", 2)
            gateway.rewrite(SECOND, pid_file="run/gw.pid")
            done = reload_cli("--config", str(config), "--pid-file", str(pid_file), env=env)
            assert done.returncode == 0, done.stderr
            await gateway.logged("reload done", within=60)
            await answers_tag(gateway.url, "two")  # a replaced worker answers for 1 s more
        finally:
            assert gateway.stop() == 0, gateway.text()
        assert not pid_file.exists()


async def test_the_admin_listener_splits_the_same_after_a_reload(tmp_path: Path) -> None:
    admin_port = free_port()
    gateway = serve(tmp_path, START, admin_port=admin_port)
    admin = f"http://127.0.0.1:{admin_port}"
    try:
        # Keep-alive connections to both listeners, made before the reload, used after it.
        async with aiohttp.ClientSession() as session:
            for tag in ("one", "two"):
                async with session.get(f"{gateway.url}/probe/") as response:
                    assert (response.status, await response.json()) == (200, {"tag": tag})
                async with session.get(f"{admin}/_gateway/status") as response:
                    assert response.status == 200
                async with session.get(f"{gateway.url}/_gateway/status") as response:
                    assert response.status == 404  # an admin path, not on the public port
                async with session.get(f"{admin}/probe/") as response:
                    assert response.status == 404  # a public path, not on the admin port
                if tag == "one":
                    gateway.rewrite(SECOND, admin_port=admin_port)
                    gateway.process.send_signal(signal.SIGHUP)
                    await gateway.logged("reload done")
    finally:
        assert gateway.stop() == 0, gateway.text()


def access_lines(text: str, request_id: str) -> list[str]:
    return [line for line in text.splitlines() if request_id in line and "/probe/" in line]


async def test_a_reload_changes_the_access_log_of_open_connections(tmp_path: Path) -> None:
    """The access log's format, and whether there is one, follow the configuration served
    now, also on a keep-alive connection made before the reload (a load balancer's pool)."""
    gateway = serve(tmp_path, START, log_format="text")
    sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=10)  # one throughout
    try:

        def probe(request_id: str) -> None:
            head = f"GET /probe/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: {request_id}\r\n"
            sock.sendall(head.encode() + b"\r\n")
            status, headers, _ = _read_answer(sock)
            assert status == 200 and f"X-Request-ID: {request_id}" in headers

        async def reload(count: int, **settings: object) -> None:
            gateway.rewrite(START, **settings)
            gateway.process.send_signal(signal.SIGHUP)
            await gateway.logged("reload done", count=count)

        probe("as-text")
        await reload(1, log_format="json")
        probe("as-json")
        await reload(2, access_log=False)
        probe("unlogged")
        await reload(3, log_format="text")
        probe("text-again")
        await gateway.logged(r"\[text-again\]")
        text = gateway.text()
        [as_text] = access_lines(text, "as-text")
        assert " INFO aiohttp.access [as-text] 127.0.0.1 GET /probe/ 200 " in as_text
        [as_json] = access_lines(text, "as-json")
        line = json.loads(as_json)
        assert (line["request_id"], line["path"], line["status"]) == ("as-json", "/probe/", 200)
        assert access_lines(text, "unlogged") == []
    finally:
        sock.close()
        assert gateway.stop() == 0, gateway.text()


async def _collector(url: str) -> dict[str, object]:
    status, body = await get_json(f"{url}/_gateway/status")
    assert status == 200, body
    return body["gc"]  # type: ignore[return-value]


@pytest.mark.parametrize("workers", [(), ("--workers", "2")], ids=["one process", "workers"])
async def test_the_collector_is_tuned_once_serving_and_again_after_a_reload(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    gateway = serve(tmp_path, START, *workers, gc_thresholds=[5000, 20, 30])
    try:
        if workers:
            await gateway.logged("Booting worker", 2)
        collector = await _collector(gateway.url)
        assert collector["thresholds"] == [5000, 20, 30]
        # What start-up made (modules, settings, the application tree) is frozen.
        assert int(collector["frozen"]) > 10_000, collector  # type: ignore[call-overload]
        gateway.rewrite(SECOND, gc_thresholds=[8000, 20, 30])
        gateway.process.send_signal(signal.SIGHUP)
        await gateway.logged("reload done", within=60)
        await answers_tag(gateway.url, "two")
        if not workers:  # frozen again once the previous tree has stopped
            await gateway.logged("the previous configuration's plugins have stopped")
        deadline = time.monotonic() + 15
        while (collector := await _collector(gateway.url))["thresholds"] != [8000, 20, 30]:
            assert time.monotonic() < deadline, collector  # a replaced worker for 1 s more
            await asyncio.sleep(0.1)
        assert int(collector["frozen"]) > 10_000, collector  # type: ignore[call-overload]
    finally:
        assert gateway.stop() == 0, gateway.text()
