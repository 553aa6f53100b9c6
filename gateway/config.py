"""plugins.toml: read, interpolate the environment, validate, and report every error at once.

Every problem becomes a :class:`ConfigIssue` naming the TOML path, what was expected and the
fix; :class:`ConfigError` carries all of them with the file's name. Nothing here starts
anything: a config that loads without error is complete and safe to serve.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gateway.contract import (
    GatewayConfig as GatewayConfig,
    GatewaySettings as GatewaySettings,
    MountSettings as MountSettings,
    PluginConfig as PluginConfig,
    scopes_of as scopes_of,
)
from gateway.plugins import DiscoveredPlugins, discover
from gateway.redact import is_header_table, redact_text, redacted_repr

log = logging.getLogger("gateway.config")

CONFIG_ENV = "GATEWAY_CONFIG"
DEFAULT_CONFIG = "plugins.toml"
# Prefixes the host serves itself; no plugin may be mounted on or under them.
RESERVED_PREFIXES = ("/_gateway", "/metrics", "/openapi.json", "/docs")

# ${VAR}, ${VAR:-default}, or ${file:PATH} (a mounted secret; relative to the config's folder).
# One pattern, one pass: a value read from the environment or a file is never re-expanded.
_ENV_REF = re.compile(r"\$\{(?:file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?)\}")
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$")


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with a config: where (TOML path), what, and how to fix it."""

    path: str
    message: str
    fix: str | None = None

    def __post_init__(self) -> None:
        # Every config error goes through here: no URL password reaches a terminal or the
        # master's log (a refused SIGHUP), whoever wrote the message.
        object.__setattr__(self, "message", redact_text(self.message))
        if self.fix is not None:
            object.__setattr__(self, "fix", redact_text(self.fix))

    def format(self, file: Path | str) -> str:
        where = f"{file}: {self.path}" if self.path else str(file)
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{where}: {self.message}{fix}"


class ConfigError(Exception):
    """The config at ``file`` cannot be used; ``issues`` lists every reason.

    ``discovered`` holds the plugins found before validation failed (None when the file could
    not even be read), so ``gateway plugins`` can still list them.
    """

    def __init__(
        self,
        file: Path | str,
        issues: list[ConfigIssue],
        discovered: DiscoveredPlugins | None = None,
    ) -> None:
        self.file = file
        self.issues = issues
        self.discovered = discovered
        super().__init__("\n".join(issue.format(file) for issue in issues))


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path``, else ``$GATEWAY_CONFIG``, else ``./plugins.toml``."""
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_config(
    path: str | os.PathLike[str] | None = None, *, extra_plugins: Iterable[tuple[str, Any]] = ()
) -> GatewayConfig:
    """Read and validate a plugins.toml; raise :class:`ConfigError` listing every problem."""
    # Absolute in every message: the operator may not know the folder the gateway ran in.
    file = resolve_config_path(path).absolute()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            file,
            [
                ConfigIssue(
                    "",
                    "no such config file",
                    "create it (the README has a complete example), or pass --config PATH "
                    f"or set {CONFIG_ENV}",
                )
            ],
        ) from None
    except OSError as exc:
        raise ConfigError(file, [ConfigIssue("", f"cannot read the file: {exc}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, [toml_issue(exc, text)]) from None
    return validate_config(data, file, extra_plugins=extra_plugins)


_TOML_AT = re.compile(
    r"^(?P<what>.*) \((?:at line (?P<line>\d+), column (?P<column>\d+)|at end of document)\)$"
)


def toml_issue(exc: tomllib.TOMLDecodeError, text: str) -> ConfigIssue:
    """A TOML syntax error as a line and a fix.

    tomllib finds an unclosed array or inline table only where the next line begins (it
    skipped the newline looking for ``,`` or ``]``): the line to fix is the last one before
    that holds anything, and that is the line named here.
    """
    found = _TOML_AT.match(str(exc))
    what = found.group("what") if found else str(exc)
    lines = text.splitlines()
    if found is None or found.group("line") is None:
        line, column = len(lines), None  # at the end of the document
    else:
        line, column = int(found.group("line")), int(found.group("column"))
    if column is None or (column == 1 and what.startswith("Unclosed")):
        filled = [i for i in range(1, line) if lines[i - 1].split("#", 1)[0].strip()]
        if column is None and line and lines[line - 1].split("#", 1)[0].strip():
            filled.append(line)
        if filled:
            line, column = filled[-1], None
    where = f"line {line}" + (f", column {column}" if column is not None else "")
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    quoted = f": {shown!r}" if shown else ""
    closer = {"Unclosed array": "]", "Unclosed inline table": "}"}.get(what)
    if closer:
        fix = f"close it with {closer!r} on that line, or add the missing ',' between its items"
    else:
        fix = (
            'correct that line: key = value, strings in "quotes", one key per line '
            "(https://toml.io)"
        )
    return ConfigIssue(where, f"invalid TOML: {what}{quoted}", fix)


def validate_config(
    data: Mapping[str, Any],
    file: Path,
    *,
    extra_plugins: Iterable[tuple[str, Any]] = (),
    entry_points: bool = True,
    label: str | None = None,
) -> GatewayConfig:
    """Validate already-parsed TOML ``data`` as if read from ``file``.

    ``label`` names the config in error messages when it is not a file (a dict in a test);
    ``file``'s folder is still where relative paths resolve. ``entry_points=False`` loads no
    installed plugin, only the folders and ``extra_plugins``.
    """
    issues: list[ConfigIssue] = []
    data = _interpolate(data, "", issues, file.parent)
    # A value that could not be interpolated is reported once, as that: its validation error
    # ("" is not an integer) would say the same thing again, without the fix.
    interpolation_issues = len(issues)
    uninterpolated = {issue.path for issue in issues}

    for key in data:
        if key not in ("gateway", "plugins"):
            issues.append(
                ConfigIssue(key, "unknown table", "only [gateway] and [plugins.NAME] are read")
            )
    gateway = _validate_model(GatewaySettings, data.get("gateway", {}), "gateway", issues)
    gateway = gateway or GatewaySettings()
    if gateway.loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        issues.append(
            ConfigIssue(
                "gateway.loop",
                "uvloop is not installed",
                'install it (pip install uvloop), or set loop = "auto" to use it where it is',
            )
        )

    if gateway.tracing.enabled and importlib.util.find_spec("opentelemetry") is None:
        issues.append(
            ConfigIssue(
                "gateway.tracing.enabled",
                "OpenTelemetry is not installed",
                "install the tracing extra (pip install 'gateway[tracing]'), or set "
                "enabled = false",
            )
        )

    plugin_dirs = []
    for i, entry in enumerate(gateway.plugin_dirs):
        folder = (file.parent / entry).resolve()
        if folder.is_dir():
            plugin_dirs.append(folder)
        else:
            issues.append(
                ConfigIssue(
                    f"gateway.plugin_dirs[{i}]",
                    f"{folder} is not a folder",
                    "create it or remove it from plugin_dirs (relative paths are resolved "
                    "against the config file's folder)",
                )
            )
    tables = data.get("plugins", {})
    if not isinstance(tables, Mapping):
        issues.append(ConfigIssue("plugins", "expected tables like [plugins.health]"))
        tables = {}
    chosen = {
        _plugin_of(name, table): table["source"]
        for name, table in tables.items()
        if isinstance(table, Mapping) and isinstance(table.get("source"), str)
    }
    discovered = discover(plugin_dirs, extra_plugins, entry_points=entry_points, chosen=chosen)

    plugins = {name: PluginConfig(plugin) for name, plugin in discovered.plugins.items()}
    for name, table in tables.items():
        if _add_instance(name, table, plugins, issues):
            _configure_plugin(name, table, plugins, discovered, issues)
    enabled = [p for p in plugins.values() if p.enabled]
    _check_single_instances(enabled, issues)
    _check_prefixes(enabled, issues)
    _check_middleware_scopes(enabled, gateway, issues)

    for key, plugin in plugins.items():
        if plugin.enabled or not plugin.plugin.error:
            continue
        if key != plugin.name:  # the other of two plugins with one name
            log.warning(
                "plugin %r from %s is %s", plugin.name, plugin.plugin.source, plugin.plugin.error
            )
        else:
            log.warning("plugin %r (not enabled) %s", plugin.name, plugin.plugin.error)
    if issues:
        issues = [
            issue
            for i, issue in enumerate(issues)
            if i < interpolation_issues or issue.path not in uninterpolated
        ]
        raise ConfigError(label or file, issues, discovered)
    return GatewayConfig(file, gateway, discovered, plugins)


def _plugin_of(name: str, table: Any) -> str:
    """The plugin a ``[plugins.NAME]`` table configures: its ``plugin`` key, else ``NAME``."""
    if isinstance(table, Mapping) and isinstance(table.get("plugin"), str):
        return str(table["plugin"])
    return name


def _add_instance(
    name: str, table: Any, plugins: dict[str, PluginConfig], issues: list[ConfigIssue]
) -> bool:
    """Add the instance ``[plugins.NAME]`` names with ``plugin = "..."`` to ``plugins``;
    ``False`` (with an issue) when the table cannot be configured."""
    if not isinstance(table, Mapping) or "plugin" not in table:
        return True
    where = f"plugins.{name}.plugin"
    of = table["plugin"]
    known = sorted(n for n, p in plugins.items() if n == p.plugin_name)
    if not isinstance(of, str) or of not in known:
        close = difflib.get_close_matches(str(of), known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        installed = ", ".join(known) or "none"
        issues.append(ConfigIssue(where, f"no plugin named {of!r} (installed: {installed})", hint))
        return False
    if of == name:
        return True  # the plugin's default instance, said explicitly
    if name in plugins:
        taken = plugins[name]
        what = "an installed plugin" if taken.instance is None else "another instance"
        issues.append(
            ConfigIssue(
                f"plugins.{name}",
                f"{name!r} is the name of {what}, so it cannot name an instance of {of!r}",
                f"give the instance another name, for example [plugins.{of}-{name}]",
            )
        )
        return False
    plugins[name] = PluginConfig(plugins[of].plugin, instance=name)
    return True


def _check_single_instances(enabled: list[PluginConfig], issues: list[ConfigIssue]) -> None:
    """A plugin that declares ``single_instance`` may be enabled under one table only."""
    seen: dict[str, str] = {}
    for config in enabled:
        info = config.plugin.info
        if info is None or not info.single_instance:
            continue
        first = seen.setdefault(config.plugin_name, config.name)
        if first != config.name:
            issues.append(
                ConfigIssue(
                    f"plugins.{config.name}",
                    f"the plugin {config.plugin_name!r} allows only one instance, and "
                    f"[plugins.{first}] is already one",
                    f"enable it under one table only (disable [plugins.{config.name}] "
                    f"or [plugins.{first}])",
                )
            )


def _configure_plugin(
    name: str,
    table: Any,
    plugins: dict[str, PluginConfig],
    discovered: DiscoveredPlugins,
    issues: list[ConfigIssue],
) -> None:
    where = f"plugins.{name}"
    if name not in plugins:
        known = sorted(n for n, p in plugins.items() if n == p.name)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else None
        installed = ", ".join(known) or "none"
        issues.append(
            ConfigIssue(where, f"no plugin named {name!r} (installed: {installed})", hint)
        )
        return
    if not isinstance(table, Mapping):
        got = redacted_repr(table, name)
        issues.append(ConfigIssue(where, f"expected a table [{where}], got {got}"))
        return
    mount = _validate_model(MountSettings, table, where, issues)
    if mount is None:
        return
    config = plugins[name]
    config.enabled = mount.enabled
    config.raw = dict(table)
    config.priority, config.apply_to, config.skip = mount.priority, mount.apply_to, mount.skip
    if not mount.enabled:
        return  # a disabled plugin's own settings are not read, so not validated either
    if not _chosen_one(config.plugin_name, mount.source, discovered, where, issues):
        return
    plugin = config.plugin
    if plugin.error:
        issues.append(ConfigIssue(where, f"the plugin cannot be used: {plugin.error}", plugin.fix))
        return
    if plugin.info is None:
        issues.append(
            ConfigIssue(
                where,
                "this plugin has no gateway_plugin_info hook, so it cannot be mounted",
                f"remove [{where}]: its shared hooks run without a table",
            )
        )
        return
    if "gateway_middlewares" not in plugin.hooks:
        for key in ("priority", "apply_to", "skip"):
            if key in table:
                issues.append(
                    ConfigIssue(
                        f"{where}.{key}",
                        "this plugin contributes no middleware, so it has nothing to place",
                        f"remove {key} from [{where}]",
                    )
                )
    config.prefix = mount.prefix if mount.prefix is not None else plugin.info.default_prefix
    if config.prefix is not None and not _PREFIX.match(config.prefix):
        issues.append(
            ConfigIssue(
                f"{where}.prefix",
                f"{config.prefix!r} is not a usable URL prefix",
                'start it with "/", do not end it with "/", and use only plain path '
                'characters, for example "/notes" or "/api/v1/notes"',
            )
        )
        config.enabled = False  # keep it out of the overlap check
    config.settings = _validate_model(plugin.info.settings, config.own_settings, where, issues)


def _chosen_one(
    name: str,
    source: str | None,
    discovered: DiscoveredPlugins,
    where: str,
    issues: list[ConfigIssue],
) -> bool:
    """Whether the enabled ``name`` means exactly one plugin; an issue when it does not."""
    claimants = discovered.claimants.get(name, [])
    sources = [p.source for p in claimants] or [discovered.plugins[name].source]
    if source is not None and not any(
        p.answers_to(source) for p in claimants or [discovered.plugins[name]]
    ):
        issues.append(
            ConfigIssue(
                f"{where}.source",
                f"{source!r} names none of the plugins called {name!r} ({'; '.join(sources)})",
                'use "built-in", "distribution", "folder" or one of those sources',
            )
        )
        return False
    if len(claimants) < 2 or source is not None:
        return True
    kinds = [p.kind for p in claimants]
    if len(set(kinds)) == len(kinds):
        hint = " or ".join(f'source = "{kind}"' for kind in kinds)
    else:
        hint = " or ".join(f'source = "{p.source}"' for p in claimants)
    issues.append(
        ConfigIssue(
            where,
            f"{len(claimants)} plugins are named {name!r}: {'; '.join(sources)}",
            f"choose one with {hint} in [{where}], or remove or rename the other",
        )
    )
    return False


def _check_prefixes(enabled: list[PluginConfig], issues: list[ConfigIssue]) -> None:
    # The gateway's own prefixes come first, so a clash is blamed on the plugin's key.
    claimed = [(prefix, "the gateway itself") for prefix in RESERVED_PREFIXES]
    claimed += [(p.prefix, f"plugins.{p.name}.prefix") for p in enabled if p.prefix]
    for i, (prefix, where) in enumerate(claimed):
        for other, other_where in claimed[:i]:
            if _overlaps(prefix, other):
                owner = f"[{other_where.rsplit('.', 1)[0]}]" if "." in other_where else other_where
                issues.append(
                    ConfigIssue(
                        where,
                        f"{prefix!r} overlaps {other!r} of {owner}",
                        "give each plugin a prefix that is not equal to, inside or around "
                        "another's",
                    )
                )


def _check_middleware_scopes(
    enabled: list[PluginConfig], gateway: GatewaySettings, issues: list[ConfigIssue]
) -> None:
    scopes = scopes_of(enabled, gateway)
    for plugin in enabled:
        for key, entries in (("apply_to", plugin.apply_to or []), ("skip", plugin.skip)):
            for i, entry in enumerate(entries):
                if entry in scopes:
                    continue
                known = ", ".join(sorted(scopes))
                close = difflib.get_close_matches(entry, list(scopes), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"mounted: {known}"
                if entry == "/metrics":
                    hint = "set [gateway] metrics = true, or remove it"
                issues.append(
                    ConfigIssue(
                        f"plugins.{plugin.name}.{key}[{i}]",
                        f"{entry!r} matches no mounted plugin, prefix or gateway path",
                        hint,
                    )
                )


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def _validate_model(
    model: type[BaseModel], value: Any, where: str, issues: list[ConfigIssue]
) -> Any:
    if not isinstance(value, Mapping):
        got = redacted_repr(value, where.rsplit(".", 1)[-1])
        issues.append(ConfigIssue(where, f"expected a table, got {got}"))
        return None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            issues.append(_issue_from_pydantic(model, error, where))
        return None


def _issue_from_pydantic(model: type[BaseModel], error: Any, where: str) -> ConfigIssue:
    loc = [str(part) for part in error["loc"]]
    path = ".".join([where, *loc])
    kind = error["type"]
    if kind == "extra_forbidden":
        fields = sorted(_model_at(model, loc[:-1]).model_fields)
        close = difflib.get_close_matches(loc[-1], fields, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(fields)}"
        return ConfigIssue(path, "unknown setting", hint)
    if kind == "missing":
        return ConfigIssue(path, "required setting is missing", "add it to the table")
    # The input is shown redacted: a secret-named setting (api_key = 12345) as ***, a table
    # (a model validator's input) with its secret members as ***, a URL without its password.
    name = loc[-1] if loc else where.rsplit(".", 1)[-1]
    if any(is_header_table(part) for part in loc):
        # A header's value is a credential whatever the header is called.
        name = "headers" if isinstance(error.get("input"), Mapping) else "secret"
    got = redacted_repr(error.get("input"), name)
    return ConfigIssue(path, f"{error['msg']}, got {got}", _TYPE_FIXES.get(kind))


# How to write a value of the expected type, for pydantic's errors that say only what is wrong.
_TYPE_FIXES = {
    "int_parsing": "write a whole number without quotes, for example 8080",
    "int_type": "write a whole number without quotes, for example 8080",
    "int_from_float": "write a whole number, without a fraction",
    "float_parsing": "write a number without quotes, for example 2.5",
    "float_type": "write a number without quotes, for example 2.5",
    "bool_parsing": "write true or false, without quotes",
    "bool_type": "write true or false, without quotes",
    "string_type": 'write a string in quotes, for example "value"',
    "list_type": 'write a list in brackets, for example ["a", "b"]',
}


def _model_at(model: type[BaseModel], loc: list[str]) -> type[BaseModel]:
    """The model of the table at ``loc`` inside ``model`` ([gateway.tracing] inside
    [gateway]): the one whose fields a misspelt key is matched against."""
    for part in loc:
        field = model.model_fields.get(part)
        inner = field.annotation if field is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model = inner
    return model


def _interpolate(value: Any, path: str, issues: list[ConfigIssue], base: Path) -> Any:
    """Replace ``${VAR}``, ``${VAR:-default}`` and ``${file:PATH}`` in every string.

    ``${VAR}`` reads the environment; when ``VAR`` is unset but ``VAR_FILE`` is set, it reads
    the file ``VAR_FILE`` names (the convention of Docker's and Kubernetes' mounted secrets).
    ``${file:PATH}`` reads the file directly. A file's content loses one trailing newline.
    """
    if isinstance(value, str):

        def read(where: str, what: str, fix: str) -> str:
            target = Path(where).expanduser()
            if not target.is_absolute():
                target = base / target
            try:
                text = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                issues.append(ConfigIssue(path, f"{what}: cannot read {target}: {reason}", fix))
                return ""
            return text.removesuffix("\n").removesuffix("\r")

        def substitute(match: re.Match[str]) -> str:
            secret, name, default = match.group(1), match.group(2), match.group(3)
            if secret is not None:
                return read(
                    secret,
                    f"secret file of ${{file:{secret}}}",
                    "mount the secret there, or fix the path",
                )
            if name in os.environ:
                return os.environ[name]
            if f"{name}_FILE" in os.environ:
                return read(
                    os.environ[f"{name}_FILE"],
                    f"{name}_FILE",
                    f"mount the secret there, or set {name} itself",
                )
            if default is not None:
                return default
            issues.append(
                ConfigIssue(
                    path,
                    f"environment variable {name} is not set",
                    f"set {name} (or {name}_FILE to a file holding it), or give a default: "
                    f"${{{name}:-value}}",
                )
            )
            return ""

        return _ENV_REF.sub(substitute, value)
    if isinstance(value, Mapping):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, issues, base) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", issues, base) for i, v in enumerate(value)]
    return value
