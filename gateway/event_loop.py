"""``[gateway] loop``: which asyncio event loop serves, in one process and in gunicorn workers.

``auto`` (the default) takes uvloop where it is installed (it is a dependency on Linux
CPython) and the standard library's loop elsewhere; ``uvloop`` requires it (the config is
refused without it); ``asyncio`` is the standard library's loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging

log = logging.getLogger("gateway.event_loop")


def uvloop_installed() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def chosen_loop(setting: str) -> str:
    """``"uvloop"`` or ``"asyncio"``: what ``loop = setting`` runs on this machine."""
    if setting == "auto":
        return "uvloop" if uvloop_installed() else "asyncio"
    return setting


def new_event_loop(setting: str) -> asyncio.AbstractEventLoop:
    """A new event loop of the kind ``loop = setting`` chooses."""
    if chosen_loop(setting) == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def describe(loop: asyncio.AbstractEventLoop) -> str:
    """The loop's kind and version as the start-up line names it: ``uvloop 0.23.0``."""
    if type(loop).__module__.startswith("uvloop"):
        import uvloop

        return f"uvloop {uvloop.__version__}"
    return f"asyncio ({type(loop).__name__})"


def log_loop(loop: asyncio.AbstractEventLoop, setting: str) -> None:
    """The start-up line naming the loop this process serves on."""
    log.info('event loop: %s (loop = "%s")', describe(loop), setting)
    running = "uvloop" if describe(loop).startswith("uvloop") else "asyncio"
    if running != chosen_loop(setting):
        # A gunicorn reload re-reads the config, but the worker class was chosen at start.
        log.warning('loop = "%s" takes effect when the gateway restarts, not on a reload', setting)
