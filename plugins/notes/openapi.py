"""The OpenAPI description of the Notes API, built from the models that validate its requests.

Bodies are described by :class:`NoteFields` and :class:`NotePatch`, the list's query string by
:func:`list_parameters`; a change to the validation changes the description with it. Responses
are described here: the database, not a model, writes a note's JSON (see schema.json_row).
"""

from __future__ import annotations

from typing import Any

from gateway import (
    RETRY_AFTER,
    model_schemas,
    openapi_problem_response as problem_response,
    query_parameters,
)
from gateway_plugins.notes.pagination import list_parameters
from gateway_plugins.notes.settings import NotesSettings
from gateway_plugins.notes.validation import (
    _MERGE_PATCH,
    CREATED_BY_MAX,
    DESCRIPTION_MAX,
    PRIORITY_MAX,
    PRIORITY_MIN,
    TITLE_MAX,
    NoteFields,
    NotePatch,
)

_TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, ISO 8601"}
NOTE = {
    "type": "object",
    "required": [
        "id",
        "title",
        "description",
        "created_by",
        "priority",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
        "description": {"type": ["string", "null"], "maxLength": DESCRIPTION_MAX},
        "created_by": {"type": ["string", "null"], "maxLength": CREATED_BY_MAX},
        "priority": {"type": "integer", "minimum": PRIORITY_MIN, "maximum": PRIORITY_MAX},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
}
_NOTE_REF = {"$ref": "#/components/schemas/Note"}
_ETAG = {
    "description": "The note's version as a strong entity-tag; send it back in If-Match.",
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}
_NOTE_ID = {
    "name": "note_id",
    "in": "path",
    "required": True,
    "description": "The note's id as its Location spells it: no leading zeros (404 otherwise).",
    "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
}
# RFC 9110 section 13.1.1: "*" or a list of entity-tags; an empty value is no precondition the
# server can evaluate (it answers 412, as it does any tag that is not the note's).
_ENTITY_TAGS = r'^\s*(\*|(W/)?"[^"]*"(\s*,\s*(W/)?"[^"]*")*)\s*$'
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "Write only if the note's ETag is one of these (412 otherwise).",
    "schema": {"type": "string", "pattern": _ENTITY_TAGS},
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    # Any value: one that names no current tag (an empty one too) just gets the note.
    "description": "304 when the note's ETag is among these.",
    "schema": {"type": "string"},
}
# draft-ietf-httpapi-idempotency-key-header, as views._idempotency_key reads it.
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retried POST safe: the first answer for the key is stored for "
        "idempotency_ttl seconds and replayed to a retry (with `Idempotent-Replayed: true`); "
        "the key used for a different note is a 422. 1 to 255 visible ASCII characters "
        "(a UUID), optionally quoted."
    ),
    # Visible ASCII; quotes around the key are taken off (the draft's form is a quoted string).
    "schema": {"type": "string", "maxLength": 255, "pattern": '^"*[!#-~]([!-~]*[!#-~])?"*$'},
}
_REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier POST with the same key.",
    "schema": {"type": "string", "const": "true"},
}
_NOTE_ID_LINK = {"note_id": "$response.body#/id"}


def _problems(*statuses: int) -> dict[str, Any]:
    text = {
        400: ("The body is not JSON (or not UTF-8).", None),
        404: ("There is no note with this id.", None),
        412: ("If-Match does not match the note's current ETag.", {"ETag": _ETAG}),
        413: ("The body is larger than max_body_size.", None),
        415: ("The body's Content-Type is not JSON (or its charset not UTF-8).", None),
        422: ("Not a valid note (or query string): `errors` lists each problem.", None),
        503: ("The database is unavailable or busy; retry.", {"Retry-After": RETRY_AFTER}),
    }
    responses = {}
    for status in statuses:
        description, headers = text[status]
        responses[str(status)] = problem_response(description, headers=headers)
    return responses


def _note(description: str, status: int = 200, **links: Any) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "headers": {"ETag": _ETAG},
        "content": {"application/json": {"schema": _NOTE_REF}},
    }
    if status == 201:
        response["headers"]["Location"] = {
            "description": "The new note's URL.",
            "schema": {"type": "string", "format": "uri"},
        }
        response["headers"]["Idempotent-Replayed"] = _REPLAYED
    if links:
        response["links"] = links
    return response


def _links() -> dict[str, Any]:
    # Stateful testing (schemathesis) and readers follow these: create, then read, change, delete.
    return {
        name: {"operationId": operation, "parameters": _NOTE_ID_LINK}
        for name, operation in (
            ("GetNote", "get_note"),
            ("ReplaceNote", "replace_note"),
            ("PatchNote", "patch_note"),
            ("DeleteNote", "delete_note"),
        )
    }


def describe(settings: NotesSettings) -> dict[str, Any]:
    """The Notes API's fragment: paths relative to the mount, components of its own."""
    (fields_ref, patch_ref), schemas = model_schemas(NoteFields, NotePatch)
    model = list_parameters(settings.default_limit, settings.max_limit)
    note_body = {"required": True, "content": {"application/json": {"schema": fields_ref}}}
    patch_body = {
        "required": True,
        "content": {
            _MERGE_PATCH: {"schema": patch_ref},
            "application/json": {"schema": patch_ref},
        },
    }
    page = {
        "type": "object",
        "required": ["notes", "next"],
        "properties": {
            "notes": {"type": "array", "items": _NOTE_REF},
            "next": {
                "type": ["string", "null"],
                "description": "The next page's URL; null on the last page.",
            },
        },
    }
    return {
        "paths": {
            "/": {
                "get": {
                    "operationId": "list_notes",
                    "summary": "A page of notes, and the next page's URL",
                    "parameters": query_parameters(model),
                    "responses": {
                        "200": {
                            "description": "A page of notes in the chosen order.",
                            "headers": {
                                "Link": {
                                    "description": 'rel="next": the next page, when there is one',
                                    "schema": {"type": "string"},
                                }
                            },
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/NotePage"}
                                }
                            },
                        },
                        **_problems(422, 503),
                    },
                },
                "post": {
                    "operationId": "create_note",
                    "summary": "Create a note",
                    "parameters": [_IDEMPOTENCY_KEY],
                    "requestBody": note_body,
                    "responses": {
                        "201": _note("The note as stored.", 201, **_links()),
                        **_problems(400, 413, 415, 422, 503),
                    },
                },
            },
            "/{note_id}": {
                "parameters": [_NOTE_ID],
                "get": {
                    "operationId": "get_note",
                    "summary": "One note",
                    "parameters": [_IF_NONE_MATCH],
                    "responses": {
                        "200": _note("The note."),
                        "304": {
                            "description": "The note has not changed since that ETag.",
                            "headers": {"ETag": _ETAG},
                        },
                        **_problems(404, 503),
                    },
                },
                "put": {
                    "operationId": "replace_note",
                    "summary": "Replace a note (an absent created_at keeps the stored one)",
                    "parameters": [_IF_MATCH],
                    "requestBody": note_body,
                    "responses": {
                        "200": _note("The note as stored."),
                        **_problems(400, 404, 412, 413, 415, 422, 503),
                    },
                },
                "patch": {
                    "operationId": "patch_note",
                    "summary": "Change some members (a JSON merge patch, RFC 7396)",
                    "parameters": [_IF_MATCH],
                    "requestBody": patch_body,
                    "responses": {
                        "200": _note("The note as stored."),
                        **_problems(400, 404, 412, 413, 415, 422, 503),
                    },
                },
                "delete": {
                    "operationId": "delete_note",
                    "summary": "Delete a note (its id is never reused)",
                    "parameters": [_IF_MATCH],
                    "responses": {
                        "204": {"description": "Deleted."},
                        **_problems(404, 412, 503),
                    },
                },
            },
        },
        "components": {"schemas": {**schemas, "Note": NOTE, "NotePage": page}},
    }
