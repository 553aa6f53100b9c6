"""Request bodies: read within the size limit, parse as JSON, validate into a note's fields.

Every failure is a :class:`gateway.ProblemError` with its own status: 413 (too large), 415 (an
explicit Content-Type that is not JSON), 400 (not JSON, not UTF-8) and 422 (JSON, but not a
valid note: ``errors`` lists each problem with a JSON pointer to the field).
"""

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from aiohttp import hdrs, web
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
)

from gateway import (
    MAX_LISTED_ERRORS,
    ProblemError,
    read_body,
)

# A priority is any 32-bit signed integer: everything the tutorial's INTEGER column could hold
# portably (PostgreSQL's integer), and nothing that would overflow it.
PRIORITY_MIN = -(2**31)
PRIORITY_MAX = 2**31 - 1
DEFAULT_PRIORITY = 0
TITLE_MAX = 200
CREATED_BY_MAX = 200
DESCRIPTION_MAX = 100_000
# Members a client may send back unchanged from a GET: ignored, never written.
READ_ONLY = ("id", "updated_at")

# Content types read as JSON. No Content-Type at all is JSON too: python-requests sends none
# for ``data=json.dumps(...)``, exactly as the tutorial's clients do, and RFC 9110 lets a
# server treat an unlabelled body (and application/octet-stream, "unknown bytes") by content.
_UNLABELLED = ("application/octet-stream",)
_MERGE_PATCH = "application/merge-patch+json"
_JSON_PATCH = "application/json-patch+json"
ACCEPT_POST = "application/json"
ACCEPT_PATCH = f"{_MERGE_PATCH}, application/json"


# The validators below as JSON Schema patterns, carried on the same annotated types so that
# /openapi.json states them: the validators run (with the messages clients read), the
# patterns tell a client or a fuzzer the rule.
NO_NUL = "^[^\\x00]*$"
TITLE_PATTERN = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text; refusing it everywhere keeps the backends equal.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def parse_timestamp(value: Any) -> datetime:
    """A client's timestamp: ISO 8601 (or the tutorial's ``2017-08-23 00:00``) as aware UTC.

    A timestamp without an offset is taken to be UTC.
    """
    if not isinstance(value, str):
        raise ValueError('must be an ISO 8601 string such as "2017-08-23T00:00:00Z"')
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f'{value!r} is not an ISO 8601 date-time such as "2017-08-23T00:00:00Z" or '
            '"2017-08-23 00:00"'
        ) from None


Text = Annotated[str, Field(strict=True), AfterValidator(_no_nul)]
Title = Annotated[
    Text,
    Field(min_length=1, max_length=TITLE_MAX, json_schema_extra={"pattern": TITLE_PATTERN}),
    AfterValidator(_not_blank),
]
Description = Annotated[
    Text, Field(max_length=DESCRIPTION_MAX, json_schema_extra={"pattern": NO_NUL})
]
CreatedBy = Annotated[Text, Field(max_length=CREATED_BY_MAX, json_schema_extra={"pattern": NO_NUL})]
# Sent back unchanged from a GET, ignored: a client or fuzzer should leave them out.
ReadOnly = Annotated[Any, Field(json_schema_extra={"readOnly": True})]


def _integral(value: Any) -> Any:
    # JSON Schema (and so /openapi.json's "integer") counts 4.0 as the integer 4; a fraction,
    # a boolean or a string stays an error (found by schemathesis).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Priority = Annotated[StrictInt, Field(ge=PRIORITY_MIN, le=PRIORITY_MAX), BeforeValidator(_integral)]
Timestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]


class NoteFields(BaseModel):
    """A whole note as POST and PUT take it. Unknown members are errors, so typos are seen."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description | None = None
    created_by: CreatedBy | None = None
    priority: Priority = DEFAULT_PRIORITY
    # Not Optional: an explicit null is an error; absent means "now" (POST) or "keep" (PUT).
    created_at: Timestamp = None  # type: ignore[assignment]
    id: ReadOnly = None
    updated_at: ReadOnly = None


class NotePatch(BaseModel):
    """A JSON merge patch (RFC 7396) of a note: a member set to null removes it.

    Only ``description`` and ``created_by`` can be removed; null for a member every note must
    have (``title``, ``priority``, ``created_at``) is a 422.
    """

    model_config = ConfigDict(extra="forbid")

    title: Title = None  # type: ignore[assignment]
    description: Description | None = None
    created_by: CreatedBy | None = None
    priority: Priority = None  # type: ignore[assignment]
    created_at: Timestamp = None  # type: ignore[assignment]
    id: ReadOnly = None
    updated_at: ReadOnly = None


async def read_json(request: web.Request, limit: int, *, patch: bool = False) -> Any:
    """The request's body parsed as JSON, enforcing the size limit and the Content-Type."""
    _check_content_type(request, patch=patch)
    body = await read_body(request, limit)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        detail = (
            "The request body is empty; send the note as JSON."
            if not body
            else (f"The request body is not valid JSON (UTF-8): {exc}.")
        )
        raise ProblemError(400, detail) from None


def validate_note(data: Any, note_id: int | None = None) -> NoteFields:
    """``data`` as a whole note; ``note_id`` is the note a PUT replaces (None for a POST)."""
    return _validate(NoteFields, data, note_id, creating=note_id is None)


def validate_patch(data: Any, note_id: int) -> NotePatch:
    return _validate(NotePatch, data, note_id, creating=False)


def _validate(model: type[Any], data: Any, note_id: int | None, *, creating: bool) -> Any:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise invalid([error("#", f"the body must be a JSON object, not {_json_kind(kind)}")])
    # Unknown members are found here rather than by pydantic: a body of 100,000 of them cost
    # pydantic a second of loop time to report, and the reply lists 50 at most anyway.
    unknown = [name for name in data if name not in model.model_fields]
    try:
        fields = model.model_validate(
            {name: value for name, value in data.items() if name in model.model_fields}
            if unknown
            else data
        )
    except ValidationError as exc:
        errors = [_from_pydantic(item) for item in exc.errors()]
    else:
        errors = []
    errors += [_unknown_field((name,)) for name in unknown[:MAX_LISTED_ERRORS]]
    if errors:
        raise invalid(errors, not_listed=max(0, len(unknown) - MAX_LISTED_ERRORS))
    if "id" in data:
        if creating:
            raise invalid(
                [error("#/id", "id is assigned by the server; leave it out", "read_only")]
            )
        if type(data["id"]) is not int or data["id"] != note_id:
            raise invalid(
                [error("#/id", f"does not match the note's id in the URL ({note_id})", "read_only")]
            )
    return fields


def error(pointer: str, detail: str, code: str = "invalid") -> dict[str, str]:
    return {"pointer": pointer, "detail": detail, "code": code}


def invalid(
    errors: list[dict[str, str]], what: str = "note", *, not_listed: int = 0
) -> ProblemError:
    """The 422 for ``errors``, and ``not_listed`` more problems not worth describing.

    The problem lists at most ``MAX_LISTED_ERRORS`` (the gateway's renderer caps every
    ``errors`` list); ``errors_not_listed`` counts the rest.
    """
    count = len(errors) + not_listed
    noun = "problem" if count == 1 else "problems"
    listed = (
        "listed in errors"
        if count <= MAX_LISTED_ERRORS
        else f"the first {MAX_LISTED_ERRORS} listed in errors"
    )
    extra: dict[str, Any] = {"errors": errors}
    if not_listed:
        extra["errors_not_listed"] = not_listed
    return ProblemError(
        422,
        f"The {what} is not valid: {count} {noun}, {listed}.",
        **extra,
    )


def json_pointer(path: tuple[Any, ...]) -> str:
    """``path`` as a JSON pointer (RFC 6901) in a URI fragment, as RFC 9457 shows it."""
    tokens = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "#" + "".join("/" + quote(token, safe="~!$&'()*+,;=:@") for token in tokens)


def _from_pydantic(item: Any) -> dict[str, str]:
    loc, kind, message = item["loc"], item["type"], item["msg"]
    if kind == "extra_forbidden":
        return _unknown_field(loc)  # the member's own name, "[" and all
    # Drop pydantic's internal step names (function-after[...]) from the location: after
    # the field's own name, which a model field never spells with "[".
    path = loc[:1] + tuple(part for part in loc[1:] if not (isinstance(part, str) and "[" in part))
    pointer, ctx = json_pointer(path), item.get("ctx") or {}
    if kind == "missing":
        return error(pointer, "is required", "missing")
    if item.get("input", "") is None:
        return error(pointer, "must not be null", "null")
    if path[:1] == ("priority",):
        message = f"must be an integer from {PRIORITY_MIN} to {PRIORITY_MAX}"
    elif kind == "string_type":
        message = "must be a string"
    elif kind in ("string_too_short", "too_short"):
        least = ctx.get("min_length")
        message = f"must have at least {least} character{'s' if least != 1 else ''}"
    elif kind in ("string_too_long", "too_long"):
        message = f"must have at most {ctx.get('max_length')} characters"
    elif kind == "value_error":
        message = str(ctx.get("error", message))
    return error(pointer, message, kind)


def _unknown_field(path: tuple[Any, ...]) -> dict[str, str]:
    known = ", ".join(name for name in NoteFields.model_fields if name not in READ_ONLY)
    return error(json_pointer(path), f"unknown field; a note has: {known}", "unknown_field")


def _json_kind(python_name: str) -> str:
    names = {"list": "an array", "str": "a string", "int": "a number", "float": "a number"}
    return names.get(python_name, "a boolean" if python_name == "bool" else python_name)


def _check_content_type(request: web.Request, *, patch: bool) -> None:
    # request.content_type reports application/octet-stream when the header is absent, so the
    # header itself is what tells "unlabelled" from "labelled as something else".
    if hdrs.CONTENT_TYPE not in request.headers:
        return
    media = request.content_type.lower()
    charset = request.charset.lower() if request.charset else None  # names are case-insensitive
    if patch:
        ok = media in (_MERGE_PATCH, "application/json") or media in _UNLABELLED
    else:
        ok = media == "application/json" or media.endswith("+json") or media in _UNLABELLED
        ok = ok and media != _JSON_PATCH
    if ok and charset not in (None, "utf-8", "utf8"):
        raise ProblemError(
            415,
            f"JSON bodies must be UTF-8; this one says charset={charset}.",
            headers=_accept_headers(patch),
        )
    if ok:
        return
    if patch:
        detail = (
            f"PATCH takes a JSON merge patch (Content-Type: {_MERGE_PATCH} or application/json), "
            f"not {media}."
        )
        if media == _JSON_PATCH:
            detail += " JSON Patch (RFC 6902) is not supported; send the changed fields instead."
    else:
        detail = f"Send the note as JSON (Content-Type: application/json), not {media}."
    raise ProblemError(415, detail, headers=_accept_headers(patch))


def _accept_headers(patch: bool) -> dict[str, str]:
    return {"Accept-Patch": ACCEPT_PATCH} if patch else {"Accept-Post": ACCEPT_POST}
