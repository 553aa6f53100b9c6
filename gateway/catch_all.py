"""Which mounted prefixes a catch-all route serves whole (a proxy's ``/{tail:.*}``).

``/openapi.json`` drops what a plugin describes but does not serve; under such a prefix every
path is served, so a description of any path there (an upstream's own document, placed by the
proxy plugin) is kept.
"""

from __future__ import annotations

from aiohttp import web

# A path deep enough that only a route matching any sub-path matches it.
_PROBE = "/_any/_deep/_path"


def catch_all_prefixes(root: web.Application) -> dict[str, frozenset[str]]:
    """``{prefix: methods}`` for each mounted prefix with a route matching every path under
    it; ``methods`` are lower-case, ``"*"`` for a route of any method."""
    found: dict[str, frozenset[str]] = {}
    for resource in root.router.resources():
        if not isinstance(resource, web.PrefixedSubAppResource):
            continue
        prefix = resource.canonical
        sub = resource.get_info()["app"]
        methods: set[str] = set()
        for inner in sub.router.resources():
            pattern = inner.get_info().get("pattern")
            if pattern is not None and pattern.fullmatch(prefix + _PROBE):
                methods.update(route.method.lower() for route in inner)
        if methods:
            found[prefix] = frozenset(methods)
    return found


def served_by_catch_all(path: str, method: str, prefixes: dict[str, frozenset[str]]) -> bool:
    """Whether ``method path`` of the document is served by one of ``prefixes``' routes."""
    for prefix, methods in prefixes.items():
        if (path == prefix or path.startswith(prefix + "/")) and (
            "*" in methods or method in methods
        ):
            return True
    return False
