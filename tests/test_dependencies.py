"""Dependencies in one place: pyproject.toml's [dependency-groups] (PEP 735).

noxfile.py installs the groups (the docs, report and tests sessions), .ci/run installs the "ci"
group, and the committed figures were drawn by the matplotlib the docs group pins: tests/test_pages.py
compares PNG bytes only under the matplotlib that drew them, so a pin that drifts from the drawing
would silently stop that comparison.
"""
from __future__ import annotations

import ast
import json
import re
import sys

import pytest

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
GROUPS = PYPROJECT["dependency-groups"]


def pinned(group: str, name: str) -> str:
    """The exact version ``group`` pins for ``name`` (``name==X``)."""
    for requirement in GROUPS[group]:
        if isinstance(requirement, str) and re.match(rf"{name}\s*==", requirement):
            return requirement.split("==", 1)[1].strip()
    raise AssertionError(f"pyproject.toml: dependency group {group!r} pins no {name}")


def test_the_groups_exist_and_the_docs_group_pins_matplotlib():
    assert {"ci", "docs", "test"} <= set(GROUPS)
    assert pinned("docs", "matplotlib")
    assert {"include-group": "docs"} in GROUPS["test"] and {"include-group": "ci"} in GROUPS["test"]
    assert "optional-dependencies" not in PYPROJECT["project"], "a second list of the test dependencies"


def test_committed_figures_were_drawn_by_the_pinned_matplotlib():
    manifest = json.loads((ROOT / "docs" / "img" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["matplotlib"] == pinned("docs", "matplotlib"), (
        "docs/img was drawn by another matplotlib than pyproject.toml's docs group pins: regenerate docs "
        "(nox -s docs) or fix the pin")


def test_noxfile_reads_the_groups():
    pytest.importorskip("nox")
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    installs = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute) and node.func.attr == "install"]
    assert installs
    literal = [f"line {node.lineno}: {arg.value!r}" for node in installs for arg in node.args
               if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value not in ("-e", ".")]
    assert not literal, f"noxfile.py installs requirements it names itself (list them in pyproject.toml): {literal}"
    assert "matplotlib==" not in (ROOT / "noxfile.py").read_text(encoding="utf-8")
    # the groups as noxfile.py resolves them (without importing it: a second import registers its
    # sessions twice, which nox warns about)
    groups = {node.args[1].value for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute) and node.func.attr == "dependency_groups"}
    assert {"docs", "test"} <= groups
    import nox.project

    docs = nox.project.dependency_groups(PYPROJECT, "docs")
    test = nox.project.dependency_groups(PYPROJECT, "test")
    matplotlib = f"matplotlib=={pinned('docs', 'matplotlib')}"
    assert matplotlib in docs and matplotlib in test
    assert any(r.startswith("pytest") for r in test) and any(r.startswith("nox") for r in test)


def test_ci_installs_the_ci_group():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "--group ci" in text
    assert not re.search(r"[\"'](?:nox|uv)[=<>~]", text), ".ci/run pins nox or uv itself: see pyproject.toml's ci group"
