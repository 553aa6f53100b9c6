"""The plugin contract's types: everything gateway/hookspecs.py names, in one module.

A plugin declares itself (:class:`PluginInfo`, :class:`PluginSettings`), contributes health
checks (:class:`HealthCheck`, :class:`CheckResult`), middlewares (:class:`Middleware`,
:class:`Priority`), identities (:class:`Identity`) and OpenAPI additions
(:class:`OpenAPIExtension`), and receives the validated config (:class:`GatewayConfig`). These
are the most stable part of the gateway; plugins import them from the ``gateway`` package.

This module imports nothing else of the gateway's, so every other module may import it: the
host has no import circle (tests/host/test_shape.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pluggy
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, field_validator, model_validator

# --- a plugin and what it declares -----------------------------------------------------------


class PluginSettings(BaseModel):
    """Base for a plugin's settings model: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class PluginInfo:
    """What a plugin declares about itself through ``gateway_plugin_info``.

    - ``name``: the ``[plugins.NAME]`` table that enables and configures the plugin.
    - ``default_prefix``: where it is mounted when its table sets no ``prefix``; ``None`` for a
      middleware-only plugin, mounted only if the operator gives it a ``prefix``.
    - ``settings``: the pydantic model validating the table's own keys.
    - ``description``: one line shown by ``gateway plugins --json`` and ``/_gateway/plugins``.
    - ``version``: shown by ``gateway plugins`` when no installed distribution gives one (a
      folder plugin's only way to have a version besides a module-level ``__version__``).
    - ``admin``: ``True`` for endpoints meant for operators and their platform, not
      clients (health probes): with ``[gateway] admin_port`` set they are served on the admin
      listener only.
    - ``single_instance``: ``True`` when the plugin may be enabled under one table only
      (``gateway check`` refuses a second); by default an operator may enable it several times
      under names of their choosing (``[plugins.billing]`` with ``plugin = "proxy"``), each
      instance built by its own ``gateway_create_app`` call with its own settings.
    """

    name: str
    # None: not mounted unless the operator gives a prefix (a middleware-only plugin).
    default_prefix: str | None = None
    settings: type[BaseModel] = PluginSettings
    description: str = ""
    version: str | None = None
    single_instance: bool = False
    # With [gateway] admin_port set, served on the admin listener only, beside /_gateway and
    # /metrics (the health plugin: probes come from the platform, never from clients).
    admin: bool = False


@dataclass
class DiscoveredPlugin:
    """One plugin found by discovery, loaded or not."""

    name: str
    source: str
    # What `source = "..."` in a [plugins.NAME] table may name to choose this plugin when two
    # claim one name: "built-in", "distribution", "entry point", "folder" or "code".
    kind: str = "code"
    version: str | None = None
    plugin: Any = None
    info: PluginInfo | None = None
    error: str | None = None
    # How an operator fixes ``error`` when the plugin is enabled.
    fix: str | None = None
    # What raised ``error``, when something did: the testing kit chains it (its traceback
    # shows the line of the plugin that failed).
    exception: BaseException | None = None
    hooks: list[str] = field(default_factory=list)
    # Functions named like a hook without @hookimpl (see undecorated_hooks).
    undecorated: list[str] = field(default_factory=list)

    def answers_to(self, source: str) -> bool:
        """Whether ``source = "..."`` in the plugin's table names this plugin."""
        return source in (self.source, self.kind)

    @property
    def loaded(self) -> bool:
        return self.error is None

    @property
    def warnings(self) -> list[str]:
        """Defects that do not stop the plugin loading, one line each."""
        return [undecorated_warning(name) for name in self.undecorated]


def undecorated_warning(name: str) -> str:
    return (
        f"{name} is named like a gateway hook but has no @hookimpl, so the gateway never "
        "calls it (decorate it with @gateway.hookimpl, or rename it)"
    )


@dataclass
class DiscoveredPlugins:
    """The plugin manager and every plugin discovery found, by name."""

    manager: pluggy.PluginManager
    plugins: dict[str, DiscoveredPlugin]
    # Every name that more than one loaded plugin declares, with all of them (winner first).
    claimants: dict[str, list[DiscoveredPlugin]] = field(default_factory=dict)


# --- the validated config a plugin receives --------------------------------------------------


class TracingSettings(BaseModel):
    """The ``[gateway.tracing]`` table: OpenTelemetry traces exported over OTLP/HTTP
    (docs/tracing.md). Off by default; when off, nothing of OpenTelemetry is imported."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    # The collector's OTLP/HTTP traces URL, signal path included.
    endpoint: str = "http://127.0.0.1:4318/v1/traces"
    # Sent with every export: a vendor's API key, usually. Shown everywhere as ***.
    headers: dict[str, str] = {}
    # The share of new traces kept (trace-id ratio); a request that arrives with a
    # traceparent follows its caller's decision (parent-based).
    sampling_ratio: float = Field(1.0, ge=0, le=1)
    service_name: str = Field("gateway", min_length=1, max_length=256)
    # Seconds one export may take, retries included: an unreachable collector holds the
    # exporting thread (never a request) this long per batch.
    export_timeout: float = Field(10.0, gt=0, le=120)
    # Finished spans waiting for export; past it new spans are dropped (a collector outage
    # never grows memory without bound).
    max_queue_size: int = Field(2048, ge=1, le=1_000_000)

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (a bad port raises here)
        except ValueError as exc:
            raise ValueError(f"not a URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "expected an http:// or https:// URL with the signal path, such as "
                "http://127.0.0.1:4318/v1/traces"
            )
        return value


class GatewaySettings(BaseModel):
    """The ``[gateway]`` table."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # The admin listener (as Kong's and Envoy's admin ports): when admin_port is set, the
    # gateway's own paths (/_gateway, /metrics) and the health endpoints (the plugins whose
    # PluginInfo says admin=True) are served there and only there, and the public address
    # serves the plugins (plus /openapi.json and /docs). gateway/admin_listener.py.
    admin_host: str = "127.0.0.1"
    admin_port: int | None = Field(None, ge=1, le=65535)
    plugin_dirs: list[str] = []
    # Seconds in-flight requests get to finish after SIGTERM before they are cancelled.
    shutdown_timeout: float = Field(30.0, ge=0)
    # Seconds after SIGTERM during which readiness fails but connections are still accepted
    # and served, so a load balancer stops sending first (gateway/drain.py). 0 by default;
    # docs/deploy.md recommends 5 behind Kubernetes or a load balancer.
    accept_grace: float = Field(0.0, ge=0, le=600)
    # Seconds an idle keep-alive connection is kept open; above the load balancer's own
    # idle timeout, so the balancer, not the gateway, closes idle connections.
    keepalive_timeout: float = Field(75.0, ge=0, le=3600)
    # --workers: seconds gunicorn lets a worker go without a heartbeat before it kills it.
    worker_timeout: float = Field(60.0, gt=0, le=3600)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = True
    # Every log line, access and application: "text" for people, "json" for log aggregation.
    log_format: Literal["text", "json"] = "text"
    # The event loop (gateway/event_loop.py): uvloop where installed, unless told otherwise.
    loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    # Serve /metrics and count every request. Off by default: counting costs every request
    # about 3 µs of CPU (bench/README.md), which only an operator who scrapes should pay.
    metrics: bool = False
    # Proxies (addresses or networks) whose forwarding headers are believed: the client's
    # address, scheme and host as they saw them (gateway/proxies.py).
    trusted_proxies: list[IPvAnyNetwork] = []
    # The one header family those proxies write, and the only one believed: "x-forwarded"
    # (X-Forwarded-For/-Proto/-Host/-Port: nginx, HAProxy, cloud balancers) or "forwarded"
    # (RFC 7239). The proxy must clear the other: nginx passes a client's own through.
    forwarded_header: Literal["x-forwarded", "forwarded"] = "x-forwarded"
    # Seconds a request's whole body may take to arrive once a handler reads it (408 after).
    body_timeout: float = Field(30.0, gt=0, le=3600)
    # Connections one client address may hold at once (one more is answered 429); 0 for no
    # limit (behind a reverse proxy every connection comes from the proxy's address).
    max_connections_per_peer: int = Field(256, ge=0)
    # IPv6 clients are counted by this prefix of their address (rate limits, the wrong-key
    # guard, max_connections_per_peer): one host holds a whole /64, and could rotate through
    # it. IPv4-mapped IPv6 addresses (::ffff:203.0.113.9) are counted as the IPv4 address.
    ipv6_prefix: int = Field(64, ge=1, le=128)
    # OpenTelemetry traces (gateway/tracing.py), the [gateway.tracing] table.
    tracing: TracingSettings = TracingSettings()
    # Where `gateway serve` writes its process id, for `gateway reload` (gateway/pid_file.py);
    # relative to the config file's folder. Unset: a file in the runtime folder named after
    # the config file's path, so that `gateway reload --config PATH` finds it.
    pid_file: str | None = None
    # The garbage collector's thresholds (Python's gc.set_threshold: allocations before the
    # youngest generation is collected, then collections of each generation before the next
    # is), set by `gateway serve` once it serves, when it also freezes what start-up made
    # (gateway/gc_tuning.py). Python's own are 700, 10, 10: a proxied request cost a third
    # more CPU with them (bench/README.md).
    gc_thresholds: tuple[int, int, int] = (10_000, 50, 100)

    @field_validator("gc_thresholds")
    @classmethod
    def _collects(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if value[0] < 100 or min(value[1:]) < 1:
            raise ValueError(
                "the first threshold must be at least 100 (0 would turn the collector off, "
                "and memory would grow with every cycle of objects) and the others at least "
                "1: for example gc_thresholds = [10000, 50, 100]"
            )
        return value

    @model_validator(mode="after")
    def _two_ports(self) -> GatewaySettings:
        if self.admin_port is not None and self.admin_port == self.port:
            raise ValueError(
                f"admin_port and port are both {self.port}: give the admin listener a port "
                "of its own, for example admin_port = 9901"
            )
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        # "INFO", as Python's logging and gunicorn spell it, means "info".
        return value.lower() if isinstance(value, str) else value


class MountSettings(BaseModel):
    """The host's own keys in a ``[plugins.NAME]`` table."""

    model_config = ConfigDict(extra="allow")

    # The plugin this table is an instance of: ``[plugins.billing]`` with ``plugin = "proxy"``
    # is the instance ``billing`` of the plugin ``proxy``. Unset: the table's own name, the
    # plugin's default instance (every plugins.toml written before instances existed).
    plugin: str | None = None
    enabled: bool = True
    prefix: str | None = None
    # Which plugin to use when two declare this name: "built-in", "distribution", "folder",
    # "entry point", or a full source as `gateway plugins` prints it.
    source: str | None = None
    # A middleware plugin's placement (gateway/middleware.py): where its middlewares run and
    # before or after which others.
    priority: int | None = None
    apply_to: list[str] | None = None
    skip: list[str] = []


def instance_label(instance: str, plugin: str) -> str:
    """How the gateway names an instance to people: ``billing (proxy)`` for a named instance,
    ``notes`` for a plugin's default one. The one place this is formatted: ``gateway
    plugins``, ``/_gateway/plugins`` (its ``label``, which the dashboard shows), the start-up
    log and the access log all take it from here."""
    return instance if instance == plugin else f"{instance} ({plugin})"


@dataclass
class PluginConfig:
    """One instance of a discovered plugin with what its table says about it.

    ``name`` is the instance's name, the ``[plugins.NAME]`` table's: what the gateway mounts,
    places middlewares by, and names in health checks, metrics, logs and ``/_gateway/plugins``.
    ``plugin_name`` is the plugin's own name; the two are the same for a plugin's default
    instance (the table named like the plugin).
    """

    plugin: DiscoveredPlugin
    instance: str | None = None
    enabled: bool = False
    prefix: str | None = None
    settings: BaseModel | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None
    apply_to: list[str] | None = None
    skip: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.instance or self.plugin.name

    @property
    def plugin_name(self) -> str:
        return self.plugin.name

    @property
    def label(self) -> str:
        """``billing (proxy)``, or ``notes`` for a default instance (:func:`instance_label`)."""
        return instance_label(self.name, self.plugin_name)

    @property
    def own_settings(self) -> dict[str, Any]:
        """The table's keys that belong to the plugin, not to the host (enabled, prefix)."""
        return {k: v for k, v in self.raw.items() if k not in MountSettings.model_fields}


@dataclass
class GatewayConfig:
    """A validated config: the gateway's settings and every discovered plugin's config.

    This is the ``config`` a plugin's CLI handler receives. What it may rely on:

    - ``path``: the config file (``dir``: its folder, against which relative paths resolve);
    - ``gateway``: the ``[gateway]`` table as :class:`GatewaySettings` (``host``, ``port``, ...);
    - ``plugins[NAME]``: a :class:`PluginConfig` for every discovered plugin's default instance
      and every instance a table names (``plugin = "..."``): ``enabled``, ``prefix``,
      ``settings`` (the validated settings model, ``None`` unless enabled), ``own_settings``
      (the table's raw keys, also for a disabled plugin) and ``plugin_name``;
    - ``instance_of(settings, default)``: the instance whose validated settings these are;
    - ``read_only``: the gateway is started only to be checked (``gateway check --connect``
      without ``--migrate``): plugins connect to their stores but change none (no migrations).
    """

    path: Path
    gateway: GatewaySettings
    discovered: DiscoveredPlugins
    plugins: dict[str, PluginConfig]
    read_only: bool = False

    @property
    def dir(self) -> Path:
        return self.path.parent

    def enabled(self) -> list[PluginConfig]:
        return [p for p in self.plugins.values() if p.enabled]

    def instance_of(self, settings: object, default: str) -> str:
        """The name of the instance (its ``[plugins.NAME]`` table) whose validated settings
        ``settings`` are: what a hook given the settings but not the instance needs (the
        OpenAPI and middleware hooks); ``default`` when no table's settings are these."""
        for plugin in self.plugins.values():
            if plugin.settings is settings:
                return plugin.name
        return default

    def scopes(self) -> dict[str, str]:
        """Every place a middleware can apply, by each name an operator may use for it:
        ``{"notes": "notes", "/notes": "notes", "/_gateway": "/_gateway", ...}``."""
        return scopes_of(self.enabled(), self.gateway)


def scopes_of(enabled: list[PluginConfig], gateway: GatewaySettings) -> dict[str, str]:
    scopes = {"/_gateway": "/_gateway"}
    if gateway.metrics:
        scopes["/metrics"] = "/metrics"
    for plugin in enabled:
        if plugin.prefix is not None:
            scopes[plugin.name] = plugin.name
            scopes[plugin.prefix] = plugin.name
    return scopes


# --- health checks ---------------------------------------------------------------------------


Status = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    """What one check observed; field names follow draft-inadarei-api-health-check."""

    status: Status = "pass"
    output: str | None = None
    observed_value: Any = None
    observed_unit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HealthCheck:
    """A named async check a plugin contributes through ``gateway_health_checks``.

    ``check`` is awaited with no arguments and returns a :class:`CheckResult` (``None`` means
    pass). Raising, or running longer than ``timeout`` seconds, reports ``fail``.

    ``required`` says what kind of check it is. ``True`` (the default, and what every check was
    before the field existed): this instance cannot serve without it, so its ``fail`` fails
    ``/health`` and readiness (503) and takes this instance out of its load balancer. ``False``:
    a dependency the instance can serve without (from memory, stale, or with that plugin's
    requests answering 503 while the rest serve); its ``fail`` is reported as ``warn`` (the
    output says it was a failure) and never fails readiness. The rule the built-in plugins
    follow: what is specific to this instance (its start-up, its own files) is required; a
    store or upstream that every instance shares is not, because failing readiness on it would
    take every instance out of the load balancer at once.
    """

    name: str
    check: Callable[[], Awaitable[CheckResult | None]]
    timeout: float = 2.0
    component_type: str = "component"
    required: bool = True


# --- middlewares -----------------------------------------------------------------------------


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


MiddlewareHandler = Callable[..., Awaitable[web.StreamResponse]]
"""``async def middleware(request, handler)``: aiohttp's own middleware signature. ``handler``
is passed by keyword, as aiohttp passes it: name the parameter ``handler``."""


class Priority(IntEnum):
    """Where a middleware runs in a chain; higher runs first (outermost), as in Kong.

    Pick the stage a middleware belongs to; an operator can move a plugin's middlewares with
    ``priority = N`` in its table.
    """

    #: Answers CORS preflights before anything can refuse them.
    PREFLIGHT = 2000
    #: Finds out who is calling and sets ``gateway.IDENTITY`` (API keys, JWT, mTLS headers).
    AUTHENTICATION = 1250
    #: Decides whether that identity may make this request.
    AUTHORIZATION = 950
    #: Counts and limits requests, per identity or client address.
    RATE_LIMIT = 910
    #: Anything else: rewrites requests and responses, reads the identity.
    DEFAULT = 800
    #: Encodes answers (the compress plugin): inside DEFAULT, where a cache stores the
    #: encoded variants under ``Vary``; a middleware that makes or rewrites bodies runs below.
    COMPRESSION = 700


@dataclass(frozen=True)
class Middleware:
    """One request middleware a plugin contributes through ``gateway_middlewares``.

    ``handler`` is called as ``await handler(request, handler=next_handler)`` for every request
    to a scope it applies to; it returns ``await next_handler(request)`` (or its own response,
    or raises :class:`gateway.ProblemError`). ``name`` is shown as ``plugin:name`` in
    ``gateway plugins`` and ``/_gateway/plugins``.

    ``default_skip`` names scopes (plugin names or prefixes, ``/_gateway``, ``/metrics``) the
    middleware stays off while the operator gives no ``apply_to``: a rate limit leaves the
    health probes and the admin paths alone. Names not mounted are ignored; an ``apply_to``
    that names one puts it back.

    ``adds_fields`` says whether the middleware calls :func:`gateway.response_fields` or
    :func:`gateway.on_prepare`. Leave it ``True`` unless it never does: where every
    middleware of a scope says ``False``, the host does not prepare those fields for its
    answers (a cost on each of them), and both functions raise ``RuntimeError`` there.

    ``sees_answers`` says whether the middleware looks at what ``next_handler`` returns or
    catches what it raises (to decorate, store or count answers). ``True`` (the default)
    promises it an answer for every outcome inside it: an error is answered as problem+json
    before it gets back. Say ``False`` for a middleware that only passes the answer on
    (``return await next_handler(request)``): errors inside it then pass through it as
    exceptions, answered alike further out, and the layer that would turn them into answers
    is left out (a cost on every request).
    """

    name: str
    handler: MiddlewareHandler
    priority: int = Priority.DEFAULT
    default_skip: tuple[str, ...] = ()
    adds_fields: bool = True
    sees_answers: bool = True


# --- identities ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: a name fit for logs and counters, and what it may do.

    ``name`` never is the credential itself (an API key's configured name, a token's subject);
    ``scopes`` are the permissions the credential grants; ``provider`` names the middleware
    that established it (``auth:api-key``).
    """

    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    provider: str = ""

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


# --- what middleware plugins add to the OpenAPI document (gateway_openapi_extend) ------------


@dataclass(frozen=True)
class OpenAPIRoute:
    """One operation of the document, as ``gateway_openapi_extend`` sees it.

    ``path`` is the full path template clients call (``/notes/{note_id}``), ``method`` is
    upper-case (``GET``), ``plugin`` names the plugin that serves it (None for the gateway's own
    routes, such as ``/_gateway/plugins``) and ``prefix`` is that plugin's mount prefix.
    ``middlewares`` are the labels (``plugin:name``) of the plugin middlewares that run on it,
    outermost first, as ``apply_to``/``skip``/``priority`` placed them: a middleware plugin
    describes itself on exactly the routes where one of its own labels is listed.
    """

    method: str
    path: str
    plugin: str | None
    prefix: str | None
    middlewares: tuple[str, ...] = ()


@dataclass
class OperationExtension:
    """What one middleware plugin adds to one operation.

    ``security`` is a list of OpenAPI security requirement objects (alternatives: any one
    satisfies it; ``{}`` for "none needed"), naming schemes given in
    :attr:`OpenAPIExtension.components` ``["securitySchemes"]``; several plugins' lists for one
    operation are alternatives too (:func:`either_of`); ``responses`` maps a status
    (``"401"``) to a response object; ``parameters`` are added parameter objects (a header the
    middleware reads); ``headers`` are response header objects by name that the middleware
    puts on every answer of the operation (ratelimit's ``RateLimit`` fields): each of the
    operation's responses gets them.
    """

    security: list[dict[str, list[str]]] | None = None
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class OpenAPIExtension:
    """What ``gateway_openapi_extend`` returns: shared components and per-operation additions.

    ``components`` is merged into the document's (``{"securitySchemes": {"bearer": {...}}}``);
    names are the plugin's to choose, and must not collide with another plugin's.
    ``operations`` maps some of the routes the hook was given to their additions.
    """

    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[OpenAPIRoute, OperationExtension] = field(default_factory=dict)
