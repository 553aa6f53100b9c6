"""Trace ids in log lines while tracing is on: application lines (text and JSON) and the
access log. Imported only when tracing is on (gateway/logs.py, gateway/access_log.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from opentelemetry import trace

from gateway.aiohttp_seam import request_state
from gateway.keys import TRACE_IDS

# The text format with the ids after the request id; in JSON they are the fields trace_id
# and span_id. "-" outside a request.
FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [%(request_id)s] "
    "[trace_id=%(trace_id)s span_id=%(span_id)s] %(message)s"
)
NO_IDS = ("-", "-")


class TraceIdFilter(logging.Filter):
    """Adds ``trace_id`` and ``span_id`` (the current span's) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "trace_id"):
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                record.trace_id = trace.format_trace_id(context.trace_id)
                record.span_id = trace.format_span_id(context.span_id)
            else:
                record.trace_id, record.span_id = NO_IDS
        return True


def _with_ids(render: Callable[[tuple[Any, ...]], str], ids: tuple[str, str]) -> Any:
    """``render`` (text_line or json_line) with the request's trace ids in its line."""
    trace_id, span_id = ids

    def rendered(entry: tuple[Any, ...]) -> str:
        line = render(entry)
        if line.startswith("{"):  # JSON: two more fields before the closing brace
            return f'{line[:-2]},"trace_id":"{trace_id}","span_id":"{span_id}"}}\n'
        head = f"] {entry[4]} {entry[5]} "  # after the request id: peer and method
        return line.replace(head, f"] [trace_id={trace_id} span_id={span_id}]{head[1:]}", 1)

    return rendered


def traced_access_logger(base: type[Any]) -> type[Any]:
    """``base`` (an access logger class of gateway/access_log.py) with trace ids in its
    lines: the server span's, kept on the request since the span has ended by now."""

    def log(self: Any, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        ids = request_state(request).get(TRACE_IDS, NO_IDS)
        # The entry's renderer is the instance's for this one call: log() queues it with the
        # values at once, on the event loop's thread.
        self.render = _with_ids(type(self).render, ids)
        base.log(self, request, response, time)

    return type(f"Traced{base.__name__}", (base,), {"log": log})
