"""Reading the gateway's /metrics over a raw socket."""

import re

from tests.hostile.raw import one, request


def request_counts(port: int) -> dict[tuple[str, str, str, str], float]:
    """``gateway_http_request_duration_seconds_count`` by (plugin, route, method, status)."""
    text = one(port, request("GET", "/metrics")).body.decode()
    counts = {}
    pattern = re.compile(
        r'^gateway_http_request_duration_seconds_count\{method="([^"]*)",plugin="([^"]*)",'
        r'route="([^"]*)",status="([^"]*)"\} (\S+)$',
        re.MULTILINE,
    )
    for method, plugin, route, status, value in pattern.findall(text):
        counts[(plugin, route, method, status)] = float(value)
    return counts


def delta(before: dict, after: dict) -> dict:
    return {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key)}
