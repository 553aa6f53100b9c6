"""openapi-core, an independent validator, holds /openapi.json to what the server does.

Each request the server refuses below must be one the document refuses too (an empty
If-Match, an empty cursor, an unknown currency, a plain GET of the WebSocket endpoint), and
each answer the server sends (200s with the RateLimit fields, HEAD, a replayed Idempotency-Key,
405, 408, 413, 414, 417, 431, 501, a refused WebSocket handshake) must be one the document
describes: its status, its body's schema, and every header it carries that a client acts on.
Requests go through aiohttp's client, or a raw socket where aiohttp would not send them.
"""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from multidict import CIMultiDict, MultiDict
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.validation.request.exceptions import ParameterValidationError
from yarl import URL

import gateway_plugins.crypto as crypto_plugin
import gateway_plugins.health as health_plugin
import gateway_plugins.notes as notes_plugin
import gateway_plugins.ratelimit as ratelimit_plugin
from gateway.errors import PROBLEM_CONTENT_TYPE as PROBLEM

# The fields a client acts on: the document must declare each one the server sends.
API_FIELDS = {
    "allow",
    "etag",
    "idempotent-replayed",
    "link",
    "location",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "sec-websocket-version",
    "upgrade",
}


@dataclass
class Sent:
    """A request as openapi-core reads one (its ``Request`` protocol)."""

    verb: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    host_url: str = "http://127.0.0.1"
    # One object: the validator fills in its path parameters.
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        self.parameters = RequestParameters(
            query=MultiDict(URL(self.target).query), header=CIMultiDict(self.headers)
        )

    @property
    def method(self) -> str:
        return self.verb.lower()

    @property
    def path(self) -> str:
        return URL(self.target).path

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]


@dataclass
class Received:
    """A response as openapi-core reads one (its ``Response`` protocol)."""

    status_code: int
    headers: CIMultiDict[str]
    data: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]


@pytest.fixture
async def served(gateway_client: Any, fake: Any) -> tuple[Any, OpenAPI, dict[str, Any]]:
    client = await gateway_client(
        {
            "gateway": {"body_timeout": 1},
            "plugins": {
                "health": {},
                "notes": {"database_url": "sqlite+aiosqlite:///notes.db", "max_body_size": 2048},
                "crypto": {"base_url": fake.url, "cache": "memory://"},
                "ratelimit": {"limits": ["1000/minute"]},
            },
        },
        plugins=[health_plugin, notes_plugin, crypto_plugin, ratelimit_plugin],
    )
    document = await (await client.get("/openapi.json")).json()
    # A problem (RFC 9457) and a health report are JSON too: read them as such.
    json_types = (PROBLEM, "application/health+json")
    config = Config(extra_media_type_deserializers=dict.fromkeys(json_types, orjson.loads))
    return client, OpenAPI.from_dict(document, config=config), document


async def send(client: Any, call: Sent) -> Received:
    async with client.request(
        call.verb, call.target, headers=call.headers, data=call.body
    ) as response:
        data = await response.read()
        return Received(response.status, CIMultiDict(response.headers), data)


async def send_raw(client: Any, raw: bytes, *, wait: float = 5) -> Received:
    """``raw`` over a socket; the one answer read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(raw)
    try:
        async with asyncio.timeout(wait):
            data = await reader.read(-1)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    return Received(int(lines[0].split(" ")[1]), headers, body)


def declared(document: dict[str, Any], call: Sent, answer: Received) -> set[str]:
    """The response fields the document declares for ``call``'s operation and status."""
    item = next(
        item for template, item in document["paths"].items() if _matches(template, call.path)
    )
    response = item[call.method]["responses"][str(answer.status_code)]
    return {name.lower() for name in response.get("headers", {})}


def _matches(template: str, path: str) -> bool:
    parts, wanted = template.strip("/").split("/"), path.strip("/").split("/")
    return len(parts) == len(wanted) and all(
        p == w or (p.startswith("{") and p.endswith("}"))
        for p, w in zip(parts, wanted, strict=True)
    )


def described(openapi: OpenAPI, document: dict[str, Any], call: Sent, answer: Received) -> None:
    """Assert that the document describes ``answer`` to ``call``: status, body, fields."""
    openapi.validate_response(call, answer)
    sent = {name.lower() for name in answer.headers} & API_FIELDS
    missing = sent - declared(document, call, answer)
    assert not missing, f"{call.verb} {call.path} {answer.status_code}: {missing} undeclared"


REFUSED = [
    # (request, the status the server refuses it with)
    (Sent("PUT", "/notes/1", {"If-Match": "", "Content-Type": "application/json"}), 412),
    (Sent("GET", "/notes?cursor="), 422),
    (Sent("GET", "/v1/crypto/markets?vs_currency=zzz"), 422),
    (Sent("GET", "/v1/crypto/ws"), 426),
]


@pytest.mark.parametrize(("call", "status"), REFUSED, ids=lambda v: getattr(v, "target", v))
async def test_what_the_server_refuses_the_document_refuses(served, call, status) -> None:
    client, openapi, _ = served
    await send(
        client, Sent("POST", "/notes", {"Content-Type": "application/json"}, b'{"title": "a"}')
    )
    if call.verb == "PUT":
        call.body = b'{"title": "b"}'
    answer = await send(client, call)
    assert answer.status_code == status, answer.data
    with pytest.raises(OpenAPIError) as refused:
        openapi.validate_request(call)
    # A parameter the document refuses, not an operation it lacks.
    assert isinstance(refused.value, ParameterValidationError), repr(refused.value)


async def test_success_answers_carry_only_described_fields(served) -> None:
    client, openapi, document = served
    create = Sent(
        "POST",
        "/notes",
        {"Content-Type": "application/json", "Idempotency-Key": "3f0e1c2a-key"},
        b'{"title": "idempotent"}',
    )
    openapi.validate_request(create)
    first, again = await send(client, create), await send(client, create)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "RateLimit" in first.headers  # ratelimit's fields are on admitted answers
    for answer in (first, again):
        described(openapi, document, create, answer)
    for call in (
        Sent("GET", "/notes?limit=5"),
        Sent("HEAD", "/notes?limit=5"),
        Sent("GET", "/notes/1"),
        Sent("HEAD", "/notes/1"),
        Sent("GET", "/health/live"),
        Sent("HEAD", "/health/live"),
        Sent("GET", "/v1/crypto/price?ids=bitcoin&vs_currencies=usd"),
    ):
        openapi.validate_request(call)
        answer = await send(client, call)
        assert answer.status_code == 200, (call, answer.data)
        assert call.verb != "HEAD" or answer.data == b""
        described(openapi, document, call, answer)


async def test_the_hosts_own_refusals_are_described(served) -> None:
    client, openapi, document = served
    post = Sent("POST", "/notes", {"Content-Type": "application/json"})
    cases = [
        # (the operation whose description must cover the answer, the answer, its status)
        (Sent("GET", "/notes"), await send(client, Sent("DELETE", "/notes")), 405),
        (
            Sent("GET", "/health/live"),
            await send(client, Sent("GET", "/health/live", {"Expect": "nonsense"})),
            417,
        ),
        (post, await send(client, Sent("POST", "/notes", post.headers, b"x" * 4096)), 413),
        (
            Sent("GET", "/notes"),
            await send_raw(
                client, b"GET /notes?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            ),
            414,
        ),
        (
            Sent("GET", "/health/live"),
            await send_raw(
                client,
                b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
            ),
            431,
        ),
        (
            post,
            await send_raw(
                client,
                b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            ),
            501,
        ),
        (
            post,
            await send_raw(
                client,
                b"POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 100\r\nConnection: close\r\n\r\n{"title"',
                wait=15,
            ),
            408,
        ),
    ]
    for call, answer, status in cases:
        assert answer.status_code == status, (status, answer.data)
        described(openapi, document, call, answer)


def handshake(version: str = "13") -> dict[str, str]:
    return {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": version,
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }


async def test_the_websocket_handshake_is_described(served) -> None:
    client, openapi, document = served
    openapi.validate_request(Sent("GET", "/v1/crypto/ws", handshake()))
    async with client.ws_connect("/v1/crypto/ws") as ws:
        await ws.send_str(orjson.dumps({"subscribe": ["bitcoin"], "vs": "usd"}).decode())
        assert await ws.receive_json(timeout=5)
    refused = Sent("GET", "/v1/crypto/ws", handshake("8"))
    with pytest.raises(ParameterValidationError):
        openapi.validate_request(refused)  # the document asks for version 13
    answer = await send(client, refused)
    assert answer.status_code == 400
    described(openapi, document, refused, answer)
    plain = Sent("GET", "/v1/crypto/ws")
    described(openapi, document, plain, await send(client, plain))
