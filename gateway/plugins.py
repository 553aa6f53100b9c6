"""Plugin discovery: one pluggy ``PluginManager``, loaded from entry points and plugin folders.

Built-in plugins are entry points of the ``gateway`` distribution itself, so they go through
exactly the loader a third-party plugin does. A plugin that fails to load is recorded with the
reason instead of stopping discovery: whether that failure matters depends on the config
(enabled: it stops the start; not enabled: a warning).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from gateway import hookspecs
from gateway.contract import (
    DiscoveredPlugin as DiscoveredPlugin,
    DiscoveredPlugins as DiscoveredPlugins,
    PluginInfo as PluginInfo,
    PluginSettings as PluginSettings,
    undecorated_warning as undecorated_warning,
)

ENTRY_POINT_GROUP = "gateway.plugins"
# Comma-separated entry-point names: load only these (keeps tests and debugging hermetic).
LOAD_PLUGINS_ENV = "GATEWAY_LOAD_PLUGINS"
BUILTIN_DISTRIBUTION = "gateway"
# Every hook the host defines (the functions of hookspecs.py).
HOOK_NAMES = tuple(
    sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("gateway_") and inspect.isfunction(value)
    )
)


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("gateway")
    manager.add_hookspecs(hookspecs)
    return manager


def discover(
    plugin_dirs: Sequence[Path] = (),
    extra: Iterable[tuple[str, Any]] = (),
    *,
    entry_points: bool = True,
    chosen: Mapping[str, str] | None = None,
) -> DiscoveredPlugins:
    """Load the entry-point plugins, then the plugin folders, then ``extra`` (name, object).

    ``entry_points=False`` skips installed plugins altogether (a test of one plugin alone).
    When two loaded plugins declare one name, the one ``chosen[name]`` names (see
    :meth:`DiscoveredPlugin.answers_to`) is used, else the first found; the other is listed
    as failed, and the config refuses to enable that name until the operator chooses.
    """
    manager = new_plugin_manager()
    found: dict[str, DiscoveredPlugin] = {}
    claimants: dict[str, list[DiscoveredPlugin]] = {}
    for candidate, load in _candidates(plugin_dirs, extra, entry_points):
        try:
            candidate.plugin = load()
        except Exception as exc:  # any import-time failure is the plugin's, reported by name
            candidate.error = f"failed to import: {_describe(exc)}"
            candidate.fix = "install what it needs, or set enabled = false"
            candidate.exception = exc
        else:
            if manager.is_registered(candidate.plugin):
                # The same object twice (a test passing the module its entry point installs):
                # one plugin, kept under its first source.
                continue
            _register(manager, candidate)
        name = candidate.name
        if name not in found:
            found[name] = candidate
            continue
        first = found[name]
        if not (first.loaded and candidate.loaded):
            # A failed one keeps its name when it came first: whatever shadows it, the operator
            # meant that name, and its error must stay visible under it.
            found[f"{name} ({candidate.source})"] = candidate
            continue
        choice = (chosen or {}).get(name)
        if choice and candidate.answers_to(choice) and not first.answers_to(choice):
            winner, loser = candidate, first
        else:
            winner, loser = first, candidate
        _unregister(manager, loser.plugin)
        loser.error = f"not used: {winner.source} is also named {name!r}"
        loser.fix = f'choose one with source = "{loser.kind}" in [plugins.{name}]'
        claimants.setdefault(name, [winner]).append(loser)
        claimants[name][0] = winner
        found[name] = winner
        found[f"{name} ({loser.source})"] = loser
    return DiscoveredPlugins(manager, found, claimants)


def _candidates(
    plugin_dirs: Sequence[Path], extra: Iterable[tuple[str, Any]], with_entry_points: bool
) -> Iterable[Any]:
    allowed = os.environ.get(LOAD_PLUGINS_ENV)
    names = {n.strip() for n in allowed.split(",")} if allowed is not None else None
    installed = entry_points(group=ENTRY_POINT_GROUP) if with_entry_points else ()
    for ep in sorted(installed, key=lambda e: e.name):
        if names is not None and ep.name not in names:
            continue
        dist = ep.dist
        if dist is not None and dist.name == BUILTIN_DISTRIBUTION:
            found = DiscoveredPlugin(ep.name, "built-in", "built-in", dist.version)
        elif dist is not None:
            found = DiscoveredPlugin(
                ep.name, f"distribution {dist.name}", "distribution", dist.version
            )
        else:
            found = DiscoveredPlugin(ep.name, "entry point", "entry point")
        yield found, ep.load
    for folder in plugin_dirs:
        for path, module_name in _modules_in(folder):
            yield (
                DiscoveredPlugin(module_name, f"folder {folder}", "folder"),
                lambda p=path, f=folder, m=module_name: _import_from_folder(p, f, m),
            )
    for name, obj in extra:
        yield DiscoveredPlugin(name, "registered in code", "code"), lambda o=obj: o


def _modules_in(folder: Path) -> list[tuple[Path, str]]:
    modules = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(("_", ".")):
            continue
        if path.suffix == ".py" and path.is_file():
            modules.append((path, path.stem))
        elif (path / "__init__.py").is_file():
            modules.append((path / "__init__.py", path.name))
    return modules


def _import_from_folder(path: Path, folder: Path, module_name: str) -> ModuleType:
    # A private parent name per folder, so two folders (or two test runs) that both hold a
    # `hello` plugin never share a sys.modules entry.
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    qualified = f"_gateway_plugin_dir_{digest}.{module_name}"
    search = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(
        qualified, path, submodule_search_locations=search
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[qualified]
        raise
    return module


def _register(manager: pluggy.PluginManager, candidate: DiscoveredPlugin) -> None:
    try:
        manager.register(candidate.plugin, name=f"{candidate.source}:{candidate.name}")
        # Checked per plugin so that a misspelt hook is blamed on the plugin that has it.
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        candidate.error, candidate.fix = _invalid(manager, candidate.plugin, exc)
        candidate.exception = exc
        _unregister(manager, candidate.plugin)
        return
    try:
        info = call_plugin_hook(manager, candidate.plugin, "gateway_plugin_info")
        if inspect.isawaitable(info):
            if inspect.iscoroutine(info):
                info.close()  # never awaited: no "coroutine was never awaited" warning
            raise TypeError("gateway_plugin_info must return a PluginInfo, not a coroutine")
        if info is not None and not isinstance(info, PluginInfo):
            raise TypeError(f"gateway_plugin_info returned {info!r}, not a PluginInfo")
    except Exception as exc:
        _unregister(manager, candidate.plugin)
        candidate.error = f"gateway_plugin_info failed: {_describe(exc)}"
        candidate.fix = "fix the plugin's gateway_plugin_info, or set enabled = false"
        candidate.exception = exc
        return
    candidate.info = info
    if info is not None:
        candidate.name = info.name
    # An installed distribution's version is authoritative; a folder plugin declares its own.
    candidate.version = (
        candidate.version
        or (info.version if info is not None else None)
        or getattr(candidate.plugin, "__version__", None)
    )
    callers = manager.get_hookcallers(candidate.plugin) or []
    candidate.hooks = sorted(caller.name for caller in callers)
    candidate.undecorated = undecorated_hooks(candidate.plugin, candidate.hooks)


def undecorated_hooks(plugin: Any, implemented: Iterable[str]) -> list[str]:
    """The functions of ``plugin`` named exactly like a hook that pluggy did not take as one.

    pluggy registers only ``@hookimpl`` functions and ignores the rest without a word, so a
    forgotten decorator would be a hook that silently never runs.
    """
    done = set(implemented)
    return [
        name for name in HOOK_NAMES if name not in done and callable(getattr(plugin, name, None))
    ]


def _invalid(
    manager: pluggy.PluginManager, plugin: Any, exc: pluggy.PluginValidationError
) -> tuple[str, str]:
    """The error and fix for a plugin pluggy refused: usually a hook name the host lacks."""
    known = list(HOOK_NAMES)
    unknown = sorted(
        caller.name for caller in manager.get_hookcallers(plugin) or [] if not caller.has_spec()
    )
    if not unknown:
        return f"pluggy refused it: {exc}", "fix the plugin's hooks, or set enabled = false"
    name = unknown[0]
    close = difflib.get_close_matches(name, known, n=1)
    rename = f"rename it to {close[0]!r}" if close else "rename it to a hook in docs/plugins.md"
    return (
        f"it implements {name!r}, which is not a gateway hook",
        f"{rename}, or set enabled = false",
    )


def _unregister(manager: pluggy.PluginManager, plugin: Any) -> None:
    if manager.is_registered(plugin):
        manager.unregister(plugin)


def call_plugin_hook(
    manager: pluggy.PluginManager, plugin: Any, hook_name: str, **kwargs: Any
) -> Any:
    """Call ``hook_name`` on ``plugin`` alone (a per-plugin hook); the result may be awaitable."""
    others = [p for p in manager.get_plugins() if p is not plugin]
    return manager.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


async def await_me_maybe(value: Any) -> Any:
    """Await ``value`` if a hookimpl was ``async def``; pluggy itself is synchronous."""
    if inspect.isawaitable(value):
        return await value
    return value


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
