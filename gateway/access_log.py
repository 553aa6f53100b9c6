"""The access log: one line per answered request, cheap enough to leave on.

aiohttp calls :meth:`log` once per request, after the response is sent. Its values are queued
as one entry on the batching :data:`gateway.log_writer.writer`, which makes each entry a line
(an f-string, or one ``orjson.dumps`` in the JSON format) when it writes the batch: no
``LogRecord``, no handler lookup, no formatter and no flush per request, which cost a fast
request more than the rest of the gateway did (bench/README.md). The fields and their names
are the same in both formats:

text: ``TIME INFO aiohttp.access [REQUEST_ID] PEER METHOD PATH STATUS BYTES_SENTB DURATIONms
INSTANCE USER "USER_AGENT"``

json: ``{"time", "level", "logger", "message", "request_id", "peer", "method", "path",
"status", "bytes_sent", "duration_ms", "instance", "plugin", "user", "user_agent"}``

``user`` is the caller's name as an identity provider established it (the auth plugin's
key name, never the key; ``-`` or ``null`` when anonymous). Under ``--workers`` each line also
names its process: ``TIME [PID] INFO ...`` in text, ``"pid"`` in JSON.

``path`` is the target as the client sent it (path and query, not percent-decoded);
``bytes_sent`` counts the response's headers and body. The plugin instance whose
sub-application answered is named as everywhere else (gateway.contract.instance_label): in
the text format ``notes`` for a plugin's default instance and ``billing (proxy)`` for a named
one; in JSON ``instance`` (``billing``) and ``plugin`` (``proxy``) apart. The host's own
routes are ``gateway``, and ``-`` means no route was reached. Characters that could forge or
break a line (control characters, and quotes in the text format) are escaped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from time import perf_counter
from typing import Any

import orjson
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.aiohttp_seam import access_facts, app_state
from gateway.keys import ACCESS_NAMES, IDENTITY, REQUEST_ID, REQUEST_STARTED
from gateway.log_writer import writer
from gateway.proxies import client_address
from gateway.request_id import HEADER

LOGGER_NAME = "aiohttp.access"


class _Clock:
    """The current time as log lines write it, each millisecond's text made once: under load
    many lines share a millisecond, and formatting a time costs more than the rest of a line.

    Each format's last millisecond and its text are one tuple, replaced whole, so a line
    rendered on another thread (a flush at exit) never pairs one millisecond with another's
    text.
    """

    def __init__(self) -> None:
        self._second = -1
        self._local = self._utc = ""
        self._text_at: tuple[int, str] = (-1, "")
        self._iso_at: tuple[int, str] = (-1, "")

    def _tick(self, second: int) -> tuple[str, str]:
        local = time.strftime("%Y-%m-%d %H:%M:%S,", time.localtime(second))
        utc = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        self._second, self._local, self._utc = second, local, utc
        return local, utc

    def _prefixes(self, second: int) -> tuple[str, str]:
        if second != self._second:
            return self._tick(second)
        return self._local, self._utc

    def text(self, now: float) -> str:
        """``2026-12-02 08:00:00,123``, local time: what ``logging.Formatter`` writes."""
        ms = int(now * 1000)
        last = self._text_at
        if ms != last[0]:
            second, millis = divmod(ms, 1000)
            last = self._text_at = (ms, self._prefixes(second)[0] + _MILLIS[millis])
        return last[1]

    def iso(self, now: float) -> str:
        """``2026-12-02T08:00:00.123Z``: ISO 8601 in UTC, for JSON lines."""
        ms = int(now * 1000)
        last = self._iso_at
        if ms != last[0]:
            second, millis = divmod(ms, 1000)
            last = self._iso_at = (ms, self._prefixes(second)[1] + _MILLIS[millis] + "Z")
        return last[1]


_now = time.time
_MILLIS = [f"{n:03d}" for n in range(1000)]
clock = _Clock()


# Hundredths of a millisecond as the text format writes them, made once.
_HUNDREDTHS = [f"{n:02d}" for n in range(100)]


def _escaped(value: str) -> str:
    """``value`` with control characters, backslashes, quotes and every byte outside ASCII
    escaped (``\\n``, ``\\xff``): the bytes as the client sent them, on one line."""
    raw = value.encode("utf-8", "surrogateescape").decode("latin-1")
    return raw.encode("unicode_escape").decode("ascii").replace('"', '\\"')


# A request's access entry, queued on the writer as it is and rendered when its batch is
# written: (render, when, took, request_id, peer, method, path, status, bytes_sent, names,
# user_agent, user), render being text_line or json_line and names (instance, plugin, label).
Entry = tuple[Any, ...]
# The names of an answer from the host's own routes, and of one answered before routing.
GATEWAY_NAMES = ("gateway", "gateway", "gateway")
UNROUTED_NAMES = ("-", "-", "-")


# Under --workers, the process that answered: "[1234] " in text lines, "pid" in JSON ones
# (gateway.logs.configure_logging sets it in each worker).
_process_text = ""
_process_id: int | None = None


def show_process_id(pid: int | None) -> None:
    """Name the process ``pid`` in every access line from now on (``None``: name none)."""
    global _process_text, _process_id
    _process_id, _process_text = pid, ("" if pid is None else f"[{pid}] ")


def _user_text(user: str) -> str:
    # A token's subject may hold spaces or quotes: escaped, so it stays one field.
    if user.isprintable() and " " not in user and '"' not in user and "\\" not in user:
        return user
    return _escaped(user).replace(" ", "\\x20")


def text_line(entry: Entry) -> str:
    """An access line in the text format."""
    _, when, took, request_id, peer, method, path, status, size, names, agent, user = entry
    try:
        if not path.isprintable():
            path = _escaped(path)
        if not agent.isprintable() or '"' in agent or "\\" in agent:
            agent = _escaped(agent)
        stamp = clock.text(when)
        # Milliseconds with two decimals in integers: a float's :.2f goes through the general
        # float formatter, dearer than the line's other numbers together.
        whole, hundredths = divmod(int(took * 100_000 + 0.5), 100)
        user = "-" if user is None else _user_text(user)
        return (
            f"{stamp} {_process_text}INFO {LOGGER_NAME} [{request_id}] {peer} {method} {path} "
            f'{status} {size}B {whole}.{_HUNDREDTHS[hundredths]}ms {names[2]} {user} "{agent}"\n'
        )
    except Exception as exc:
        return _unformattable(path, exc)


def json_line(entry: Entry) -> str:
    """An access line in the JSON format."""
    _, when, took, request_id, peer, method, path, status, size, names, agent, user = entry
    try:
        line: dict[str, Any] = {
            "time": clock.iso(when),
            "level": "info",
            "logger": LOGGER_NAME,
            "message": f"{method} {path} {status}",
            "request_id": request_id,
            "peer": peer,
            "method": method,
            "path": path,
            "status": status,
            "bytes_sent": size,
            # Microseconds made milliseconds: what round(..., 3) gives, without its general
            # path.
            "duration_ms": int(took * 1_000_000 + 0.5) / 1000,
            "instance": names[0],
            "plugin": names[1],
            "user": user,
            "user_agent": agent,
        }
        if _process_id is not None:
            line["pid"] = _process_id
        try:
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:  # a header with bytes that are not UTF-8
            line = {k: _utf8(v) for k, v in line.items()}
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        return encoded.decode()
    except Exception as exc:
        return _unformattable(path, exc)


def _unformattable(path: str, exc: Exception) -> str:
    # A line is never dropped, even one that cannot be shown; and a renderer never raises,
    # or the writer would lose the rest of its batch.
    return f"unformattable access line for {path!r}: {exc!r}\n"


def _utf8(value: Any) -> Any:
    """A header's bytes that are not UTF-8 (aiohttp keeps them as surrogates) as ``\\xff``."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value


class TextAccessLogger(AbstractAccessLogger):
    """The access log in the text format (``log_format = "text"``).

    A request pays for gathering its line's values into an entry; the writer renders the
    waiting entries (:func:`text_line`, :func:`json_line`) and writes them in batches. The
    same formatting done inside each request cost 2 us of a 40 us request, three times what
    it costs in the writer's loop, where its code and data stay warm in the CPU's caches:
    `/health/live` went from 19.2k to 20.6k requests/s (bench/README.md). An entry holds
    strings and numbers only, never the request, its match info or its headers: holding
    those kept hundreds of objects per batch alive, and the allocator's cold memory cost
    more than the formatting saved.
    """

    # What makes the entry a line when its batch is written: text_line or json_line.
    render: Callable[[Entry], str] = staticmethod(text_line)
    # None: the socket peer; client_address() behind trusted proxies (see access_logger_class).
    peer: Callable[[web.BaseRequest], str | None] | None = None

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        # One function, and the request's and response's own fields (gateway/aiohttp_seam.py)
        # rather than a public property each: with a Python call per field the line cost
        # about a tenth of a fast request (bench/README.md). tests/host/test_logging.py checks
        # every field of both formats, on both paths of the seam.
        state, method, path, agent, peer, apps, status, size = access_facts(request, response)
        started = state.get(REQUEST_STARTED)
        # None: answered before the root middleware (a parser error); aiohttp's own measure is
        # then on the event loop's coarser clock, and the id is the one the answer carries
        # (a dict lookup first: the headers' is case-insensitive, so dearer).
        took = time if started is None else perf_counter() - started
        request_id = state.get(REQUEST_ID) or response.headers.get(HEADER, "-")
        if self.peer is not None:
            peer = self.peer(request)
        # The instance whose sub-application answered: apps[0] is the root, apps[1] the
        # mounted plugin's (whatever it mounts inside itself), read as gateway.middleware's
        # mounted_plugin reads it. Not that function itself: a line also tells a request
        # answered before routing ("-", no match info) from the host's own routes ("gateway").
        if apps is None:
            names = UNROUTED_NAMES
        elif len(apps) > 1:
            names = app_state(apps[1]).get(ACCESS_NAMES, GATEWAY_NAMES)
        else:
            names = GATEWAY_NAMES
        # The values, not the line: rendered when the writer writes its batch (see
        # TextAccessLogger's docstring).
        # Who, by name (an API key's configured name, a token's subject), never the credential.
        identity = state.get(IDENTITY)
        user = None if identity is None else identity.name
        writer.append(
            (
                self.render,
                _now(),
                took,
                request_id,
                peer,
                method,
                path,
                status,
                size,
                names,
                agent,
                user,
            )
        )


class JsonAccessLogger(TextAccessLogger):
    """The access log as JSON lines (``log_format = "json"``)."""

    render = staticmethod(json_line)


def access_logger_class(log_format: str, behind_proxies: bool) -> type[AbstractAccessLogger]:
    """The access logger class for ``[gateway] log_format``; with ``behind_proxies``
    (``trusted_proxies`` set) its peer is the client a trusted proxy forwarded for."""
    chosen = JsonAccessLogger if log_format == "json" else TextAccessLogger
    if not behind_proxies:
        return chosen  # the socket peer, without a request-key lookup on every request
    return type(f"Proxied{chosen.__name__}", (chosen,), {"peer": staticmethod(client_address)})
