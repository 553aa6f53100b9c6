"""The span exporter's side of a collector outage: spans dropped, one log line, no request held.

The OTLP/HTTP exporter runs on the BatchSpanProcessor's own thread, so a collector that does
not answer never holds a request; but left as it is, it logs a warning for every retry and an
error for every failed batch (tens of lines a minute while the collector is down), and the
processor logs one warning for every span it drops once its bounded queue is full, on the
event loop's thread. :class:`OutageReportingExporter` wraps the exporter: it keeps the
exporter's own lines (remembering the first of a failed export, for the reason), says once
that the collector cannot be reached and once, at info, that it answers again with how many
spans were lost.
Imported only when tracing is on (gateway/tracing.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from gateway.redact import redact_text

log = logging.getLogger("gateway.tracing")

# The loggers of the exporter and of the batch processor (their modules' names). The first
# is silenced by a filter that keeps its last message; the second is raised to ERROR, so a
# full queue's per-span warning costs the event loop one level check.
EXPORTER_LOGGER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
PROCESSOR_LOGGER = "opentelemetry.sdk._shared_internal"


class _FirstMessage(logging.Filter):
    """Swallows every record of the logger it filters, keeping the first one's message since
    :meth:`clear` (the one that names the error: later ones say a retry failed too)."""

    def __init__(self) -> None:
        super().__init__()
        self.message = ""

    def clear(self) -> None:
        self.message = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.message:
            try:
                self.message = record.getMessage()
            except Exception:  # a record whose arguments do not format: keep the template
                self.message = str(record.msg)
        return False


class OutageReportingExporter(SpanExporter):
    """``inner`` with one warning per collector outage instead of a line per failed batch."""

    def __init__(self, inner: SpanExporter, endpoint: str) -> None:
        self.inner = inner
        self.endpoint = redact_text(endpoint)
        self.down = False
        self.dropped = 0
        self.closing = False
        self._quiet = _FirstMessage()
        logging.getLogger(EXPORTER_LOGGER).addFilter(self._quiet)
        logging.getLogger(PROCESSOR_LOGGER).setLevel(logging.ERROR)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.down and self.closing:  # shutting down with the collector away: drop at once
            self.dropped += len(spans)
            return SpanExportResult.FAILURE
        self._quiet.clear()
        try:
            result = self.inner.export(spans)
        except Exception as exc:  # an exporter bug must not kill the processor's thread
            self._quiet.message = f"{type(exc).__name__}: {exc}"
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            if self.down:
                log.info(
                    "trace collector at %s answers again; %d spans were dropped meanwhile",
                    self.endpoint,
                    self.dropped,
                )
                self.down, self.dropped = False, 0
            return result
        self.dropped += len(spans)
        if not self.down:
            self.down = True
            log.warning(
                "trace collector at %s cannot be reached: spans are dropped until it answers (%s)",
                self.endpoint,
                redact_text(self._quiet.message) or "no reason given",
            )
        return result

    def shutdown(self) -> None:
        self.closing = True
        self.inner.shutdown()

    def abort_retries(self) -> None:
        """Stop waiting between retries (at shutdown while the collector is away)."""
        self.closing = True
        if self.down:
            self.inner.shutdown()
            self.inner = _Closed()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)

    def forget(self) -> None:
        """Give the exporter's logger back as it was."""
        logging.getLogger(EXPORTER_LOGGER).removeFilter(self._quiet)


class _Closed(SpanExporter):
    """What exports once the real exporter was shut down early: nothing."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.FAILURE
