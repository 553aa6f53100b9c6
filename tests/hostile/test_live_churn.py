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
