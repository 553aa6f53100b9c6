"""[gateway.tracing] as an operator writes it: errors naming the file, the key and the fix,
header values never shown, and nothing of OpenTelemetry loaded while tracing is off."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config
from gateway.redact import redact
from tests.host.conftest import run_cli

BAD = [
    (
        "endpoint not a URL",
        '[gateway.tracing]\nenabled = true\nendpoint = "collector:4318"\n',
        ["gateway.tracing.endpoint", "http:// or https:// URL", "http://127.0.0.1:4318/v1/traces"],
    ),
    (
        "sampling ratio above 1",
        "[gateway.tracing]\nsampling_ratio = 1.5\n",
        ["gateway.tracing.sampling_ratio", "less than or equal to 1", "1.5"],
    ),
    (
        "unknown key",
        "[gateway.tracing]\nsample_ratio = 0.5\n",
        ["gateway.tracing.sample_ratio", "unknown setting", "did you mean 'sampling_ratio'?"],
    ),
    (
        "empty service name",
        '[gateway.tracing]\nservice_name = ""\n',
        ["gateway.tracing.service_name", "at least 1 character"],
    ),
]


@pytest.mark.parametrize(("case", "text", "fragments"), BAD, ids=[c[0] for c in BAD])
def test_check_names_file_key_and_fix(tmp_path: Path, case: str, text: str, fragments: list[str]):
    path = tmp_path / "plugins.toml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_header_values_are_never_shown(tmp_path: Path) -> None:
    # A header whose name says nothing of a secret, its value of the wrong type: the error
    # names the key and hides the value.
    path = tmp_path / "plugins.toml"
    path.write_text(
        '[gateway.tracing]\nheaders = { "x-honeycomb-team" = 987654321, "ok" = "v" }\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "gateway.tracing.headers.x-honeycomb-team" in message
    assert "987654321" not in message
    assert "***" in message
    # Wherever settings are shown, every header value is hidden, whatever its name.
    shown = redact({"headers": {"x-honeycomb-team": "abc123", "Authorization": "Bearer t"}})
    assert shown == {"headers": {"x-honeycomb-team": "***", "Authorization": "***"}}
    # A list of header names stays readable.
    assert redact({"expose_headers": ["X-Total"]}) == {"expose_headers": ["X-Total"]}


def test_valid_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "plugins.toml"
    path.write_text(
        textwrap.dedent(
            """
            [gateway.tracing]
            enabled = true
            endpoint = "https://otlp.example.com/v1/traces"
            headers = { "x-api-key" = "${TRACING_TEST_KEY:-k}" }
            sampling_ratio = 0.01
            service_name = "edge"
            """
        ),
        encoding="utf-8",
    )
    tracing = load_config(path).gateway.tracing
    assert tracing.enabled and tracing.sampling_ratio == 0.01
    assert tracing.headers == {"x-api-key": "k"}


def test_tracing_off_imports_nothing_of_tracing(tmp_path: Path) -> None:
    """A configuration without tracing, built and served a request: none of the tracing
    modules, OpenTelemetry's tracing SDK, exporter or instrumentations is imported (they are
    installed here, so only the gateway's choice keeps them out), and the root application
    has its one middleware.

    (redis-py 8 imports OpenTelemetry's metrics SDK by itself when it is installed; that is
    redis-py's, once at import, and not tracing.)"""
    path = tmp_path / "plugins.toml"
    path.write_text("[plugins.health]\n", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from aiohttp.test_utils import TestClient, TestServer
        from gateway.app import create_app
        from gateway.config import load_config

        TRACING = (
            "gateway.tracing", "gateway.trace_logs", "gateway.trace_export",
            "opentelemetry.sdk.trace", "opentelemetry.exporter", "opentelemetry.instrumentation",
            "opentelemetry.propagate",
        )

        async def main():
            app = await create_app(load_config({str(path)!r}))
            async with TestClient(TestServer(app)) as client:
                assert (await client.get("/health/live")).status == 200
            loaded = sorted(m for m in sys.modules if m.startswith(TRACING))
            print(loaded)
            assert len(app.middlewares) == 1

        asyncio.run(main())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
