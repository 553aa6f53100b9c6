"""The HTTP handlers of the Notes API.

Handlers validate, call the :class:`NoteStore`, and answer; every failure is a ProblemError.
A database that cannot answer is a 503 with Retry-After (the middleware below), not a 500.
"""

import logging
from operator import itemgetter
from typing import Any

import orjson
from aiohttp import web

from gateway import ProblemError, continue_when_read, identity_of, json_response
from gateway_plugins.notes.conditional import etag, if_match_versions, if_none_match
from gateway_plugins.notes.keys import DATABASE
from gateway_plugins.notes.pagination import encode_cursor, parse_list_query
from gateway_plugins.notes.startup import DatabaseStarting
from gateway_plugins.notes.store import (
    DatabaseUnavailable,
    IdempotencyKeyReused,
    NoteNotFound,
    NoteStore,
    StoredNote,
    VersionMismatch,
    WriteOutcomeUnknown,
)
from gateway_plugins.notes.validation import NoteFields, read_json, validate_note, validate_patch

log = logging.getLogger("gateway_plugins.notes")

_json_text = itemgetter(2)  # a page row (NoteStore.page): id, sort value, the note's JSON bytes

NOTE_ROUTE = "note"
_ID_MAX = 2**63 - 1
# Writable members; id and updated_at are read-only and never written.
_WRITABLE = ("title", "description", "created_by", "priority", "created_at")


@web.middleware
async def database_unavailable(request: web.Request, handler: Any) -> web.StreamResponse:
    """A database that cannot answer is a 503 problem, logged once per outage with its cause."""
    database = request.app[DATABASE]
    try:
        response = await handler(request)
    except DatabaseStarting as exc:  # start-up logged it once; nothing new to say per request
        raise ProblemError(
            503,
            "The notes database is not open yet (this gateway started without it); try again "
            "shortly.",
            headers={"Retry-After": "1"},
        ) from exc
    except WriteOutcomeUnknown as exc:
        database.unavailable(f"{request.method} {request.path}", exc)
        raise ProblemError(
            503,
            "The connection to the notes database was lost while this write was in flight: it "
            "may or may not have been applied. Read the resource before retrying, or retry "
            "with the same Idempotency-Key header.",
            headers={"Retry-After": "1"},
            outcome="unknown",
        ) from exc
    except DatabaseUnavailable as exc:
        database.unavailable(f"{request.method} {request.path}", exc)
        raise ProblemError(
            503,
            "The notes database is unavailable or busy; try again shortly.",
            headers={"Retry-After": "1"},
        ) from exc
    database.answered()
    return response


def add_routes(app: web.Application) -> None:
    collection = app.router.add_resource("/", name="notes")
    collection.add_route("GET", list_notes)
    collection.add_route("HEAD", list_notes)
    # Bodies are read with gateway.read_body: 100 Continue after the size check.
    collection.add_route("POST", create_note, expect_handler=continue_when_read)
    note = app.router.add_resource(r"/{note_id:[0-9]{1,20}}", name=NOTE_ROUTE)
    note.add_route("GET", get_note)
    note.add_route("HEAD", get_note)
    note.add_route("PUT", replace_note, expect_handler=continue_when_read)
    note.add_route("PATCH", patch_note, expect_handler=continue_when_read)
    note.add_route("DELETE", delete_note)


async def list_notes(request: web.Request) -> web.Response:
    """A page of notes and the URL of the next one (null on the last page)."""
    store = request.app[DATABASE].require()
    settings = store.settings
    query = parse_list_query(request.rel_url.query, settings.default_limit, settings.max_limit)
    rows = await store.page(query)
    next_url = None
    headers = None
    weighed = _within_weight(rows, query.limit, settings.max_page_bytes)
    if len(rows) > weighed:
        del rows[weighed:]
        last_id, last_value, _ = rows[-1]
        cursor = encode_cursor(query.sort, last_value, last_id)
        next_url = str(request.url.update_query(cursor=cursor))
        headers = {"Link": f'<{next_url}>; rel="next"'}
    # The notes arrive as UTF-8 JSON written by the database (see schema.json_row), joined in
    # C (map, not a comprehension: a page is up to max_limit rows) into the body as they are.
    notes = b",".join(map(_json_text, rows))
    body = b"".join((b'{"notes":[', notes, b'],"next":', orjson.dumps(next_url), b"}"))
    return web.Response(body=body, headers=headers, content_type="application/json")


def _within_weight(rows: list[Any], limit: int, max_bytes: int) -> int:
    """How many of ``rows`` (at most ``limit``) the page takes: it stops before the note that
    would take it past ``max_bytes`` of JSON, but always has at least one note."""
    taken = rows[:limit]
    # The usual page fits whole: weighed in C, each note and its comma, before any loop.
    if sum(map(len, map(_json_text, taken))) + len(taken) <= max_bytes:
        return len(taken)
    total = 0
    for index, row in enumerate(taken):
        total += len(row[2]) + 1
        if total > max_bytes and index > 0:
            return index
    return len(taken)


async def get_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    note = await request.app[DATABASE].require().get_json(note_id)
    if note is None:
        raise _not_found(note_id)
    tag = etag(note.version)
    match = request.headers.get("If-None-Match")
    if match is not None and if_none_match(match, note.version):
        return web.Response(status=304, headers={"ETag": tag})
    return web.Response(body=note.body, headers={"ETag": tag}, content_type="application/json")


async def create_note(request: web.Request) -> web.Response:
    store = request.app[DATABASE].require()
    key = _idempotency_key(request)
    fields = validate_note(await read_json(request, store.settings.max_body_size))
    columns = _columns(fields)
    identity = identity_of(request)
    if columns["created_by"] is None and identity is not None:
        # Whoever authenticated (an API key's name, say) wrote it, unless the client said.
        columns["created_by"] = identity.name
    if key is not None:
        return await _create_once(request, store, columns, key)
    note = await store.create(columns)
    path = request.app.router[NOTE_ROUTE].url_for(note_id=str(note.body["id"]))
    headers = {"Location": str(request.url.join(path)), "ETag": etag(note.version)}
    return json_response(note.body, status=201, headers=headers)


async def _create_once(
    request: web.Request, store: NoteStore, columns: dict[str, Any], key: str
) -> web.Response:
    """POST with an Idempotency-Key: the first answer for the key, made once, replayed after."""
    try:
        created = await store.create_once(columns, key)
    except IdempotencyKeyReused:
        raise ProblemError(
            422,
            "This Idempotency-Key was already used for a different note; use a new key for a "
            "new request.",
        ) from None
    path = request.app.router[NOTE_ROUTE].url_for(note_id=str(created.note_id))
    headers = {"Location": str(request.url.join(path)), "ETag": etag(created.version)}
    if created.replayed:
        headers["Idempotent-Replayed"] = "true"
    return web.Response(
        body=created.body, status=201, headers=headers, content_type="application/json"
    )


# draft-ietf-httpapi-idempotency-key-header: an opaque string; these bounds keep it a sane key.
_KEY_CHARACTERS = frozenset(map(chr, range(0x21, 0x7F)))


def _idempotency_key(request: web.Request) -> str | None:
    values = request.headers.getall("Idempotency-Key", [])
    if not values:
        return None
    key = values[0].strip().strip('"')  # the draft's form is a quoted string; bare is taken too
    if len(values) > 1 or not 1 <= len(key) <= 255 or not set(key) <= _KEY_CHARACTERS:
        raise ProblemError(
            400,
            "Idempotency-Key must be one value of 1 to 255 visible ASCII characters, such as a "
            "UUID.",
        )
    return key


async def replace_note(request: web.Request) -> web.Response:
    """PUT: every writable member is replaced; an absent created_at keeps the stored one."""
    note_id = _note_id(request)
    store = request.app[DATABASE].require()
    fields = validate_note(await read_json(request, store.settings.max_body_size), note_id)
    return await _update(request, note_id, _columns(fields))


async def patch_note(request: web.Request) -> web.Response:
    """PATCH: a JSON merge patch; members left out keep their value."""
    note_id = _note_id(request)
    store = request.app[DATABASE].require()
    patch = validate_patch(
        await read_json(request, store.settings.max_body_size, patch=True), note_id
    )
    changes = {name: getattr(patch, name) for name in _WRITABLE if name in patch.model_fields_set}
    if changes:
        return await _update(request, note_id, changes)
    # An empty patch changes nothing, so it must not bump the version or updated_at either.
    note = await store.get(note_id)
    if note is None:
        raise _not_found(note_id)
    versions = if_match_versions(request.headers.get("If-Match"))
    if versions is not None and note.version not in versions:
        raise _mismatch(note.version)
    return _note_response(note)


async def delete_note(request: web.Request) -> web.Response:
    note_id = _note_id(request)
    versions = if_match_versions(request.headers.get("If-Match"))
    try:
        await request.app[DATABASE].require().delete(note_id, versions)
    except NoteNotFound:
        raise _not_found(note_id) from None
    except VersionMismatch as exc:
        raise _mismatch(exc.version) from None
    return web.Response(status=204)


async def _update(request: web.Request, note_id: int, changes: dict[str, Any]) -> web.Response:
    versions = if_match_versions(request.headers.get("If-Match"))
    try:
        note = await request.app[DATABASE].require().update(note_id, changes, versions)
    except NoteNotFound:
        raise _not_found(note_id) from None
    except VersionMismatch as exc:
        raise _mismatch(exc.version) from None
    return _note_response(note)


def _note_response(note: StoredNote) -> web.Response:
    return json_response(note.body, headers={"ETag": etag(note.version)})


def _columns(fields: NoteFields) -> dict[str, Any]:
    columns = {name: getattr(fields, name) for name in _WRITABLE}
    if columns["created_at"] is None:
        del columns["created_at"]  # POST: the server's now; PUT: keep the stored one
    return columns


def _note_id(request: web.Request) -> int:
    """The id in the path, which must be spelled as the note's own path spells it.

    A note has one path, the one ``Location`` gives (``/notes/1``): ``/notes/01`` is no note.
    Answering it as note 1 let requests step around an auth rule written for ``/notes/1``
    (issue 34): rules compare paths, and only the plugin knows which spellings are one note.
    """
    text = request.match_info["note_id"]
    note_id = int(text)
    if note_id > _ID_MAX:
        raise _not_found(note_id)
    if text != str(note_id):
        raise ProblemError(
            404,
            f"There is no note at {request.path}: ids are written without leading zeros, "
            f"as in {request.app.router[NOTE_ROUTE].url_for(note_id=str(note_id))}.",
        )
    return note_id


def _not_found(note_id: int) -> ProblemError:
    return ProblemError(404, f"There is no note with id {note_id}.")


def _mismatch(version: int) -> ProblemError:
    return ProblemError(
        412,
        f"If-Match does not match the note's current ETag {etag(version)}; it was changed "
        "since you read it. GET it again, then retry.",
        headers={"ETag": etag(version)},
    )
