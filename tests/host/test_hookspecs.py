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
def test_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc, f"{name} has no docstring"
    first_line = doc.splitlines()[0]
    assert first_line.endswith(")") or first_line.endswith("."), first_line
    assert len(doc.splitlines()) >= 3, f"{name}: say what a caller may rely on"


@pytest.mark.parametrize("name", HOOKS)
def test_readme_names_hook(name):
    assert name in README, f"README.md does not mention {name}"
