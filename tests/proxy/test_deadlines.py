"""The proxy's attempt clock (plugins/proxy/deadlines.py) answers as asyncio.timeout_at does:
each case runs on both, and both must give the same outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gateway_plugins.proxy.deadlines import Deadline

Make = Callable[[float | None], Any]


def makers() -> list[tuple[str, Callable[[asyncio.AbstractEventLoop], Make]]]:
    return [
        ("asyncio", lambda loop: asyncio.timeout_at),
        ("Deadline", lambda loop: lambda when: Deadline(loop, when)),
    ]


async def outcome(body: Callable[[Make, asyncio.AbstractEventLoop], Awaitable[str]]) -> dict:
    """What ``body`` ends with under each clock: its result or the exception's type."""
    loop = asyncio.get_running_loop()
    seen = {}
    for name, maker in makers():
        task = asyncio.ensure_future(body(maker(loop), loop))
        try:
            seen[name] = await task
        except BaseException as exc:
            seen[name] = type(exc).__name__
    return seen


async def expires(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(loop.time() + 0.02):
        await asyncio.sleep(1)
    return "slept"


async def in_time(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(loop.time() + 1):
        await asyncio.sleep(0.01)
    return "done"


async def moved_later(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(loop.time() + 0.02) as clock:
        clock.reschedule(loop.time() + 1)
        await asyncio.sleep(0.05)
    return f"done, expired={clock.expired()}"


async def lifted(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(None) as clock:
        clock.reschedule(loop.time() + 0.02)
        clock.reschedule(None)
        await asyncio.sleep(0.05)
    return f"done, when={clock.when()}"


async def moved_into_the_past(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(None) as clock:
        clock.reschedule(loop.time() - 1)
        await asyncio.sleep(1)
    return "slept"


async def caught_inside(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    try:
        async with make(loop.time() + 0.02):
            await asyncio.sleep(1)
    except TimeoutError:
        return "timed out, caught"
    return "slept"


async def fails_inside(make: Make, loop: asyncio.AbstractEventLoop) -> str:
    async with make(loop.time() + 1):
        await asyncio.sleep(0)
        raise ValueError("the body's own error")


@pytest.mark.parametrize(
    "body",
    [expires, in_time, moved_later, lifted, moved_into_the_past, caught_inside, fails_inside],
)
async def test_the_same_outcome_as_asyncio(body) -> None:
    seen = await outcome(body)
    assert seen["Deadline"] == seen["asyncio"], seen


async def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    loop = asyncio.get_running_loop()
    for name, maker in makers():
        make = maker(loop)
        for when in (loop.time() + 5, None):

            async def body(make: Make = make, when: float | None = when) -> str:
                async with make(when):
                    await asyncio.sleep(1)
                return "slept"

            task = asyncio.ensure_future(body())
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled(), name


async def test_expired_and_cancelled_from_outside_too_is_a_cancellation() -> None:
    loop = asyncio.get_running_loop()
    for name, maker in makers():
        make = maker(loop)

        async def body(make: Make = make) -> str:
            async with make(loop.time() + 0.01):
                try:
                    await asyncio.sleep(1)
                finally:
                    asyncio.current_task().cancel()  # type: ignore[union-attr]
                    await asyncio.sleep(0)
            return "slept"

        task = asyncio.ensure_future(body())
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled(), name


async def test_a_deadline_outside_a_task_or_entered_twice_is_refused() -> None:
    loop = asyncio.get_running_loop()
    clock = Deadline(loop, None)
    with pytest.raises(RuntimeError, match="once entered"):
        clock.reschedule(loop.time() + 1)
    async with clock:
        pass
    with pytest.raises(RuntimeError, match="entered once"):
        async with clock:
            pass
