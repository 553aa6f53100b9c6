"""If-Match through the compress plugin: a client writes back the tag of the encoded answer it
read (``W/"1"``), and the handler compares it as the strong tag it made (``"1"``), so the
write succeeds while nothing changed and is refused with 412 once something has."""

from __future__ import annotations

from typing import Any

from multidict import CIMultiDict

from tests.compress.conftest import PLUGINS


async def notes_compressed(gateway_client: Any) -> Any:
    config = {
        "plugins": {
            "notes": {"database_url": "sqlite+aiosqlite:///notes.db"},
            "compress": {"min_size": 0},  # every answer encoded, a note's small JSON too
        }
    }
    return await gateway_client(config, builtins=["notes", "compress"])


async def test_a_write_with_the_tag_of_an_encoded_read_is_applied(gateway_client):
    client = await notes_compressed(gateway_client)
    assert (await client.post("/notes", json={"title": "Buy milk"})).status == 201
    read = await client.get("/notes/1", headers={"Accept-Encoding": "gzip"})
    assert read.headers["Content-Encoding"] == "gzip"
    assert read.headers["ETag"] == 'W/"1"'

    replaced = await client.put(
        "/notes/1", json={"title": "Buy oat milk"}, headers={"If-Match": read.headers["ETag"]}
    )
    assert replaced.status == 200, await replaced.text()
    assert (await replaced.json())["title"] == "Buy oat milk"
    # The tag read before that write names a state that is gone: refused, as without compress.
    stale = await client.put(
        "/notes/1", json={"title": "Buy soy milk"}, headers={"If-Match": 'W/"1"'}
    )
    assert stale.status == 412
    patched = await client.patch(
        "/notes/1",
        json={"priority": 3},
        headers={"If-Match": 'W/"9", W/"2"', "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status == 200, await patched.text()
    assert (await client.delete("/notes/1", headers={"If-Match": 'W/"3"'})).status == 204


async def test_only_whole_weak_tags_are_made_strong(compressed):
    client = await compressed()
    headers = CIMultiDict([("If-Match", '"aW/", W/"b"'), ("If-Match", 'W/"c"')])
    echoed = await (await client.get("/sample/if-match", headers=headers)).json()
    assert echoed == {"If-Match": ['"aW/", "b", "c"']}
    for kept in ('"a", "b"', "*"):
        echoed = await (await client.get("/sample/if-match", headers={"If-Match": kept})).json()
        assert echoed == {"If-Match": [kept]}


async def test_without_the_compress_plugin_if_match_is_untouched(gateway_client):
    client = await gateway_client({"plugins": {"sample": {}}}, plugins=PLUGINS)
    echoed = await (await client.get("/sample/if-match", headers={"If-Match": 'W/"b"'})).json()
    assert echoed == {"If-Match": ['W/"b"']}
