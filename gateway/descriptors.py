"""File descriptors running out: said in the log, in a metric and by readiness.

At the process's descriptor limit (``RLIMIT_NOFILE``; systemd's default soft limit is 1,024) the
kernel still completes TCP handshakes, but the event loop cannot accept them: uvloop's libuv
accepts and closes them at once, silently, and asyncio's loop logs a line per attempt. Files
(a SQLite database, a migrations folder) fail to open too. There is no public hook for each
refused connection under uvloop, so a watch samples the process's open descriptors once a
second: at the limit (fewer than :data:`RESERVE` free) it logs one warning per
:data:`LOG_EVERY` seconds at most, counts the second in ``gateway_fd_exhausted_seconds_total``,
and readiness fails with the reason (gateway/health_report.py) until descriptors are free again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import resource
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("gateway.descriptors")

# Descriptors below the limit that still count as "out": one request needs a few (its
# connection, a file, a database connection).
RESERVE = 8
SAMPLE_EVERY = 1.0
LOG_EVERY = 60.0
_OPEN_FOLDER = "/proc/self/fd"


@functools.cache
def _exhausted_seconds() -> Any:
    """The counter, made in the process that serves: prometheus-client must not be imported
    before ``gateway serve --workers`` has chosen its multi-process folder (gateway/metrics.py)."""
    from prometheus_client import Counter

    return Counter(
        "gateway_fd_exhausted_seconds",
        "Seconds (sampled once a second) this process spent at its file descriptor limit, "
        "when new connections are refused: raise the limit (LimitNOFILE).",
    )


def descriptor_use() -> tuple[int, int] | None:
    """(open descriptors, soft limit) of this process; None where it cannot be read.

    Listing the descriptors needs one itself: at the limit the listing fails with EMFILE,
    which is the answer too.
    """
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        return len(os.listdir(_OPEN_FOLDER)) - 1, limit  # less the listing's own
    except OSError as exc:
        if exc.errno in (24, 23):  # EMFILE, ENFILE: every descriptor is taken
            return limit, limit
        return None


class DescriptorWatch:
    """Whether this process is out of file descriptors, sampled by a background task."""

    def __init__(self) -> None:
        self.exhausted: tuple[int, int] | None = None
        self._logged_at = -LOG_EVERY

    def sample(self) -> None:
        use = descriptor_use()
        if use is None or use[1] - use[0] >= RESERVE:
            if self.exhausted is not None:
                log.warning("file descriptors are free again (%d of %d open)", *(use or (0, 0)))
            self.exhausted = None
            return
        self.exhausted = use
        _exhausted_seconds().inc(SAMPLE_EVERY)
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY:
            self._logged_at = now
            log.warning(
                "out of file descriptors: %d of the limit %d are open, so new connections are "
                "refused and files fail to open; raise the limit (systemd: LimitNOFILE=65536; "
                "a shell: ulimit -n; a container: --ulimit nofile=65536). Said at most once a "
                "minute; gateway_fd_exhausted_seconds_total counts it",
                *use,
            )

    def reason(self) -> str | None:
        """Why readiness fails, while the process is at its limit."""
        if self.exhausted is None:
            return None
        return (
            f"out of file descriptors ({self.exhausted[0]} of the limit {self.exhausted[1]} "
            "open): new connections are refused; raise the limit (LimitNOFILE)"
        )

    async def run(self) -> None:
        _exhausted_seconds()  # in /metrics from the start, at 0
        while True:
            self.sample()
            await asyncio.sleep(SAMPLE_EVERY)


def watch_context(
    watch: DescriptorWatch,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup_ctx running ``watch`` while the application runs."""

    async def watching(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(watch.run(), name="descriptor watch")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return watching
