"""The access log: one line per answered request, cheap enough to leave on.

aiohttp calls :meth:`log` once per request, after the response is sent. The line is formatted
here directly (an f-string, or one ``orjson.dumps`` in the JSON format) and queued on the
batching :data:`gateway.log_writer.writer`: no ``LogRecord``, no handler lookup, no formatter
and no flush per request, which cost a fast request more than the rest of the gateway did
(bench/README.md). The fields and their names are the same in both formats:

text: ``TIME INFO aiohttp.access [REQUEST_ID] PEER METHOD PATH STATUS BYTES_SENTB DURATIONms
PLUGIN "USER_AGENT"``

json: ``{"time", "level", "logger", "message", "request_id", "peer", "method", "path",
"status", "bytes_sent", "duration_ms", "plugin", "user_agent"}``

``path`` is the target as the client sent it (path and query, not percent-decoded);
``bytes_sent`` counts the response's headers and body; ``plugin`` is the plugin whose
sub-application answered (``gateway`` for the host's own routes, ``-`` when no route was
reached). Characters that could forge or break a line (control characters, and quotes in the
text format) are escaped.
"""

from __future__ import annotations

import time
from time import perf_counter
from typing import Any

import orjson
from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger

from gateway.keys import REQUEST_STARTED
from gateway.log_writer import writer
from gateway.metrics import PLUGIN_NAME
from gateway.request_id import HEADER

LOGGER_NAME = "aiohttp.access"
_REQUEST_ID = hdrs.istr(HEADER)


class _Clock:
    """The current time as log lines write it, each millisecond's text made once: under load
    many lines share a millisecond, and formatting a time costs more than the rest of a line.
    """

    def __init__(self) -> None:
        self._second = -1
        self._local = self._utc = ""
        self._text_ms = self._iso_ms = -1
        self._text = self._iso = ""

    def _tick(self, second: int) -> None:
        self._second = second
        self._local = time.strftime("%Y-%m-%d %H:%M:%S,", time.localtime(second))
        self._utc = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))

    def text(self) -> str:
        """``2026-12-02 08:00:00,123``, local time: what ``logging.Formatter`` writes."""
        ms = int(_now() * 1000)
        if ms != self._text_ms:
            second, millis = divmod(ms, 1000)
            if second != self._second:
                self._tick(second)
            self._text_ms = ms
            self._text = self._local + _MILLIS[millis]
        return self._text

    def iso(self, now: float | None = None) -> str:
        """``2026-12-02T08:00:00.123Z``: ISO 8601 in UTC, for JSON lines."""
        ms = int((_now() if now is None else now) * 1000)
        if ms != self._iso_ms:
            second, millis = divmod(ms, 1000)
            if second != self._second:
                self._tick(second)
            self._iso_ms = ms
            self._iso = self._utc + _MILLIS[millis] + "Z"
        return self._iso


_now = time.time
_MILLIS = [f"{n:03d}" for n in range(1000)]
clock = _Clock()


def plugin_of(request: web.BaseRequest) -> str:
    """The name of the plugin whose sub-application answered ``request``."""
    try:
        apps = request.match_info.apps  # type: ignore[attr-defined]
    except (AttributeError, AssertionError):  # answered before routing (a parser error)
        return "-"
    if not apps:
        return "-"
    return apps[-1].get(PLUGIN_NAME, "gateway")


def _duration(request: web.BaseRequest, loop_time: float) -> float:
    """Seconds since the root middleware took the request; aiohttp's own measure (the event
    loop's clock) for a request answered before it (a parser error)."""
    try:
        return perf_counter() - request[REQUEST_STARTED]
    except KeyError:
        return loop_time


def _escaped(value: str) -> str:
    """``value`` with control characters, backslashes and quotes escaped."""
    return value.encode("unicode_escape").decode("ascii").replace('"', '\\"')


class TextAccessLogger(AbstractAccessLogger):
    """The access log in the text format (``log_format = "text"``)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = request.raw_path
        if not path.isprintable():
            path = _escaped(path)
        agent = request.headers.get(hdrs.USER_AGENT, "-")
        if not agent.isprintable() or '"' in agent or "\\" in agent:
            agent = _escaped(agent)
        writer.append(
            f"{clock.text()} INFO {LOGGER_NAME} [{response.headers.get(_REQUEST_ID, '-')}] "
            f"{request.remote} {request.method} {path} {response.status} "
            f"{response.body_length}B {_duration(request, time) * 1000:.2f}ms {plugin_of(request)} "
            f'"{agent}"\n'
        )


class JsonAccessLogger(AbstractAccessLogger):
    """The access log as JSON lines (``log_format = "json"``)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        method = request.method
        path = request.raw_path
        status = response.status
        line: dict[str, Any] = {
            "time": clock.iso(),
            "level": "info",
            "logger": LOGGER_NAME,
            "message": f"{method} {path} {status}",
            "request_id": response.headers.get(_REQUEST_ID, "-"),
            "peer": request.remote,
            "method": method,
            "path": path,
            "status": status,
            "bytes_sent": response.body_length,
            # Microseconds, as milliseconds: round() would cost more than the whole dict.
            "duration_ms": int(_duration(request, time) * 1_000_000) / 1000,
            "plugin": plugin_of(request),
            "user_agent": request.headers.get(hdrs.USER_AGENT, "-"),
        }
        try:
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:  # a header with bytes that are not UTF-8
            line = {k: _utf8(v) for k, v in line.items()}
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        writer.append(encoded.decode())


def _utf8(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def access_logger_class(log_format: str) -> type[AbstractAccessLogger]:
    """The access logger class for ``[gateway] log_format``."""
    return JsonAccessLogger if log_format == "json" else TextAccessLogger
