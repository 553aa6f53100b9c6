"""The one compiled module: gateway/window_counts.py, built with mypyc where it can be.

Everything else about the distribution is in pyproject.toml. The rate counters run on every
request the ratelimit plugin counts, and compiled a count takes half the instructions
(docs/architecture.md, "Kept performance decisions"). The build is optional: without a C
compiler (or on an interpreter mypyc does not support) the same module runs as Python, with the
same answers (tests/ratelimit/test_compiled_counts.py holds the two alike, test_memory_counts.py
the installed one to limits'). Set ``GATEWAY_NO_COMPILE=1`` to install without compiling.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = ["gateway/window_counts.py"]


def extensions() -> list:
    if os.environ.get("GATEWAY_NO_COMPILE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # a build without its build requirements: Python only
        return []
    # The module alone (it imports only the standard library), without pyproject's
    # [tool.mypy], whose pydantic plugin is the type check's, not the build's.
    options = ["--config-file=", "--follow-imports=skip", "--ignore-missing-imports"]
    built = mypycify([*options, *COMPILED], opt_level="3")
    for extension in built:
        extension.optional = True  # a failed compile installs the Python module, not nothing
    return built


setup(ext_modules=extensions())
