"""HTTP over a raw socket: bytes a client library would refuse to send, answers read as sent."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import orjson


@dataclass
class RawResponse:
    """One HTTP response as it came off the wire."""

    status: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    status_line: str = ""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def json(self) -> dict:
        return orjson.loads(self.body)


def connect(port: int, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the timeout)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    return data


def read_response(sock: socket.socket) -> RawResponse:
    """One response, read as far as its Content-Length (the connection may stay open)."""
    data = b""
    while True:
        responses = parse_responses(data)
        if responses and len(responses[0].body) == int(responses[0].header("Content-Length") or 0):
            return responses[0]
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(data)
        data += chunk


def parse_responses(data: bytes) -> list[RawResponse]:
    """Every complete response in ``data`` (bodies framed by Content-Length)."""
    responses = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        response = RawResponse(int(lines[0].split(" ", 2)[1]), status_line=lines[0])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            response.headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(response.header("Content-Length") or 0)
        response.body, data = rest[:length], rest[length:]
        responses.append(response)
    return responses


def exchange(port: int, request: bytes, *, timeout: float = 10) -> list[RawResponse]:
    """Send ``request`` (one or several pipelined), read until the server closes."""
    with connect(port, timeout) as sock:
        sock.sendall(request)
        return parse_responses(read_all(sock))


def one(port: int, request: bytes, *, timeout: float = 10) -> RawResponse:
    responses = exchange(port, request, timeout=timeout)
    assert len(responses) == 1, responses
    return responses[0]


def request(
    method: str,
    path: str,
    *,
    host: bytes | None = b"gateway.test",
    headers: dict[str, str | bytes] | None = None,
    body: bytes = b"",
    close: bool = True,
) -> bytes:
    """The bytes of one HTTP/1.1 request; ``host=None`` leaves the Host header out."""
    lines = [f"{method} {path} HTTP/1.1".encode()]
    if host is not None:
        lines.append(b"Host: " + host)
    for name, value in (headers or {}).items():
        raw = value if isinstance(value, bytes) else value.encode()
        lines.append(name.encode() + b": " + raw)
    framed = any(n.lower() in ("content-length", "transfer-encoding") for n in headers or {})
    if (body or method in ("POST", "PUT", "PATCH")) and not framed:
        lines.append(f"Content-Length: {len(body)}".encode())
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
