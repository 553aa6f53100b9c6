"""The memory counters as installed (compiled by mypyc, setup.py) and as Python: the same
answers. test_memory_counts.py holds the installed ones to limits' own; this holds the Python
module, what an install without a C compiler runs, to them."""

from hypothesis import given, settings, strategies as st

import gateway.window_counts as installed
from tests.compiled import as_python, assert_compiled_unless_told_not_to

AS_PYTHON = as_python(installed)


def test_the_counters_are_compiled_unless_told_not_to():
    assert_compiled_unless_told_not_to(installed, AS_PYTHON)


@settings(max_examples=200, deadline=None)
@given(
    strategy=st.sampled_from(["sliding-window", "fixed-window", "moving-window"]),
    window=st.sampled_from([1, 10, 60, 3600]),
    start=st.sampled_from([1_000_000_000.37, 1_800_000_000.0, 1_733_000_059.9999999]),
    steps=st.lists(
        st.tuples(
            st.one_of(st.sampled_from([0, 1, 1023, 1024, 1025]), st.integers(0, 400_000)),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([0, 1, 2, 5, 100]),  # the limit
            st.booleans(),  # count, or only read the stats
        ),
        min_size=1,
        max_size=80,
    ),
)
def test_compiled_and_python_counters_answer_alike(strategy, window, start, steps):
    compiled = installed.MemoryCounts(strategy).table(window)
    python = AS_PYTHON.MemoryCounts(strategy).table(window)
    elapsed = 0
    for step, key, limit, counts in steps:
        elapsed += step
        now = start + elapsed / 1024
        if counts:
            assert compiled.count(key, limit, now) == python.count(key, limit, now), now
        else:
            assert compiled.stats(key, limit, now) == python.stats(key, limit, now), now
        assert len(compiled) == len(python)
