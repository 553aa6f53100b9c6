"""Notes input that used to cost far more than it should, or lose information."""

import orjson
import pytest

from tests.hostile.conftest import serve, stop
from tests.hostile.raw import one, request

pytestmark = pytest.mark.slow  # each module serves a real gateway process

JSON = {"Content-Type": "application/json"}


def test_100000_unknown_fields_answer_50_errors_and_a_count(gateway):
    body = orjson.dumps({"title": "t", **{f"{i:x}": 0 for i in range(100_000)}})
    answer = one(gateway.port, request("POST", "/notes", headers=JSON, body=body))
    assert answer.status == 422
    problem = answer.json()
    assert len(problem["errors"]) == 50
    assert problem["errors_not_listed"] == 99_950
    assert problem["errors"][0] == {
        "pointer": "#/0",
        "detail": problem["errors"][0]["detail"],
        "code": "unknown_field",
    }
    assert "100000 problems, the first 50" in problem["detail"]
    assert len(answer.body) < 20_000  # the request was 1 MB


def test_unknown_fields_and_invalid_ones_are_reported_together(gateway):
    body = orjson.dumps({"title": "", "priority": "high", "colour": "red"})
    answer = one(gateway.port, request("POST", "/notes", headers=JSON, body=body))
    assert answer.status == 422
    pointers = {e["pointer"]: e["code"] for e in answer.json()["errors"]}
    assert pointers["#/colour"] == "unknown_field"
    assert "#/title" in pointers and "#/priority" in pointers


def test_an_unknown_field_with_brackets_keeps_its_json_pointer(gateway):
    body = orjson.dumps({"title": "t", "tags[0]": "x", "a/b~c": 1})
    answer = one(gateway.port, request("POST", "/notes", headers=JSON, body=body))
    assert answer.status == 422
    pointers = sorted(e["pointer"] for e in answer.json()["errors"])
    assert pointers == ["#/a~1b~0c", "#/tags%5B0%5D"]


def test_charset_names_are_case_insensitive(gateway):
    for label in ("application/json; charset=UTF-8", "application/json; charset=Utf-8"):
        body = b'{"title": "java client"}'
        answer = one(
            gateway.port, request("POST", "/notes", headers={"Content-Type": label}, body=body)
        )
        assert answer.status == 201, answer.body
    latin = {"Content-Type": "application/json; charset=ISO-8859-1"}
    answer = one(gateway.port, request("POST", "/notes", headers=latin, body=b'{"title": "x"}'))
    assert answer.status == 415


@pytest.mark.parametrize(
    ("description", "pages"),
    [
        ("x" * 30_000, 3),  # two notes of 30 KB per 64 KiB page
        # 15,000 characters, 45 KB of UTF-8, one per page: the page weighs bytes, not characters.
        ("\u20ac" * 15_000, 5),
    ],
    ids=["ascii", "utf-8"],
)
def test_a_page_stops_at_max_page_bytes_and_next_continues(tmp_path, description, pages):
    served = serve(
        tmp_path,
        """
        [gateway]
        shutdown_timeout = 1
        [plugins.notes]
        database_url = "sqlite+aiosqlite:///notes.db"
        max_page_bytes = 65536
        """,
    )
    try:
        for i in range(5):
            note = {"title": f"heavy {i}", "description": description}
            body = orjson.dumps(note)
            assert (
                one(served.port, request("POST", "/notes", headers=JSON, body=body)).status == 201
            )
        seen = []
        path = "/notes?limit=5"
        walked = 0
        while path:
            page = one(served.port, request("GET", path))
            assert page.status == 200
            assert len(page.body) <= 65536 + 1024
            data = page.json()
            seen += [note["title"] for note in data["notes"]]
            walked += 1
            path = data["next"].split("gateway.test", 1)[1] if data["next"] else None
        assert seen == [f"heavy {i}" for i in range(5)]
        assert walked == pages
    finally:
        stop(served)
