"""Plugin discovery: one pluggy ``PluginManager``, loaded from entry points and plugin folders.

Built-in plugins are entry points of the ``gateway`` distribution itself, so they go through
exactly the loader a third-party plugin does. A plugin that fails to load is recorded with the
reason instead of stopping discovery: whether that failure matters depends on the config
(enabled: it stops the start; not enabled: a warning).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from pydantic import BaseModel, ConfigDict

from gateway import hookspecs

ENTRY_POINT_GROUP = "gateway.plugins"
# Comma-separated entry-point names: load only these (keeps tests and debugging hermetic).
LOAD_PLUGINS_ENV = "GATEWAY_LOAD_PLUGINS"
BUILTIN_DISTRIBUTION = "gateway"


class PluginSettings(BaseModel):
    """Base for a plugin's settings model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin declares about itself through ``gateway_plugin_info``."""

    name: str
    # None: not mounted unless the operator gives a prefix (a middleware-only plugin).
    default_prefix: str | None = None
    settings: type[BaseModel] = PluginSettings
    description: str = ""


@dataclass
class DiscoveredPlugin:
    """One plugin found by discovery, loaded or not."""

    name: str
    source: str
    version: str | None = None
    plugin: Any = None
    info: PluginInfo | None = None
    error: str | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.error is None


@dataclass
class DiscoveredPlugins:
    """The plugin manager and every plugin discovery found, by name."""

    manager: pluggy.PluginManager
    plugins: dict[str, DiscoveredPlugin]


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("gateway")
    manager.add_hookspecs(hookspecs)
    return manager


def discover(
    plugin_dirs: Sequence[Path] = (), extra: Iterable[tuple[str, Any]] = ()
) -> DiscoveredPlugins:
    """Load the entry-point plugins, then the plugin folders, then ``extra`` (name, object)."""
    manager = new_plugin_manager()
    found: dict[str, DiscoveredPlugin] = {}
    for candidate, load in _candidates(plugin_dirs, extra):
        try:
            candidate.plugin = load()
        except Exception as exc:  # any import-time failure is the plugin's, reported by name
            candidate.error = f"failed to import: {_describe(exc)}"
        else:
            _register(manager, candidate, found)
        # A second plugin of the same name is listed (as failed) rather than dropped.
        key = (
            candidate.name
            if candidate.name not in found
            else f"{candidate.name} ({candidate.source})"
        )
        found[key] = candidate
    return DiscoveredPlugins(manager, found)


def _candidates(plugin_dirs: Sequence[Path], extra: Iterable[tuple[str, Any]]) -> Iterable[Any]:
    allowed = os.environ.get(LOAD_PLUGINS_ENV)
    names = {n.strip() for n in allowed.split(",")} if allowed is not None else None
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if names is not None and ep.name not in names:
            continue
        dist = ep.dist
        if dist is not None and dist.name == BUILTIN_DISTRIBUTION:
            source, version = "built-in", dist.version
        elif dist is not None:
            source, version = f"distribution {dist.name}", dist.version
        else:
            source, version = "entry point", None
        yield DiscoveredPlugin(ep.name, source, version), ep.load
    for folder in plugin_dirs:
        for path, module_name in _modules_in(folder):
            yield (
                DiscoveredPlugin(module_name, f"folder {folder}"),
                lambda p=path, f=folder, m=module_name: _import_from_folder(p, f, m),
            )
    for name, obj in extra:
        yield DiscoveredPlugin(name, "registered in code"), lambda o=obj: o


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


def _register(
    manager: pluggy.PluginManager,
    candidate: DiscoveredPlugin,
    found: dict[str, DiscoveredPlugin],
) -> None:
    try:
        manager.register(candidate.plugin, name=f"{candidate.source}:{candidate.name}")
        # Checked per plugin so that a misspelt hook is blamed on the plugin that has it.
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        _unregister(manager, candidate.plugin)
        candidate.error = f"invalid plugin: {exc}"
        return
    try:
        info = call_plugin_hook(manager, candidate.plugin, "gateway_plugin_info")
        if inspect.isawaitable(info):
            info.close()
            raise TypeError("gateway_plugin_info must return a PluginInfo, not a coroutine")
        if info is not None and not isinstance(info, PluginInfo):
            raise TypeError(f"gateway_plugin_info returned {info!r}, not a PluginInfo")
    except Exception as exc:
        _unregister(manager, candidate.plugin)
        candidate.error = f"gateway_plugin_info failed: {_describe(exc)}"
        return
    candidate.info = info
    if info is not None:
        if info.name in found and found[info.name].loaded:
            _unregister(manager, candidate.plugin)
            other = found[info.name].source
            candidate.error = f"another plugin named {info.name!r} is already loaded ({other})"
            return
        candidate.name = info.name
    candidate.version = candidate.version or getattr(candidate.plugin, "__version__", None)
    candidate.hooks = sorted(caller.name for caller in manager.get_hookcallers(candidate.plugin))


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
