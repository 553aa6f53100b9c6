"""POST /notes with an Idempotency-Key: made once, replayed after, on SQLite and PostgreSQL."""

import asyncio

from tests.notes.helpers import create


async def test_the_same_key_replays_the_first_answer(client):
    key = {"Idempotency-Key": '"order-42"'}
    first = await client.post("/notes", json={"title": "once", "priority": 2}, headers=key)
    assert first.status == 201
    assert "Idempotent-Replayed" not in first.headers
    again = await client.post("/notes", json={"priority": 2, "title": "once"}, headers=key)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    listing = await (await client.get("/notes")).json()
    assert [note["title"] for note in listing["notes"]] == ["once"]
    # Without a key, or with another one, a POST creates a note as always.
    await create(client, title="once")
    other = await client.post("/notes", json={"title": "once"}, headers={"Idempotency-Key": "b"})
    assert other.status == 201 and "Idempotent-Replayed" not in other.headers
    assert len((await (await client.get("/notes")).json())["notes"]) == 3


async def test_concurrent_posts_with_one_key_create_one_note(client):
    key = {"Idempotency-Key": "concurrent-1"}
    responses = await asyncio.gather(
        *(client.post("/notes", json={"title": "race"}, headers=key) for _ in range(6))
    )
    assert [r.status for r in responses] == [201] * 6
    ids = {(await r.json())["id"] for r in responses}
    assert len(ids) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 5


async def test_a_key_reused_for_another_note_is_422(client):
    key = {"Idempotency-Key": "reused"}
    assert (await client.post("/notes", json={"title": "a"}, headers=key)).status == 201
    response = await client.post("/notes", json={"title": "b"}, headers=key)
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert "already used for a different note" in (await response.json())["detail"]


async def test_a_malformed_key_is_400(client):
    for value in ("", "x" * 256, "caf\u00e9", "has space"):
        response = await client.post(
            "/notes", json={"title": "a"}, headers={"Idempotency-Key": value}
        )
        assert response.status == 400, value
        assert response.content_type == "application/problem+json"
    assert (await (await client.get("/notes")).json())["notes"] == []
