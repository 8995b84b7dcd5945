"""matrix/probes/lapack.py on the installed torch: the old LAPACK names (lapack-0-4-names) and
triangular_solve / lu / lu_solve (linalg-lu-triangular), per function, with the exact texts and the
numbers of the `upper` trap. The probes run once, in a fresh interpreter (torch.lu and friends warn
once per process), as a matrix cell runs them.
"""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix.facts.catalog import by_id, message

Version = pytest.importorskip("packaging.version").Version
torch = pytest.importorskip("torch")
V = Version(torch.__version__)
CATALOG = by_id()
OLD = ("btrifact", "btrifact_with_info", "btrisolve", "btriunpack", "gesv", "potrf", "potri", "potrs", "pstrf",
       "trtrs", "gels")
METHODS = tuple(f"Tensor.{n}" for n in OLD if n != "btriunpack")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, ("lapack-0-4-names", "linalg-lu-triangular"))


def body(change_id: str) -> str:
    return CATALOG[change_id]["symptom"].partition(": ")[2]


@pytest.mark.skipif(V < Version("1.3"), reason="the old names are gone from 1.3 (gels) on")
def test_every_old_name_errors_with_the_catalog_text(records):
    rec = records["lapack_names"]
    assert rec["outcome"] == "errors"
    assert rec["error"] == {"type": "AttributeError", "message": body("lapack-0-4-names")}
    assert set(rec["value"]) == set(OLD) | set(METHODS) | {"Tensor.btrifact(info=...)", "lu_solve(b 2-dim)"}
    for name in OLD + METHODS:
        f = rec["value"][name]
        assert f["outcome"] == "errors" and f["type"] == "AttributeError", name
        owner = "'Tensor' object" if name.startswith("Tensor.") else "module 'torch'"
        assert f["message"] == f"{owner} has no attribute '{name.split('.')[-1]}'", name
    assert rec["value"]["Tensor.btrifact(info=...)"]["message"] == "'Tensor' object has no attribute 'btrifact'"
    # the Tensor methods' text is one the catalog lists
    assert message("lapack-0-4-names", "AttributeError: 'Tensor'") == "'Tensor' object has no attribute 'btrifact'"


@pytest.mark.skipif(V < Version("1.13"), reason="the replacements' numbers are checked where torch.linalg has them all")
def test_the_upper_default_trap_in_numbers(records):
    """A = [[4, 2], [2, 3]], U its upper factor: potri / potrs read U as upper (their default); the plain
    renames cholesky_inverse / cholesky_solve read it as lower and give other numbers, silently."""
    value = records["lapack_names"]["value"]
    assert value["potrf"]["new_result"] == [2.0, 1.0, 0.0, 1.4142]  # linalg.cholesky(A, upper=True)
    assert value["potri"]["new_result"] == [0.375, -0.25, -0.25, 0.5]  # inverse of A
    assert value["potri"]["renamed"] == [0.25, 0.0, 0.0, 0.5]  # cholesky_inverse(U): not A's inverse
    assert value["potrs"]["new_result"] == [-0.125, 0.75] == value["gesv"]["new_result"]
    assert value["potrs"]["renamed"] == [0.25, 1.0]
    assert value["trtrs"]["new_result"] == [-0.2071, 1.4142]
    assert value["gels"]["new_result"] == [-0.125, 0.75]


@pytest.mark.skipif(V < Version("1.13"), reason="torch.lu / torch.lu_solve warn from 1.13")
def test_lu_triangular_warns_with_the_catalog_texts(records):
    rec = records["lu_triangular"]
    assert rec["outcome"] == "warns" and rec["error"] is None
    first = {k: v["warning"].splitlines()[0] for k, v in rec["value"].items()}
    assert first["triangular_solve"] == body("linalg-lu-triangular")
    assert first["lu"].startswith(message("linalg-lu-triangular", "UserWarning: torch.lu is"))
    assert first["lu_solve"] == message("linalg-lu-triangular", "UserWarning: torch.lu_solve")
    # the old forms still compute the same numbers as the replacements
    assert rec["value"]["triangular_solve"]["result"] == [-0.2071, 1.4142]
    assert rec["value"]["lu"]["result"] == [4.0, 2.0, 0.5, 2.0]
    assert rec["value"]["lu_solve"]["result"] == [-0.125, 0.75]


@pytest.mark.skipif(V < Version("1.13"), reason="lapack-0-4-names leaves torch.lu_solve alone where it warns")
def test_the_lapack_probe_leaves_lu_solve_warning_to_its_own_entry(records):
    row = records["lapack_names"]["value"]["lu_solve(b 2-dim)"]
    assert row["outcome"] == "not_run" and "linalg-lu-triangular" in row["reason"]
