"""The modules the install compiles with mypyc (setup.py), beside their Python sources: what
tests/ratelimit/test_compiled_counts.py and tests/host/test_compiled_access_lines.py hold alike.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType


def as_python(installed: ModuleType) -> ModuleType:
    """The source of ``installed`` (``gateway/NAME.py``), imported as Python whatever is
    installed: what an install without a C compiler runs."""
    name = installed.__name__.rpartition(".")[2]
    source = Path(installed.__file__ or "").with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"{name}_as_python", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_compiled_unless_told_not_to(installed: ModuleType, python: ModuleType) -> None:
    """``installed`` is the compiled library, unless the install was told not to compile
    (``GATEWAY_NO_COMPILE=1``); ``python`` is the source. So CI fails if the README's install
    silently lost the compiler."""
    compiled = not (installed.__file__ or "").endswith(".py")
    if os.environ.get("GATEWAY_NO_COMPILE") == "1":
        assert not compiled
    else:
        assert compiled, (
            f"{installed.__file__} was not compiled: install a C compiler (gcc) and reinstall "
            "(pip install -e .), or set GATEWAY_NO_COMPILE=1 to install and test the Python one"
        )
    assert (python.__file__ or "").endswith(".py")
