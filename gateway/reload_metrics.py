"""How configuration reloads went: ``gateway_config_reloads_total{outcome}`` and
``gateway_config_last_reload_timestamp_seconds``, written where a reload is decided (the master
of ``gateway serve --workers``, or the single process itself: gateway/reload.py), with the last
outcome kept in a small file in the metrics folder, which every worker reads for
``/_gateway/status`` (:func:`last_reload`), or in memory when one process serves.

Apart from gateway/runtime_metrics.py so that the master, which serves no request, creates no
per-process series of its own.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
RELOAD_FILE = "last_reload.json"

RELOADS = Counter(
    "gateway_config_reloads_total",
    "Configuration reloads asked for (SIGHUP), by outcome: done, refused (the file did not "
    "validate) or abandoned (a new worker or a plugin of the new configuration did not start).",
    ["outcome"],
)
OUTCOMES = ("done", "refused", "abandoned")
for _outcome in OUTCOMES:  # at 0 from the start, so that a rate() sees the first one
    RELOADS.labels(_outcome)
LAST_RELOAD = Gauge(
    "gateway_config_last_reload_timestamp_seconds",
    "When the last reload was asked for (Unix time).",
    multiprocess_mode="livemax",  # a dead worker's file goes with it (metrics_folder.py)
)
# The last reload of a single process (no metrics folder): its own memory is the record.
_last: dict[str, Any] | None = None


def record_reload(outcome: str, detail: str = "") -> None:
    """Count a reload and keep its outcome for :func:`last_reload` (in the metrics folder)."""
    now = time.time()
    RELOADS.labels(outcome).inc()
    LAST_RELOAD.set(now)
    global _last
    record = {"time": now, "outcome": outcome, "detail": detail}
    _last = record
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        temporary = Path(folder) / f".{RELOAD_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps(record))
        temporary.replace(Path(folder) / RELOAD_FILE)  # whole or not at all for readers


def last_reload() -> dict[str, Any] | None:
    """The last reload's time (Unix), outcome and detail, or None when none was asked for."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder:
        return _last
    try:
        found = json.loads((Path(folder) / RELOAD_FILE).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
