"""Logging: every line carries the request id; the access log adds duration and status."""

import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.config import GatewaySettings
from gateway.request_id import HEADER, current_request_id

# Seconds an idle connection (or one whose headers never end) is kept open.
KEEPALIVE_TIMEOUT = 75.0
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, path, status, duration and request id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        request_id = response.headers.get(HEADER, "-")
        self.logger.info(
            '%s %s %s %d %.1fms "%s"',
            request.remote,
            request.method,
            request.path_qs,
            response.status,
            time * 1000,
            request.headers.get("User-Agent", "-"),
            extra={"request_id": request_id},
        )


def runner_options(settings: GatewaySettings) -> dict[str, Any]:
    """How the root application is served, single process or gunicorn worker alike:
    this module's access log (or none) and the drain time in-flight requests get."""
    return {
        "access_log_class": AccessLogger,
        "access_log": web.access_logger if settings.access_log else None,
        "shutdown_timeout": settings.shutdown_timeout,
        # Also bounds a client that never finishes its request's headers (aiohttp's own
        # default, 3630 s, applies under gunicorn otherwise).
        "keepalive_timeout": KEEPALIVE_TIMEOUT,
    }


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
