"""The metrics an operator looks for beside the request metrics: what runs (build and config),
what is in flight, how each process fares, and how the last reload went.

- ``gateway_build_info{version, python, aiohttp}`` and ``gateway_config_info{hash}`` are 1;
  the hash is the config file's (the first 16 hex digits of its SHA-256), so a dashboard can
  tell which workers serve which file during a rolling reload (one series per process).
- ``gateway_http_requests_in_flight{plugin}``: requests being answered now, summed over the
  live processes.
- ``gateway_process_cpu_seconds``, ``..._resident_memory_bytes``, ``..._open_fds``,
  ``..._max_fds`` and ``..._start_time_seconds``: one series per live process (``pid``), read
  every :data:`SAMPLE_EVERY` seconds and just before each scrape. prometheus-client's own
  ``process_*`` metrics describe only the process that answers a scrape, and are not
  exported at all in multi-process mode.
- reloads: gateway/reload_metrics.py (the master of ``--workers`` imports only that).
- the plugins' counts made on the request path (auth's and ratelimit's decisions) are
  flushed here too: gateway/tallies.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import platform
import resource
import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import Gauge

from gateway.keys import CONFIG_HASH
from gateway.tallies import flush_tallies
from gateway.version import __version__
from gateway.worker_exemplars import flush as flush_exemplars

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
SAMPLE_EVERY = 5.0  # seconds between two readings of a process's CPU, memory and descriptors

BUILD_INFO = Gauge(
    "gateway_build_info",
    "1, labelled with the gateway's version and the Python and aiohttp it runs on.",
    ["version", "python", "aiohttp"],
    multiprocess_mode="livemax",
)
CONFIG_INFO = Gauge(
    "gateway_config_info",
    "1 per process, labelled with the hash of the config file it serves.",
    ["hash"],
    multiprocess_mode="liveall",
)
IN_FLIGHT = Gauge(
    "gateway_http_requests_in_flight",
    "Requests being answered now, by plugin (gateway for the host's own routes).",
    ["plugin"],
    multiprocess_mode="livesum",
)
_PROCESS_HELP = {
    "cpu_seconds": "User and system CPU time this process has used, in seconds.",
    "resident_memory_bytes": "This process's resident memory, in bytes.",
    "open_fds": "File descriptors this process has open.",
    "max_fds": "The most file descriptors this process may open (its soft limit).",
    "start_time_seconds": "When this process started (Unix time).",
}


@cache
def _process_gauges() -> dict[str, Gauge]:
    # Made at the first reading, not at import: a gauge without labels has a value (0) from
    # its creation, and a process that imports this module without serving (the master of
    # --workers) would show as a process with no memory.
    return {
        name: Gauge(f"gateway_process_{name}", text, multiprocess_mode="liveall")
        for name, text in _PROCESS_HELP.items()
    }


_STARTED = time.time()
_PAGE = os.sysconf("SC_PAGE_SIZE")


def config_hash(path: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the config file (``-`` when unreadable)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "-"


# The config hash this process's series says it serves (describe_build's last).
_described: str | None = None


def describe_build(digest: str) -> None:
    """Set this process's build and config series (as it starts serving: a process that only
    builds the application, such as the master of --workers checking a file, sets none).

    A reload in one process (gateway/reload.py) describes the new file's hash: the old one's
    series goes, so that the process shows one hash, the one it now serves.
    """
    global _described
    BUILD_INFO.labels(__version__, platform.python_version(), aiohttp.__version__).set(1)
    if _described is not None and _described != digest:
        with contextlib.suppress(KeyError):  # another gateway in this process (a test's)
            CONFIG_INFO.remove(_described)
    CONFIG_INFO.labels(digest).set(1)
    _described = digest


def sample_process() -> None:
    """Read this process's CPU time, memory and descriptors into its series."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    gauges = _process_gauges()
    gauges["cpu_seconds"].set(usage.ru_utime + usage.ru_stime)
    gauges["resident_memory_bytes"].set(_resident_bytes())
    gauges["open_fds"].set(_open_fds())
    gauges["max_fds"].set(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    gauges["start_time_seconds"].set(_STARTED)


def _resident_bytes() -> int:
    try:  # Linux: the second field of statm is the resident set, in pages
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):  # elsewhere: the peak, in KiB on Linux and BSD
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _open_fds() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder))
        except OSError:
            continue
    return -1


async def sample_process_ctx(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context describing this serving process (:func:`describe_build`), reading
    :func:`sample_process` and flushing the plugins' tallies (gateway/tallies.py) every
    :data:`SAMPLE_EVERY` s, and once more when the process stops serving."""
    describe_build(app[CONFIG_HASH])

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

    async def sample() -> None:
        while True:
            sample_process()
            flush_tallies()
            if folder:  # another worker's scrape reads this one's exemplars from the folder
                flush_exemplars(folder)
            await asyncio.sleep(SAMPLE_EVERY)

    task = asyncio.create_task(sample(), name="gateway process metrics")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    # Requests have finished (the drain ran before the cleanup): their last counts reach the
    # metrics folder before the master archives this worker's files.
    flush_tallies()


def in_flight_child(plugin: str) -> Any:
    """The in-flight gauge of ``plugin`` (its labelled child, to keep per request)."""
    return IN_FLIGHT.labels(plugin)
