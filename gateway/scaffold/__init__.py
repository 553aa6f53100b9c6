"""``gateway new-plugin NAME``: write ``gateway-NAME``, an installable plugin with passing tests.

The templates in ``templates/`` are rendered here with :class:`string.Template` rather than by
copier or cookiecutter: they must match this host's hooks exactly, which holds when they ship
and are tested with it; rendering them costs no dependency and works offline. ``$name`` and
friends do not clash with Python's or TOML's own braces.
"""

from __future__ import annotations

import argparse
import importlib.util
import keyword
import re
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from string import Template
from typing import Any

from gateway.plugins import BUILTIN_DISTRIBUTION, ENTRY_POINT_GROUP

TEMPLATES = Path(__file__).with_name("templates")
# A plugin name is its [plugins.NAME] table, its URL prefix and part of its import name.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 40


@dataclass(frozen=True)
class Options:
    name: str
    with_command: bool = False
    # No routes: a gateway_middlewares hook acting on other plugins' requests.
    middleware_only: bool = False


def distribution_name(name: str) -> str:
    """``gateway-NAME``, with ``_`` as ``-`` as packaging normalises it (``gateway-rate-limit``)."""
    return "gateway-" + name.replace("_", "-")


def name_problem(name: str, directory: Path) -> str | None:
    """Why ``name`` cannot be a new plugin in ``directory``, or None when it can."""
    if not _NAME.match(name) or len(name) > MAX_NAME:
        return (
            f"{name!r} is not a plugin name: use lower-case letters, digits and _, starting "
            f"with a letter, at most {MAX_NAME} characters (it becomes the [plugins.{name}] "
            f"table, the /{name} prefix and the package gateway_{name})"
        )
    from gateway.cli import host_commands  # the CLI imports this module as it builds

    # --with-command makes `gateway NAME`: a host command's name would be skipped as a clash.
    if keyword.iskeyword(name) or name in host_commands():
        return f"{name!r} is reserved (a Python keyword or a gateway command)"
    installed = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name in installed:
        dist = installed[name].dist
        owner = f"distribution {dist.name}" if dist is not None else "an entry point"
        if dist is not None and dist.name == BUILTIN_DISTRIBUTION:
            owner = "built in"
        return f"an installed plugin is already named {name!r} ({owner}); choose another name"
    if importlib.util.find_spec(f"gateway_{name}") is not None:
        return f"a module gateway_{name} is already importable here; choose another name"
    target = directory / distribution_name(name)
    if target.exists():
        return f"{target} already exists; remove it or choose another name or --directory"
    return None


def render(options: Options, directory: Path) -> list[Path]:
    """Write the project under ``directory / gateway-NAME``; return the files written."""
    name = options.name
    package = f"gateway_{name}"
    header = "X-" + "-".join(part.capitalize() for part in name.split("_") if part)
    views = "" if options.middleware_only else f"from {package}.views import GREETING, greet\n"
    values = {
        "header": header,
        "name": name,
        "dist": distribution_name(name),
        "package": package,
        "imports": "import argparse\nfrom typing import Any\n\n" if options.with_command else "",
        "package_imports": (f"from {package} import cli\n" if options.with_command else "")
        + f"from {package}.settings import Settings\n"
        + views,
        "command_hook": _COMMAND_HOOK if options.with_command else "",
        "command_test": Template(_COMMAND_TEST).substitute(name=name, package=package)
        if options.with_command
        else "",
        "readme_command": Template(_README_COMMAND).substitute(name=name)
        if options.with_command
        else "",
    }
    root = directory / distribution_name(name)
    layout = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        ".gitignore": "gitignore.tmpl",
        f"{package}/__init__.py": "package_init.py.tmpl",
        f"{package}/settings.py": "settings.py.tmpl",
        f"{package}/views.py": "views.py.tmpl",
        f"tests/test_{name}.py": "test_plugin.py.tmpl",
    }
    if options.middleware_only:
        del layout[f"{package}/views.py"]
        layout["README.md"] = "README_middleware.md.tmpl"
        layout[f"{package}/__init__.py"] = "middleware_init.py.tmpl"
        layout[f"tests/test_{name}.py"] = "test_middleware.py.tmpl"
    if options.with_command:
        layout[f"{package}/cli.py"] = "cli.py.tmpl"
    written = []
    for relative, template in layout.items():
        text = Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(re.sub(r"\n{3,}$", "\n", text.rstrip("\n") + "\n"), encoding="utf-8")
        written.append(path)
    return written


_COMMAND_HOOK = """

@hookimpl
def gateway_register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    cli.register(subparsers)
"""

_COMMAND_TEST = """

def test_command_prints_the_configured_greeting(gateway_cli):
    config = {"plugins": {"$name": {"greeting": "Hi"}}}
    result = gateway_cli("$name", "Ada", config=config, plugins=[$package])
    assert (result.exit_code, result.stdout) == (0, "Hi, Ada!\\n")
"""

_README_COMMAND = """
## Command line

```sh
$$ gateway $name Ada --config plugins.toml
Hello, Ada!
```
"""


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    command = subparsers.add_parser(
        "new-plugin", help="write gateway-NAME: an installable plugin with passing tests"
    )
    command.add_argument("name", metavar="NAME", help="the plugin's name, e.g. hello")
    command.add_argument(
        "--with-command", action="store_true", help="also contribute `gateway NAME` to the CLI"
    )
    command.add_argument(
        "--middleware-only",
        action="store_true",
        help="no routes: a middleware acting on other plugins' requests (gateway_middlewares)",
    )
    command.add_argument(
        "--directory", default=".", help="where to create gateway-NAME (default: here)"
    )
    # Writing a new project needs no config: it must work in an empty folder.
    command.set_defaults(handler=run, needs_config=False)


def run(args: argparse.Namespace, config: Any) -> int:
    directory = Path(args.directory)
    problem = name_problem(args.name, directory)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    written = render(Options(args.name, args.with_command, args.middleware_only), directory)
    root = directory / distribution_name(args.name)
    print(f"created {root} ({len(written)} files). Next:")
    print(f'  pip install -e "{root}[test]" && (cd {root} && pytest)')
    print(f"  then add [plugins.{args.name}] to plugins.toml (see {root / 'README.md'})")
    return 0
