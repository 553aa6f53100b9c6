"""Schemathesis against /openapi.json of a running gateway with every built-in plugin.

Every operation, every check (server errors, status codes, content types, headers and bodies
the document does not allow, valid data refused, invalid data accepted, response time),
stateful sequences through the document's links (create a note, then read, replace, patch and
delete it). Zero failures. The run is bounded: ``MAX_EXAMPLES`` cases per operation and phase,
a fixed seed (``GATEWAY_SCHEMATHESIS_SEED`` changes it), and ``BUDGET`` seconds at most.
schemathesis.toml beside this file says which refusals are by design, and why.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.crypto.fake_coingecko import FakeCoinGecko
from tests.served import artefacts, gateway_log, running_gateway, write_config

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25
BUDGET = 240  # seconds; a run takes about 80 s on a 2-core machine
MAX_RESPONSE_TIME = 5  # seconds, per response, on a machine that is also running the fuzzer
METHODS = {"get", "head", "put", "post", "delete", "patch"}
CONFIG = Path(__file__).with_name("schemathesis.toml")


async def test_schemathesis_finds_nothing(fake: FakeCoinGecko, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake.url)
    report = artefacts("schemathesis")
    seed = os.environ.get("GATEWAY_SCHEMATHESIS_SEED", "1")
    async with running_gateway(config) as base:
        async with aiohttp.ClientSession() as session, session.get(f"{base}/openapi.json") as got:
            document = await got.json()
        # Every operation but GET of the document itself, which schemathesis leaves out, and
        # the WebSocket handshake, which schemathesis.toml leaves out (an HTTP fuzzer cannot
        # follow a 101).
        count = sum(
            1
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method in METHODS
            and (path, method) != ("/openapi.json", "get")
            and "101" not in operation["responses"]
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(CONFIG),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-response-time",
            str(MAX_RESPONSE_TIME),
            "--seed",
            seed,
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(report),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), BUDGET)
        except TimeoutError:
            process.kill()
            await process.wait()
            pytest.fail(f"schemathesis ran past its {BUDGET} s budget")
        text = output.decode(errors="replace")
        (report / "output.txt").write_text(text)
        log = gateway_log(config)
    assert process.returncode == 0, text[-20000:]
    assert f"Tested: {count}" in text, text[-5000:]  # every operation of the document
    assert "Traceback" not in log, log[-5000:]
