"""https:// targets: verified by default, a CA of the operator's, client certificates, and
``verify = false`` only with a warning. The CA and certificates are made by openssl here."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from gateway.testing import assert_problem
from tests.processes import free_port
from tests.proxy.upstream import upstream_app

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.pem, server.pem/server.key (for 127.0.0.1), client.pem/client.key, all by the CA."""
    folder = tmp_path_factory.mktemp("pki")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=proxy test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    for name, extension in (
        ("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (folder / f"{name}.ext").write_text(extension + "\n")
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=folder,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.pem",
            "-extfile", f"{name}.ext", cwd=folder,
        )  # fmt: skip
    return folder


async def _https_upstream(pki: Path, *, client_certificates: bool) -> AsyncIterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    if client_certificates:
        context.load_verify_locations(pki / "ca.pem")
        context.verify_mode = ssl.CERT_REQUIRED
    runner = web.AppRunner(upstream_app("tls"))
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=context)
    await site.start()
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def https_upstream(pki: Path) -> AsyncIterator[str]:
    async for url in _https_upstream(pki, client_certificates=False):
        yield url


@pytest.fixture
async def mtls_upstream(pki: Path) -> AsyncIterator[str]:
    async for url in _https_upstream(pki, client_certificates=True):
        yield url


async def test_verified_with_the_operators_ca(pki, https_upstream, proxied) -> None:
    client = await proxied([https_upstream], ca_file=str(pki / "ca.pem"))
    response = await client.get("/svc/x")
    assert response.status == 200
    assert (await response.json())["name"] == "tls"


async def test_unknown_ca_is_refused(https_upstream, proxied) -> None:
    client = await proxied([https_upstream], retries=0)
    response = await client.get("/svc/x")
    await assert_problem(response, 502)
    assert response.headers["Proxy-Status"] == "gateway; error=tls_certificate_error"


async def test_verify_false_is_logged(https_upstream, proxied, caplog) -> None:
    client = await proxied([https_upstream], verify=False)
    assert (await client.get("/svc/x")).status == 200
    assert "verify = false" in caplog.text


async def test_client_certificate(pki, mtls_upstream, proxied) -> None:
    with_cert = await proxied(
        [mtls_upstream],
        ca_file=str(pki / "ca.pem"),
        cert_file=str(pki / "client.pem"),
        key_file=str(pki / "client.key"),
    )
    assert (await with_cert.get("/svc/x")).status == 200
    without = await proxied([mtls_upstream], prefix="/bare", ca_file=str(pki / "ca.pem"))
    response = await without.get("/bare/x")
    assert response.status == 502
    assert response.headers["Proxy-Status"].startswith("gateway; error=")


async def test_relative_ca_file_resolves_against_the_config(
    pki, https_upstream, gateway_client, tmp_path
) -> None:
    import gateway_plugins.proxy as proxy_plugin

    (tmp_path / "ca.pem").write_bytes((pki / "ca.pem").read_bytes())
    config = {
        "plugins": {"proxy": {"prefix": "/svc", "upstreams": [https_upstream], "ca_file": "ca.pem"}}
    }
    client = await gateway_client(config, plugins=[proxy_plugin], config_dir=tmp_path)
    assert (await client.get("/svc/x")).status == 200
