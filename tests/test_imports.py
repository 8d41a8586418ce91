"""The package's shape: no import cycles, no private names across modules, no oversized modules.

Imports are read with ``ast`` (nothing is imported), so the test also sees imports inside functions and
``TYPE_CHECKING`` blocks: a cycle hidden in a function is still a cycle in the design.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

from mathtutor.settings import PROJECT_ROOT

SRC = PROJECT_ROOT / "src"
PACKAGE = SRC / "mathtutor"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(name: str, known: dict[str, Path]) -> str | None:
    """The deepest known module that ``name`` (a dotted import target) refers to."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """(target module, imported names) for every import of a mathtutor module in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mathtutor"):
                    target = resolve(alias.name, known)
                    if target:
                        found.append((target, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                full = ".".join([*base, node.module] if node.module else base)
            else:
                full = node.module or ""
            if not full.startswith("mathtutor"):
                continue
            for alias in node.names:
                sub = resolve(f"{full}.{alias.name}", known)
                if sub == f"{full}.{alias.name}":
                    found.append((sub, []))
                else:
                    target = resolve(full, known)
                    if target:
                        found.append((target, [alias.name]))
    return found


def import_graph() -> tuple[nx.DiGraph, list[str]]:
    known = modules()
    graph = nx.DiGraph()
    private: list[str] = []
    for name, path in known.items():
        graph.add_node(name)
        for target, names in imports_of(name, path, known):
            if target != name:
                graph.add_edge(name, target)
            private += [f"{name} imports {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    return graph, private


def test_resolver_sees_relative_and_absolute_imports(tmp_path):
    known = {"mathtutor": Path("x"), "mathtutor.a": Path("x"), "mathtutor.a.b": Path("x")}
    assert resolve("mathtutor.a.b.Thing", known) == "mathtutor.a.b"
    assert resolve("mathtutor.zzz", known) == "mathtutor"
    src = tmp_path / "m.py"
    src.write_text("from .b import _hidden\nimport mathtutor.a\ndef f():\n    from mathtutor.a import b\n")
    found = imports_of("mathtutor.a.m", src, known)
    assert ("mathtutor.a.b", ["_hidden"]) in found
    assert ("mathtutor.a", []) in found
    assert ("mathtutor.a.b", []) in found


def test_a_planted_cycle_is_found():
    graph = nx.DiGraph([("mathtutor.x", "mathtutor.y"), ("mathtutor.y", "mathtutor.x")])
    assert list(nx.simple_cycles(graph))


def test_no_import_cycles():
    graph, _ = import_graph()
    assert graph.number_of_nodes() > 20
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join([*c, c[0]]) for c in cycles[:10])


def test_no_private_names_across_modules():
    _, private = import_graph()
    assert private == []


def test_core_never_imports_gradio():
    offenders = []
    for name, path in modules().items():
        if name.startswith("mathtutor.apps.ui"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            if any(m.split(".")[0] == "gradio" for m in mods):
                offenders.append(name)
    assert offenders == []


def test_no_module_over_the_size_limit():
    sizes = {name: len(p.read_text(encoding="utf-8").splitlines()) for name, p in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
