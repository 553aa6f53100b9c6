"""Exemplars under ``--workers``: the latency histogram's trace ids across worker processes.

prometheus-client's multi-process mode keeps no exemplars (its values live in memory-mapped
files of numbers), so under ``--workers`` each worker keeps, in memory, the newest exemplar of
each latency bucket it counted a sampled request in (:func:`remember`: only requests whose
trace was sampled, with tracing and metrics on), writes them to ``exemplars_<pid>.json`` in
the metrics folder every few seconds and before a scrape it answers (:func:`flush`), and the
scrape attaches the newest of every worker's to the buckets it collected
(:func:`with_exemplars`). A dead worker's file goes with its other files
(gateway/metrics_folder.py). An exemplar is thus at most a few seconds late, as the counts of
gateway/tallies.py are.
"""

from __future__ import annotations

import json
import os
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from math import inf
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.samples import Exemplar, Sample

PREFIX = "exemplars_"

# (label values, the bucket's upper bound) -> (exemplar labels, observed value, when).
_latest: dict[tuple[tuple[str, ...], float], tuple[dict[str, str], float, float]] = {}
_written: dict[str, int] = {"version": 0, "flushed": 0}


def remember(
    bounds: Sequence[float], labels: tuple[str, ...], value: float, exemplar: dict[str, str]
) -> None:
    """Keep ``exemplar`` as the newest of the bucket ``value`` falls in (``bounds``: the
    histogram's finite upper bounds, ascending)."""
    index = bisect_left(bounds, value)
    upper = bounds[index] if index < len(bounds) else inf
    _latest[(labels, upper)] = (exemplar, value, time.time())
    _written["version"] += 1


def flush(folder: str) -> None:
    """Write this process's exemplars to the folder, when there are new ones."""
    if _written["flushed"] == _written["version"]:
        return
    _written["flushed"] = _written["version"]
    rows = [
        [list(labels), upper, found, value, at]
        for (labels, upper), (found, value, at) in _latest.items()
    ]
    path = Path(folder) / f"{PREFIX}{os.getpid()}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(rows))  # inf as Infinity, which json.loads reads back
    os.replace(temporary, path)  # a scrape reads the whole file or the last one


def forget(folder: str, pid: int) -> None:
    """Drop a dead worker's exemplars."""
    (Path(folder) / f"{PREFIX}{pid}.json").unlink(missing_ok=True)


def _read(folder: str) -> dict[tuple[tuple[str, ...], float], tuple[dict[str, str], float, float]]:
    newest: dict[tuple[tuple[str, ...], float], tuple[dict[str, str], float, float]] = {}
    for path in Path(folder).glob(f"{PREFIX}*.json"):
        try:
            rows = json.loads(path.read_text())
        except (OSError, ValueError):  # a worker gone meanwhile
            continue
        for labels, upper, found, value, at in rows:
            key = (tuple(labels), float(upper))
            if key not in newest or newest[key][2] < at:
                newest[key] = (found, value, at)
    return newest


class _WithExemplars:
    """A collector giving ``registry``'s families with the exemplars of ``histogram``'s
    buckets (label names ``names``) attached."""

    def __init__(
        self, registry: CollectorRegistry, folder: str, histogram: str, names: Sequence[str]
    ) -> None:
        self.registry = registry
        self.folder = folder
        self.bucket = f"{histogram}_bucket"
        self.names = tuple(names)

    def collect(self) -> Iterator[Any]:
        newest = _read(self.folder)
        for family in self.registry.collect():
            if newest:
                family.samples = list(self._attached(family.samples, newest))
            yield family

    def _attached(self, samples: Iterable[Sample], newest: dict[Any, Any]) -> Iterator[Sample]:
        for sample in samples:
            if sample.name != self.bucket or sample.exemplar is not None:
                yield sample
                continue
            labels = tuple(sample.labels.get(name, "") for name in self.names)
            le = sample.labels.get("le", "+Inf")
            found = newest.get((labels, inf if le == "+Inf" else float(le)))
            if found is None:
                yield sample
                continue
            exemplar, value, at = found
            yield Sample(
                sample.name,
                sample.labels,
                sample.value,
                sample.timestamp,
                Exemplar(exemplar, value, at),
            )


def with_exemplars(
    registry: CollectorRegistry, folder: str, histogram: str, names: Sequence[str]
) -> CollectorRegistry:
    """A registry of ``registry``'s families with every worker's exemplars on ``histogram``."""
    attached = CollectorRegistry(auto_describe=False)
    attached.register(_WithExemplars(registry, folder, histogram, names))  # type: ignore[arg-type]
    return attached
