"""The health plugin: aggregation of every plugin's checks, liveness and readiness."""

import asyncio
import time

import pytest
from aiohttp import web

from gateway import CheckResult, HealthCheck, PluginInfo, hookimpl
from gateway.testing import gateway_app

HEALTH_JSON = "application/health+json"


class ChecksPlugin:
    """Contributes one check per outcome named in ``outcomes``."""

    def __init__(self, name: str, outcomes: list[str], *, required: bool = True) -> None:
        self.name = name
        self.outcomes = outcomes
        self.required = required
        self.calls = 0

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name=self.name, default_prefix=f"/{self.name}")

    @hookimpl
    def gateway_create_app(self):
        return web.Application()

    @hookimpl
    async def gateway_health_checks(self, app):
        return [
            HealthCheck(outcome, self._check(outcome), timeout=0.5, required=self.required)
            for outcome in self.outcomes
        ]

    def _check(self, outcome: str):
        async def check() -> CheckResult | None:
            self.calls += 1
            if outcome == "pass":
                return CheckResult(observed_value=1.5, observed_unit="ms")
            if outcome == "warn":
                return CheckResult("warn", "rate-limited upstream")
            if outcome == "fail":
                raise ConnectionError("refused")
            if outcome == "hang":
                await asyncio.sleep(3600)
            return None

        return check


async def health_client(aiohttp_client, *plugins: ChecksPlugin):
    config = {"plugins": {"health": {}, **{p.name: {} for p in plugins}}}
    app = await gateway_app(config, plugins=[(p.name, p) for p in plugins])
    return await aiohttp_client(app)


async def test_all_checks_pass(aiohttp_client):
    client = await health_client(aiohttp_client, ChecksPlugin("db", ["pass"]))
    response = await client.get("/health")
    assert response.status == 200
    assert response.content_type == HEALTH_JSON
    body = await response.json()
    assert body["status"] == "pass"
    [entry] = body["checks"]["db:pass"]
    assert entry["status"] == "pass"
    assert entry["observedValue"] == 1.5
    assert entry["observedUnit"] == "ms"


async def test_warn_is_still_200(aiohttp_client):
    client = await health_client(aiohttp_client, ChecksPlugin("up", ["pass", "warn"]))
    response = await client.get("/health/")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "warn"
    assert body["checks"]["up:warn"][0]["output"] == "rate-limited upstream"


async def test_pass_warn_fail_and_hang_together(aiohttp_client):
    a = ChecksPlugin("a", ["pass", "warn"])
    b = ChecksPlugin("b", ["fail", "hang"])
    client = await health_client(aiohttp_client, a, b)
    started = time.monotonic()
    response = await client.get("/health")
    elapsed = time.monotonic() - started
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "fail"
    assert set(body["checks"]) == {"a:pass", "a:warn", "b:fail", "b:hang"}
    assert body["checks"]["b:fail"][0]["output"] == "ConnectionError: refused"
    assert body["checks"]["b:hang"][0] == {
        **body["checks"]["b:hang"][0],
        "status": "fail",
        "output": "timed out after 0.5s",
    }
    # Concurrent, each under its own timeout: the hanging check costs its timeout once.
    assert elapsed < 2.0


async def test_live_checks_nothing(aiohttp_client):
    plugin = ChecksPlugin("b", ["fail"])
    client = await health_client(aiohttp_client, plugin)
    response = await client.get("/health/live")
    assert response.status == 200
    assert await response.json() == {"status": "pass", "version": "0.1.0"}
    assert plugin.calls == 0


@pytest.mark.parametrize(("outcomes", "status"), [(["pass"], 200), (["fail"], 503)])
async def test_ready_runs_the_checks(aiohttp_client, outcomes, status):
    client = await health_client(aiohttp_client, ChecksPlugin("db", outcomes))
    assert (await client.get("/health/ready")).status == status


async def test_ready_fails_while_draining(aiohttp_client):
    client = await health_client(aiohttp_client, ChecksPlugin("db", ["pass"]))
    assert (await client.get("/health/ready")).status == 200
    await client.app.shutdown()  # what a SIGTERM starts
    response = await client.get("/health/ready")
    assert response.status == 503
    assert await response.json() == {
        "status": "fail",
        "version": "0.1.0",
        "output": "draining for shutdown",
    }
    assert (await client.get("/health/live")).status == 200


async def test_tutorial_health_call(aiohttp_client):
    client = await health_client(aiohttp_client)
    response = await client.get("/health")
    assert response.status == 200
    assert (await response.json())["status"] == "pass"


async def test_a_check_not_required_warns_and_never_fails_readiness(aiohttp_client):
    client = await health_client(
        aiohttp_client,
        ChecksPlugin("store", ["fail", "hang"], required=False),
        ChecksPlugin("db", ["pass"]),
    )
    for path in ("/health", "/health/ready"):
        response = await client.get(path)
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "warn"
        failed = body["checks"]["store:fail"][0]
        assert failed["status"] == "warn"
        assert failed["output"] == "ConnectionError: refused (not required: still serving)"
        assert body["checks"]["store:hang"][0]["status"] == "warn"
        assert body["checks"]["db:pass"][0]["status"] == "pass"
