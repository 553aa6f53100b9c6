"""Which scope a request needs: the first rule that matches its plugin or path and method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from gateway import mounted_plugin
from gateway_plugins.auth.settings import Rule

# A request no rule matches needs this: the operator's rules fail closed.
UNMATCHED = "admin"


class RuleBook:
    def __init__(self, rules: Sequence[Rule], scopes: Mapping[str, str] | None = None) -> None:
        """``scopes`` (``config.scopes()``: every plugin name and prefix, with its scope) lets
        the answers for a plugin be worked out once (:meth:`required`)."""
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
        # Plugin name -> the scope needed by method, for each plugin whose paths no path rule
        # can match: what the rules say for such a plugin depends on its name and the method
        # alone, so a request to it is two dict lookups instead of a walk through the rules.
        self._by_plugin: dict[str | None, ByMethod] = {}
        methods = {m for rule in rules for m in rule.methods if m != "*"}
        for plugin, prefixes in _prefixes_by_plugin(scopes or {}).items():
            if any(_concerns(rule, prefix) for rule in rules for prefix in prefixes):
                continue
            self._by_plugin[plugin] = ByMethod(
                {m: self.required_for(plugin, None, m) for m in methods},
                self.required_for(plugin, None, "\0"),  # a method no rule names
            )

    def required(self, request: web.Request) -> str:
        """``"public"`` or the scope that ``request`` needs."""
        plugin = mounted_plugin(request)
        known = self._by_plugin.get(plugin)  # None (the gateway's own paths) is no key
        if known is not None:
            return known[request.method]
        return self.required_for(plugin, request.path, request.method)

    def required_for(self, plugin: str | None, path: str | None, method: str) -> str:
        """``"public"`` or the scope a ``method`` request to ``path`` (served by ``plugin``)
        needs; ``path`` may be a path template (``/notes/{note_id}``), as /openapi.json has,
        or ``None`` for a path no path rule matches (a plugin's, in ``__init__``)."""
        for names, paths, starts, everything, methods, require in self._rules:
            if "*" not in methods and method not in methods:
                continue
            if everything or plugin in names:
                return require
            if path is not None and (path in paths or path.startswith(starts)):
                return require
        return UNMATCHED


class ByMethod(dict[str, str]):
    """The scope each method named in the rules needs at one plugin; any other method needs
    ``otherwise`` (``[method]`` answers it: one C-level lookup for a named method)."""

    __slots__ = ("otherwise",)

    def __init__(self, by_method: dict[str, str], otherwise: str) -> None:
        super().__init__(by_method)
        self.otherwise = otherwise

    def __missing__(self, method: str) -> str:
        return self.otherwise


def _prefixes_by_plugin(scopes: Mapping[str, str]) -> dict[str, list[str]]:
    """Each mounted plugin's prefixes, from ``config.scopes()`` (names and prefixes alike map
    to the plugin's name; the gateway's own scopes map to themselves and are left out)."""
    found: dict[str, list[str]] = {}
    for entry, scope in scopes.items():
        if not scope.startswith("/") and entry.startswith("/"):
            found.setdefault(scope, []).append(entry)
    return found


def _concerns(rule: Rule, prefix: str) -> bool:
    """Whether a path entry of ``rule`` can match a path under ``prefix``: the entry is the
    prefix, inside it or around it (``/`` is around everything)."""
    return any(
        entry.startswith("/")
        and (
            entry == prefix
            or entry.startswith(prefix + "/")
            or prefix.startswith(entry.rstrip("/") + "/")
        )
        for entry in rule.match
    )


def unknown_names(rules: Sequence[Rule], scopes: Mapping[str, str]) -> list[str]:
    """Plugin names in ``rules`` that name no mounted plugin (a typo would silently never
    match); names of the shipped defaults may be absent."""
    return [
        f"rules[{i}].match: {entry!r}"
        for i, rule in enumerate(rules)
        for entry in rule.match
        if entry != "*" and not entry.startswith("/") and entry not in scopes
    ]
