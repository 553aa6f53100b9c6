"""The connection layer's part of gateway/aiohttp_seam.py: the private names it reads exist in
the installed aiohttp, and the switch chooses the public path."""

from __future__ import annotations

import os
import subprocess
import sys

from aiohttp import web, web_protocol

from gateway import aiohttp_seam


def test_every_private_name_the_connection_layer_reads_exists_in_the_installed_aiohttp():
    assert aiohttp_seam.CONNECTION_PRIVATES == ("_ErrInfo", "_messages", "_current_request")
    # A parse error is queued as this class, with the fields aiohttp's own handler reads.
    err_info = web_protocol._ErrInfo(status=400, exc=ValueError("x"), message="x")
    assert (err_info.status, err_info.message) == (400, "x")
    # The connection's queue of parsed messages and the request being handled are slots.
    assert {"_messages", "_current_request"} <= set(web.RequestHandler.__slots__)
    assert aiohttp_seam.CONNECTION_PRIVATES_PRESENT


def test_the_switch_chooses_the_connection_base_once_at_import():
    script = (
        "from gateway import aiohttp_seam as s; "
        "print(s.PUBLIC_API, s.WATCHES_PARSER_QUEUE, 'data_received' in vars(s.ConnectionBase))"
    )
    env = {k: v for k, v in os.environ.items() if k != "GATEWAY_PUBLIC_API"}
    chosen = {}
    for switch in ("", "1"):
        out = subprocess.run(
            [sys.executable, "-c", script],
            env={**env, "GATEWAY_PUBLIC_API": switch},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        chosen[switch] = out
    # Off: the watched connection, whose data_received reads the privates above.
    assert chosen[""] == ["False", "True", "True"]
    # On: aiohttp's RequestHandler with nothing of its own but the hook.
    assert chosen["1"] == ["True", "False", "False"]
