"""OpenTelemetry traces from a real ``gateway serve`` process ([gateway.tracing]).

The test serves its own OTLP/HTTP collector on 127.0.0.1 (POST /v1/traces, decoded as the
opentelemetry-proto ``ExportTraceServiceRequest``) and an upstream that records the
``traceparent`` it receives, and puts a gateway with tracing on in front of the upstream (a
proxy instance behind the auth plugin), notes on SQLite and, where a Redis server is given,
ratelimit on Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import signal
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from sqlalchemy import make_url

from tests.processes import free_port, running

pytestmark = pytest.mark.slow

KEY = "key-secret-4f1b2c"  # an API key: never in a span
HASH = "sha256:" + hashlib.sha256(KEY.encode()).hexdigest()
QUERY_SECRET = "query-secret-9d8e"  # in a query string: never in a span
COLLECTOR_TOKEN = "collector-token-77aa"  # an export header: never logged
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
SERVER, CLIENT = 2, 3  # opentelemetry-proto's Span.SpanKind


class Collector:
    """An OTLP/HTTP traces receiver: every span received, with its resource's attributes."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.posts = 0
        self.headers: list[dict[str, str]] = []

    async def receive(self, request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.read())
        self.posts += 1
        self.headers.append(dict(request.headers))
        for resource_spans in message.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        {
                            "name": span.name,
                            "kind": span.kind,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "attributes": _attributes(span.attributes),
                            "status": span.status.code,
                            "resource": resource,
                            "scope": scope_spans.scope.name,
                        }
                    )
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    def of(self, trace_id: str) -> list[dict[str, Any]]:
        return [span for span in self.spans if span["trace_id"] == trace_id]

    async def wait_for(self, predicate: Any, within: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        while True:
            found = [span for span in self.spans if predicate(span)]
            if found:
                return found
            assert time.monotonic() < deadline, f"no such span in {self.spans}"
            await asyncio.sleep(0.1)


def _attributes(pairs: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        values[pair.key] = getattr(pair.value, kind) if kind else None
    return values


@asynccontextmanager
async def serving(app: web.Application, port: int | None = None) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port or free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def collector_app(collector: Collector) -> web.Application:
    app = web.Application()
    app.router.add_post("/v1/traces", collector.receive)
    return app


def upstream_app(seen: list[dict[str, str]]) -> web.Application:
    """Answers every request, recording the trace headers it arrived with."""

    async def answer(request: web.Request) -> web.Response:
        seen.append(
            {
                "path": request.path_qs,
                "traceparent": request.headers.get("traceparent", ""),
            }
        )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


def write_config(folder: Path, tracing: str, upstream: str) -> Path:
    redis = os.environ.get("GATEWAY_TEST_REDIS_URL")
    ratelimit = (
        f"""
        [plugins.ratelimit]
        limits = ["100000/minute"]
        storage = "{redis}"
        key_prefix = "gw-tracing-{os.getpid()}"
        apply_to = ["billing"]
        """
        if redis
        else ""
    )
    config = folder / "plugins.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [gateway]
            {tracing}

            [plugins.health]

            [plugins.notes]
            database_url = "sqlite+aiosqlite:///{folder / "notes.db"}"

            [plugins.billing]
            plugin = "proxy"
            prefix = "/billing"
            upstreams = ["{upstream}"]

            [plugins.auth]
            apply_to = ["billing"]
            [plugins.auth.keys.alice]
            hash = "{HASH}"
            scopes = ["read"]
            [[plugins.auth.rules]]
            require = "read"
            """
        )
        + textwrap.dedent(ratelimit),
        encoding="utf-8",
    )
    return config


def tracing_table(endpoint: str, **extra: Any) -> str:
    lines = [
        "[gateway.tracing]",
        "enabled = true",
        f'endpoint = "{endpoint}"',
        'service_name = "edge-test"',
        f'headers = {{ "x-collector-token" = "{COLLECTOR_TOKEN}" }}',
    ]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines)


async def test_spans_parent_links_attributes_and_propagation(tmp_path: Path) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        config = write_config(tmp_path, tracing_table(f"{collector_url}/v1/traces"), upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            async with aiohttp.ClientSession() as session:
                caller = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
                async with session.get(
                    f"{gateway.url}/billing/items/7?token={QUERY_SECRET}",
                    headers={"X-API-Key": KEY, "traceparent": caller},
                ) as response:
                    assert response.status == 200
                async with session.post(f"{gateway.url}/notes/", json={"title": "t"}) as response:
                    assert response.status == 201, await response.text()
                    notes_request_id = response.headers["X-Request-ID"]

            # The caller's trace continued: the server span is the caller span's child.
            (server,) = await collector.wait_for(
                lambda s: s["trace_id"] == TRACE_ID and s["kind"] == SERVER
            )
            assert server["parent"] == CALLER_SPAN
            assert server["name"] == "GET /billing/{tail}"
            assert server["resource"]["service.name"] == "edge-test"
            attributes = server["attributes"]
            assert attributes["http.request.method"] == "GET"
            assert attributes["url.path"] == "/billing/items/7"
            assert attributes["http.route"] == "/billing/{tail}"
            assert attributes["http.response.status_code"] == 200
            assert attributes["gateway.plugin"] == "billing"
            assert attributes["enduser.id"] == "alice"

            # The upstream call: a client span, the server span's child, whose id the
            # upstream received in traceparent.
            (client,) = await collector.wait_for(
                lambda s: (
                    s["trace_id"] == TRACE_ID
                    and s["kind"] == CLIENT
                    and "url.full" in s["attributes"]
                )
            )
            assert client["parent"] == server["span_id"]
            assert client["attributes"]["http.request.method"] == "GET"
            assert client["attributes"]["url.full"] == f"{upstream_url}/items/7"
            assert client["attributes"]["http.response.status_code"] == 200
            (upstream_saw,) = [s for s in seen if s["path"].startswith("/items/7")]
            assert upstream_saw["traceparent"] == f"00-{TRACE_ID}-{client['span_id']}-01"

            if os.environ.get("GATEWAY_TEST_REDIS_URL"):  # ratelimit counted on Redis
                redis_spans = [
                    s
                    for s in collector.of(TRACE_ID)
                    if s["kind"] == CLIENT
                    and s["attributes"].get("db.system.name", s["attributes"].get("db.system"))
                    == "redis"
                ]
                assert redis_spans, collector.of(TRACE_ID)
                assert all(s["parent"] == server["span_id"] for s in redis_spans)

            # A note written on SQLite: SQLAlchemy's spans are children of the request's
            # server span (run in SQLAlchemy's greenlet, they still see it as current).
            (notes,) = await collector.wait_for(
                lambda s: s["kind"] == SERVER and s["attributes"].get("gateway.plugin") == "notes"
            )
            assert notes["parent"] == ""  # no traceparent sent: a new trace
            assert notes["name"] == "POST /notes/"
            assert notes["attributes"]["http.response.status_code"] == 201
            assert "enduser.id" not in notes["attributes"]  # anonymous
            queries = await collector.wait_for(
                lambda s: s["trace_id"] == notes["trace_id"] and s["kind"] == CLIENT
            )
            assert all(q["parent"] == notes["span_id"] for q in queries)
            assert all(q["scope"] == "opentelemetry.instrumentation.sqlalchemy" for q in queries)
            assert any("INSERT" in str(q["attributes"].get("db.query.text")) for q in queries)

            # No credential, no query string anywhere in what was exported.
            exported = repr(collector.spans)
            for secret in (KEY, HASH, QUERY_SECRET, COLLECTOR_TOKEN):
                assert secret not in exported
            # The export headers reached the collector.
            assert all(h.get("x-collector-token") == COLLECTOR_TOKEN for h in collector.headers)

            # Log lines carry the trace id: the access line of each request.
            log = gateway.text()
            assert re.search(
                rf"aiohttp\.access \[[^\]]+\] \[trace_id={TRACE_ID} span_id={server['span_id']}\]"
                r" \S+ GET /billing/items/7",
                log,
            ), log
            assert re.search(
                rf"\[{notes_request_id}\] \[trace_id={notes['trace_id']} "
                rf"span_id={notes['span_id']}\] \S+ POST /notes/ 201",
                log,
            ), log
            assert "tracing on: OTLP/HTTP to" in log
            assert COLLECTOR_TOKEN not in log
        assert gateway.stop() == 0, gateway.text()


async def test_json_logs_carry_trace_ids(tmp_path: Path) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        table = 'log_format = "json"\n' + tracing_table(f"{collector_url}/v1/traces")
        config = write_config(tmp_path, table, upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            caller = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{gateway.url}/billing/x", headers={"X-API-Key": KEY, "traceparent": caller}
                ) as response,
            ):
                assert response.status == 200
            (server,) = await collector.wait_for(
                lambda s: s["trace_id"] == TRACE_ID and s["kind"] == SERVER
            )
            await gateway.logged(r'"path":"/billing/x"')
            lines = [
                orjson.loads(line) for line in gateway.text().splitlines() if line.startswith("{")
            ]
            (access,) = [line for line in lines if line.get("path") == "/billing/x"]
            assert access["trace_id"] == TRACE_ID
            assert access["span_id"] == server["span_id"]
            others = [line for line in lines if line.get("logger") != "aiohttp.access"]
            assert others  # start-up lines, outside any request: "-"
            assert all("trace_id" in line and "span_id" in line for line in others)
        assert gateway.stop() == 0, gateway.text()


async def test_sampling_zero_sends_nothing(tmp_path: Path) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        table = tracing_table(f"{collector_url}/v1/traces", sampling_ratio=0)
        config = write_config(tmp_path, table, upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            async with aiohttp.ClientSession() as session:
                for _ in range(20):
                    async with session.get(
                        f"{gateway.url}/billing/x", headers={"X-API-Key": KEY}
                    ) as response:
                        assert response.status == 200
            await asyncio.sleep(2.5)  # more than the processor's schedule delay (1 s)
            assert collector.posts == 0
            assert len(seen) == 20
            # Still propagated, marked not sampled, so the upstream does not sample either.
            for received in seen:
                match = re.fullmatch(
                    r"00-[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{2})", received["traceparent"]
                )
                assert match is not None, received
                assert int(match.group(1), 16) & 1 == 0, received  # the sampled flag unset
        assert gateway.stop() == 0, gateway.text()
        assert collector.posts == 0  # nothing flushed at shutdown either


async def test_collector_down_answers_promptly_and_warns_once(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    nowhere = f"http://127.0.0.1:{free_port()}/v1/traces"  # nothing listens there
    async with serving(upstream_app(seen)) as upstream_url:
        table = tracing_table(nowhere, export_timeout=2)
        config = write_config(tmp_path, table, upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            slowest = 0.0
            async with aiohttp.ClientSession() as session:
                for round_ in range(3):
                    for _ in range(20):
                        started = time.monotonic()
                        async with session.get(
                            f"{gateway.url}/billing/x", headers={"X-API-Key": KEY}
                        ) as response:
                            assert response.status == 200
                        slowest = max(slowest, time.monotonic() - started)
                    if round_ < 2:
                        await asyncio.sleep(1.5)  # batches exported (and failing) between
            assert slowest < 1.0, slowest
            await gateway.logged("cannot be reached", within=15)
            await asyncio.sleep(3)  # further batches fail meanwhile
            log = gateway.text()
            assert log.count("cannot be reached") == 1, log
            # The one warning, with the reason; none of the exporter's or processor's own.
            complaints = [
                line for line in log.splitlines() if re.search(r" (WARNING|ERROR) ", line)
            ]
            assert len(complaints) == 1, log
            assert "gateway.tracing" in complaints[0]
            assert "Connection refused" in complaints[0] or "ConnectionError" in complaints[0]
            assert "Traceback" not in log
            assert COLLECTOR_TOKEN not in log
            started = time.monotonic()
            assert gateway.stop() == 0, gateway.text()
            assert time.monotonic() - started < 10  # shutdown does not wait out the retries


async def test_collector_back_is_said_once_and_receives_spans(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    port = free_port()  # the collector's, started only once the gateway has found it away
    async with serving(upstream_app(seen)) as upstream_url:
        table = tracing_table(f"http://127.0.0.1:{port}/v1/traces", export_timeout=2)
        config = write_config(tmp_path, table, upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            async with aiohttp.ClientSession() as session:

                async def some_requests() -> None:
                    for _ in range(10):
                        async with session.get(
                            f"{gateway.url}/billing/x", headers={"X-API-Key": KEY}
                        ) as response:
                            assert response.status == 200

                await some_requests()
                await gateway.logged("cannot be reached", within=15)
                collector = Collector()
                async with serving(collector_app(collector), port):
                    await some_requests()
                    await gateway.logged(r"answers again; \d+ spans were dropped", within=20)
                    await collector.wait_for(lambda s: s["kind"] == SERVER, within=15)
            log = gateway.text()
            assert log.count("cannot be reached") == 1, log
            assert log.count("answers again") == 1, log
        assert gateway.stop() == 0, gateway.text()


def exemplars_in(openmetrics: str) -> list[tuple[Any, Any]]:
    return [
        (sample, sample.exemplar)
        for family in openmetrics_families(openmetrics)
        for sample in family.samples
        if sample.exemplar is not None
    ]


@pytest.mark.parametrize("workers", [False, True], ids=["one-process", "two-workers"])
async def test_exemplars_carry_the_sampled_trace_in_openmetrics(
    tmp_path: Path, workers: bool
) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    extra: tuple[str, ...] = ()
    env = None
    if workers:  # prometheus-client's folder keeps no exemplars: each worker keeps its own
        folder = tmp_path / "metrics"
        folder.mkdir()
        extra, env = ("--workers", "2"), {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        # Only a caller's sampled trace is kept (ratio 0 for new ones): one exemplar expected.
        table = "metrics = true\n" + tracing_table(f"{collector_url}/v1/traces", sampling_ratio=0)
        config = write_config(tmp_path, table, upstream_url)
        log = tmp_path / "gateway.log"
        async with running(config, log, *extra, env=env, ready=True) as gateway:
            async with aiohttp.ClientSession() as session:
                sampled = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
                not_sampled = f"00-{'1' * 32}-{CALLER_SPAN}-00"
                for traceparent in (sampled, not_sampled):
                    async with session.get(
                        f"{gateway.url}/billing/x",
                        headers={"X-API-Key": KEY, "traceparent": traceparent},
                    ) as response:
                        assert response.status == 200
                # Under --workers another worker may answer the scrape: it reads the one that
                # served the request once that one has written its exemplars (every 5 s).
                deadline = time.monotonic() + 15
                while True:
                    async with session.get(
                        f"{gateway.url}/metrics",
                        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
                    ) as response:
                        assert response.headers["Content-Type"].startswith(
                            "application/openmetrics-text"
                        )
                        openmetrics = await response.text()
                    if exemplars_in(openmetrics) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
                async with session.get(f"{gateway.url}/metrics") as response:
                    assert response.headers["Content-Type"].startswith("text/plain")
                    plain = await response.text()
            (server,) = await collector.wait_for(
                lambda s: s["trace_id"] == TRACE_ID and s["kind"] == SERVER
            )
        assert gateway.stop() == 0, gateway.text()

    # The sampled request's bucket names its trace and server span; the request whose caller
    # did not sample it, and the readiness probes (not sampled at ratio 0), name none.
    ((sample, exemplar),) = exemplars_in(openmetrics)
    assert sample.name == "gateway_http_request_duration_seconds_bucket"
    assert sample.labels["route"] == "/billing/{tail}"
    assert exemplar.labels == {"trace_id": TRACE_ID, "span_id": server["span_id"]}
    assert 0 < exemplar.value <= float(sample.labels["le"])
    assert TRACE_ID not in plain  # the Prometheus text format has no exemplars


async def test_no_exemplars_without_tracing(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    async with serving(upstream_app(seen)) as upstream_url:
        config = write_config(tmp_path, "metrics = true", upstream_url)
        async with (
            running(config, tmp_path / "gateway.log", ready=True) as gateway,
            aiohttp.ClientSession() as session,
        ):
            async with session.get(
                f"{gateway.url}/billing/x",
                headers={"X-API-Key": KEY, "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"},
            ) as response:
                assert response.status == 200
            async with session.get(
                f"{gateway.url}/metrics",
                headers={"Accept": "application/openmetrics-text; version=1.0.0"},
            ) as response:
                openmetrics = await response.text()
        assert gateway.stop() == 0, gateway.text()
    families = list(openmetrics_families(openmetrics))
    assert any(family.name == "gateway_http_request_duration_seconds" for family in families)
    assert all(sample.exemplar is None for family in families for sample in family.samples)


async def test_identity_reaches_the_span_and_access_line_behind_a_trusted_proxy(
    tmp_path: Path,
) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        table = 'trusted_proxies = ["127.0.0.1"]\n' + tracing_table(f"{collector_url}/v1/traces")
        config = write_config(tmp_path, table, upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{gateway.url}/billing/who",
                    headers={
                        "X-API-Key": KEY,
                        "X-Forwarded-For": "203.0.113.9",
                        "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01",
                    },
                ) as response,
            ):
                assert response.status == 200
            (server,) = await collector.wait_for(
                lambda s: s["trace_id"] == TRACE_ID and s["kind"] == SERVER
            )
            await gateway.logged(r"GET /billing/who 200")
        assert gateway.stop() == 0, gateway.text()
    # The request the middlewares saw is the forwarded view (a clone): what the api-key
    # middleware learned there is the request's.
    assert server["attributes"]["enduser.id"] == "alice"
    (line,) = [line for line in gateway.text().splitlines() if "GET /billing/who 200" in line]
    assert " 203.0.113.9 GET /billing/who 200 " in line
    assert ' billing (proxy) alice "' in line, line


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_notes_reads_are_client_spans(tmp_path: Path, backend: str, request: Any) -> None:
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        config = write_config(tmp_path, tracing_table(f"{collector_url}/v1/traces"), upstream_url)
        if backend == "postgresql":
            url = request.getfixturevalue("postgres_url")
            text = config.read_text()
            start = text.index('database_url = "sqlite')
            end = text.index("\n", start)
            config.write_text(f'{text[:start]}database_url = "{url}"{text[end:]}')
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            async with aiohttp.ClientSession() as session:
                async with session.post(f"{gateway.url}/notes/", json={"title": "t"}) as response:
                    assert response.status == 201, await response.text()
                    note = await response.json()
                async with session.get(f"{gateway.url}/notes/{note['id']}") as response:
                    assert response.status == 200
                async with session.get(f"{gateway.url}/notes/?limit=5") as response:
                    assert response.status == 200
            for route in ("/notes/{note_id}", "/notes/"):
                (server,) = await collector.wait_for(
                    lambda s, route=route: (
                        s["kind"] == SERVER
                        and s["attributes"].get("http.route") == route
                        and s["attributes"]["http.request.method"] == "GET"
                    )
                )
                (read,) = await collector.wait_for(
                    lambda s, server=server: (
                        s["trace_id"] == server["trace_id"] and s["kind"] == CLIENT
                    )
                )
                assert read["parent"] == server["span_id"]
                assert read["name"] == "SELECT notes"
                assert read["scope"] == "gateway_plugins.notes"
                attributes = read["attributes"]
                assert attributes["db.system.name"] == backend
                assert attributes["db.operation.name"] == "SELECT"
                assert attributes["db.collection.name"] == "notes"
                # The statement with its placeholders, never the values.
                query = attributes["db.query.text"]
                assert query.startswith("SELECT") and ("?" in query or "$1" in query), query
                if backend == "postgresql":
                    assert attributes["server.address"] == "127.0.0.1"
                    assert attributes["db.namespace"] == make_url(url).database
        assert gateway.stop() == 0, gateway.text()


async def test_a_reload_in_one_process_keeps_tracing_upstream_calls(tmp_path: Path) -> None:
    """The client instrumentations are the process's: the new tree takes them over from the
    old one, whose stop then leaves them on (issue 35's live reload)."""
    collector = Collector()
    seen: list[dict[str, str]] = []
    async with (
        serving(collector_app(collector)) as collector_url,
        serving(upstream_app(seen)) as upstream_url,
    ):
        endpoint = f"{collector_url}/v1/traces"
        config = write_config(tmp_path, tracing_table(endpoint), upstream_url)
        async with running(config, tmp_path / "gateway.log", ready=True) as gateway:
            renamed = tracing_table(endpoint).replace('"edge-test"', '"edge-reloaded"')
            write_config(tmp_path, renamed, upstream_url)
            gateway.process.send_signal(signal.SIGHUP)
            await gateway.logged("the previous configuration's plugins have stopped")
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{gateway.url}/billing/after-reload",
                    headers={"X-API-Key": KEY, "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"},
                ) as response,
            ):
                assert response.status == 200
            (server,) = await collector.wait_for(
                lambda s: s["trace_id"] == TRACE_ID and s["kind"] == SERVER
            )
            assert server["resource"]["service.name"] == "edge-reloaded"
            (client,) = await collector.wait_for(
                lambda s: (
                    s["trace_id"] == TRACE_ID
                    and s["kind"] == CLIENT
                    and "url.full" in s["attributes"]
                )
            )
            assert client["parent"] == server["span_id"]
            assert client["resource"]["service.name"] == "edge-reloaded"
            (upstream_saw,) = [s for s in seen if s["path"] == "/after-reload"]
            assert upstream_saw["traceparent"] == f"00-{TRACE_ID}-{client['span_id']}-01"
        assert gateway.stop() == 0, gateway.text()
