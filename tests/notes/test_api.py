"""Every endpoint through HTTP, on SQLite and PostgreSQL."""

import json
from datetime import datetime

import pytest

from tests.notes.helpers import TUTORIAL_NOTE, create

PROBLEM = "application/problem+json"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_create_returns_the_note_with_location_and_etag(client):
    response = await client.post("/notes", json=TUTORIAL_NOTE)
    assert response.status == 201
    note = await response.json()
    assert note == {
        "id": note["id"],
        "title": "Buy milk",
        "description": "two litres",
        "created_by": "alice",
        "priority": 4,
        "created_at": "2017-08-23T00:00:00.000000Z",
        "updated_at": note["updated_at"],
    }
    assert response.headers["Location"].endswith(f"/notes/{note['id']}")
    assert response.headers["ETag"] == '"1"'
    fetched = await client.get(f"/notes/{note['id']}")
    assert await fetched.json() == note


async def test_create_defaults(client):
    response = await client.post("/notes", json={"title": "only a title"})
    assert response.status == 201
    note = await response.json()
    assert note["description"] is None
    assert note["created_by"] is None
    assert note["priority"] == 0
    assert note["created_at"] == note["updated_at"]
    assert parse_time(note["created_at"]).tzinfo is not None


async def test_both_prefix_spellings_answer(client):
    assert (await client.post("/notes/", json={"title": "slash"})).status == 201
    assert (await client.post("/notes", json={"title": "bare"})).status == 201
    listed = await (await client.get("/notes/")).json()
    assert [n["title"] for n in listed["notes"]] == ["slash", "bare"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("2017-08-23 00:00", "2017-08-23T00:00:00.000000Z"),
        ("2017-08-23T00:00:00Z", "2017-08-23T00:00:00.000000Z"),
        ("2017-08-23T02:30:00+02:00", "2017-08-23T00:30:00.000000Z"),
        ("2017-08-23T00:00:00.123456", "2017-08-23T00:00:00.123456Z"),
        ("2017-08-23", "2017-08-23T00:00:00.000000Z"),
    ],
)
async def test_created_at_formats(client, sent, stored):
    note = await create(client, created_at=sent)
    assert note["created_at"] == stored


async def test_get_missing_is_404_problem(client):
    response = await client.get("/notes/999")
    assert response.status == 404
    assert response.content_type == PROBLEM
    assert "999" in (await response.json())["detail"]


@pytest.mark.parametrize("path", ["/notes/abc", "/notes/-1", "/notes/99999999999999999999"])
async def test_ids_that_cannot_exist_are_404(client, path):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, path, json={"title": "x"})
        assert response.status == 404, (method, path)
        assert response.content_type == PROBLEM


async def test_etag_and_if_none_match(client):
    note = await create(client)
    first = await client.get(f"/notes/{note['id']}")
    tag = first.headers["ETag"]
    again = await client.get(f"/notes/{note['id']}", headers={"If-None-Match": tag})
    assert again.status == 304
    assert again.headers["ETag"] == tag
    weak = await client.get(f"/notes/{note['id']}", headers={"If-None-Match": f"W/{tag}"})
    assert weak.status == 304
    star = await client.get(f"/notes/{note['id']}", headers={"If-None-Match": "*"})
    assert star.status == 304
    other = await client.get(f"/notes/{note['id']}", headers={"If-None-Match": '"99", "98"'})
    assert other.status == 200


async def test_put_replaces_everything(client):
    note = await create(client)
    response = await client.put(f"/notes/{note['id']}", json={"title": "new"})
    assert response.status == 200
    replaced = await response.json()
    assert replaced["title"] == "new"
    assert replaced["description"] is None
    assert replaced["created_by"] is None
    assert replaced["priority"] == 0
    # created_at is kept when a PUT leaves it out; updated_at moves on.
    assert replaced["created_at"] == note["created_at"]
    assert replaced["updated_at"] > note["updated_at"]
    assert response.headers["ETag"] == '"2"'
    assert await (await client.get(f"/notes/{note['id']}")).json() == replaced


async def test_put_accepts_a_note_sent_back_from_get(client):
    note = await create(client)
    response = await client.put(f"/notes/{note['id']}", json={**note, "title": "edited"})
    assert response.status == 200
    assert (await response.json())["title"] == "edited"


async def test_put_with_another_id_is_422(client):
    note = await create(client)
    response = await client.put(f"/notes/{note['id']}", json={**note, "id": note["id"] + 1})
    assert response.status == 422
    assert (await response.json())["errors"][0]["pointer"] == "#/id"


async def test_patch_merges(client):
    note = await create(client)
    response = await client.patch(
        f"/notes/{note['id']}",
        data=json.dumps({"priority": 9, "description": None}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status == 200
    patched = await response.json()
    assert patched["priority"] == 9
    assert patched["description"] is None
    assert patched["title"] == note["title"]
    assert patched["created_by"] == note["created_by"]
    assert response.headers["ETag"] == '"2"'


async def test_empty_patch_changes_nothing(client):
    note = await create(client)
    response = await client.patch(f"/notes/{note['id']}", json={})
    assert response.status == 200
    assert await response.json() == note
    assert response.headers["ETag"] == '"1"'


@pytest.mark.parametrize("field", ["title", "priority", "created_at"])
async def test_patch_cannot_remove_required_fields(client, field):
    note = await create(client)
    response = await client.patch(f"/notes/{note['id']}", json={field: None})
    assert response.status == 422
    errors = (await response.json())["errors"]
    assert errors == [{"pointer": f"#/{field}", "detail": "must not be null", "code": "null"}]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_if_match(client, method):
    note = await create(client)
    path = f"/notes/{note['id']}"
    stale = await client.request(method, path, json={"title": "a"}, headers={"If-Match": '"7"'})
    assert stale.status == 412
    assert stale.content_type == PROBLEM
    assert stale.headers["ETag"] == '"1"'
    weak = await client.request(method, path, json={"title": "a"}, headers={"If-Match": 'W/"1"'})
    assert weak.status == 412  # If-Match compares strongly
    fresh = await client.request(
        method, path, json={"title": "b"}, headers={"If-Match": '"5", "1"'}
    )
    assert fresh.status == 200
    assert fresh.headers["ETag"] == '"2"'
    star = await client.request(method, path, json={"title": "c"}, headers={"If-Match": "*"})
    assert star.status == 200
    # The first writer's ETag is now stale: the lost update is refused.
    lost = await client.request(method, path, json={"title": "d"}, headers={"If-Match": '"1"'})
    assert lost.status == 412
    assert (await (await client.get(path)).json())["title"] == "c"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_missing_note_is_404(client, method):
    response = await client.request(method, "/notes/41", json={"title": "x"})
    assert response.status == 404
    assert response.content_type == PROBLEM
    starred = await client.request(
        method, "/notes/41", json={"title": "x"}, headers={"If-Match": "*"}
    )
    assert starred.status == 404


async def test_delete(client):
    note = await create(client)
    path = f"/notes/{note['id']}"
    refused = await client.delete(path, headers={"If-Match": '"3"'})
    assert refused.status == 412
    deleted = await client.delete(path)
    assert deleted.status == 204
    assert await deleted.read() == b""
    assert (await client.get(path)).status == 404
    assert (await client.delete(path)).status == 404


async def test_ids_are_not_reused_after_delete(client):
    first = await create(client)
    await client.delete(f"/notes/{first['id']}")
    second = await create(client)
    assert second["id"] > first["id"]


async def test_head_of_a_note(client):
    note = await create(client)
    response = await client.head(f"/notes/{note['id']}")
    assert response.status == 200
    assert response.headers["ETag"] == '"1"'


async def test_method_not_allowed_is_a_problem(client):
    response = await client.patch("/notes", json={})
    assert response.status == 405
    assert response.content_type == PROBLEM


async def test_list_is_compact_json(client):
    await create(client)
    text = await (await client.get("/notes")).text()
    assert "\n" not in text
    assert ": " not in text.replace('"two litres"', "")


async def test_unicode_round_trips(client):
    note = await create(client, title="Café ☕ 😀", description='line\nbreak "quoted" \\ /')
    fetched = await (await client.get(f"/notes/{note['id']}")).json()
    assert fetched["title"] == "Café ☕ 😀"
    assert fetched["description"] == 'line\nbreak "quoted" \\ /'
    listed = await (await client.get("/notes")).json()
    assert listed["notes"][0] == fetched
