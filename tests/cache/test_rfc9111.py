"""The cache plugin against a real origin, through a proxy instance and a plugin route: each
RFC 9111 directive, Vary, Age, validators, Authorization, stale answers, sizes."""

from __future__ import annotations

import asyncio

from tests.cache.conftest import MakeFront


async def get(front, url: str, **headers: str):
    async with front.client.get(url, headers=headers) as response:
        return response.status, response.headers, await response.read()


async def test_max_age_hit_then_expiry(make_front: MakeFront):
    front = await make_front()
    url = front.url("a", "cc=max-age%3D2")
    status, headers, body = await get(front, url)
    assert status == 200 and body.startswith(b"a call 1")
    assert headers["Cache-Status"] == "gateway; fwd=uri-miss; fwd-status=200; ttl=2; stored"
    status, headers, body = await get(front, url)
    assert body.startswith(b"a call 1") and front.calls("a") == 1
    assert headers["Cache-Status"].startswith("gateway; hit; ttl=")
    # §4.2.3: the origin's max-age as sent, the age beside it.
    assert headers["Cache-Control"] == "max-age=2"
    assert headers["Age"] in ("0", "1")
    await asyncio.sleep(2.1)
    status, headers, body = await get(front, url)
    assert body.startswith(b"a call 2") and front.calls("a") == 2
    # Stale with no validator and no stale window: dropped, so a miss.
    assert headers["Cache-Status"] == "gateway; fwd=uri-miss; fwd-status=200; ttl=2; stored"


async def test_age_from_upstream_counted_once(make_front: MakeFront):
    front = await make_front()
    url = front.url("aged", "cc=max-age%3D100&age=30")
    await get(front, url)
    _, headers, _ = await get(front, url)
    assert headers["Cache-Control"] == "max-age=100"
    assert int(headers["Age"]) in (30, 31)
    assert headers["Cache-Status"].startswith("gateway; hit; ttl=")
    ttl = int(headers["Cache-Status"].rsplit("ttl=", 1)[1])
    assert ttl in (69, 70)
    # An answer older than its lifetime on arrival is stale at once: not served from the store.
    url = front.url("old", "cc=max-age%3D10&age=20")
    await get(front, url)
    await get(front, url)
    assert front.calls("old") == 2


async def test_s_maxage_wins_over_max_age(make_front: MakeFront):
    front = await make_front()
    url = front.url("s", "cc=max-age%3D0,%20s-maxage%3D60")
    await get(front, url)
    _, headers, _ = await get(front, url)
    assert front.calls("s") == 1
    assert headers["Cache-Status"].startswith("gateway; hit")


async def test_expires(make_front: MakeFront):
    front = await make_front()
    url = front.url("exp", "expires=60")
    await get(front, url)
    _, headers, _ = await get(front, url)
    assert front.calls("exp") == 1 and "hit" in headers["Cache-Status"]


async def test_not_stored(make_front: MakeFront):
    front = await make_front()
    cases = {
        "nostore": ("cc=no-store", "no-store"),
        "private": ("cc=private,%20max-age%3D60", "private"),
        "nothing": ("", "no-freshness"),
        "cookie": ("cc=max-age%3D60&cookie=abc", "set-cookie"),
        "varystar": ("cc=max-age%3D60&vary=*", "vary-star"),
    }
    for name, (query, why) in cases.items():
        for _ in range(2):
            _, headers, _ = await get(front, front.url(name, query))
            assert headers["Cache-Status"] == f"gateway; fwd=uri-miss; fwd-status=200; detail={why}"
        assert front.calls(name) == 2, name


async def test_no_cache_response_revalidates_every_time(make_front: MakeFront):
    front = await make_front()
    url = front.url("nc", "cc=no-cache&etag=v1")
    await get(front, url)
    status, headers, body = await get(front, url)
    assert status == 200 and body.startswith(b"nc call 1")
    assert front.calls("nc") == 2
    assert front.seen("nc")[1]["If-None-Match"] == '"v1"'
    assert headers["Cache-Status"] == "gateway; fwd=stale; fwd-status=304; ttl=0; stored"


async def test_revalidation_with_304_and_304_to_clients(make_front: MakeFront):
    front = await make_front()
    url = front.url("val", "cc=max-age%3D1&etag=v7")
    await get(front, url)
    # A client's own conditional request is answered 304 from the store.
    status, headers, body = await get(front, url, **{"If-None-Match": '"v7"'})
    assert status == 304 and body == b"" and headers["ETag"] == '"v7"'
    assert headers["Cache-Status"].startswith("gateway; hit")
    assert front.calls("val") == 1
    await asyncio.sleep(1.1)
    status, headers, body = await get(front, url)
    assert status == 200 and body.startswith(b"val call 1")  # the stored body, freshened
    assert front.calls("val") == 2
    assert front.seen("val")[1]["If-None-Match"] == '"v7"'
    assert headers["Cache-Status"] == "gateway; fwd=stale; fwd-status=304; ttl=1; stored"
    _, headers, _ = await get(front, url)
    assert front.calls("val") == 2 and headers["Cache-Status"].startswith("gateway; hit")


async def test_last_modified_validator(make_front: MakeFront):
    front = await make_front()
    url = front.url("lm", "cc=max-age%3D60&lm=1000")
    _, first, _ = await get(front, url)
    status, _, _ = await get(front, url, **{"If-Modified-Since": first["Last-Modified"]})
    assert status == 304 and front.calls("lm") == 1


async def test_vary(make_front: MakeFront):
    front = await make_front()
    url = front.url("v", "cc=max-age%3D60&vary=Accept-Language")
    _, headers, body = await get(front, url, **{"Accept-Language": "fr"})
    assert b"lang fr" in body
    _, headers, body = await get(front, url, **{"Accept-Language": "de"})
    assert b"lang de" in body and headers["Cache-Status"].startswith("gateway; fwd=vary-miss")
    _, headers, body = await get(front, url, **{"Accept-Language": "fr"})
    assert b"lang fr" in body and headers["Cache-Status"].startswith("gateway; hit")
    _, headers, body = await get(front, url)
    assert b"lang -" in body
    assert front.calls("v") == 3


async def test_request_directives(make_front: MakeFront):
    front = await make_front()
    url = front.url("req", "cc=max-age%3D60")
    await get(front, url)
    # no-cache: forwarded, and the fresh answer stored.
    _, headers, body = await get(front, url, **{"Cache-Control": "no-cache"})
    assert body.startswith(b"req call 2")
    assert headers["Cache-Status"].startswith("gateway; fwd=request")
    # Pragma: no-cache without Cache-Control means the same.
    _, _, body = await get(front, url, Pragma="no-cache")
    assert body.startswith(b"req call 3")
    # max-age=0 refuses any age; min-fresh more than is left refuses it too.
    await asyncio.sleep(1.05)
    _, _, body = await get(front, url, **{"Cache-Control": "max-age=0"})
    assert body.startswith(b"req call 4")
    _, _, body = await get(front, url, **{"Cache-Control": "min-fresh=600"})
    assert body.startswith(b"req call 5")
    # no-store: what is forwarded for it is not stored (a stored answer may still serve it).
    _, headers, body = await get(front, url, **{"Cache-Control": "no-store"})
    assert body.startswith(b"req call 5") and "hit" in headers["Cache-Status"]
    other = front.url("req2", "cc=max-age%3D60")
    _, headers, _ = await get(front, other, **{"Cache-Control": "no-store"})
    assert "detail=request-no-store" in headers["Cache-Status"]
    await get(front, other)
    assert front.calls("req2") == 2


async def test_only_if_cached_and_max_stale(make_front: MakeFront):
    front = await make_front()
    status, headers, _ = await get(
        front, front.url("oic", "cc=max-age%3D1&etag=o"), **{"Cache-Control": "only-if-cached"}
    )
    assert status == 504 and front.calls("oic") == 0
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Cache-Status"] == "gateway; fwd=uri-miss"
    await get(front, front.url("oic", "cc=max-age%3D1&etag=o"))
    await asyncio.sleep(1.1)
    status, headers, _body = await get(
        front, front.url("oic", "cc=max-age%3D1&etag=o"), **{"Cache-Control": "max-stale=60"}
    )
    assert status == 200 and front.calls("oic") == 1
    assert headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert int(headers["Cache-Status"].rsplit("=", 1)[1]) <= 0


async def test_must_revalidate_forbids_max_stale(make_front: MakeFront):
    front = await make_front()
    url = front.url("mr", "cc=max-age%3D1,%20must-revalidate")
    await get(front, url)
    await asyncio.sleep(1.1)
    await get(front, url, **{"Cache-Control": "max-stale=60"})
    assert front.calls("mr") == 2


async def test_authorization(make_front: MakeFront):
    front = await make_front()
    secret = {"Authorization": "Bearer alice"}
    for _ in range(2):
        _, headers, _ = await get(front, front.url("auth", "cc=max-age%3D60"), **secret)
    assert front.calls("auth") == 2 and "detail=authorization" in headers["Cache-Status"]
    for _ in range(2):
        _, headers, _ = await get(front, front.url("pub", "cc=public,%20max-age%3D60"), **secret)
    assert front.calls("pub") == 1 and headers["Cache-Status"].startswith("gateway; hit")
    for _ in range(2):
        await get(front, front.url("smax", "cc=s-maxage%3D60"), **secret)
    assert front.calls("smax") == 1


async def test_heuristic_off_unless_configured(make_front: MakeFront):
    front = await make_front()
    for _ in range(2):
        _, _headers, _ = await get(front, front.url("h", "lm=100000"))
    # Stored for revalidation (it has a validator), never served without asking.
    assert front.calls("h") == 2
    assert front.seen("h")[1]["If-Modified-Since"]


async def test_heuristic_when_configured(make_front: MakeFront):
    front = await make_front(heuristic=0.1)
    for _ in range(2):
        _, headers, _ = await get(front, front.url("h", "lm=100000"))
    assert front.calls("h") == 1 and headers["Cache-Status"].startswith("gateway; hit; ttl=")
    assert 9990 <= int(headers["Cache-Status"].rsplit("=", 1)[1]) <= 10000


async def test_ttl_override_per_scope(make_front: MakeFront):
    front = await make_front(overrides={front_prefix: {"ttl": 60} for front_prefix in ["svc"]})
    for _ in range(2):
        _, headers, _ = await get(front, front.url("ttl", "cc=max-age%3D0&etag=x"))
    if front.prefix == "/svc":
        assert front.calls("ttl") == 1 and headers["Cache-Status"].startswith("gateway; hit")
    else:
        assert front.calls("ttl") == 2
    # An origin that says nothing of freshness: the operator's ttl is its lifetime.
    for _ in range(2):
        _, headers, _ = await get(front, front.url("ttl-silent"))
    assert front.calls("ttl-silent") == (1 if front.prefix == "/svc" else 2)


async def test_stale_while_revalidate(make_front: MakeFront):
    front = await make_front()
    url = front.url("swr", "cc=max-age%3D1,%20stale-while-revalidate%3D30&delay=0.5")
    await get(front, url)
    await asyncio.sleep(1.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    answers = await asyncio.gather(*(get(front, url) for _ in range(20)))
    assert loop.time() - started < 0.45  # answered at once, not after the origin's 0.5 s
    for status, headers, body in answers:
        assert status == 200 and body.startswith(b"swr call 1")
        assert headers["Cache-Status"].endswith("detail=stale-while-revalidate")
    await asyncio.sleep(0.8)
    assert front.calls("swr") == 2  # one refresh for twenty stale answers
    _, headers, body = await get(front, url)
    assert body.startswith(b"swr call 2") and headers["Cache-Status"].startswith("gateway; hit")


async def test_stale_if_error(make_front: MakeFront):
    front = await make_front()
    url = front.url("sie", "cc=max-age%3D1,%20stale-if-error%3D60")
    await get(front, url)
    await asyncio.sleep(1.1)
    front.fail()
    status, headers, body = await get(front, url)
    assert status == 200 and body.startswith(b"sie call 1")
    member = headers["Cache-Status"]
    assert member.startswith("gateway; fwd=stale; fwd-status=503; ttl=")
    assert member.endswith("; detail=stale-if-error")
    # Without the directive the failure is relayed.
    plain = front.url("nosie", "cc=max-age%3D1")
    front.fail(False)
    await get(front, plain)
    await asyncio.sleep(1.1)
    front.fail()
    status, _, _ = await get(front, plain)
    assert status == 503


async def test_stale_if_error_from_settings(make_front: MakeFront):
    front = await make_front(stale_if_error=60)
    url = front.url("siec", "cc=max-age%3D1")
    await get(front, url)
    await asyncio.sleep(1.1)
    front.fail()
    status, _, body = await get(front, url)
    assert status == 200 and body.startswith(b"siec call 1")


async def test_unsafe_request_invalidates(make_front: MakeFront):
    front = await make_front()
    url = front.url("inv", "cc=max-age%3D60")
    await get(front, url)
    async with front.client.post(url) as response:
        assert response.status == 200
    await get(front, url)
    assert front.calls("inv") == 2


async def test_head_from_stored_get(make_front: MakeFront):
    front = await make_front()
    url = front.url("head", "cc=max-age%3D60")
    _, _, body = await get(front, url)
    async with front.client.head(url) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(body))
        assert response.headers["Cache-Status"].startswith("gateway; hit")
    assert front.calls("head") == 1


async def test_large_and_streamed_pass_through(make_front: MakeFront):
    front = await make_front(max_size=1000)
    for name, query in (("big", "cc=max-age%3D60&size=5000"), ("st", "cc=max-age%3D60&stream=1")):
        for _ in range(2):
            status, _, body = await get(front, front.url(name, query))
            assert status == 200
        assert front.calls(name) == 2, name
    assert len(body) > 10
    # A large answer through the proxy is streamed (over its buffer_answers): untouched.
    front = await make_front(max_size=10_000_000)
    for _ in range(2):
        _, _headers, body = await get(front, front.url("huge", "cc=max-age%3D60&size=200000"))
    assert len(body) > 200000
    assert front.calls("huge") == (2 if front.prefix == "/svc" else 1)


async def test_memory_bounded_in_bytes(make_front: MakeFront):
    front = await make_front(max_memory=5000)
    for name in ("m1", "m2", "m3"):
        await get(front, front.url(name, "cc=max-age%3D60&size=2000"))
    # m1 was the least recently used: dropped; m2 and m3 answer from the store.
    for name in ("m3", "m2", "m1"):
        await get(front, front.url(name, "cc=max-age%3D60&size=2000"))
    assert [front.calls(n) for n in ("m1", "m2", "m3")] == [2, 1, 1]


async def test_unsafe_request_invalidates_every_variant(make_front: MakeFront):
    front = await make_front()
    url = front.url("vinv", "cc=max-age%3D60&vary=Accept-Language")
    for language in ("fr", "de"):
        await get(front, url, **{"Accept-Language": language})
    async with front.client.post(url) as response:
        assert response.status == 200
    _, _, body = await get(front, url, **{"Accept-Language": "fr"})
    assert body.startswith(b"vinv call 3")
    # The German answer stored before the POST is not brought back by the new French one.
    _, headers, body = await get(front, url, **{"Accept-Language": "de"})
    assert body.startswith(b"vinv call 4")
    assert headers["Cache-Status"].startswith("gateway; fwd=vary-miss")
    _, headers, _ = await get(front, url, **{"Accept-Language": "fr"})
    assert headers["Cache-Status"].startswith("gateway; hit")
