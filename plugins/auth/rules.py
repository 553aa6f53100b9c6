"""Which scope a request needs: the first rule that matches its plugin or path and method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from gateway import mounted_plugin
from gateway_plugins.auth.settings import Rule

# A request no rule matches needs this: the operator's rules fail closed.
UNMATCHED = "admin"


class RuleBook:
    def __init__(self, rules: Sequence[Rule]) -> None:
        # Each rule as C-level tests, run for every request: plugin names, exact paths, path
        # prefixes for str.startswith ("/notes" matches "/notes" and "/notes/..."), and "*" or
        # a "/" prefix matching everything.
        self._rules = []
        for rule in rules:
            prefixes = [e for e in rule.match if e.startswith("/")]
            self._rules.append(
                (
                    frozenset(e for e in rule.match if not e.startswith("/") and e != "*"),
                    frozenset(prefixes),
                    tuple(p + "/" for p in prefixes),
                    "*" in rule.match or "/" in prefixes,
                    frozenset(rule.methods),
                    rule.require,
                )
            )

    def required(self, request: web.Request) -> str:
        """``"public"`` or the scope that ``request`` needs."""
        return self.required_for(mounted_plugin(request), request.path, request.method)

    def required_for(self, plugin: str | None, path: str, method: str) -> str:
        """``"public"`` or the scope a ``method`` request to ``path`` (served by ``plugin``)
        needs; ``path`` may be a path template (``/notes/{note_id}``), as /openapi.json has."""
        for names, paths, starts, everything, methods, require in self._rules:
            if "*" not in methods and method not in methods:
                continue
            if everything or plugin in names or path in paths or path.startswith(starts):
                return require
        return UNMATCHED


def unknown_names(rules: Sequence[Rule], scopes: Mapping[str, str]) -> list[str]:
    """Plugin names in ``rules`` that name no mounted plugin (a typo would silently never
    match); names of the shipped defaults may be absent."""
    return [
        f"rules[{i}].match: {entry!r}"
        for i, rule in enumerate(rules)
        for entry in rule.match
        if entry != "*" and not entry.startswith("/") and entry not in scopes
    ]
