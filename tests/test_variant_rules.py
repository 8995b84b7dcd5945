"""The design rules of variants/, checked on the scripts' syntax trees: nothing here runs a script.

The rules (DESIGN.md, README.md): the same nine file names in every era, so that any two eras diff
file by file; tensor_autograd and modern scripts stand alone (nothing of this project imported), so
that a person can copy one; legacy scripts import from shims by name, exactly what they use; every
script says what it is, and none reaches for the project by editing sys.path.
"""
from __future__ import annotations

import ast
import functools
import sys
from pathlib import Path

import pytest

from conftest import ERAS, EXAMPLES, ROOT, variant_path

SCRIPTS = [(era, example) for era in ERAS for example in EXAMPLES]
IDS = [f"{era}/{example}" for era, example in SCRIPTS]

#: The project's own top-level modules and packages: what a variant could import from this checkout.
PROJECT = {"shims", "matrix", "docs", "tests", "variants", "conftest", "noxfile"}
#: What a tensor_autograd or modern script may import besides the standard library.
THIRD_PARTY = {"torch", "numpy", "tensorflow"}
#: The eras whose scripts stand alone: copied on their own, they run where torch/numpy/tensorflow are.
STANDALONE = [(era, example) for era in ("tensor_autograd", "modern") for example in EXAMPLES]
# sys.stdlib_module_names is Python >= 3.10; on 3.9 the standard modules the scripts use stand in.
STDLIB = set(getattr(sys, "stdlib_module_names", ())) or {"__future__", "argparse", "math", "random"}


@functools.lru_cache(maxsize=None)
def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports(module: ast.Module) -> list[tuple[str, str | None, int]]:
    """Every import as (module, name or None, line): ``import a.b`` gives ("a.b", None), ``from a.b
    import c`` gives ("a.b", "c"), a relative ``from . import c`` gives (".", "c")."""
    found = []
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = "." * node.level + (node.module or "")
            found += [(source, alias.name, node.lineno) for alias in node.names]
    return found


def top(module_name: str) -> str:
    return module_name.split(".")[0]


def test_every_era_has_the_same_nine_files():
    """Rule: variants/ holds one folder per era (legacy, tensor_autograd, modern), each with exactly
    the same nine file names, one per example. Why: a reader diffs ``variants/legacy/nn.py``
    against ``variants/modern/nn.py``, and the matrix runs every example in every era by name."""
    assert len(EXAMPLES) == 9
    folders = {p.name for p in (ROOT / "variants").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(ERAS)
    expected = {f"{example}.py" for example in EXAMPLES}
    for era in ERAS:
        names = {p.name for p in (ROOT / "variants" / era).iterdir() if p.name != "__pycache__"}
        extra, missing = sorted(names - expected), sorted(expected - names)
        assert names == expected, f"variants/{era}: extra {extra}, missing {missing}"


@pytest.mark.parametrize("era,example", STANDALONE, ids=[f"{e}/{x}" for e, x in STANDALONE])
def test_tensor_autograd_and_modern_import_only_torch_numpy_tensorflow_and_the_standard_library(era, example):
    """Rule: a tensor_autograd or modern script imports torch, numpy, tensorflow and standard
    modules only; nothing from shims or any other part of this project (the command line is
    inlined; tensor_autograd's TF1 graph adapts itself to TensorFlow 2 in a few lines of its own).
    Why: a person copies such a script as it is (tests/test_standalone.py runs copies); one import
    of ours and the copy breaks outside this checkout. And the 2019 torch code runs unchanged on
    every torch the matrix tests: a torch shim here would hide a break that docs/migration.md should
    report."""
    for name, _, line in imports(tree(variant_path(era, example))):
        where = f"{era}/{example}.py:{line}"
        assert not name.startswith("."), f"{where}: relative import {name}"
        assert top(name) not in PROJECT, f"{where}: imports {name} from this project"
        assert top(name) in THIRD_PARTY | STDLIB, f"{where}: imports {name}"


def defined_names(path: Path) -> set[str]:
    """The public names a module defines at its top level (functions, classes, assignments; not what
    it imports), narrowed to ``__all__`` where it has one."""
    module = tree(path)
    names, public = set(), None
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
                    if target.id == "__all__" and node.value is not None:
                        public = set(ast.literal_eval(node.value))
    names = {name for name in names if not name.startswith("_")}
    return names if public is None else names & public


def used_names(module: ast.Module) -> set[str]:
    return {node.id for node in ast.walk(module) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


@pytest.mark.parametrize("example", EXAMPLES)
def test_shims_are_imported_by_name_and_each_name_is_used(example):
    """Rule: a legacy script imports from shims as ``from shims.<module> import <name>, ...``; each
    name is one that shims/<module>.py defines (and exports, where it has ``__all__``), and the
    script uses it. Why: the import line is the list of what that script needs adapted, which a
    reader (and docs/migration.md's diffs) take at its word: a name left over from an earlier
    version would list a change the script no longer needs."""
    module = tree(variant_path("legacy", example))
    used = used_names(module)
    for name, imported, line in imports(module):
        if top(name) != "shims":
            continue
        where = f"legacy/{example}.py:{line}"
        assert imported is not None and name.count(".") == 1, f"{where}: import {name}: use from shims.<module> import"
        source = ROOT / "shims" / f"{name.split('.')[1]}.py"
        assert source.exists(), f"{where}: no module {name}"
        assert imported != "*", f"{where}: from {name} import *"
        assert imported in defined_names(source), f"{where}: {name} has no (exported) name {imported}"
        assert imported in used, f"{where}: imports {imported} from {name} but never uses it"


def sys_path_edits(module: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(module):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys"
                and node.attr in ("path", "meta_path", "path_hooks")):
            found.append(f"line {node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            found += [f"line {node.lineno}: from sys import {a.name}" for a in node.names
                      if a.name in ("path", "meta_path", "path_hooks")]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {node.lineno}: import {n}" for n in names if top(n) in ("site", "importlib")]
    return found


@pytest.mark.parametrize("era,example", SCRIPTS, ids=IDS)
def test_every_script_has_a_docstring_and_leaves_sys_path_alone(era, example):
    """Rule: every script opens with a module docstring, and none edits the import path (sys.path,
    site, importlib). Why: the docstring is the script's ``--help`` description and says which era
    and what is ours; a path edit would make ``import shims`` work from this folder layout only,
    hiding what README says instead: install the project or set PYTHONPATH."""
    module = tree(variant_path(era, example))
    docstring = ast.get_docstring(module)
    assert docstring and docstring.strip(), f"{era}/{example}.py has no module docstring"
    assert sys_path_edits(module) == [], f"{era}/{example}.py edits the import path"
