"""A Host header that cannot be used in a URL is a 400 before any handler runs."""

import orjson
import pytest

from tests.hostile.raw import one, request

BAD_HOSTS = [
    b"gateway.test:99999",  # port out of range
    b"gateway.test:http",  # port not a number
    b"a:b:c",  # several colons
    b"ex>ample.test",  # a byte not valid in a host
    b'x>; rel="preload", <https://evil.test',  # would inject link-values into Link
    b"xn--zz.test",  # a label IDNA rejects
    b"[not-ipv6]:80",
    b"caf\xc3\xa9.test",  # raw UTF-8: on the wire a name is ASCII (xn--)
    b"",
]


def count_notes(port: int) -> int:
    answer = one(port, request("GET", "/notes?limit=500"))
    assert answer.status == 200
    return len(answer.json()["notes"])


def post_note(port: int, host: bytes = b"gateway.test") -> object:
    body = orjson.dumps({"title": "from a raw socket"})
    headers = {"Content-Type": "application/json"}
    return one(port, request("POST", "/notes", host=host, headers=headers, body=body))


@pytest.mark.parametrize("host", BAD_HOSTS, ids=lambda h: h.decode("latin-1") or "empty")
def test_bad_host_is_400_and_post_stores_nothing(gateway, host):
    before = count_notes(gateway.port)
    mark = gateway.log_mark()
    answer = post_note(gateway.port, host)
    assert answer.status == 400, answer
    assert answer.header("Content-Type") == "application/problem+json"
    assert answer.header("X-Request-ID")
    problem = answer.json()
    assert problem["status"] == 400 and "Host header" in problem["detail"]
    assert count_notes(gateway.port) == before
    assert "Traceback" not in gateway.log_since(mark)


@pytest.mark.parametrize("host", BAD_HOSTS[:5], ids=lambda h: h.decode("latin-1"))
def test_bad_host_on_a_list_with_a_next_page_is_400(gateway, host):
    post_note(gateway.port)
    post_note(gateway.port)  # default_limit is 1: the list has a next page
    answer = one(gateway.port, request("GET", "/notes", host=host))
    assert answer.status == 400
    assert answer.header("Link") is None


@pytest.mark.parametrize(
    "host", [b"gateway.test:8080", b"[::1]:8080", b"127.0.0.1", b"my_service.internal."]
)
def test_links_carry_the_validated_host_and_one_link_value(gateway, host):
    created = post_note(gateway.port, host)
    assert created.status == 201
    assert created.header("Location").startswith(f"http://{host.decode()}/notes/")
    post_note(gateway.port, host)
    page = one(gateway.port, request("GET", "/notes", host=host))
    assert page.status == 200
    (link,) = page.headers["link"]
    assert link.startswith(f"<http://{host.decode()}/notes?cursor=") and link.endswith(
        '>; rel="next"'
    )
    assert link.count("<") == 1 and link.count(",") == 0
    assert page.json()["next"] == link[1 : link.index(">")]
