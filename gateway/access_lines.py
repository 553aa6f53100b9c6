"""The access log's entries and lines: each request's values gathered into an entry, and the
entries made text or JSON lines when their batch is written.

gateway/access_log.py's logger calls :func:`queue_entry` once per answered request, which
queues the entry (a tuple) on the writer (gateway/log_writer.py); the writer renders the
waiting entries with :func:`text_line` or :func:`json_line` and writes them in one call. The
formats, their fields and their escaping are described in gateway/access_log.py.

The install compiles this module with mypyc (setup.py) where a C compiler is found, as it does
the rate counters: the access log was 27k of ``GET /health/live``'s 215k instructions as
Python, and is 22k of 209k compiled (docs/architecture.md, "Kept performance decisions"). It
must stay a module mypyc compiles: what it imports (the standard library, orjson and the
gateway modules above) is read as untyped, and its own types must be precise enough to be
native where it counts (tests/host/test_compiled_access_lines.py holds the compiled and the
Python module to the same lines).
"""

from __future__ import annotations

import time
from time import perf_counter
from typing import Any, Final

import orjson

from gateway.aiohttp_seam import access_facts, app_state
from gateway.keys import ACCESS_NAMES, IDENTITY, REQUEST_ID, REQUEST_STARTED
from gateway.log_writer import writer
from gateway.request_id import HEADER

LOGGER_NAME: Final = "aiohttp.access"


class _Clock:
    """The current time as log lines write it, each millisecond's text made once: under load
    many lines share a millisecond, and formatting a time costs more than the rest of a line.

    Each format's last millisecond and its text are one tuple, replaced whole, so a line
    rendered on another thread (a flush at exit) never pairs one millisecond with another's
    text.
    """

    def __init__(self) -> None:
        self._second = -1
        self._local = self._utc = ""
        self._text_at: tuple[int, str] = (-1, "")
        self._iso_at: tuple[int, str] = (-1, "")

    def _tick(self, second: int) -> tuple[str, str]:
        local = time.strftime("%Y-%m-%d %H:%M:%S,", time.localtime(second))
        utc = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        self._second, self._local, self._utc = second, local, utc
        return local, utc

    def _prefixes(self, second: int) -> tuple[str, str]:
        if second != self._second:
            return self._tick(second)
        return self._local, self._utc

    def text(self, now: float) -> str:
        """``2026-12-02 08:00:00,123``, local time: what ``logging.Formatter`` writes."""
        ms = int(now * 1000)
        last = self._text_at
        if ms != last[0]:
            second, millis = divmod(ms, 1000)
            last = self._text_at = (ms, self._prefixes(second)[0] + _MILLIS[millis])
        return last[1]

    def iso(self, now: float) -> str:
        """``2026-12-02T08:00:00.123Z``: ISO 8601 in UTC, for JSON lines."""
        ms = int(now * 1000)
        last = self._iso_at
        if ms != last[0]:
            second, millis = divmod(ms, 1000)
            last = self._iso_at = (ms, self._prefixes(second)[1] + _MILLIS[millis] + "Z")
        return last[1]


_MILLIS: Final = [f"{n:03d}" for n in range(1000)]
clock: Final = _Clock()


# Hundredths of a millisecond as the text format writes them, made once.
_HUNDREDTHS: Final = [f"{n:02d}" for n in range(100)]


def _escaped(value: str) -> str:
    """``value`` with control characters, backslashes, quotes and every byte outside ASCII
    escaped (``\\n``, ``\\xff``): the bytes as the client sent them, on one line."""
    raw = value.encode("utf-8", "surrogateescape").decode("latin-1")
    return raw.encode("unicode_escape").decode("ascii").replace('"', '\\"')


# A request's access entry, queued on the writer as it is and rendered when its batch is
# written: (render, when, took, request_id, peer, method, path, status, bytes_sent, names,
# user_agent, user), render being text_line or json_line and names (instance, plugin, label).
Entry = tuple[Any, ...]


_now = time.time

# The names of an answer from the host's own routes, and of one answered before routing.
GATEWAY_NAMES: Final = ("gateway", "gateway", "gateway")
UNROUTED_NAMES: Final = ("-", "-", "-")


def queue_entry(render: Any, peer_of: Any, request: Any, response: Any, took: float) -> None:
    """Queue ``request``'s entry on the writer, to be made a line by ``render`` (:func:`text_line`
    or :func:`json_line`) when its batch is written; ``peer_of(request)`` is the peer it names
    (``None``: the socket peer). ``took`` is aiohttp's own measure, used for an answer given
    before the root middleware ran.
    """
    # The request's and response's own fields (gateway/aiohttp_seam.py) rather than a public
    # property each: with a Python call per field the line cost about a tenth of a fast
    # request. tests/host/test_logging.py checks every field of both formats, on both paths
    # of the seam.
    state, method, path, agent, peer, apps, status, size = access_facts(request, response)
    started = state.get(REQUEST_STARTED)
    # None: answered before the root middleware (a parser error); aiohttp's own measure is
    # then on the event loop's coarser clock, and the id is the one the answer carries (a
    # dict lookup first: the headers' is case-insensitive, so dearer).
    if started is not None:
        took = perf_counter() - started
    request_id = state.get(REQUEST_ID) or response.headers.get(HEADER, "-")
    if peer_of is not None:
        peer = peer_of(request)
    # The instance whose sub-application answered: apps[0] is the root, apps[1] the mounted
    # plugin's (whatever it mounts inside itself), read as gateway.middleware's mounted_plugin
    # reads it. Not that function itself: a line also tells a request answered before routing
    # ("-", no match info) from the host's own routes ("gateway").
    if apps is None:
        names = UNROUTED_NAMES
    elif len(apps) > 1:
        names = app_state(apps[1]).get(ACCESS_NAMES, GATEWAY_NAMES)
    else:
        names = GATEWAY_NAMES
    # Who, by name (an API key's configured name, a token's subject), never the credential.
    identity = state.get(IDENTITY)
    user = None if identity is None else identity.name
    # The values, not the line: rendered when the writer writes its batch (see
    # gateway.access_log.TextAccessLogger).
    writer.append(
        (render, _now(), took, request_id, peer, method, path, status, size, names, agent, user)
    )


# Under --workers, the process that answered: "[1234] " in text lines, "pid" in JSON ones
# (gateway.logs.configure_logging sets it in each worker).
_process_text = ""
_process_id: int | None = None


def show_process_id(pid: int | None) -> None:
    """Name the process ``pid`` in every access line from now on (``None``: name none)."""
    global _process_text, _process_id
    _process_id, _process_text = pid, ("" if pid is None else f"[{pid}] ")


def _user_text(user: str) -> str:
    # A token's subject may hold spaces or quotes: escaped, so it stays one field.
    if user.isprintable() and " " not in user and '"' not in user and "\\" not in user:
        return user
    return _escaped(user).replace(" ", "\\x20")


def text_line(entry: Entry) -> str:
    """An access line in the text format."""
    _, when, took, request_id, peer, method, path, status, size, names, agent, user = entry
    try:
        # Typed, for the compiled module's sake (native strings and floats); a value of
        # another type fails here, and the line says so, as Python would below.
        text_path: str = path
        text_agent: str = agent
        seconds: float = took
        if not text_path.isprintable():
            text_path = _escaped(text_path)
        if not text_agent.isprintable() or '"' in text_agent or "\\" in text_agent:
            text_agent = _escaped(text_agent)
        stamp = clock.text(when)
        # Milliseconds with two decimals in integers: a float's :.2f goes through the general
        # float formatter, dearer than the line's other numbers together.
        whole, hundredths = divmod(int(seconds * 100_000 + 0.5), 100)
        user = "-" if user is None else _user_text(user)
        return (
            f"{stamp} {_process_text}INFO {LOGGER_NAME} [{request_id}] {peer} {method} "
            f"{text_path} {status} {size}B {whole}.{_HUNDREDTHS[hundredths]}ms {names[2]} "
            f'{user} "{text_agent}"\n'
        )
    except Exception as exc:
        return _unformattable(path, exc)


def json_line(entry: Entry) -> str:
    """An access line in the JSON format."""
    _, when, took, request_id, peer, method, path, status, size, names, agent, user = entry
    try:
        line: dict[str, Any] = {
            "time": clock.iso(when),
            "level": "info",
            "logger": LOGGER_NAME,
            "message": f"{method} {path} {status}",
            "request_id": request_id,
            "peer": peer,
            "method": method,
            "path": path,
            "status": status,
            "bytes_sent": size,
            # Microseconds made milliseconds: what round(..., 3) gives, without its general
            # path.
            "duration_ms": int(took * 1_000_000 + 0.5) / 1000,
            "instance": names[0],
            "plugin": names[1],
            "user": user,
            "user_agent": agent,
        }
        if _process_id is not None:
            line["pid"] = _process_id
        try:
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:  # a header with bytes that are not UTF-8
            line = {k: _utf8(v) for k, v in line.items()}
            encoded = orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
        return encoded.decode()
    except Exception as exc:
        return _unformattable(path, exc)


def _unformattable(path: str, exc: Exception) -> str:
    # A line is never dropped, even one that cannot be shown; and a renderer never raises,
    # or the writer would lose the rest of its batch.
    return f"unformattable access line for {path!r}: {exc!r}\n"


def _utf8(value: Any) -> Any:
    """A header's bytes that are not UTF-8 (aiohttp keeps them as surrogates) as ``\\xff``."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return value
