"""The memory counters as installed (compiled by mypyc, setup.py) and as Python: the same
answers. test_memory_counts.py holds the installed ones to limits' own; this holds the Python
module, what an install without a C compiler runs, to them."""

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings, strategies as st

import gateway.window_counts as installed

SOURCE = Path(installed.__file__).with_name("window_counts.py")


def python_module() -> ModuleType:
    """gateway/window_counts.py itself, imported from its source whatever is installed."""
    spec = importlib.util.spec_from_file_location("window_counts_as_python", SOURCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


AS_PYTHON = python_module()


def test_the_counters_are_compiled_unless_told_not_to():
    compiled = not installed.__file__.endswith(".py")
    if os.environ.get("GATEWAY_NO_COMPILE") == "1":
        assert not compiled
    else:
        assert compiled, (
            f"{installed.__file__} was not compiled: install a C compiler (gcc) and reinstall "
            "(pip install -e .), or set GATEWAY_NO_COMPILE=1 to install and test the Python one"
        )
    assert not AS_PYTHON.__file__.endswith(".so")


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
