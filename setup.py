"""The compiled modules, built with mypyc where they can be: gateway/window_counts.py (the
memory rate counters) and gateway/access_lines.py (the access log's entries and lines).

Everything else about the distribution is in pyproject.toml. Both run on every request: the rate
counters on each one the ratelimit plugin counts, compiled in half the instructions; the access
log on each one answered, compiled in about a fifth fewer (docs/architecture.md, "Kept
performance decisions"). The build is optional: without a C compiler (or on an interpreter mypyc
does not support) the same modules run as Python, with the same answers
(tests/ratelimit/test_compiled_counts.py and tests/host/test_compiled_access_lines.py hold each
pair alike). Set ``GATEWAY_NO_COMPILE=1`` to install without compiling.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED = ["gateway/window_counts.py", "gateway/access_lines.py"]


def extensions() -> list:
    if os.environ.get("GATEWAY_NO_COMPILE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # a build without its build requirements: Python only
        return []
    # The modules alone (what they import is not compiled, and read as untyped), without
    # pyproject's [tool.mypy], whose pydantic plugin is the type check's, not the build's.
    options = ["--config-file=", "--follow-imports=skip", "--ignore-missing-imports"]
    # separate: each module its own library, beside it in gateway/ (one shared library for
    # several modules is named by a hash, at the top of site-packages).
    built = mypycify([*options, *COMPILED], opt_level="3", separate=True)
    for extension in built:
        extension.optional = True  # a failed compile installs the Python module, not nothing
    return built


setup(ext_modules=extensions())
