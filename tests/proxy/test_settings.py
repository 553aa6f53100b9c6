"""A wrong [plugins.proxy] table is a config error naming the key and the fix."""

from __future__ import annotations

import pytest

import gateway_plugins.proxy as proxy_plugin
from gateway.config import ConfigError
from gateway.testing import build_config


def check(**table: object) -> str:
    config = {"plugins": {"proxy": {"prefix": "/svc", **table}}}
    with pytest.raises(ConfigError) as raised:
        build_config(config, plugins=[proxy_plugin])
    return str(raised.value)


def test_upstreams_required() -> None:
    assert "plugins.proxy.upstreams" in check()


@pytest.mark.parametrize(
    ("upstreams", "said"),
    [
        (["ftp://h"], "http:// or https://"),
        (["http://h/x?q=1"], "no query"),
        (["http://u:p@h"], "user:password"),
        (["http://h", "http://h/"], "listed twice"),
        (["http://h:99999"], "Port out of range"),
    ],
)
def test_bad_upstreams(upstreams: list[str], said: str) -> None:
    message = check(upstreams=upstreams)
    assert "plugins.proxy.upstreams" in message and said in message


def test_other_keys() -> None:
    assert 'write "address", "header:NAME"' in check(upstreams=["http://h"], hash_on="ip")
    assert "plugins.proxy.retry_budget" in check(upstreams=["http://h"], retry_budget=2)
    assert "plugins.proxy.timeouts.connect" in check(
        upstreams=["http://h"], timeouts={"connect": 0}
    )
    assert "key_file needs cert_file" in check(upstreams=["https://h"], key_file="k.pem")
    assert "apply to https://" in check(upstreams=["http://h"], ca_file="ca.pem")
    assert "plugins.proxy.health_check.path" in check(
        upstreams=["http://h"], health_check={"path": "healthz"}
    )
    assert "plugins.proxy.retries" in check(upstreams=["http://h"], retries=-1)


async def test_missing_ca_file_stops_the_start(gateway_client) -> None:
    with pytest.raises(Exception) as raised:
        await gateway_client(
            {"plugins": {"proxy": {"upstreams": ["https://h"], "ca_file": "nowhere.pem"}}},
            plugins=[proxy_plugin],
        )
    assert "ca_file = 'nowhere.pem': no such file" in str(raised.value)


def test_gateway_check_accepts_a_proxy_table(gateway_cli) -> None:
    config = {"plugins": {"proxy": {"prefix": "/billing", "upstreams": ["http://127.0.0.1:9"]}}}
    result = gateway_cli("check", config=config, plugins=[proxy_plugin])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "proxy" in result.stdout
