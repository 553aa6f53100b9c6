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

from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.access_lines import (
    LOGGER_NAME as LOGGER_NAME,
    Entry,
    clock as clock,
    json_line,
    queue_entry,
    show_process_id as show_process_id,
    text_line,
)
from gateway.proxies import client_address


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
        # The entry is gathered in gateway/access_lines.py, which the install compiles (the
        # access log as a whole: 27k instructions of a fast request as Python, 22k compiled).
        queue_entry(self.render, self.peer, request, response, time)


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
