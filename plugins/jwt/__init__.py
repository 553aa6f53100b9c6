"""jwt: callers identified by JSON Web Tokens from an identity provider (OpenID Connect).

A middleware-only plugin built on the identity contract as a third-party one would be: a
bearer JWT that verifies becomes ``gateway.Identity(sub, scopes, provider="jwt")``, which the
auth plugin's rules and the ratelimit plugin read unchanged. Each ``[plugins.NAME]`` table with
``plugin = "jwt"`` is one more issuer. See docs/jwt.md.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from aiohttp import web

from gateway import (
    GatewayConfig,
    HealthCheck,
    Middleware,
    OpenAPIExtension,
    OpenAPIRoute,
    PluginInfo,
    Priority,
    hookimpl,
)
from gateway_plugins.jwt.cache import VerifiedTokens
from gateway_plugins.jwt.health import keys_check
from gateway_plugins.jwt.keysource import KeySource
from gateway_plugins.jwt.metrics import JwtMetrics
from gateway_plugins.jwt.middleware import BearerTokens
from gateway_plugins.jwt.openapi import describe
from gateway_plugins.jwt.settings import JwtSettings
from gateway_plugins.jwt.verifier import TokenVerifier

KEYS = web.AppKey("jwt.keys", KeySource)


@hookimpl
def gateway_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="jwt",
        settings=JwtSettings,
        description="Bearer JWTs from an identity provider (JWKS, OpenID Connect discovery).",
    )


@hookimpl
def gateway_create_app(settings: JwtSettings, config_dir: str) -> web.Application:
    app = web.Application()
    # Key files are read here, so `gateway check` names a missing or broken one.
    source = KeySource(settings, Path(config_dir))
    app[KEYS] = source
    app.cleanup_ctx.append(source.running)
    return app


@hookimpl
def gateway_health_checks(app: web.Application) -> list[HealthCheck]:
    return [HealthCheck("keys", partial(keys_check, app[KEYS]), required=False)]


def _other_issuers(settings: JwtSettings, instance: str, config: GatewayConfig) -> frozenset[str]:
    """The issuers the other jwt instances own: their tokens are theirs to judge. Two
    instances that could not tell their tokens apart are a config error."""
    others: dict[str, str] = {}
    unchecked: list[str] = []
    for plugin in config.enabled():
        theirs = plugin.settings
        if plugin.plugin_name != "jwt" or not isinstance(theirs, JwtSettings):
            continue
        if theirs.verify_issuer and theirs.issuer:
            if theirs.issuer in others.values() and plugin.name != instance:
                raise ValueError(
                    f"the jwt instances {plugin.name!r} and "
                    f"{next(k for k, v in others.items() if v == theirs.issuer)!r} both have "
                    f"issuer {theirs.issuer!r}: one instance per issuer (put both audiences "
                    "in one audience list)"
                )
            others[plugin.name] = theirs.issuer
        else:
            unchecked.append(plugin.name)
    if len(unchecked) > 1:
        raise ValueError(
            f"the jwt instances {', '.join(map(repr, unchecked))} all have verify_issuer = "
            "false, so they cannot tell their tokens apart: give each its issuer"
        )
    others.pop(instance, None)
    return frozenset(others.values())


@hookimpl
def gateway_middlewares(
    app: web.Application, settings: JwtSettings, config: GatewayConfig
) -> list[Middleware]:
    instance = config.instance_of(settings, "jwt")
    source = app[KEYS]
    metrics = JwtMetrics(instance) if config.gateway.metrics else None
    source.metrics = metrics
    provider = "jwt" if instance == "jwt" else f"jwt:{instance}"
    verifier = TokenVerifier(settings, source, provider, _other_issuers(settings, instance, config))
    tokens = BearerTokens(
        verifier,
        VerifiedTokens(settings.cache_size),
        metrics,
        settings.realm,
        settings.jwks_cooldown,
    )
    # Refusals carry their own WWW-Authenticate: no fields added to other answers.
    return [
        Middleware(
            "verify",
            tokens.authenticate,
            Priority.AUTHENTICATION,
            adds_fields=False,
            sees_answers=False,
        )
    ]


@hookimpl
def gateway_openapi_extend(
    routes: list[OpenAPIRoute], settings: JwtSettings, config: GatewayConfig
) -> OpenAPIExtension:
    return describe(routes, settings, config.instance_of(settings, "jwt"))
