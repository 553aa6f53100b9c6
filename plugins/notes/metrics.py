"""Prometheus metrics of the notes plugin: how much of the database pool is in use.

Gauges moved by the pool's own checkout/checkin events, so that under ``--workers N`` each
worker's value is current and ``/metrics`` sums the live workers (multi-process ``livesum``).
"""

from typing import Any

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

CONNECTIONS_IN_USE = Gauge(
    "gateway_notes_db_connections_in_use",
    "Connections of the notes database pool checked out by requests.",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "gateway_notes_db_pool_capacity",
    "Connections the notes database pool may open (pool_size + max_overflow).",
    multiprocess_mode="livesum",
)


def watch_pool(engine: AsyncEngine, capacity: int) -> None:
    """Count ``engine``'s pool in the gauges until :func:`forget_pool`."""
    POOL_CAPACITY.inc(capacity)
    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", _checked_out)
    event.listen(pool, "checkin", _checked_in)


def forget_pool(capacity: int) -> None:
    POOL_CAPACITY.dec(capacity)


def _checked_out(*_: Any) -> None:
    CONNECTIONS_IN_USE.inc()


def _checked_in(*_: Any) -> None:
    CONNECTIONS_IN_USE.dec()
