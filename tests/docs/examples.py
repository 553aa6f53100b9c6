"""The Python blocks of README.md and docs/*.md, and what each says about itself.

Every ```python block is preceded by an HTML comment that says what it is:

- ``<!-- runnable: plugin NAME -->``: a folder plugin module, ``my_plugins/NAME.py``. The
  blocks of one document with one NAME are joined in order into that module, so a page can
  show one plugin a hook at a time and still have it run.
- ``<!-- runnable: test PATH -->``: a pytest file, written at PATH in a project that holds
  the document's plugins in ``my_plugins/`` (``; plugins from FILE`` takes another
  document's), the plugin ``gateway new-plugin hello --with-command`` writes (importable as
  ``gateway_hello``) and pytest-asyncio's settings; pytest must pass every test in it.
- ``<!-- hook: NAME -->``: a hook's signature (checked by tests/host/test_hook_reference.py).
- ``<!-- not runnable: WHY -->``: a fragment, on purpose.

Other comments may stand between the marker and the block (the README's names for its
blocks, which tests/host uses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"((?:<!--[^\n]*?-->[ \t]*\n\s*)*)```python\n(.*?)^```", re.M | re.S)
_COMMENT = re.compile(r"<!--\s*(.*?)\s*-->")
KINDS = ("runnable: plugin ", "runnable: test ", "hook: ", "not runnable: ")


@dataclass(frozen=True)
class Block:
    document: str  # relative to the repository: "docs/plugins.md"
    line: int
    marker: str | None
    code: str


def blocks() -> Iterator[Block]:
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            markers = [
                comment for comment in _COMMENT.findall(match.group(1)) if comment.startswith(KINDS)
            ]
            yield Block(
                str(path.relative_to(ROOT)),
                text.count("\n", 0, match.start(2)) + 1,
                markers[-1] if markers else None,
                match.group(2),
            )


def plugins(document: str) -> dict[str, str]:
    """The runnable plugins of ``document``: module source by plugin name."""
    joined: dict[str, list[str]] = {}
    for block in blocks():
        if block.document == document and block.marker and block.marker.startswith(KINDS[0]):
            joined.setdefault(block.marker.removeprefix(KINDS[0]).strip(), []).append(block.code)
    return {name: "\n\n".join(parts) for name, parts in joined.items()}


@dataclass(frozen=True)
class PytestFile:
    path: str
    code: str
    plugins_from: str


def pytest_files(document: str) -> list[PytestFile]:
    found = []
    for block in blocks():
        if block.document == document and block.marker and block.marker.startswith(KINDS[1]):
            spec = block.marker.removeprefix(KINDS[1])
            path, _, source = spec.partition(";")
            source = source.strip().removeprefix("plugins from ").strip() or document
            found.append(PytestFile(path.strip(), block.code, source))
    return found
