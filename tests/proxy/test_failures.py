"""Failures: each a problem+json 502, 503 or 504 with Proxy-Status; retries; cut answers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from gateway.testing import assert_problem
from tests.processes import free_port
from tests.proxy.upstream import SEEN, release, until_held

ROOT = Path(__file__).resolve().parents[2]


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


async def test_refused_connection_is_502(proxied) -> None:
    client = await proxied([closed_port_url()], retries=0)
    response = await client.get("/svc/x")
    await assert_problem(response, 502)
    assert response.headers["Proxy-Status"] == "gateway; error=connection_refused"


async def test_slow_target_is_504(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], timeouts={"first_byte": 0.3})
    started = time.monotonic()
    response = await client.get("/svc/slow", params={"s": "5"})
    await assert_problem(response, 504)
    assert response.headers["Proxy-Status"] == "gateway; error=http_response_timeout"
    assert time.monotonic() - started < 3


async def test_connect_timeout_is_504(proxied) -> None:
    # A listener that never accepts, its backlog filled: further SYNs go unanswered.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        await asyncio.sleep(0.2)
        client = await proxied([f"http://127.0.0.1:{port}"], timeouts={"connect": 0.3}, retries=0)
        started = time.monotonic()
        response = await client.get("/svc/x")
        await assert_problem(response, 504)
        assert response.headers["Proxy-Status"] == "gateway; error=connection_timeout"
        assert time.monotonic() - started < 3
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_every_target_down(proxied) -> None:
    client = await proxied([closed_port_url(), closed_port_url()], retries=1, eject_after=1)
    first = await client.get("/svc/x")
    await assert_problem(first, 502)
    # Both are ejected now: nothing is tried at all.
    second = await client.get("/svc/x")
    await assert_problem(second, 503)
    assert second.headers["Proxy-Status"] == "gateway; error=destination_unavailable"


async def test_full_pool_waits_then_503(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], max_connections=1, pool_wait=0.2)
    slow = asyncio.ensure_future(client.get("/svc/slow", params={"hold": "1"}))
    await until_held([server])
    started = time.monotonic()
    response = await client.get("/svc/x")
    await assert_problem(response, 503)
    assert response.headers["Proxy-Status"] == "gateway; error=connection_limit_reached"
    assert time.monotonic() - started < 1.2
    release(server)
    assert (await slow).status == 200
    assert (await client.get("/svc/x")).status == 200  # the slot is free again


async def test_503_is_retried_on_another_target(upstream, proxied) -> None:
    bad, good = await upstream("bad"), await upstream("good")
    client = await proxied([bad, good], retries=1, balance="round_robin")
    for _ in range(4):
        response = await client.get("/svc/status/503")
        # "good" answers 503 too on this path: what matters is who answered last.
        assert response.status == 503
    assert len(bad.app[SEEN]) == len(good.app[SEEN]) == 4


async def test_503_from_one_target_answered_by_the_other(upstream, proxied, aiohttp_server) -> None:
    from aiohttp import web

    async def unavailable(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down")

    down = web.Application()
    down.router.add_route("*", "/{tail:.*}", unavailable)
    bad = await aiohttp_server(down, host="127.0.0.1")
    good = await upstream("good")
    client = await proxied([bad, good], retries=1, eject_after=0)
    names = [(await (await client.get("/svc/x")).json())["name"] for _ in range(6)]
    assert names == ["good"] * 6
    # A POST is not idempotent: the 503 is relayed as it came.
    statuses = {(await client.post("/svc/x", data=b"1")).status for _ in range(4)}
    assert statuses == {200, 503}


async def test_a_put_goes_to_another_target_when_one_refuses(upstream, proxied) -> None:
    good = await upstream("good")
    client = await proxied([closed_port_url(), good], retries=1, eject_after=0)
    for _ in range(4):  # round robin meets the closed port first half of the time
        response = await client.put("/svc/x", data=b"p" * 100_000)
        body = await response.json()
        assert body["name"] == "good" and body["size"] == 100_000
    # A POST is not idempotent: it is not tried again.
    statuses = {(await client.post("/svc/x", data=b"p")).status for _ in range(4)}
    assert statuses == {200, 502}


async def test_a_lone_targets_503_is_relayed_as_it_came(proxied, aiohttp_server) -> None:
    from aiohttp import web

    async def unavailable(request: web.Request) -> web.Response:
        return web.Response(status=503, text="down for maintenance", headers={"Retry-After": "7"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unavailable)
    server = await aiohttp_server(app, host="127.0.0.1")
    client = await proxied([server], retries=2, eject_after=0)
    response = await client.get("/svc/x")
    assert response.status == 503
    assert await response.text() == "down for maintenance"
    assert response.headers["Retry-After"] == "7"


async def test_retry_budget_bounds_retries(aiohttp_server, upstream, proxied) -> None:
    from aiohttp import web

    calls = []

    async def unavailable(request: web.Request) -> web.Response:
        calls.append(request.path)
        return web.Response(status=503)

    down = web.Application()
    down.router.add_route("*", "/{tail:.*}", unavailable)
    servers = [await aiohttp_server(down, host="127.0.0.1") for _ in range(3)]
    client = await proxied(servers, retries=2, retry_budget=0.5, eject_after=0)
    for _ in range(20):
        assert (await client.get("/svc/x")).status in (502, 503)
    # 20 requests, at most 10 retries: never more than 1.5x the load, though 3x was asked.
    assert 20 <= len(calls) <= 30


async def test_body_too_large_is_413(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], max_body_size=1000)
    await assert_problem(await client.post("/svc/x", data=b"x" * 1001), 413)

    async def pieces():
        for _ in range(10):
            yield b"y" * 500

    response = await client.post("/svc/x", data=pieces())
    assert response.status in (413, 502), await response.text()


@pytest.mark.slow
async def test_target_killed_mid_stream_cuts_the_answer(proxied, caplog) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
        [sys.executable, "-m", "tests.proxy.upstream", str(port), "doomed"], cwd=ROOT
    )
    try:
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        client = await proxied([f"http://127.0.0.1:{port}"])
        size = 50 * 1024 * 1024
        response = await client.get("/svc/stream", params={"size": str(size)})
        assert response.status == 200
        received = len(await response.content.readexactly(1024 * 1024))
        process.kill()
        with pytest.raises(aiohttp.ClientPayloadError):
            async with asyncio.timeout(10):
                while piece := await response.content.readany():
                    received += len(piece)
        assert received < size
        assert "failed mid-answer" in caplog.text
        # The gateway is fine, and says what happened to the next request.
        after = await client.get("/svc/x")
        await assert_problem(after, 502)
    finally:
        process.kill()
        process.wait()


async def test_target_that_never_reads_the_body_is_504(proxied) -> None:
    # Accepts connections and reads nothing: the upload fills the buffers, then waits.
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        client = await proxied([f"http://127.0.0.1:{port}"], timeouts={"idle": 0.5})

        async def pieces():
            for _ in range(64):
                yield b"u" * (1024 * 1024)

        started = time.monotonic()
        response = await client.post("/svc/x", data=pieces())
        await assert_problem(response, 504)
        assert time.monotonic() - started < 10
    finally:
        silent.close()


async def test_a_client_that_stalls_its_upload_is_408(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], timeouts={"idle": 0.3})

    async def stalling():
        yield b"a" * 1000
        await asyncio.sleep(2)
        yield b"b"

    response = await client.post("/svc/x", data=stalling())
    await assert_problem(response, 408)


async def test_a_client_that_stops_reading_frees_the_connection(upstream, proxied) -> None:
    server = await upstream()
    client = await proxied([server], max_connections=1, pool_wait=0, timeouts={"idle": 0.5})
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(b"GET /svc/stream?size=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    await reader.read(1024)  # the head, then read nothing more
    await asyncio.sleep(0.3)
    busy = await client.get("/svc/x")
    assert busy.status == 503  # its one connection is taken by the stalled download
    await asyncio.sleep(2.0)
    assert (await client.get("/svc/x")).status == 200
    writer.close()
