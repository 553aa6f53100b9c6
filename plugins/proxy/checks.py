"""Target health: active checks that call each target, and the instance's ``/health`` entry.

Active checks run in one task per instance, every ``health_check.interval`` seconds, on every
target at once. Their verdict (``healthy``) and passive ejection (targets.py) together decide
which targets take requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import aiohttp
from yarl import URL

from gateway import CheckResult
from gateway_plugins.proxy.forward import Forwarder
from gateway_plugins.proxy.problems import classify
from gateway_plugins.proxy.targets import Target

log = logging.getLogger("gateway.proxy")


class ActiveChecks:
    """The instance's health-check task."""

    def __init__(self, forwarder: Forwarder) -> None:
        assert forwarder.settings.health_check is not None
        self._forwarder = forwarder
        self._settings = forwarder.settings.health_check
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="proxy-checks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        targets = self._forwarder.targets
        while True:
            await asyncio.gather(*(self._check(t) for t in targets.all))
            targets.refresh_gauges()
            await asyncio.sleep(self._settings.interval)

    async def _check(self, target: Target) -> None:
        settings = self._settings
        session = self._forwarder.session
        assert session is not None
        url = URL(target.origin + target.base + settings.path, encoded=True)
        try:
            async with (
                asyncio.timeout(settings.timeout),
                session.get(
                    url,
                    headers={"Host": target.host, "User-Agent": "gateway-proxy-health-check"},
                    allow_redirects=False,
                    ssl=self._forwarder.ssl_for(target.origin),
                ) as response,
            ):
                await response.read()
                ok = response.status < 400
                outcome = f"answered {response.status}"
        except TimeoutError:
            ok, outcome = False, "timed out"
        except (aiohttp.ClientError, OSError) as exc:
            ok, outcome = False, classify(exc)
        target.last_check = f"{datetime.now(UTC).isoformat()} {outcome}"
        if ok:
            target.check_failures = 0
            target.check_successes += 1
            if not target.healthy and target.check_successes >= settings.healthy_after:
                target.checked(True, outcome)
                log.warning("proxy target %s is healthy again", target.url)
        else:
            target.check_successes = 0
            target.check_failures += 1
            if target.healthy and target.check_failures >= settings.unhealthy_after:
                target.checked(False, outcome)
                log.warning("proxy target %s is unhealthy (health check: %s)", target.url, outcome)
                if target.metrics is not None:
                    target.metrics.ejections.inc()


async def targets_check(forwarder: Forwarder) -> CheckResult:
    """``pass`` when every target takes requests, ``warn`` when some do not, ``fail`` when
    none does; each target's state in the details."""
    targets = forwarder.targets
    targets.refresh_gauges()
    details = {"targets": targets.describe()}
    available = len(targets.available())
    total = len(targets.all)
    output = f"{available} of {total} targets available"
    if available == total:
        return CheckResult("pass", output, observed_value=available, details=details)
    if available:
        return CheckResult("warn", output, observed_value=available, details=details)
    return CheckResult("fail", output, observed_value=available, details=details)
