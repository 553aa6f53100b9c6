"""The middleware contract: plugins that act on other plugins' traffic, scoped and ordered by
the operator, composed into the one root middleware, listed by prefix; trusted proxies."""

import json
from typing import Any

import pytest
from aiohttp import web

from gateway import (
    IDENTITY,
    Identity,
    Middleware,
    PluginInfo,
    PluginSettings,
    Priority,
    ProblemError,
    client_address,
    hookimpl,
    is_preflight,
    json_response,
)
from gateway.app import create_app
from gateway.config import ConfigError, load_config
from gateway.testing import gateway_app
from tests.host.conftest import run_cli
from tests.host.test_readme import block_after

PROBLEM = "application/problem+json"


class TagSettings(PluginSettings):
    tag: str = "x"


def tagging_plugin(name: str, priority: int = Priority.DEFAULT, events: list[str] | None = None):
    """A middleware-only plugin that appends its tag to ``X-Trail`` on the way out, so the
    header records the order the middlewares ran in (innermost first)."""

    class Plugin:
        @hookimpl
        def gateway_plugin_info(self):
            return PluginInfo(name=name, settings=TagSettings)

        @hookimpl
        def gateway_create_app(self, settings):
            app = web.Application()

            async def lifetime(app):
                if events is not None:
                    events.append(f"{name} opened")
                yield
                if events is not None:
                    events.append(f"{name} closed")

            app.cleanup_ctx.append(lifetime)
            return app

        @hookimpl
        def gateway_middlewares(self, settings):
            async def tag(request, handler):
                response = await handler(request)
                if not response.prepared:
                    trail = response.headers.get("X-Trail")
                    response.headers["X-Trail"] = (
                        f"{trail},{settings.tag}" if trail else settings.tag
                    )
                return response

            return [Middleware("tag", tag, priority)]

    return Plugin()


class WhoSettings(PluginSettings):
    pass


class WhoPlugin:
    """A mounted plugin that shows what middlewares told it: identity and client address."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="who", default_prefix="/who", settings=WhoSettings)

    @hookimpl
    def gateway_create_app(self, settings):
        async def who(request: web.Request) -> web.Response:
            identity = request.get(IDENTITY)
            return json_response(
                {
                    "identity": identity.name if identity else None,
                    "client": client_address(request),
                    "remote": request.remote,
                    "url": str(request.url),
                }
            )

        app = web.Application()
        app.router.add_route("*", "/", who)
        return app


class FromHeaderSettings(PluginSettings):
    pass


class FromHeaderIdentity:
    """A third-party identity provider (as an mTLS-terminating proxy's header would be)."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="fromheader", settings=FromHeaderSettings)

    @hookimpl
    def gateway_middlewares(self):
        async def identify(request, handler):
            if is_preflight(request):
                return await handler(request)
            subject = request.headers.get("X-Client-Cert-Subject")
            if subject is None:
                raise ProblemError(401, "send a client certificate")
            request[IDENTITY] = Identity(subject, frozenset({"read"}), "fromheader:cert")
            return await handler(request)

        return [Middleware("cert", identify, Priority.AUTHENTICATION)]


async def make(aiohttp_client, tables: dict[str, Any], *plugins: tuple[str, Any], gateway=None):
    config = {"plugins": tables}
    if gateway:
        config["gateway"] = gateway
    app = await gateway_app(config, plugins=[("who", WhoPlugin()), *plugins])
    return await aiohttp_client(app)


async def test_middlewares_run_by_priority_then_plugin_name(aiohttp_client):
    client = await make(
        aiohttp_client,
        {"who": {}, "b": {"tag": "b"}, "a": {"tag": "a"}, "first": {"tag": "first"}},
        ("a", tagging_plugin("a")),
        ("b", tagging_plugin("b")),
        ("first", tagging_plugin("first", Priority.PREFLIGHT)),
    )
    response = await client.get("/who")
    assert response.status == 200
    # Innermost first: b ran inside a (tie broken by name), both inside "first".
    assert response.headers["X-Trail"] == "b,a,first"


async def test_operator_priority_overrides_the_plugins_own(aiohttp_client):
    client = await make(
        aiohttp_client,
        {"who": {}, "a": {"tag": "a", "priority": 5000}, "first": {"tag": "first"}},
        ("a", tagging_plugin("a")),
        ("first", tagging_plugin("first", Priority.PREFLIGHT)),
    )
    response = await client.get("/who")
    assert response.headers["X-Trail"] == "first,a"


async def test_scope_apply_to_and_skip_by_name_or_prefix(aiohttp_client):
    client = await make(
        aiohttp_client,
        {
            "who": {},
            "health": {},
            "only_who": {"tag": "w", "apply_to": ["/who"]},
            "not_health": {"tag": "n", "skip": ["health", "/_gateway"]},
        },
        ("only_who", tagging_plugin("only_who")),
        ("not_health", tagging_plugin("not_health")),
    )
    assert (await client.get("/who")).headers["X-Trail"] == "w,n"
    assert "X-Trail" not in (await client.get("/health/live")).headers
    assert "X-Trail" not in (await client.get("/_gateway/plugins")).headers
    # A path no plugin is mounted on belongs to no scope.
    assert "X-Trail" not in (await client.get("/nowhere")).headers


async def test_default_scope_covers_every_mount_and_the_gateways_own_paths(aiohttp_client):
    client = await make(
        aiohttp_client,
        {"who": {}, "health": {}, "a": {"tag": "a"}},
        ("a", tagging_plugin("a")),
        gateway={"metrics": True},
    )
    for path in ("/who", "/who/", "/health/live", "/_gateway/plugins", "/metrics"):
        response = await client.get(path)
        assert response.headers.get("X-Trail") == "a", path


async def test_middleware_sees_errors_as_problem_responses_and_may_decorate_them(aiohttp_client):
    client = await make(aiohttp_client, {"who": {}, "a": {"tag": "a"}}, ("a", tagging_plugin("a")))
    for path, status in (("/who/nope", 404), ("/_gateway/nope", 404)):
        response = await client.get(path)
        assert response.status == status
        assert response.content_type == PROBLEM
        assert response.headers["X-Trail"] == "a"
        assert response.headers["X-Request-ID"]
    response = await client.request("OPTIONS", "/who/deep")
    assert response.status == 404 and response.headers["X-Trail"] == "a"


def passing_plugin(name: str, seen: list[tuple[str, str]], priority: int = Priority.DEFAULT):
    """A middleware-only plugin whose middleware says ``sees_answers=False`` and records, for
    the test's eyes only, whether what ran inside it came back as an answer or raised."""

    class Plugin:
        @hookimpl
        def gateway_plugin_info(self):
            return PluginInfo(name=name, settings=TagSettings)

        @hookimpl
        def gateway_middlewares(self):
            async def pass_on(request, handler):
                try:
                    response = await handler(request)
                except Exception as exc:
                    seen.append((name, type(exc).__name__))
                    raise
                seen.append((name, str(response.status)))
                return response

            return [Middleware("pass", pass_on, priority, sees_answers=False)]

    return Plugin()


class StaticSettings(PluginSettings):
    folder: str


class StaticPlugin:
    """A mounted plugin serving a folder's files (add_static), one of which is missing."""

    @hookimpl
    def gateway_plugin_info(self):
        return PluginInfo(name="files", default_prefix="/files", settings=StaticSettings)

    @hookimpl
    def gateway_create_app(self, settings):
        app = web.Application()
        app.router.add_static("/", settings.folder)
        return app


async def test_a_middleware_that_sees_no_answers_lets_errors_pass_answered_alike(
    aiohttp_client, tmp_path
):
    (tmp_path / "here.txt").write_text("here")
    seen: list[tuple[str, str]] = []
    plugins = [
        ("p1", passing_plugin("p1", seen, Priority.AUTHENTICATION)),
        ("p2", passing_plugin("p2", seen)),
        ("files", StaticPlugin()),
    ]
    tables = {"who": {}, "files": {"folder": str(tmp_path)}, "p1": {}, "p2": {}}
    client = await make(aiohttp_client, tables, *plugins)
    # Only middlewares that see no answers: the route's errors pass through them raised, a
    # missing file as the file answer the route made, and the client gets the same
    # problem+json as anywhere.
    for path, passed in (("/who/nope", "HTTPNotFound"), ("/files/missing.txt", "200")):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.content_type == PROBLEM, path
        assert response.headers["X-Request-ID"]
        assert seen == [("p2", passed), ("p1", passed)], (path, seen)
        seen.clear()
    assert await (await client.get("/files/here.txt")).text() == "here"
    assert seen == [("p2", "200"), ("p1", "200")]
    seen.clear()

    # One that sees answers further out gets every outcome as an answer, and so does
    # everything outside it; inside it, errors still pass through as raised.
    client = await make(
        aiohttp_client,
        {**tables, "a": {"tag": "a"}},
        *plugins,
        ("a", tagging_plugin("a", Priority.AUTHORIZATION)),
    )
    for path in ("/who/nope", "/files/missing.txt"):
        response = await client.get(path)
        assert response.status == 404 and response.content_type == PROBLEM, path
        assert response.headers["X-Trail"] == "a", path
        # p2 (inside "a") sees it answered: the route's layer answers where any middleware
        # of the chain sees answers; p1 (outside) sees a's answer.
        assert seen == [("p2", "404"), ("p1", "404")], (path, seen)
        seen.clear()


async def test_middleware_only_plugin_lifetime_runs_with_the_gateway(aiohttp_client):
    events: list[str] = []
    client = await make(
        aiohttp_client, {"who": {}, "a": {"tag": "a"}}, ("a", tagging_plugin("a", events=events))
    )
    assert events == ["a opened"]
    assert (await client.get("/who")).status == 200
    await client.close()
    assert events == ["a opened", "a closed"]


async def test_a_third_party_identity_reaches_handlers(aiohttp_client):
    client = await make(
        aiohttp_client, {"who": {}, "fromheader": {}}, ("fromheader", FromHeaderIdentity())
    )
    refused = await client.get("/who")
    assert refused.status == 401
    assert refused.content_type == PROBLEM
    assert (await refused.json())["detail"] == "send a client certificate"
    answered = await client.get("/who", headers={"X-Client-Cert-Subject": "CN=billing"})
    assert (await answered.json())["identity"] == "CN=billing"
    preflight = await client.options(
        "/who", headers={"Origin": "http://a.example", "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status != 401  # preflights pass identity providers


async def test_listing_shows_each_prefixs_chain_in_order(aiohttp_client):
    client = await make(
        aiohttp_client,
        {"who": {}, "health": {}, "a": {"tag": "a", "skip": ["health"]}, "first": {}},
        ("a", tagging_plugin("a")),
        ("first", tagging_plugin("first", Priority.PREFLIGHT)),
    )
    listing = await (await client.get("/_gateway/plugins")).json()
    assert listing["middlewares"]["/who"] == [
        {"name": "first:tag", "priority": 2000},
        {"name": "a:tag", "priority": 800},
    ]
    assert listing["middlewares"]["/health"] == [{"name": "first:tag", "priority": 2000}]
    rows = {row["name"]: row for row in listing["plugins"]}
    assert rows["a"]["status"] == "active" and rows["a"]["prefix"] is None
    assert rows["a"]["middlewares"] == [
        {"name": "a:tag", "priority": 800, "applies_to": ["/_gateway", "/who"]}
    ]


@pytest.mark.parametrize(
    ("table", "where", "message"),
    [
        ({"apply_to": ["notez"]}, "plugins.a.apply_to[0]", "'notez' matches no mounted plugin"),
        ({"skip": ["/nowhere"]}, "plugins.a.skip[0]", "'/nowhere' matches no mounted plugin"),
        ({"apply_to": ["/metrics"]}, "plugins.a.apply_to[0]", "metrics = true"),
        ({"priority": "high"}, "plugins.a.priority", "valid integer"),
    ],
)
async def test_bad_scope_or_priority_is_a_config_error_naming_the_key(table, where, message):
    with pytest.raises(ConfigError) as caught:
        await gateway_app(
            {"plugins": {"who": {}, "a": table}},
            plugins=[("who", WhoPlugin()), ("a", tagging_plugin("a"))],
        )
    text = str(caught.value)
    assert where in text and message in text, text


async def test_placement_keys_on_a_plugin_without_middlewares_are_an_error():
    with pytest.raises(ConfigError) as caught:
        await gateway_app(
            {"plugins": {"who": {"apply_to": ["who"]}}}, plugins=[("who", WhoPlugin())]
        )
    assert "plugins.who.apply_to: this plugin contributes no middleware" in str(caught.value)


STAMP = block_after("readme-middleware-plugin")


def test_cli_lists_the_order_and_check_rejects_a_scope_that_matches_nothing(
    write_config, plugin_folder
):
    plugin_folder(stamp=STAMP)
    path = write_config(
        '[gateway]\nplugin_dirs = ["my_plugins"]\n[plugins.health]\n[plugins.notes]\n'
        + block_after("readme-middleware-config")
    )
    listed = run_cli("plugins", "--config", str(path))
    assert listed.returncode == 0, listed.stderr
    assert "/notes: stamp:stamp (700)" in listed.stdout
    assert "/health: none" in listed.stdout
    assert "/_gateway: none" in listed.stdout
    as_json = json.loads(run_cli("plugins", "--json", "--config", str(path)).stdout)
    assert as_json["middlewares"]["/notes"] == [{"name": "stamp:stamp", "priority": 700}]
    checked = run_cli("check", "--config", str(path))
    assert checked.returncode == 0, checked.stderr
    assert "stamp (middleware)" in checked.stdout

    path.write_text(path.read_text().replace('"notes", "/health"', '"notes", "helth"'))
    checked = run_cli("check", "--config", str(path))
    assert checked.returncode == 2
    assert "plugins.stamp.apply_to[1]: 'helth' matches no mounted plugin" in checked.stderr
    assert "did you mean 'health'?" in checked.stderr


# Trusted proxies: the client's address, scheme and host as the proxy saw them.


async def test_forwarded_headers_from_a_trusted_proxy_are_honoured(aiohttp_client):
    client = await make(aiohttp_client, {"who": {}}, gateway={"trusted_proxies": ["127.0.0.1"]})
    response = await client.get(
        "/who",
        headers={
            "X-Forwarded-For": "198.51.100.7, 127.0.0.1",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "api.example.com",
        },
    )
    body = await response.json()
    assert body["client"] == "198.51.100.7" and body["remote"] == "198.51.100.7"
    assert body["url"] == "https://api.example.com/who"
    rfc_headers = {"Forwarded": 'for="[2001:db8::1]:4711";proto=https;host=b.example:8443'}
    # Not the family this gateway was told its proxy writes: ignored.
    ignored = await (await client.get("/who", headers=rfc_headers)).json()
    assert ignored["client"] == "127.0.0.1" and "b.example" not in ignored["url"]
    rfc_client = await make(
        aiohttp_client,
        {"who": {}},
        gateway={"trusted_proxies": ["127.0.0.1"], "forwarded_header": "forwarded"},
    )
    body = await (await rfc_client.get("/who", headers=rfc_headers)).json()
    assert body["client"] == "2001:db8::1"
    assert body["url"] == "https://b.example:8443/who"


async def test_forwarded_headers_from_anyone_else_change_nothing(aiohttp_client):
    client = await make(aiohttp_client, {"who": {}}, gateway={"trusted_proxies": ["10.0.0.0/8"]})
    response = await client.get(
        "/who",
        headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Host": "evil.example"},
    )
    body = await response.json()
    assert body["client"] == "127.0.0.1" and body["remote"] == "127.0.0.1"
    assert "evil.example" not in body["url"]


async def test_client_address_is_the_first_untrusted_hop_and_junk_is_ignored(aiohttp_client):
    client = await make(
        aiohttp_client, {"who": {}}, gateway={"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]}
    )
    # The client wrote the leftmost hop itself: only what trusted proxies appended counts.
    spoofed = await client.get(
        "/who", headers={"X-Forwarded-For": "1.1.1.1, 203.0.113.9, 10.1.2.3"}
    )
    assert (await spoofed.json())["client"] == "203.0.113.9"
    junk = await client.get(
        "/who",
        headers={"X-Forwarded-Host": "a.example, bad host/\\r\\n", "X-Forwarded-Proto": "gopher"},
    )
    assert (await junk.json())["url"].startswith("http://127.0.0.1:")


async def test_bad_trusted_proxy_is_a_config_error():
    with pytest.raises(ConfigError) as caught:
        await gateway_app({"gateway": {"trusted_proxies": ["10.0.0.300"]}, "plugins": {}})
    assert "gateway.trusted_proxies.0" in str(caught.value)


async def test_readme_middleware_plugin_stamps_only_its_scope(tmp_path, aiohttp_client):
    (tmp_path / "my_plugins").mkdir()
    (tmp_path / "my_plugins" / "stamp.py").write_text(STAMP)
    (tmp_path / "plugins.toml").write_text(
        '[gateway]\nplugin_dirs = ["my_plugins"]\n[plugins.health]\n'
        '[plugins.notes]\ndatabase_url = "sqlite+aiosqlite:///notes.db"\n'
        + block_after("readme-middleware-config")
    )
    client = await aiohttp_client(await create_app(load_config(tmp_path / "plugins.toml")))
    listed = await client.get("/notes")
    assert listed.status == 200
    assert listed.headers["X-Served-By"] == "edge-1"
    assert "X-Served-By" not in (await client.get("/health/live")).headers
