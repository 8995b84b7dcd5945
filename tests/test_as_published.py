"""matrix/as_published: the 2017 code in place of each shim, and the expected failures it meets."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from matrix import ERAS, EXAMPLES
from matrix.facts import expected
from matrix.running import session as matrix_session

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "matrix" / "as_published" / "shims"


def imported_names(script: Path) -> dict:
    """``{"torch_legacy": {"item0", ...}, "tf1": {...}}``: what a variant imports from the adapting shims."""
    names: dict = {}
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module in ("shims.torch_legacy", "shims.tf1"):
            names.setdefault(node.module.split(".")[1], set()).update(a.name for a in node.names)
    return names


def defined_names(module: Path) -> set:
    tree = ast.parse(module.read_text())
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_name_a_variant_imports_has_its_original(era, example):
    script = ROOT / "variants" / era / f"{example}.py"
    for module, names in imported_names(script).items():
        missing = names - defined_names(PUBLISHED / f"{module}.py")
        assert not missing, f"matrix/as_published/shims/{module}.py lacks {sorted(missing)} ({script.name} imports them)"


PUBLISHED_CELLS = [(era, e) for era in ERAS for e in EXAMPLES if matrix_session.uses_adapting_shims(era, e)]


def test_which_examples_run_as_published():
    """Those importing an adapting shim: the legacy ones but the NumPy warm-up. The tensor_autograd
    and modern scripts import none (tensor_autograd's TF1 graph adapts itself, inline); the legacy
    TF1 graph, the same graph code, is the one run as published."""
    assert PUBLISHED_CELLS == [(era, e) for era in ERAS for e in EXAMPLES
                               if imported_names(ROOT / "variants" / era / f"{e}.py")]
    assert PUBLISHED_CELLS == [("legacy", e) for e in EXAMPLES if e != "numpy_warmup"]


@pytest.mark.parametrize("era,example", PUBLISHED_CELLS)
def test_every_example_run_as_published_has_an_expected_failure_with_its_error(era, example):
    """On every pin (all past torch 1.5 and TensorFlow 2.0) the published code breaks, in a known way."""
    facts = {"era": era, "example": example, "mode": "as_published", "torch_pin": "2.15.0",
             "torch": "2.15.0", "tensorflow": "2.21.0", "python": "3.11.7", "numpy": "2.4.6", "device": "cpu"}
    entry = expected.matching_entry(expected.load_expected(), facts)
    assert entry is not None and entry.get("error") and entry.get("change")


def test_the_shim_package_falls_back_to_the_real_flags(tmp_path):
    """`shims.flags` is not an idiom of any era: the as-published run uses the real command line."""
    import subprocess
    import sys

    code = "import shims.flags, shims.torch_legacy as t; print(shims.flags.__file__); print(t.__file__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": f"{ROOT / 'matrix' / 'as_published'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    if out.returncode != 0 and "No module named 'torch'" in out.stderr:
        pytest.skip("torch is not installed in this environment")
    flags, legacy = out.stdout.split()
    assert Path(flags) == ROOT / "shims" / "flags.py"
    assert Path(legacy) == PUBLISHED / "torch_legacy.py"
