"""docs/plugins.md documents every hook in gateway/hookspecs.py, with its exact signature and
hookspec options, and says when it runs, what it gets and what it returns."""

import inspect
import re
from pathlib import Path

import pytest

from gateway import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs"
REFERENCE = (DOCS / "plugins.md").read_text()
HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("gateway_") and inspect.isfunction(value)
)
# <!-- hook: NAME --> then a python block: the decorator line and the def line.
DOCUMENTED = {
    match.group(1): (match.group(2).strip(), match.group(3).strip())
    for match in re.finditer(
        r"<!-- hook: (\w+) -->\s*```python\n(@hookspec[^\n]*)\n(def [^\n]*)\n```", REFERENCE
    )
}


def signature_of(name: str) -> str:
    """``def NAME(arg: Type, ...) -> Return`` from hookspecs.py's own annotations (strings)."""
    function = getattr(hookspecs, name)
    params = ", ".join(
        f"{p.name}: {p.annotation}" if p.annotation is not p.empty else p.name
        for p in inspect.signature(function, eval_str=False).parameters.values()
    )
    returns = inspect.signature(function, eval_str=False).return_annotation
    return f"def {name}({params}) -> {returns}"


def decorator_of(name: str) -> str:
    options = getattr(hookspecs, name).gateway_spec
    shown = [f"{key}=True" for key in sorted(options) if options[key] is True]
    return f"@hookspec({', '.join(shown)})" if shown else "@hookspec"


def test_every_hook_and_only_hooks_are_documented():
    assert sorted(DOCUMENTED) == HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_signature_matches_hookspecs(name):
    assert name in DOCUMENTED, f"docs/plugins.md has no <!-- hook: {name} --> section"
    decorator, signature = DOCUMENTED[name]
    assert signature == signature_of(name)
    assert decorator == decorator_of(name)


@pytest.mark.parametrize("name", HOOKS)
def test_section_says_when_it_runs_what_it_gets_and_returns(name):
    section = REFERENCE.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
    for row in ("| runs |", "| arguments |", "| returns |", "| kind |"):
        assert row in section, f"{name}: no {row} row"
    assert "```python\n@hookimpl" in section or "@hookimpl\n" in section, f"{name}: no example"


def test_the_signature_check_can_fail():
    assert signature_of("gateway_create_app") != "def gateway_create_app(settings) -> None"


def test_lifecycle_page_covers_every_stage():
    page = (DOCS / "plugin-lifecycle.md").read_text()
    stages = ["Discovery", "Validation", "Build", "Start-up", "Serving", "SIGHUP", "Shutdown"]
    headings = re.findall(r"^## \d\. (.+)$", page, re.MULTILINE)
    for stage, heading in zip(stages, headings, strict=True):
        assert heading.startswith(stage), headings
