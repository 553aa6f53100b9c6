"""The access log's lines as installed (gateway/access_lines.py compiled by mypyc, setup.py)
and as Python: the same lines for the same entries. tests/host/test_logging.py holds the
installed module to the formats, through a served gateway; this holds the Python module, what
an install without a C compiler runs, to the compiled one."""

import json

from hypothesis import given, settings, strategies as st

import gateway.access_lines as installed
from tests.compiled import as_python, assert_compiled_unless_told_not_to

AS_PYTHON = as_python(installed)


def test_the_access_lines_are_compiled_unless_told_not_to():
    assert_compiled_unless_told_not_to(installed, AS_PYTHON)


# What a client can put in a path or a header, as aiohttp hands it on: any text, with control
# characters, quotes, backslashes, non-ASCII and the surrogates of bytes that are not UTF-8.
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(' "\\\t\n\r\x00\x1b\x7f/?=&%é€😀')),
        st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),  # surrogateescape'd bytes
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)

entries = st.tuples(
    st.floats(1_700_000_000.0, 1_900_000_000.0),  # when
    st.one_of(st.floats(0.0, 100.0), st.sampled_from([0.0, 0.000004999, 0.00000500001, 1.5])),
    # A request id as gateway.request_id chooses one (a client's only if it is safe to log).
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF0123456789-._", min_size=1, max_size=64),
    st.one_of(st.none(), st.sampled_from(["127.0.0.1", "::1", "203.0.113.9"])),  # peer
    st.sampled_from(["GET", "POST", "OPTIONS", "BREW"]),
    hostile_text,  # path
    st.integers(100, 599),
    st.integers(0, 10**9),  # bytes sent
    st.sampled_from([("gateway",) * 3, ("-",) * 3, ("billing", "proxy", "billing (proxy)")]),
    hostile_text,  # user agent
    st.one_of(st.none(), hostile_text),  # user
)


@settings(max_examples=300, deadline=None)
@given(entry=entries, pid=st.one_of(st.none(), st.integers(1, 4_194_304)))
def test_compiled_and_python_lines_are_alike(entry, pid):
    try:
        installed.show_process_id(pid)
        AS_PYTHON.show_process_id(pid)
        for name in ("text_line", "json_line"):
            compiled = getattr(installed, name)((getattr(installed, name), *entry))
            python = getattr(AS_PYTHON, name)((getattr(AS_PYTHON, name), *entry))
            assert compiled == python, name
            assert compiled.endswith("\n") and compiled.count("\n") == 1, compiled
        line = json.loads(installed.json_line((None, *entry)))
        assert (line["path"], line["user_agent"]) == (
            AS_PYTHON._utf8(entry[5]),
            AS_PYTHON._utf8(entry[9]),
        )
    finally:
        installed.show_process_id(None)
        AS_PYTHON.show_process_id(None)


def test_an_entry_it_cannot_render_is_a_line_that_says_so():
    # A renderer never raises (the writer would lose the rest of its batch): an entry with a
    # value of the wrong type is a line naming the path. The wording of the error may differ
    # between the two (the compiled module checks types), the line's shape does not.
    entry = (None, 1_800_000_000.0, 0.001, "id", None, "GET", "/x", 200, 1, ("-",) * 3, 5, None)
    for module in (installed, AS_PYTHON):
        line = module.text_line(entry)
        assert line.startswith("unformattable access line for '/x': ") and line.endswith("\n")
