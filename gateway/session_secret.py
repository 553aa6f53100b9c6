"""The secret that signs browser sessions (the dashboard's sign-in), shared by every worker.

A signed cookie made by one worker must be good on the others, and across a rolling reload.
The secret is ``$GATEWAY_SESSION_SECRET`` when the operator sets it (the same on every host
behind one balancer, so sessions survive restarts and move between hosts); otherwise it is
made at random once, in the process that forks the workers, and put in its environment, which
every worker (the first ones, and those a reload starts) inherits. Never logged, never in
plugins.toml.
"""

from __future__ import annotations

import hashlib
import os
import secrets

SESSION_SECRET_ENV = "GATEWAY_SESSION_SECRET"


def session_secret() -> bytes:
    """32 bytes to sign sessions with: the same in every worker of one gateway."""
    value = os.environ.get(SESSION_SECRET_ENV)
    if not value:
        value = secrets.token_urlsafe(32)
        os.environ[SESSION_SECRET_ENV] = value  # inherited by the workers forked from here
    # Derived, so that a secret of any length or alphabet signs with a full-size key.
    return hashlib.sha256(b"gateway session\0" + value.encode("utf-8")).digest()
