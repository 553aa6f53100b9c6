"""``gateway auth new-key NAME [--scope SCOPE]...``: a new random key and the TOML that makes it
valid.

The key is printed alone on the first line (for a password manager or a secret store); the
lines after it are TOML that, appended as they are to a plugins.toml enabling the plugin, make
the key valid with those scopes. Only the hash goes into the config.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

from gateway_plugins.auth.keyring import hash_key, new_key

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("auth", help="API keys of the auth plugin")
    commands = parser.add_subparsers(title="auth commands", metavar="COMMAND", required=True)
    made = commands.add_parser(
        "new-key",
        help="make a random API key; prints the key, then the TOML that makes it valid",
    )
    made.add_argument("name", help="the key's name: shown in logs and as the identity")
    made.add_argument(
        "--scope",
        action="append",
        default=[],
        help="a scope the key grants (repeat for several): write, admin, ...",
    )
    made.add_argument("--config", help="the config file (not needed to make a key)")
    made.set_defaults(handler=run_new_key, needs_config=False)


def run_new_key(args: argparse.Namespace, config: Any) -> int:
    if not _NAME.match(args.name):
        print(f"error: {args.name!r}: a key's name is 1-64 of A-Z a-z 0-9 . _ -")
        return 2
    key = new_key()
    print(key)
    print(f"[plugins.auth.keys.{args.name}]")
    print(f"hash = {json.dumps(hash_key(key))}")
    print(f"scopes = {json.dumps(sorted(set(args.scope)))}")
    return 0
