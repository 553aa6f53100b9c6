"""The one writer of every log line: access lines batched, application lines written at once.

An access entry (its values) is appended to a list, and the whole batch is rendered into lines
and written in one ``write`` call and one flush, instead of a line made, written and flushed
per request. That happens when ``MAX_PENDING`` lines are waiting, ``FLUSH_INTERVAL`` seconds
after the first of them, and on every way the process stops (the serve command's own exit,
gunicorn's ``worker_exit`` hook, ``atexit``, and before a fork). An application line is
written at once, after whatever access lines are waiting, so the log keeps the order things
happened in and a warning is never held back. Only a process killed outright (SIGKILL, a
crash of the interpreter) loses its waiting lines: at most ``FLUSH_INTERVAL`` seconds of them.

Lines go to ``sys.stderr`` as it is when they are written, so a redirect (pytest's capture,
``contextlib.redirect_stderr``) sees them.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
import threading
from typing import Any

# Short enough that `tail -f` looks live; long enough that a busy worker writes a few times a
# second instead of once per request.
FLUSH_INTERVAL = 0.25
# About 100 KiB of text lines: a burst is written in large blocks, not held in memory.
MAX_PENDING = 512


class LogWriter:
    """Lines waiting to be written, and the writing of them.

    :meth:`append` is what the access log calls once per request: one list append, and a timer
    armed when the list was empty. It never swaps the list, so a line appended while another
    thread flushes is kept for the next write, never dropped.
    """

    def __init__(self) -> None:
        self._pending: list[str | tuple[Any, ...]] = []
        self._lock = threading.Lock()  # one flush at a time, so no line is written twice
        self._timer_armed = False

    def append(self, line: str | tuple[Any, ...]) -> None:
        """Queue ``line``: text ending in a newline, or an entry ``(render, *values)`` that
        ``render(entry)`` makes a line of when its batch is written (the access log's).
        Called on the event loop's thread."""
        pending = self._pending
        pending.append(line)
        if len(pending) >= MAX_PENDING:
            self.flush()
        elif not self._timer_armed:
            self._timer_armed = True
            asyncio.get_running_loop().call_later(FLUSH_INTERVAL, self._timed_flush)

    def write(self, line: str) -> None:
        """Write ``line`` now, after every line still waiting (from any thread)."""
        with self._lock:
            self._write(self._take() + line)

    def flush(self) -> None:
        """Write every waiting line now (from any thread, any number of times)."""
        with self._lock:
            text = self._take()
            if text:
                self._write(text)

    def _timed_flush(self) -> None:
        self._timer_armed = False
        self.flush()

    def _take(self) -> str:
        pending = self._pending
        count = len(pending)
        if not count:
            return ""
        # Entries rendered here, in one loop for the whole batch: the rendering code and the
        # values are warm in the CPU's caches, where a line made inside each request ran
        # about three times slower than in a loop (bench/README.md).
        text = "".join(
            [line if type(line) is str else line[0](line) for line in pending[:count]]  # type: ignore[operator]
        )
        del pending[:count]  # lines appended meanwhile stay, at the front now
        return text

    def _write(self, text: str) -> None:
        stream = sys.stderr
        if stream is None:  # pythonw, or stderr closed on purpose: nowhere to log
            return
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            # A closed or broken stderr must not take the server down with it; there is
            # nowhere left to report the loss.
            pass

    def after_fork_in_child(self) -> None:
        """Forget the parent's waiting lines and timer (registered with ``os.register_at_fork``)."""
        # Lines still waiting are the parent's to write; its timer belongs to its own loop, and
        # its lock may have been held by a thread the child does not have.
        self._pending.clear()
        self._timer_armed = False
        self._lock = threading.Lock()


writer = LogWriter()
atexit.register(writer.flush)
# Flushed before a fork, so neither process writes the other's lines.
os.register_at_fork(before=writer.flush, after_in_child=writer.after_fork_in_child)
