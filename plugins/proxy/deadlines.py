"""An attempt's clock: ``asyncio.timeout_at`` for a loop known beforehand.

The same states and answers as asyncio's ``Timeout`` (3.11, ``asyncio/timeouts.py``): entered
inside a task, it cancels the task when its moment passes and turns that cancellation into
``TimeoutError`` on the way out, unless someone else cancelled the task too; ``reschedule``
moves the moment (``None``: no limit). The difference is the loop: asyncio's asks for the
running loop and the current task on entry and on every reschedule, each a ``getpid()``
system call on Python 3.11; a proxied request entered and left one on every attempt (about
170 bytecodes and three system calls, bench/bytecodes.py and strace). This one is given the
loop once, when the proxy starts. tests/proxy/test_deadlines.py holds it to asyncio's.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class Deadline:
    __slots__ = ("_cancelling", "_expired", "_handle", "_task", "_when", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, when: float | None) -> None:
        self.loop = loop
        self._when = when
        self._task: asyncio.Task[object] | None = None
        self._handle: asyncio.Handle | None = None
        self._expired = False
        self._cancelling = 0

    def when(self) -> float | None:
        return self._when

    def expired(self) -> bool:
        return self._expired

    async def __aenter__(self) -> Deadline:
        if self._task is not None:
            raise RuntimeError("a Deadline is entered once")
        task = asyncio.current_task(self.loop)  # given the loop: no getpid()
        if task is None:
            raise RuntimeError("a Deadline is used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self.reschedule(self._when)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._expired:
            assert self._task is not None
            # Our cancellation, and no other since entry: it is ours to turn into a timeout.
            if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
                raise TimeoutError from exc

    def reschedule(self, when: float | None) -> None:
        """Expire at the loop's time ``when`` instead (``None``: never), once entered."""
        if self._task is None:
            raise RuntimeError("a Deadline is rescheduled once entered")
        if self._expired:
            raise RuntimeError("a Deadline that expired cannot be rescheduled")
        self._when = when
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if when is not None:
            if when <= self.loop.time():
                self._handle = self.loop.call_soon(self._expire)
            else:
                self._handle = self.loop.call_at(when, self._expire)

    def _expire(self) -> None:
        assert self._task is not None
        self._task.cancel()
        self._expired = True
        self._handle = None
