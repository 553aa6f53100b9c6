"""The plugin contract documents itself: every hook has a docstring, and the README names it."""

import inspect
from pathlib import Path

import pytest

from gateway import hookspecs

HOOKS = [
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("gateway_") and inspect.isfunction(value)
]
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_there_are_hooks():
    assert {"gateway_plugin_info", "gateway_create_app", "gateway_health_checks"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hook_says_in_one_paragraph_what_a_caller_may_rely_on(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc, f"{name} has no docstring"
    assert "\n\n" not in doc, f"{name}: one paragraph here; the long form is docs/plugins.md"
    assert "::" not in doc and ">>>" not in doc, f"{name}: examples belong in docs/plugins.md"
    assert doc.endswith("."), doc
    assert len(doc.splitlines()) >= 3, f"{name}: say what a caller may rely on"


def test_the_module_keeps_no_examples_either():
    assert "::" not in (hookspecs.__doc__ or ""), "examples belong in docs/plugins.md"


@pytest.mark.parametrize("name", HOOKS)
def test_readme_names_hook(name):
    assert name in README, f"README.md does not mention {name}"
