"""WebSockets relayed message by message, both ways, with the peers' close codes.

The upstream connection is made first: a target that refuses the handshake is answered
before the client's handshake is accepted. Each direction reads the next message only once
the previous one is sent on, so a slow reader slows its writer (backpressure through TCP)
instead of filling the gateway's memory. When neither side has sent anything for
``timeouts.idle`` seconds both are closed with 1001 (going away).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from yarl import URL

from gateway import REQUEST_ID, ProblemError
from gateway_plugins.proxy.forward import Forwarder
from gateway_plugins.proxy.paths import tail_of
from gateway_plugins.proxy.problems import UpstreamFailure, classify, failure_problem, proxy_status
from gateway_plugins.proxy.targets import Target

log = logging.getLogger("gateway.proxy")

# The handshake's own fields: aiohttp's client makes its own key, version and extensions.
_HANDSHAKE = ("Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions")
AnySocket = web.WebSocketResponse | aiohttp.ClientWebSocketResponse
# Close codes that may not be sent in a close frame (RFC 6455 section 7.4.1).
_RESERVED = frozenset((1004, 1005, 1006, 1015))


def wants_websocket(request: web.Request) -> bool:
    return (
        request.method == "GET"
        and request.headers.get("Upgrade", "").strip().lower() == "websocket"
    )


async def relay_websocket(forwarder: Forwarder, request: web.Request) -> web.StreamResponse:
    settings = forwarder.settings
    raw_path, _, query = request.raw_path.partition("?")
    tail = tail_of(raw_path, forwarder.prefix)
    target = forwarder.targets.choose(request)
    if target is None:
        raise failure_problem(settings.via, "destination_unavailable")
    await forwarder.take_slot(target)
    try:
        return await _relay(forwarder, request, target, tail, query)
    finally:
        forwarder.free_slot(target)


async def _relay(
    forwarder: Forwarder, request: web.Request, target: Target, tail: str, query: str
) -> web.StreamResponse:
    settings = forwarder.settings
    assert forwarder.session is not None
    path = (target.root + tail) or "/"  # as forward.py's: the bare prefix is its root
    scheme = "wss" if target.origin.startswith("https:") else "ws"
    url = URL(
        f"{scheme}{target.origin[target.origin.index(':') :]}{path}"
        + (f"?{query}" if query else ""),
        encoded=True,
    )
    headers = forwarder.fields.build(
        request, request.host if settings.preserve_host else target.host
    )
    protocols = [
        p.strip()
        for value in request.headers.getall("Sec-WebSocket-Protocol", ())
        for p in value.split(",")
        if p.strip()
    ]
    for name in (*_HANDSHAKE, "Sec-WebSocket-Protocol"):
        headers.popall(name, None)
    timeouts = settings.timeouts
    try:
        async with asyncio.timeout(timeouts.connect + timeouts.first_byte):
            upstream = await forwarder.session.ws_connect(
                url,
                headers=headers,
                protocols=protocols,
                autoclose=False,
                autoping=True,
                max_msg_size=settings.ws_max_message,
                ssl=forwarder.ssl_for(str(url)),
                timeout=aiohttp.ClientWSTimeout(ws_close=timeouts.first_byte),
            )
    except aiohttp.WSServerHandshakeError as exc:
        raise ProblemError(
            502,
            f"The upstream refused the WebSocket handshake with {exc.status}.",
            headers={
                "Proxy-Status": proxy_status(
                    settings.via, "http_protocol_error", received_status=exc.status
                )
            },
        ) from None
    except TimeoutError:
        raise failure_problem(settings.via, "http_response_timeout") from None
    except (aiohttp.ClientError, OSError) as exc:
        failure = UpstreamFailure(classify(exc), exc)
        if failure.connect_failure:
            forwarder.targets.failed(target, failure.error)
        raise failure_problem(settings.via, failure.error) from None
    forwarder.targets.succeeded(target)
    client = web.WebSocketResponse(
        protocols=[upstream.protocol] if upstream.protocol else (),
        autoclose=False,
        autoping=True,
        max_msg_size=settings.ws_max_message,
    )
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        client.headers["X-Request-ID"] = request_id
    client.headers["Server"] = settings.via
    try:
        await client.prepare(request)
    except BaseException:
        await upstream.close()
        raise
    await _pump_both(client, upstream, timeouts.idle)
    return client


async def _pump_both(
    client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse, idle: float
) -> None:
    loop = asyncio.get_running_loop()
    last = [loop.time()]  # when either side last sent a message
    done = asyncio.Event()

    async def pump(source: AnySocket, sink: AnySocket) -> None:
        while not done.is_set():
            wait = last[0] + idle - loop.time()
            if wait <= 0:
                done.set()
                await _close(sink, WSCloseCode.GOING_AWAY, b"idle timeout")
                await _close(source, WSCloseCode.GOING_AWAY, b"idle timeout")
                return
            try:
                message = await source.receive(timeout=wait)
            except TimeoutError:
                continue  # the other direction may have been busy: check the shared clock
            last[0] = loop.time()
            if message.type == WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            elif message.type == WSMsgType.CLOSE:
                done.set()
                code = message.data if message.data not in _RESERVED else WSCloseCode.OK
                await _close(sink, code, (message.extra or "").encode())
                await _close(source, sink.close_code or code, b"")
                return
            else:  # CLOSING, CLOSED, ERROR: the source is gone without a close frame
                done.set()
                await _close(sink, WSCloseCode.GOING_AWAY, b"peer went away")
                return

    tasks = [
        asyncio.ensure_future(pump(client, upstream)),
        asyncio.ensure_future(pump(upstream, client)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # a send to a peer that just left
                log.info("proxy WebSocket ended: %s: %s", type(exc).__name__, exc)
        await _close(upstream, WSCloseCode.GOING_AWAY, b"")
        await _close(client, WSCloseCode.GOING_AWAY, b"")


async def _close(ws: AnySocket, code: int, message: bytes) -> None:
    if ws.closed:
        return
    try:
        await ws.close(code=code, message=message)
    except Exception as exc:  # the peer is already gone
        log.debug("closing a proxied WebSocket: %s", exc)
