"""The prometheus multi-process folder under ``--workers``: bounded however many workers ran.

prometheus-client writes one file per process and metric type (``counter_<pid>.db``,
``histogram_<pid>.db``, ...) and its collector sums every file in the folder on each scrape.
``mark_process_dead`` only removes a dead process's live gauges: its counters and histograms
must stay, or totals would go backwards, so every worker ever started (each reload starts N)
leaves files behind and every scrape reads more of them. prometheus-client offers no
compaction, so the master does it with the library's own file format:

- when a worker exits, :func:`archive_dead_worker` adds each of its counter, histogram and
  summary values into one ``<type>_archive.db`` per type (``MmapedDict``, the same format the
  workers write, so the stock collector reads it like any process's file) and deletes the
  dead file;
- the merge holds an exclusive ``flock`` on ``.lock`` in the folder, and every collection
  (:func:`multiprocess_registry`) holds it shared, so a scrape sees a dead worker's counts
  exactly once: in its own file before the merge or in the archive after, never both or none.

The folder then holds the live workers' files, the master's, and one archive per type.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.mmap_dict import MmapedDict

from gateway.worker_exemplars import forget

LOCK_NAME = ".lock"
# The types whose values only ever add up (a summary is a count and a sum); gauges are
# per process and are removed, not merged (mark_process_dead).
ADDITIVE_TYPES = ("counter", "histogram", "summary")
# An MmapedDict file starts with its used length (4 bytes) and padding: 8 bytes.
_HEADER_SIZE = 8


@contextmanager
def folder_lock(folder: str, mode: int) -> Iterator[None]:
    """``fcntl.LOCK_SH`` (collect) or ``fcntl.LOCK_EX`` (merge) on the folder's lock file."""
    fd = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # releases the lock


class LockedCollector(multiprocess.MultiProcessCollector):
    """prometheus-client's collector, reading the folder under the shared lock."""

    def __init__(self, registry: CollectorRegistry, path: str) -> None:
        super().__init__(registry, path)
        self._folder = path

    def collect(self) -> Any:
        # A merge holds the lock for a few milliseconds (one dead worker's files), so
        # blocking the worker's loop for it is cheaper than any hand-off.
        with folder_lock(self._folder, fcntl.LOCK_SH):
            # A worker booting now creates its file empty, then sizes it: the stock collect
            # fails on it (struct.error, a 500 seen during reloads); it holds no value yet.
            files = [
                str(path) for path in Path(self._folder).glob("*.db") if _size(path) >= _HEADER_SIZE
            ]
            return list(self.merge(files, accumulate=True))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # a live gauge removed by mark_process_dead meanwhile
        return 0


def multiprocess_registry(folder: str) -> CollectorRegistry:
    """A registry that collects every worker's values (and the archived dead ones) once."""
    registry = CollectorRegistry()
    LockedCollector(registry, folder)
    return registry


def archive_dead_worker(folder: str, pid: int) -> None:
    """Move a dead worker's additive values into the archives and delete its files."""
    with folder_lock(folder, fcntl.LOCK_EX):
        for kind in ADDITIVE_TYPES:
            dead = Path(folder) / f"{kind}_{pid}.db"
            if not dead.exists():
                continue
            values = MmapedDict.read_all_values_from_file(str(dead))
            archive = MmapedDict(str(Path(folder) / f"{kind}_archive.db"))
            try:
                for key, value, timestamp, _ in values:
                    total, _ = archive.read_value(key)
                    archive.write_value(key, total + value, timestamp)
            finally:
                archive.close()
            dead.unlink()
        multiprocess.mark_process_dead(pid, folder)
        forget(folder, pid)
