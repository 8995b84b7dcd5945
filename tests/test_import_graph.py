"""The project's own imports form no circle, and no module of its code is over 600 lines.

Every import of a project module is an edge, at any level: at the top of a module, inside a function
(where a circle used to hide: it works until someone moves the import up), under ``TYPE_CHECKING``.
``from x import y`` is an edge to ``x.y`` where that is a module (a submodule imported by name), else to
``x``. The files: every .py under matrix/ and shims/, docs/generate.py and noxfile.py (parsed, never
imported: importing the noxfile registers its sessions).
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterable, List, Set

from matrix import ROOT

MAX_LINES = 600
#: Modules allowed over MAX_LINES for now, each with why.
TOO_LONG_FOR_NOW: Set[str] = set()


def project_files() -> List[Path]:
    return sorted({*ROOT.glob("matrix/**/*.py"), *ROOT.glob("shims/**/*.py"), ROOT / "docs" / "generate.py",
                   ROOT / "noxfile.py"})


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(files: Iterable[Path], root: Path = ROOT) -> Dict[str, Set[str]]:
    """module -> the project modules it imports, anywhere in its text (``files`` under ``root``)."""
    paths = {module_name(p, root): p for p in files}
    packages = {module for module, p in paths.items() if p.name == "__init__.py"}

    def resolve(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: Dict[str, Set[str]] = {}
    for module, path in paths.items():
        here = module if module in packages else module.rpartition(".")[0]
        targets: Set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(resolve(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = here
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                targets.update(resolve(f"{base}.{alias.name}") for alias in node.names)
        graph[module] = {t for t in targets if t and t != module}
    return graph


def circles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """One circle per strongly connected component of more than one module (Tarjan), as a path that
    starts and ends at the same module."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    components: List[List[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_circle_through(graph, component) for component in components]


def _circle_through(graph: Dict[str, Set[str]], component: List[str]) -> List[str]:
    """A shortest path from the component's first module back to itself, within the component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    return paths[node] + [start]
                if target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    return component  # unreachable for a strongly connected component


def test_the_project_imports_form_no_circle():
    found = circles(import_graph(project_files()))
    assert not found, "import circle(s): " + "; ".join(" -> ".join(c) for c in found)


def test_the_graph_sees_imports_at_every_level():
    """Guards the parser: edges known to exist, from the top, from a function, from ``from x import y``."""
    graph = import_graph(project_files())
    # from matrix.running import session
    assert "matrix.facts.pins" in graph["noxfile"] and "matrix.running.session" in graph["noxfile"]
    assert "matrix.launch" in graph["matrix.running.cell"] and "matrix.running.warm" in graph["matrix.launch"]
    assert "matrix.bench.matrix_cost" in graph["matrix.bench.run"]  # imported inside a function
    assert "matrix.pages" in graph["docs.generate"] and "shims.upgrade.rules" in graph["shims.upgrade.engine"]
    assert "matrix.probes.runner" in graph["matrix.probes.api"]
    assert all(not targets or all(t in graph for t in targets) for targets in graph.values())


def test_circles_are_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e2"}, "e2": {"e"}}
    assert circles(graph) == [["a", "b", "c", "a"], ["e", "e2", "e"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_relative_and_submodule_imports_resolve(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import leaf\n")
    (pkg / "sub" / "leaf.py").write_text("def f():\n    from ..top import x\n")
    (pkg / "top.py").write_text("from pkg.sub import leaf\nimport pkg.sub.leaf as l2\n")
    graph = import_graph(sorted(pkg.rglob("*.py")), tmp_path)
    assert graph == {"pkg": set(), "pkg.sub": {"pkg.sub.leaf"}, "pkg.sub.leaf": {"pkg.top"}, "pkg.top": {"pkg.sub.leaf"}}
    assert circles(graph) == [["pkg.sub.leaf", "pkg.top", "pkg.sub.leaf"]]


def test_no_module_is_over_600_lines():
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in project_files() if p.parts[len(ROOT.parts)] in ("matrix", "shims")}
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES and path not in TOO_LONG_FOR_NOW}
    assert not too_long, f"over {MAX_LINES} lines (split by what each part does): {too_long}"
    stale = [path for path in TOO_LONG_FOR_NOW if sizes.get(path, 0) <= MAX_LINES]
    assert not stale, f"no longer over {MAX_LINES} lines (or gone): remove from TOO_LONG_FOR_NOW: {stale}"
