"""RFC 9111's arithmetic as gateway exports it to plugins: parsing, freshness, age."""

from __future__ import annotations

from email.utils import formatdate

from gateway import (
    RequestDirectives,
    StoredResponse,
    VaryMarker,
    age_field,
    decode_entry,
    encode_entry,
    freshness,
    initial_age,
    parse_cache_control,
    storable_response,
)


def test_parse_cache_control():
    assert parse_cache_control('Max-Age=60, private="Set-Cookie, X", no-cache') == {
        "max-age": "60",
        "private": "Set-Cookie, X",
        "no-cache": None,
    }
    assert parse_cache_control(["max-age=1", "max-age=2"]) == {"max-age": "1"}
    assert parse_cache_control(None) == {}


def test_freshness_order_and_invalid_values():
    date = formatdate(1_000_000, usegmt=True)
    assert freshness(200, {"Cache-Control": "max-age=10, s-maxage=20"}).lifetime == 20
    assert freshness(200, {"Cache-Control": "max-age=soon"}).lifetime == 0
    expires = {"Date": date, "Expires": formatdate(1_000_030, usegmt=True)}
    assert freshness(200, expires).lifetime == 30
    assert freshness(200, {"Date": date, "Expires": "0"}).lifetime == 0
    modified = {"Date": date, "Last-Modified": formatdate(1_000_000 - 1000, usegmt=True)}
    assert freshness(200, modified).lifetime == 0
    assert freshness(200, modified, heuristic_fraction=0.1).lifetime == 100
    assert freshness(200, {"Cache-Control": "max-age=5"}, ttl=60).lifetime == 60
    assert freshness(200, {"Cache-Control": "s-maxage=5"}).must_revalidate


def test_age_is_counted_once():
    date = formatdate(1_000_000, usegmt=True)
    # Asked at 0, received 2.4 s later, said 30 s old: corrected_age_value 32.4 wins.
    assert round(initial_age({"Date": date, "Age": "30"}, 1_000_000.0, 1_000_002.4), 6) == 32.4
    assert initial_age({"Date": date}, 1_000_009.0, 1_000_010.5) == 10.0
    assert age_field(36.9) == "36"


def test_request_directives():
    assert RequestDirectives.of({"Pragma": "no-cache"}).no_cache
    directives = RequestDirectives.of({"Cache-Control": "max-stale, min-fresh=5"})
    assert directives.max_stale == float("inf") and directives.min_fresh == 5


def test_storable():
    assert (
        storable_response(200, {"Cache-Control": "max-age=1"}, authorized=False, heuristic=False)
        is None
    )
    assert (
        storable_response(200, {"Cache-Control": "max-age=1"}, authorized=True, heuristic=False)
        == "authorization"
    )
    assert (
        storable_response(206, {"Cache-Control": "max-age=1"}, authorized=False, heuristic=False)
        == "status"
    )


def test_entries_survive_their_bytes():
    entry = StoredResponse(
        200, (("Content-Type", "text/plain"), ("ETag", '"x"')), b"\x00body", 3.5, 1e9
    )
    assert decode_entry(encode_entry(entry)) == entry
    marker = VaryMarker(("accept-language", "origin"), 1e9)
    assert decode_entry(encode_entry(marker)) == marker
    assert decode_entry(b"something else") is None
