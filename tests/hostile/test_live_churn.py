"""The live feed under subscription churn: junk does not delay a real subscriber, and one
socket cannot churn without limit (a fake CoinGecko with upstream latency, a real gateway)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import orjson
import pytest

from tests.hostile.conftest import ServedGateway, serve, stop
from tests.hostile.raw import one, request
from tests.hostile.test_live_feed import Frames, accepted, fake_url, frame  # noqa: F401

pytestmark = pytest.mark.slow  # each module serves a real gateway process

UPSTREAM_LATENCY = 0.3  # seconds CoinGecko takes for every answer
CHURNERS = 40
# A real subscriber's first prices take one upstream call; this leaves room for a busy
# 2-core machine. Queued behind the junk on the 10 upstream connections they took 5 calls.
SNAPSHOT_BOUND = 3 * UPSTREAM_LATENCY


@pytest.fixture(scope="module")
def feed(tmp_path_factory, fake_url) -> Iterator[ServedGateway]:  # noqa: F811
    served = serve(
        tmp_path_factory.mktemp("churn"),
        f"""
        [gateway]
        shutdown_timeout = 1
        max_connections_per_peer = 0
        [plugins.health]
        [plugins.crypto]
        base_url = "{fake_url}"
        ws_refresh = 1
        # Churners here are not stopped by the message rate (tested below with its own gateway):
        # what keeps the real subscriber's wait short must be the feed itself.
        ws_message_rate = "100000/minute"
        """,
    )
    port = int(fake_url.rsplit(":", 1)[1])
    slow = request("GET", f"/_fake/mode?mode=slow&delay={UPSTREAM_LATENCY}", host=b"127.0.0.1")
    assert one(port, slow).status == 200
    yield served
    stop(served)


class Churner(threading.Thread):
    """One socket subscribing to fresh unknown ids as fast as it is answered."""

    names = itertools.count()

    def __init__(self, port: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.stop, self.sent, self.closed_with = port, stop, 0, None

    def run(self) -> None:
        sock, rest = accepted(self.port)
        frames = Frames(sock, rest)
        with sock:
            while not self.stop.is_set():
                ids = [f"junk-{next(self.names)}-{i}" for i in range(20)]
                try:
                    sock.sendall(frame(orjson.dumps({"subscribe": ids, "vs": "usd"})))
                    self.sent += 1
                    opcode, payload = frames.next()
                    if opcode == 8:
                        self.closed_with = int.from_bytes(payload[:2], "big")
                        return
                    if orjson.loads(payload)["type"] == "subscribed":
                        frames.next()  # its prices (all null) or an error
                except (OSError, EOFError):
                    return


def test_a_new_subscribers_snapshot_does_not_queue_behind_junk(feed):
    stop_churn = threading.Event()
    churners = [Churner(feed.port, stop_churn) for _ in range(CHURNERS)]
    for churner in churners:
        churner.start()
    try:
        time.sleep(3)  # the churn is in full swing
        assert sum(c.sent for c in churners) > CHURNERS
        waits = []
        for coin in ("ethereum", "tether", "usd-coin"):
            sock, rest = accepted(feed.port)
            with sock:
                frames = Frames(sock, rest)
                started = time.monotonic()
                sock.sendall(frame(orjson.dumps({"subscribe": [coin], "vs": "eur"})))
                ack = frames.json()
                assert ack["type"] == "subscribed", ack
                snapshot = frames.json()
                waits.append(time.monotonic() - started)
            assert snapshot["type"] == "prices" and snapshot["snapshot"] is True
            assert snapshot["prices"][coin] is not None
    finally:
        stop_churn.set()
        for churner in churners:
            churner.join(timeout=10)
    assert max(waits) < SNAPSHOT_BOUND, waits


RATE = 5  # messages per WINDOW seconds, in the limited gateway below
WINDOW = 2
REFUSED_BEFORE_CLOSE = 3


@pytest.fixture(scope="module")
def limited(tmp_path_factory, fake_url) -> Iterator[ServedGateway]:  # noqa: F811
    served = serve(
        tmp_path_factory.mktemp("limited"),
        f"""
        [gateway]
        shutdown_timeout = 1
        [plugins.health]
        [plugins.crypto]
        base_url = "{fake_url}"
        ws_refresh = 30
        ws_message_rate = "{RATE} per {WINDOW} seconds"
        ws_refused_before_close = {REFUSED_BEFORE_CLOSE}
        """,
    )
    yield served
    stop(served)


def subscribe_message(ids: list[str]) -> bytes:
    return frame(orjson.dumps({"subscribe": ids, "vs": "usd"}))


def test_past_its_message_rate_a_socket_is_told_then_closed_with_1008(limited):
    sock, rest = accepted(limited.port)
    mark = limited.log_mark()
    with sock:
        frames = Frames(sock, rest)
        for _ in range(RATE):
            sock.sendall(subscribe_message([]))  # unsubscribing counts too
            assert frames.json()["type"] == "subscribed"
        for _ in range(REFUSED_BEFORE_CLOSE - 1):
            sock.sendall(subscribe_message(["bitcoin"]))
            opcode, payload = frames.next()
            assert opcode == 1 and len(payload) < 512  # a short error, whatever was sent
            refusal = orjson.loads(payload)
            assert refusal["type"] == "error" and "too many messages" in refusal["error"]
            assert f"at most {RATE} per {WINDOW} seconds" in refusal["error"]
            assert 1 <= refusal["retry_after"] <= WINDOW
        sock.sendall(subscribe_message(["bitcoin"]))
        assert frames.close_code() == 1008
    log = limited.log_since(mark)
    assert "kept sending past its message rate" in log and "Traceback" not in log


def test_a_socket_that_waits_for_its_window_is_served_again(limited):
    sock, rest = accepted(limited.port)
    with sock:
        frames = Frames(sock, rest)
        for _ in range(RATE):
            sock.sendall(subscribe_message([]))
            assert frames.json()["type"] == "subscribed"
        sock.sendall(subscribe_message(["bitcoin"]))
        refusal = frames.json()
        assert "too many messages" in refusal["error"]
        time.sleep(refusal["retry_after"] + 0.1)
        sock.sendall(subscribe_message(["bitcoin"]))  # the refused one did not count
        assert frames.json() == {"type": "subscribed", "ids": ["bitcoin"], "vs": "usd"}
        assert frames.json()["prices"] == {"bitcoin": 67187.33}


def test_each_socket_has_its_own_window(limited):
    first, rest = accepted(limited.port)
    with first:
        frames = Frames(first, rest)
        for _ in range(RATE):
            first.sendall(subscribe_message([]))
            assert frames.json()["type"] == "subscribed"
        second, rest = accepted(limited.port)
        with second:
            second.sendall(subscribe_message(["bitcoin"]))
            assert Frames(second, rest).json()["type"] == "subscribed"
