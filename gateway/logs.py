"""Logging: every line carries the request id, in the text or the JSON format.

Application lines (the host's, the plugins', aiohttp's and, in the JSON format, gunicorn's)
go through the standard logging machinery, formatted by ``logging.Formatter`` (text) or by
structlog's ``ProcessorFormatter`` rendering with orjson (JSON). The access log does not:
it is formatted in :mod:`gateway.access_log` and batched by :mod:`gateway.log_writer`, the one
writer every line goes through, so access and application lines stay in order.

JSON application lines have ``time``, ``level``, ``logger``, ``message`` and ``request_id``,
then whatever the call passed in ``extra``, then ``exception`` (the traceback as text) when
there is one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog
from aiohttp import web
from gunicorn.glogging import Logger as GunicornBaseLogger

from gateway.access_log import access_logger_class, clock, show_process_id
from gateway.config import GatewaySettings
from gateway.log_writer import writer
from gateway.request_id import current_request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Under --workers: which process wrote the line, after the time as in gunicorn's own lines.
FORMAT_PID = "%(asctime)s [%(process)d] %(levelname)s %(name)s [%(request_id)s] %(message)s"
# The first keys of every JSON line, in this order; the rest follow as the call gave them.
JSON_FIELDS = ("time", "level", "logger", "message", "request_id")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class WriterHandler(logging.Handler):
    """Writes each record at once through the log writer, after any waiting access lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        writer.write(line + "\n")


def _record_fields(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record: logging.LogRecord = event["_record"]
    fields = {
        "time": clock.iso(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": event.pop("event"),
        "request_id": getattr(record, "request_id", "-"),
    }
    fields.update(event)
    return fields


def _with_pid(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record: logging.LogRecord = event["_record"]
    fields = _record_fields(logger, method, event)
    return {**{k: fields.pop(k) for k in JSON_FIELDS}, "pid": record.process, **fields}


def _dumps(value: Any, **options: Any) -> str:
    return orjson.dumps(value, **options).decode()


def json_formatter(pid: bool = False) -> logging.Formatter:
    """The formatter of JSON application lines; with ``pid``, each names its process."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.ExtraAdder(),  # `extra=` of the call, and request_id
            _with_pid if pid else _record_fields,
            structlog.processors.format_exc_info,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
    )


def formatter(
    log_format: str, pid: bool = False, text_format: str | None = None
) -> logging.Formatter:
    """The formatter of application lines for ``[gateway] log_format``."""
    if log_format == "json":
        return json_formatter(pid)
    return logging.Formatter(text_format or (FORMAT_PID if pid else FORMAT))


def configure_logging(
    level: str = "info", log_format: str = "text", tracing: bool = False, *, pid: bool = False
) -> None:
    """Send every application line of this process through the log writer, in ``log_format``;
    with ``pid`` (``--workers``), every line, access lines too, names the process; with
    ``tracing``, each line carries the current trace and span ids (gateway/trace_logs.py,
    imported only then)."""
    show_process_id(os.getpid() if pid else None)
    handler = WriterHandler()
    handler.addFilter(RequestIdFilter())
    if tracing:
        from gateway.trace_logs import FORMAT as TRACED_FORMAT, TraceIdFilter

        text = TRACED_FORMAT.replace(" ", " [%(process)d] ", 1) if pid else TRACED_FORMAT
        handler.setFormatter(formatter(log_format, pid, text))
        handler.addFilter(TraceIdFilter())
    else:
        handler.setFormatter(formatter(log_format, pid))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class JsonGunicornLogger(GunicornBaseLogger):
    """gunicorn's own log (the arbiter's and the workers' lines) as the gateway's JSON lines,
    for ``log_format = "json"``; in the text format gunicorn keeps its own, which names each
    line's process."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        handler = WriterHandler()
        handler.setFormatter(json_formatter(pid=True))  # only under --workers
        handler.addFilter(RequestIdFilter())
        self.error_log.handlers[:] = [handler]


def runner_options(settings: GatewaySettings) -> dict[str, Any]:
    """How the root application is served, single process or gunicorn worker alike:
    the access log in the configured format (or none) and the drain time in-flight requests
    get."""
    access_class = access_logger_class(
        settings.log_format, behind_proxies=bool(settings.trusted_proxies)
    )
    if settings.tracing.enabled:  # the trace ids in each line
        from gateway.trace_logs import traced_access_logger

        access_class = traced_access_logger(access_class)
    return {
        "access_log_class": access_class,
        "access_log": web.access_logger if settings.access_log else None,
        "shutdown_timeout": settings.shutdown_timeout,
        # Also bounds a client that never finishes its request's headers (aiohttp's own
        # default, 3630 s, applies under gunicorn otherwise).
        "keepalive_timeout": settings.keepalive_timeout,
    }
