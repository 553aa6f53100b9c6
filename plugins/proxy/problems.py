"""What went wrong on the way to a target, answered as problem+json with ``Proxy-Status``.

``Proxy-Status`` (RFC 9209) names this hop and the error type from the RFC's registry, so a
client or an operator tells "the target refused the connection" from "the target was slow"
without reading logs.
"""

from __future__ import annotations

import asyncio
import errno
import ssl

import aiohttp

from gateway import ProblemError

# RFC 9209 error types and the status the proxy answers with.
STATUS = {
    "destination_unavailable": 503,
    "connection_limit_reached": 503,
    "connection_refused": 502,
    "connection_terminated": 502,
    "connection_timeout": 504,
    "dns_error": 502,
    "destination_ip_unroutable": 502,
    "tls_protocol_error": 502,
    "tls_certificate_error": 502,
    "http_response_timeout": 504,
    "http_response_incomplete": 502,
    "http_protocol_error": 502,
    "proxy_internal_error": 502,
}

_DETAIL = {
    "destination_unavailable": "No target of this upstream is available.",
    "connection_limit_reached": "Every connection to the upstream is busy; try again shortly.",
    "connection_refused": "The upstream refused the connection.",
    "connection_terminated": "The upstream closed the connection before answering.",
    "connection_timeout": "The upstream did not accept a connection in time.",
    "dns_error": "The upstream's host name could not be resolved.",
    "destination_ip_unroutable": "The upstream's address cannot be reached.",
    "tls_protocol_error": "The TLS handshake with the upstream failed.",
    "tls_certificate_error": "The upstream's TLS certificate could not be verified.",
    "http_response_timeout": "The upstream did not answer in time.",
    "http_response_incomplete": "The upstream's answer was cut short.",
    "http_protocol_error": "The upstream's answer was not valid HTTP.",
    "proxy_internal_error": "The request could not be forwarded.",
}


class UpstreamFailure(Exception):
    """One attempt on one target failed before any byte of the answer reached the client."""

    def __init__(self, error: str, cause: BaseException | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause

    @property
    def before_sending(self) -> bool:
        """Whether the target cannot have received the request (safe to try another)."""
        return self.error in (
            "connection_refused",
            "connection_timeout",
            "dns_error",
            "destination_ip_unroutable",
            "tls_protocol_error",
            "tls_certificate_error",
            "connection_limit_reached",
        )

    @property
    def connect_failure(self) -> bool:
        """Whether it counts towards ejecting the target (it could not be reached at all)."""
        return self.before_sending and self.error != "connection_limit_reached"


def classify(exc: BaseException) -> str:
    """The RFC 9209 error type of an exception raised while calling a target."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "tls_certificate_error"
    if isinstance(exc, aiohttp.ClientConnectorSSLError | aiohttp.ClientSSLError | ssl.SSLError):
        return "tls_protocol_error"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns_error"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connection_timeout"
    if isinstance(exc, aiohttp.ClientConnectorError):
        code = exc.os_error.errno
        if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "destination_ip_unroutable"
        if isinstance(exc.os_error, TimeoutError | asyncio.TimeoutError):
            return "connection_timeout"
        return "connection_refused"
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return "http_response_timeout"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return "connection_terminated"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "http_response_incomplete"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "http_protocol_error"
    return "proxy_internal_error"


def proxy_status(via: str, error: str | None = None, **params: str | int) -> str:
    """A ``Proxy-Status`` member for this hop."""
    parts = [via]
    if error is not None:
        parts.append(f"error={error}")
    for name, value in params.items():
        name = name.replace("_", "-")
        parts.append(f"{name}={value}" if isinstance(value, int) else f'{name}="{value}"')
    return "; ".join(parts)


def failure_problem(via: str, error: str, detail: str | None = None) -> ProblemError:
    """The answer to a request whose every attempt failed with ``error``."""
    return ProblemError(
        STATUS[error],
        detail or _DETAIL[error],
        headers={"Proxy-Status": proxy_status(via, error)},
        proxy_error=error,
    )
