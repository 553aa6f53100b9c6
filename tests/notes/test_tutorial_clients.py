"""The tutorial's own client sequence, sent exactly as python-requests sends it."""

from typing import Any

from aiohttp import web

from tests.notes.helpers import TUTORIAL_NOTE, send_like_requests


async def test_the_helper_sends_no_content_type(aiohttp_raw_server: Any, aiohttp_client: Any):
    seen: dict[str, Any] = {}

    async def record(request: web.BaseRequest) -> web.Response:
        seen.update(headers=dict(request.headers), body=await request.read())
        return web.Response()

    client = await aiohttp_client(await aiohttp_raw_server(record))
    await send_like_requests(client, "POST", "/notes", TUTORIAL_NOTE)
    assert "Content-Type" not in seen["headers"]
    assert seen["body"].startswith(b'{"title": "Buy milk"')


async def test_tutorial_sequence(client):
    created = await send_like_requests(client, "POST", "/notes", TUTORIAL_NOTE)
    assert created.status == 201
    note = await created.json()
    assert note["id"] == 1
    assert note["title"] == "Buy milk"
    assert note["created_at"] == "2017-08-23T00:00:00.000000Z"

    fetched = await client.get("/notes/1")
    assert await fetched.json() == note

    changed = {**TUTORIAL_NOTE, "title": "Buy oat milk", "priority": 2}
    replaced = await send_like_requests(client, "PUT", "/notes/1", changed)
    assert replaced.status == 200
    assert (await replaced.json())["title"] == "Buy oat milk"

    listed = await client.get("/notes")
    assert listed.status == 200
    body = await listed.json()
    assert [n["title"] for n in body["notes"]] == ["Buy oat milk"]

    deleted = await client.delete("/notes/1")
    assert deleted.status == 204
    assert (await (await client.get("/notes")).json())["notes"] == []


async def test_octet_stream_counts_as_unlabelled(client):
    response = await client.post("/notes", data=b'{"title": "x"}')  # aiohttp's default type
    assert response.status == 201
