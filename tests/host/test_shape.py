"""The shape of the code: the host has no import circle, built-in plugins import only what the
gateway package exports (each is a template a plugin author can copy), and no two classes of
the project share a name."""

import ast
from collections import defaultdict
from pathlib import Path

import gateway

ROOT = Path(__file__).resolve().parents[2]
HOST = ROOT / "gateway"
BUILTINS = ROOT / "plugins"


def _imports(tree: ast.AST) -> list[ast.ImportFrom | ast.Import]:
    # Every import, at module level or inside a function or an `if TYPE_CHECKING:` block: a
    # circle hidden in a function is still a circle.
    return [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)]


def _host_graph() -> dict[str, set[str]]:
    modules = {path.stem for path in HOST.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in HOST.glob("*.py"):
        edges = set()
        for node in _imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                parts = node.module.split(".")
                if parts[0] != "gateway":
                    continue
                if len(parts) > 1:
                    edges.add(parts[1])
                else:  # from gateway import x: the package itself, or its submodule x
                    edges |= {a.name if a.name in modules else "__init__" for a in node.names}
            elif isinstance(node, ast.Import):
                edges |= {a.name.split(".")[1] for a in node.names if a.name.startswith("gateway.")}
        graph[path.stem] = edges & modules
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_host_has_no_import_circle():
    graph = _host_graph()
    assert "contract" in graph and graph["contract"] == set(), "contract.py imports the host"
    assert _circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_builtin_plugins_import_only_what_the_gateway_package_exports():
    exported = set(gateway.__all__)
    wrong = []
    for path in sorted(BUILTINS.rglob("*.py")):
        for node in _imports(ast.parse(path.read_text())):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(node, ast.Import):
                wrong += [f"{where}: import {a.name}" for a in node.names if a.name == "gateway"]
                wrong += [
                    f"{where}: import {a.name}" for a in node.names if a.name.startswith("gateway.")
                ]
            elif node.module == "gateway":
                wrong += [
                    f"{where}: {a.name} is not in gateway.__all__"
                    for a in node.names
                    if a.name not in exported
                ]
            elif node.module and node.module.startswith("gateway."):
                wrong.append(f"{where}: from {node.module} import ...")
    assert wrong == []


def test_every_name_the_package_exports_exists():
    assert [name for name in gateway.__all__ if not hasattr(gateway, name)] == []


def test_no_two_classes_share_a_name():
    where: dict[str, list[str]] = defaultdict(list)
    for folder in (HOST, BUILTINS):
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    where[node.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}
