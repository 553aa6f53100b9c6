"""Real nginx (Debian's package) in front of a gateway, configured as docs/deploy.md says.

The binary is ``GATEWAY_TEST_NGINX``, else ``nginx`` on PATH, else ``/usr/sbin/nginx``. It is
not installed as a service: ``apt-get download nginx nginx-common`` and ``dpkg -x`` of each
give the binary without starting anything (.ci/run does that). Where it is absent the tests
skip with the reason; with GATEWAY_REQUIRE_SERVICES=1 they fail instead.

:func:`deploy_config` takes the ``nginx`` block of docs/deploy.md as it is written, and changes
only what a test on one machine must: the upstream servers become the test's gateway, the
``listen 443 ssl`` a plain port on 127.0.0.1, and nginx connects to the gateway from
``127.0.0.2`` (``proxy_bind``), so the gateway can trust nginx's address without trusting
the test's clients, which connect from other loopback addresses.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import free_port

DEPLOY = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
# The address nginx connects to the gateway from: the one [gateway] trusted_proxies lists.
NGINX_SOURCE = "127.0.0.2"


def nginx_binary() -> str:
    found = os.environ.get("GATEWAY_TEST_NGINX") or shutil.which("nginx")
    if found is None and Path("/usr/sbin/nginx").exists():
        found = "/usr/sbin/nginx"
    if found is None or not Path(found).exists():
        reason = (
            "nginx is not installed (apt-get download nginx nginx-common, dpkg -x each, "
            "then GATEWAY_TEST_NGINX=DIR/usr/sbin/nginx)"
        )
        if os.environ.get("GATEWAY_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason}, and GATEWAY_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    return found


def deploy_block() -> str:
    """The ``nginx`` block of docs/deploy.md, as written there."""
    text = DEPLOY.read_text(encoding="utf-8")
    match = re.search(r"```nginx\n(.*?)```", text, re.S)
    assert match is not None, "docs/deploy.md has no nginx block"
    return match.group(1)


def deploy_config(folder: Path, gateway_port: int, port: int) -> str:
    """A complete nginx.conf around deploy.md's block, for one test's gateway and port."""
    block = deploy_block()
    block, servers = re.subn(
        r"upstream gateway \{.*?keepalive",
        f"upstream gateway {{\n    server 127.0.0.1:{gateway_port};\n    keepalive",
        block,
        flags=re.S,
    )
    block, listens = re.subn(r"listen 443 ssl;", f"listen 127.0.0.1:{port};", block)
    assert servers == 1 and listens == 1, "docs/deploy.md's nginx block changed shape"
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log stderr;\nworker_processes 1;\n"
        f"events {{ worker_connections 512; }}\n"
        f"http {{\n    access_log off;\n{temp}\n    proxy_bind {NGINX_SOURCE};\n"
        f"{block}}}\n"
    )


class Nginx:
    """nginx running deploy.md's config in front of ``gateway_port``; :meth:`stop` it."""

    def __init__(self, folder: Path, gateway_port: int) -> None:
        binary = nginx_binary()
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = folder / "nginx.conf"
        conf.write_text(deploy_config(folder, gateway_port, self.port), encoding="utf-8")
        self.log = folder / "nginx.log"
        self.process = subprocess.Popen(
            [binary, "-p", str(folder), "-c", str(conf), "-e", "stderr"],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            assert self.process.poll() is None, f"nginx exited:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"nginx did not listen:\n{self.log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
