"""API keys: made at random, stored as SHA-256 hashes, compared in constant time.

A key is 32 random bytes (``secrets.token_urlsafe``), so a fast hash is enough: nothing can be
guessed from it, and the check stays a microsecond instead of a key-stretching function's
hundreds of milliseconds on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from gateway import Identity
from gateway_plugins.auth.settings import HASH_PREFIX, KeySettings

KEY_PREFIX = "gw_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


class KeyRing:
    """The configured keys; finds the identity a presented key stands for."""

    def __init__(self, keys: Mapping[str, KeySettings], provider: str) -> None:
        self._keys = [
            (settings.hash.encode(), Identity(name, frozenset(settings.scopes), provider))
            for name, settings in keys.items()
        ]
        self._by_name = {identity.name: (stored, identity) for stored, identity in self._keys}

    def named(self, name: str) -> tuple[bytes, Identity] | None:
        """The stored hash and identity of the key called ``name`` (a session names its key)."""
        return self._by_name.get(name)

    def identify(self, presented: str) -> Identity | None:
        digest = hash_key(presented).encode()
        found = None
        # Every configured hash is compared, match or not, so the time taken says nothing
        # about which key (if any) came close.
        for stored, identity in self._keys:
            if hmac.compare_digest(stored, digest):
                found = identity
        return found
