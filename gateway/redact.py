"""Hide secrets wherever config is printed or served."""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REDACTED = "***"
# Matched against setting names: api_key, token, client_secret, password, auth, dsn_credentials...
_SECRET_NAME = re.compile(r"(key|token|secret|passw|pwd|credential|auth|hash)", re.IGNORECASE)


# A table of headers sent somewhere ([gateway.tracing] headers): each value may be a credential
# (a vendor's API key under a name like x-honeycomb-team), so every value is hidden.
_HEADER_TABLE = re.compile(r"headers$", re.IGNORECASE)


def is_header_table(name: str) -> bool:
    """Whether a setting called ``name`` maps header names to values, all of them secret."""
    return bool(_HEADER_TABLE.search(name))


def redact(value: Any, name: str = "") -> Any:
    """A copy of ``value`` with secret-named settings, every value of a ``headers`` table and
    URL passwords replaced by ``***``."""
    if isinstance(value, Mapping):
        if is_header_table(name):
            return {k: redact(v, "secret") for k, v in value.items()}
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, name) for v in value]
    if _SECRET_NAME.search(name) and value not in (None, "", False):
        return REDACTED
    if isinstance(value, str) and "://" in value:
        return _redact_url(value)
    return value


# user:password@ in any URL inside free text (a driver's or a validator's message).
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+@")


def redact_text(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}@", text)


def redacted_repr(value: Any, name: str = "") -> str:
    """``repr`` of ``value`` as it may be printed: secrets (by setting name) and URL passwords
    replaced by ``***``."""
    return redact_text(repr(redact(value, name)))


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:{REDACTED}@{host}"))
