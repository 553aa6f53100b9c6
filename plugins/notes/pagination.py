"""The list's query string: filters, sort, page size and the keyset cursor.

A cursor is the position after the last note of a page: the sort it belongs to, that note's
value of the sort column, and its id (the tie-breaker). It is base64url of a JSON array, opaque
to clients and useless outside the sort it was made for. Because a page starts *after* a
position rather than at an offset, following ``next`` returns every note exactly once while
other notes are added, and reads one index range, whatever the table's size.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal

import orjson
from multidict import MultiMapping
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from gateway_plugins.notes.schema import TIMESTAMP_FORMAT
from gateway_plugins.notes.validation import (
    NO_NUL,
    PRIORITY_MAX,
    PRIORITY_MIN,
    error,
    invalid,
)

SORT_COLUMNS = ("id", "priority", "created_at")
SORTS = tuple(f"{sign}{column}" for column in SORT_COLUMNS for sign in ("", "-"))
PARAMETERS = ("limit", "cursor", "sort", "created_by", "priority")
# A cursor's alphabet: base64url, its padding optional (encode_cursor leaves it off).
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+={0,2}$"
_CANONICAL_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
)
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class ListQuery:
    """One validated request for a page of notes."""

    limit: int
    column: str = "id"
    descending: bool = False
    created_by: str | None = None
    priority: int | None = None
    # The position to start after: (sort column value, id), from the cursor.
    after: tuple[Any, int] | None = None

    @property
    def sort(self) -> str:
        return f"-{self.column}" if self.descending else self.column


def _digits(value: Any) -> Any:
    # Query values are text: only plain digits are a number here (no "+5", "5.0" or " 5").
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise ValueError("not a whole number")
    return value


def _integer(value: Any) -> Any:
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise ValueError("not an integer")
    return value


@lru_cache(maxsize=16)
def list_parameters(default_limit: int, max_limit: int) -> type[BaseModel]:
    """The list's query parameters as a pydantic model: what validates them and what
    ``/openapi.json`` describes. ``limit``'s bounds are the plugin's settings."""
    return create_model(
        "ListParameters",
        __config__=ConfigDict(extra="forbid"),
        limit=(
            # Constraints before the validator, or pydantic leaves them out of the schema.
            Annotated[int, Field(ge=1, le=max_limit), BeforeValidator(_digits)],
            Field(default_limit, description="Notes per page."),
        ),
        cursor=(
            # base64url without padding (encode_cursor): an empty one is no position.
            Annotated[str, Field(min_length=1, pattern=CURSOR_PATTERN)],
            Field(None, description="The `next` link's cursor: where the page starts."),
        ),
        sort=(  # type: ignore[arg-type]  # a Literal of values known at run time
            Literal[SORTS],  # type: ignore[valid-type]
            Field("id", description="Sort column; a leading `-` sorts descending."),
        ),
        created_by=(
            Annotated[str, Field(pattern=NO_NUL)],
            Field(None, description="Only notes with this exact `created_by`."),
        ),
        priority=(
            Annotated[int, Field(ge=PRIORITY_MIN, le=PRIORITY_MAX), BeforeValidator(_integer)],
            Field(None, description="Only notes with this priority."),
        ),
    )


def parse_list_query(query: MultiMapping[str], default_limit: int, max_limit: int) -> ListQuery:
    """Validate the list's query string; every problem is listed in one 422."""
    messages = {
        "limit": f"must be an integer from 1 to {max_limit}",
        "sort": f"must be one of {', '.join(SORTS)}",
        "priority": f"must be an integer from {PRIORITY_MIN} to {PRIORITY_MAX}",
        "created_by": "must not contain the NUL character",
    }
    errors: list[dict[str, str]] = []
    for name in query:
        if name in PARAMETERS and len(query.getall(name)) > 1:
            errors.append(_param(name, "given more than once"))
    model = list_parameters(default_limit, max_limit)
    values: Any = None
    try:
        values = model.model_validate({name: query[name] for name in query})
    except ValidationError as exc:
        unknown, wrong = [], []
        for item in exc.errors():
            name = str(item["loc"][0])
            if item["type"] == "extra_forbidden":
                known = ", ".join(PARAMETERS)
                unknown.append(_param(name, f"unknown parameter; known: {known}"))
            elif name in messages:
                wrong.append(_param(name, messages[name]))
        errors = unknown + errors + wrong
    sort = values.sort if values is not None else query.get("sort", "id")
    if sort not in SORTS:
        sort = "id"

    after = None
    if "cursor" in query:
        after = decode_cursor(query["cursor"], sort)
        if after is None:
            errors.append(
                _param(
                    "cursor",
                    f"not a cursor of this list sorted by {sort}; follow the next link "
                    "unchanged, or start again without a cursor",
                )
            )
    if errors or values is None:
        raise invalid(errors, what="query string")
    return ListQuery(
        limit=values.limit,
        column=sort.lstrip("-"),
        descending=sort.startswith("-"),
        created_by=values.created_by,
        priority=values.priority,
        after=after,
    )


def encode_cursor(sort: str, value: Any, note_id: int) -> str:
    raw = orjson.dumps([sort, value, note_id])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, sort: str) -> tuple[Any, int] | None:
    """The position in ``token`` if it is a well-formed cursor for ``sort``, else None."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        made_for, value, note_id = orjson.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        return None
    if made_for != sort or not _is_id(note_id):
        return None
    column = sort.lstrip("-")
    if column == "id":
        valid = value == note_id
    elif column == "priority":
        valid = _is_int(value) and PRIORITY_MIN <= value <= PRIORITY_MAX
    else:
        valid = isinstance(value, str) and _is_timestamp(value)
    return (value, note_id) if valid else None


def _is_timestamp(value: str) -> bool:
    if not _CANONICAL_TIMESTAMP.fullmatch(value):
        return False
    try:
        datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        return False
    return True


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_id(value: Any) -> bool:
    return _is_int(value) and 0 <= value <= _ID_MAX


def _param(name: str, detail: str) -> dict[str, str]:
    item = error("", detail, "invalid_parameter")
    del item["pointer"]
    return {"parameter": name, **item}
