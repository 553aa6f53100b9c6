"""The transfer codings a request may be sent with: ``chunked`` alone (RFC 9112 section 6.1).

aiohttp's parsers take a request whose ``Transfer-Encoding`` ends in ``chunked`` as chunked,
whatever codings come before it: ``Transfer-Encoding: gzip, chunked`` is de-chunked and the
still gzipped bytes reach the handler as if they were the body (notes stored them). The server
decodes no transfer coding but chunked, and RFC 9112 section 6.1 says what to do with one it
does not understand: answer 501 (Not Implemented). The gateway's dispatcher
(gateway/dispatch.py) asks :func:`refused_coding` before any middleware or handler runs.
"""

from __future__ import annotations

from aiohttp import hdrs, web

from gateway.errors import ProblemError

CHUNKED = "chunked"


def refused_coding(request: web.BaseRequest) -> ProblemError | None:
    """The 501 for a request sent with a transfer coding other than ``chunked``, if it was.

    A request without ``Transfer-Encoding`` costs one header lookup. The connection is
    closed after the answer (its body was never read, so the next request cannot be found).
    """
    value = request.headers.get(hdrs.TRANSFER_ENCODING)
    if value is None:
        return None
    codings = [part.split(";", 1)[0].strip().lower() for part in value.split(",")]
    unknown = [coding for coding in codings if coding and coding != CHUNKED]
    if not unknown:
        return None
    return ProblemError(
        501,
        f"This server decodes no transfer coding but chunked; send the body with "
        f"Transfer-Encoding: chunked alone (or a Content-Length), not {', '.join(unknown)}.",
    )
