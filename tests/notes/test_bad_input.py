"""Bad requests get the right 4xx problem, never a 500, and never affect the next request."""

import asyncio
import io
import json
from typing import Any

import pytest

from tests.notes.helpers import TUTORIAL_NOTE, create, send_like_requests

PROBLEM = "application/problem+json"


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"{'title': 'x'}", b'{"title": "x",}', b"\xff\xfe", b"NaN", b'{"t": "\\ud800"}'],
)
async def test_invalid_json_is_400(client, body):
    response = await client.post("/notes", data=body, skip_auto_headers={"Content-Type"})
    await problem(response, 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/html", "application/xml"],
)
async def test_explicit_non_json_content_type_is_415(client, content_type):
    body = json.dumps(TUTORIAL_NOTE)
    response = await client.post("/notes", data=body, headers={"Content-Type": content_type})
    await problem(response, 415)
    assert response.headers["Accept-Post"] == "application/json"
    note = await create(client)
    put = await client.put(
        f"/notes/{note['id']}", data=body, headers={"Content-Type": content_type}
    )
    await problem(put, 415)


async def test_json_media_types_are_accepted(client):
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.notes+json",
    ):
        response = await client.post(
            "/notes", data=json.dumps({"title": "t"}), headers={"Content-Type": content_type}
        )
        assert response.status == 201, content_type


async def test_non_utf8_charset_is_415(client):
    response = await client.post(
        "/notes",
        data=json.dumps({"title": "t"}),
        headers={"Content-Type": "application/json; charset=latin-1"},
    )
    await problem(response, 415)


async def test_json_patch_is_415_with_accept_patch(client):
    note = await create(client)
    response = await client.patch(
        f"/notes/{note['id']}",
        data=json.dumps([{"op": "replace", "path": "/title", "value": "x"}]),
        headers={"Content-Type": "application/json-patch+json"},
    )
    body = await problem(response, 415)
    assert "merge patch" in body["detail"]
    assert "application/merge-patch+json" in response.headers["Accept-Patch"]


async def test_validation_errors_list_every_field_with_a_pointer(client):
    sent = {
        "title": "",
        "priority": "4",
        "created_at": "yesterday",
        "created_by": 7,
        "colour": "red",
    }
    body = await problem(await client.post("/notes", json=sent), 422)
    pointers = {error["pointer"]: error for error in body["errors"]}
    assert set(pointers) == {"#/title", "#/priority", "#/created_at", "#/created_by", "#/colour"}
    assert pointers["#/colour"]["code"] == "unknown_field"
    assert "integer" in pointers["#/priority"]["detail"]
    assert "ISO 8601" in pointers["#/created_at"]["detail"]
    assert pointers["#/title"]["detail"] == "must have at least 1 character"
    assert pointers["#/created_by"]["detail"] == "must be a string"
    long = await problem(await client.post("/notes", json={"title": "x" * 201}), 422)
    assert long["errors"][0]["detail"] == "must have at most 200 characters"


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"priority": [1, 2]}, "#/priority"),
        ({"priority": 4.5}, "#/priority"),
        ({"priority": 4.5e100}, "#/priority"),
        ({"priority": True}, "#/priority"),
        ({"priority": 2**31}, "#/priority"),
        ({"priority": -(2**31) - 1}, "#/priority"),
        ({"priority": 10**30}, "#/priority"),
        ({"priority": None}, "#/priority"),
        ({"title": "x" * 201}, "#/title"),
        ({"title": "   "}, "#/title"),
        ({"title": None}, "#/title"),
        ({"title": "nul\u0000"}, "#/title"),
        ({"description": "nul\u0000"}, "#/description"),
        ({"description": {"a": 1}}, "#/description"),
        ({"created_by": "x" * 201}, "#/created_by"),
        ({"created_at": None}, "#/created_at"),
        ({"created_at": 1503446400}, "#/created_at"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "#/created_at"),
        ({"created_at": "2017-02-30"}, "#/created_at"),
        ({"id": 5}, "#/id"),
        ({"a/b~c": 1}, "#/a~1b~0c"),
    ],
)
async def test_invalid_fields_are_422(client, fields, pointer):
    body = await problem(await client.post("/notes", json={**TUTORIAL_NOTE, **fields}), 422)
    assert [error["pointer"] for error in body["errors"]] == [pointer]


async def test_missing_title_is_422(client):
    body = await problem(await client.post("/notes", json={"priority": 1}), 422)
    assert body["errors"] == [{"pointer": "#/title", "detail": "is required", "code": "missing"}]


@pytest.mark.parametrize("sent", [b"[]", b'"a note"', b"5", b"null", b"true"])
async def test_body_must_be_an_object(client, sent):
    response = await client.post("/notes", data=sent, headers={"Content-Type": "application/json"})
    body = await problem(response, 422)
    assert body["errors"][0]["pointer"] == "#"


async def test_bounds_are_accepted(client):
    low = await create(client, priority=-(2**31), title="x" * 200, created_by="c" * 200)
    high = await create(client, priority=2**31 - 1)
    assert (low["priority"], high["priority"]) == (-(2**31), 2**31 - 1)


async def test_an_integral_number_is_an_integer(client):
    # JSON Schema, and so /openapi.json, says 4.0 is the integer 4.
    assert (await create(client, priority=4.0))["priority"] == 4


async def test_years_before_1000_are_iso_8601_and_sort_in_time_order(client):
    early = await create(client, created_at="0156-05-04T23:29:06Z")
    late = await create(client, created_at="2017-08-23T00:00:00Z")
    assert early["created_at"] == "0156-05-04T23:29:06.000000Z"
    page = await (await client.get("/notes?sort=-created_at&limit=2")).json()
    assert [note["id"] for note in page["notes"]] == [late["id"], early["id"]]
    following = await (await client.get(page["next"])).json() if page["next"] else None
    assert following is None or early["id"] not in [n["id"] for n in following["notes"]]


async def test_read_only_updated_at_is_ignored(client):
    note = await create(client, updated_at="1999-01-01T00:00:00Z")
    assert note["updated_at"] != "1999-01-01T00:00:00.000000Z"


async def test_body_over_the_default_limit_is_413(client):
    big = json.dumps({"title": "big", "description": "x" * (1024 * 1024)}).encode()
    response = await client.post(
        "/notes", data=io.BytesIO(big), headers={"Content-Type": "application/json"}
    )
    await problem(response, 413)


async def test_body_limit_is_configurable_and_holds_for_chunked_bodies(
    aiohttp_client, make_app, database_url
):
    client = await aiohttp_client(await make_app(database_url, max_body_size=2048))

    async def chunks():
        yield b'{"title": "chunked", "description": "'
        for _ in range(10):
            yield b"x" * 512
        yield b'"}'

    chunked = await client.post(
        "/notes", data=chunks(), headers={"Content-Type": "application/json"}
    )
    body = await problem(chunked, 413)
    assert body["max_body_size"] == 2048
    small = await client.post("/notes", json={"title": "t", "description": "x" * 1000})
    assert small.status == 201
    note = await small.json()
    patch = await client.patch(f"/notes/{note['id']}", json={"description": "x" * 4096})
    await problem(patch, 413)


async def test_a_limit_above_the_gateways_own_1_mib_is_honoured(aiohttp_client, make_app, tmp_path):
    client = await aiohttp_client(
        await make_app("sqlite+aiosqlite:///notes.db", max_body_size=2 * 1024 * 1024)
    )
    body = json.dumps({"title": "big", "description": "x" * 100_000, "created_by": "y" * 200})
    padded = body[:-1] + " " * (1536 * 1024) + "}"  # whitespace: still the same JSON
    response = await client.post(
        "/notes", data=io.BytesIO(padded.encode()), headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()


async def test_poison_value_does_not_break_later_requests(client):
    """The tutorial's server answered 500 to everything after this until it was restarted."""
    poisoned = await send_like_requests(
        client, "POST", "/notes", {**TUTORIAL_NOTE, "priority": [1, 2]}
    )
    await problem(poisoned, 422)
    for _ in range(3):
        created = await send_like_requests(client, "POST", "/notes", TUTORIAL_NOTE)
        assert created.status == 201
        note = await created.json()
        assert (await client.get(f"/notes/{note['id']}")).status == 200
        assert (await client.put(f"/notes/{note['id']}", json={"title": "ok"})).status == 200
        assert (await client.get("/notes")).status == 200


async def test_failures_interleaved_with_successes_concurrently(client):
    async def good(i: int) -> int:
        return (await client.post("/notes", json={"title": f"good {i}"})).status

    async def bad(i: int) -> int:
        return (await client.post("/notes", json={"title": f"bad {i}", "priority": "high"})).status

    statuses = await asyncio.gather(*(f(i) for i in range(20) for f in (good, bad)))
    assert statuses.count(201) == 20
    assert statuses.count(422) == 20
    listed = await (await client.get("/notes?limit=100")).json()
    assert len(listed["notes"]) == 20


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=abc", "limit"),
        ("limit=%C2%B2", "limit"),
        ("limit=-1", "limit"),
        ("sort=title", "sort"),
        ("priority=high", "priority"),
        ("priority=99999999999", "priority"),
        ("cursor=garbage", "cursor"),
        ("created-by=alice", "created-by"),
        ("limit=1&limit=2", "limit"),
    ],
)
async def test_bad_query_parameters_are_422(client, query, parameter):
    body = await problem(await client.get(f"/notes?{query}"), 422)
    assert [error["parameter"] for error in body["errors"]] == [parameter]


async def test_a_cursor_only_fits_its_own_sort(client):
    for i in range(3):
        await create(client, title=f"n{i}")
    page = await (await client.get("/notes?limit=1&sort=priority")).json()
    cursor = page["next"].split("cursor=")[1]
    body = await problem(await client.get(f"/notes?sort=id&cursor={cursor}"), 422)
    assert body["errors"][0]["parameter"] == "cursor"
