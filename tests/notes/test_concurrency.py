"""Many requests at once: distinct notes, no lost updates, isolated failures."""

import asyncio

from tests.notes.helpers import create


async def test_100_concurrent_posts_make_100_distinct_notes(client):
    async def post(i: int) -> dict:
        response = await client.post("/notes", json={"title": f"concurrent {i}", "priority": i})
        assert response.status == 201, await response.text()
        return await response.json()

    created = await asyncio.gather(*(post(i) for i in range(100)))
    ids = {note["id"] for note in created}
    assert len(ids) == 100
    listed = await (await client.get("/notes?limit=500")).json()
    assert {note["id"] for note in listed["notes"]} == ids
    assert sorted(note["title"] for note in listed["notes"]) == sorted(
        f"concurrent {i}" for i in range(100)
    )


async def test_concurrent_conditional_updates_let_exactly_one_win(client):
    note = await create(client)
    path = f"/notes/{note['id']}"

    async def update(i: int) -> int:
        response = await client.patch(
            path, json={"title": f"writer {i}"}, headers={"If-Match": '"1"'}
        )
        return response.status

    statuses = await asyncio.gather(*(update(i) for i in range(20)))
    assert sorted(statuses) == [200] + [412] * 19


async def test_concurrent_reads_and_writes(client):
    notes = [await create(client, title=f"n{i}") for i in range(10)]

    async def read(note: dict) -> int:
        return (await client.get(f"/notes/{note['id']}")).status

    async def write(note: dict) -> int:
        return (await client.patch(f"/notes/{note['id']}", json={"priority": 1})).status

    statuses = await asyncio.gather(
        *(job(note) for note in notes for job in (read, write, read, read))
    )
    assert set(statuses) == {200}


async def test_many_concurrent_reads_each_get_their_own_note(client):
    """Concurrent reads are answered in batches; each must still get exactly its note."""
    notes = {note["id"]: note for note in [await create(client, title=f"n{i}") for i in range(20)]}
    missing = [max(notes) + 1, max(notes) + 2]
    wanted = [*notes, *missing] * 10

    async def read(note_id: int) -> tuple[int, int, dict | None]:
        response = await client.get(f"/notes/{note_id}")
        body = await response.json() if response.status == 200 else None
        return note_id, response.status, body

    for note_id, status, body in await asyncio.gather(*(read(i) for i in wanted)):
        if note_id in notes:
            assert (status, body) == (200, notes[note_id])
        else:
            assert status == 404
