"""Helpers of the notes tests: the tutorial's note and how its clients send it."""

import json
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.postgres import connect

TUTORIAL_NOTE = {
    "title": "Buy milk",
    "created_at": "2017-08-23 00:00",
    "created_by": "alice",
    "description": "two litres",
    "priority": 4,
}


async def drop_notes_tables(url: str) -> None:
    """Leave the PostgreSQL database at ``url`` without any of the plugin's tables."""
    connection = await connect(url, connect_timeout=5)
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS notes, notes_alembic_version, notes_idempotency_keys"
        )
    finally:
        await connection.close()


async def send_like_requests(
    client: TestClient[Any, Any], method: str, path: str, payload: Any
) -> ClientResponse:
    """Send ``payload`` as python-requests does for ``data=json.dumps(payload)``.

    requests sends a str body with no Content-Type header at all; aiohttp's client would add
    one (text/plain for str, application/octet-stream for bytes) unless told to skip it.
    """
    return await client.request(
        method,
        path,
        data=json.dumps(payload).encode(),
        skip_auto_headers={"Content-Type"},
    )


async def create(client: TestClient[Any, Any], **fields: Any) -> dict[str, Any]:
    """POST a note (the tutorial's by default, with ``fields`` changed) and return it."""
    response = await client.post("/notes", json={**TUTORIAL_NOTE, **fields})
    assert response.status == 201, await response.text()
    return await response.json()
