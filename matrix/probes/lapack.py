"""Probes of the old LAPACK-named linear algebra: ``torch.btrifact`` / ``gesv`` / ``potrf`` / ``trtrs`` /
``gels`` and friends (renamed in 1.1 and 1.2, the old names removed in 1.2 and 1.3), and the 1.x
names ``torch.triangular_solve`` / ``torch.lu`` / ``torch.lu_solve`` deprecated for ``torch.linalg``.

Each probe calls every old function (and Tensor method) on its own and records, per function, what
happened (``breakdown = "functions"`` in the catalog): a release that never had a name is ``not_run``
for that name, never a crash. Python 3.7+, the standard library and torch only.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from matrix.probes.runner import NotRun, load_torch, probe, warning_records

# A symmetric positive definite 2x2 whose two Cholesky triangles differ: the `upper` default of
# potrf / potri / potrs (True) is not the one of cholesky / cholesky_inverse / cholesky_solve (False)
_A = [[4.0, 2.0], [2.0, 3.0]]
_B = [[1.0], [2.0]]


def _numbers(out: Any) -> List[float]:
    """The first tensor of a result, flattened and rounded (float32 noise is not the point here)."""
    t = out[0] if isinstance(out, (tuple, list)) else out
    return [round(float(v), 4) for v in t.reshape(-1).tolist()]


def _quiet(fn: Callable[[], Any]) -> Optional[Any]:
    """``fn()`` with its warnings dropped, None where it raises (a value for comparison only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception:
            return None


def _row(call: Callable[[], Any], new: str) -> Dict[str, Any]:
    """One function's record: outcome, the replacement, the warning or error text, its numbers."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call()
        except Exception as exc:
            return {"outcome": "errors", "new": new, "type": type(exc).__name__, "message": str(exc)}
    ws = warning_records(caught)
    row = {"outcome": "warns" if ws else "works", "new": new, "result": _numbers(out)}
    if ws:
        row["warning"] = ws[0]["message"]
        row["warnings"] = ws
    return row


def _summary(per: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """The probe's record from its rows: the worst outcome, the first error, every warning."""
    outcomes = {v["outcome"] for v in per.values()}
    outcome = next((o for o in ("errors", "warns", "works") if o in outcomes), "not_run")
    first = next(({"type": v["type"], "message": v["message"]} for v in per.values() if v["outcome"] == "errors"), None)
    seen: List[Dict[str, str]] = []
    for v in per.values():
        for w in v.pop("warnings", []):
            if w not in seen:
                seen.append(w)
    detail = ", ".join(f"{k}: {v['outcome']}" for k, v in per.items())
    return {"outcome": outcome, "detail": detail, "warnings": seen, "error": first, "value": per}


def _lu(torch, a):
    """(LU, pivots) of ``a`` by whatever this release calls it, warnings dropped (an input, not a
    finding). torch.linalg.lu_factor first: torch.lu warns once per process from 1.13, and that one
    warning belongs to the linalg-lu-triangular probe."""
    if hasattr(getattr(torch, "linalg", None), "lu_factor"):
        return _quiet(lambda: tuple(torch.linalg.lu_factor(a)))
    return _quiet(lambda: torch.lu(a)) if hasattr(torch, "lu") else _quiet(lambda: torch.btrifact(a))


@probe("lapack-0-4-names")
def lapack_names():
    """``torch.btrifact`` / ``btrisolve`` / ``gesv`` / ``potrf`` / ``potri`` / ``potrs`` / ``pstrf`` /
    ``trtrs`` / ``gels`` (functions and Tensor methods, and ``btrifact(info=...)``), and ``torch.lu_solve``
    with the 2-dim right-hand side ``btrisolve`` took. For potrf / potri / potrs also what the plain rename (its other ``upper``
    default) computes, and what the replacement computes, where those exist."""
    torch = load_torch()
    a, b = torch.tensor(_A), torch.tensor(_B)
    a3, b2 = a.unsqueeze(0), torch.tensor([[1.0, 2.0]])  # a batch of one: btrifact / btrisolve's shapes
    u = torch.tensor([[2.0, 1.0], [0.0, 2.0 ** 0.5]])  # the upper Cholesky factor of _A
    lu = _lu(torch, a3) or (None, None)
    linalg = getattr(torch, "linalg", None)
    # (key, replacement, old call, plain rename with its own defaults or None, replacement's call or None)
    rows: List[Tuple[str, str, Callable[[], Any], Any, Any]] = [
        ("btrifact", "torch.linalg.lu_factor(A)", lambda: torch.btrifact(a3), None, None),
        ("btrifact_with_info", "torch.linalg.lu_factor_ex(A)", lambda: torch.btrifact_with_info(a3), None, None),
        ("btrisolve", "torch.linalg.lu_solve(LU, pivots, b.unsqueeze(-1))",
         lambda: torch.btrisolve(b2, *lu), None, None),
        ("btriunpack", "torch.lu_unpack(LU, pivots)", lambda: torch.btriunpack(*lu)[1], None, None),
        ("gesv", "torch.linalg.solve(A, b)", lambda: torch.gesv(b, a), None, lambda: linalg.solve(a, b)),
        ("potrf", "torch.linalg.cholesky(A, upper=True)", lambda: torch.potrf(a),
         lambda: torch.cholesky(a), lambda: linalg.cholesky(a, upper=True)),
        ("potri", "torch.cholesky_inverse(U, upper=True)", lambda: torch.potri(u),
         lambda: torch.cholesky_inverse(u), lambda: torch.cholesky_inverse(u, upper=True)),
        ("potrs", "torch.cholesky_solve(b, U, upper=True)", lambda: torch.potrs(b, u),
         lambda: torch.cholesky_solve(b, u), lambda: torch.cholesky_solve(b, u, upper=True)),
        ("pstrf", "torch.linalg.cholesky(A, upper=True) (no pivoting)", lambda: torch.pstrf(a), None, None),
        ("trtrs", "torch.linalg.solve_triangular(U, b, upper=True)", lambda: torch.trtrs(b, u), None,
         lambda: linalg.solve_triangular(u, b, upper=True)),
        ("gels", "torch.linalg.lstsq(A, b).solution", lambda: torch.gels(b, a), None,
         lambda: linalg.lstsq(a, b).solution),
        ("Tensor.btrifact", "torch.linalg.lu_factor(A)", lambda: a3.btrifact(), None, None),
        # 0.4's info= argument (1.0 warns: use btrifact_with_info)
        ("Tensor.btrifact(info=...)", "torch.linalg.lu_factor_ex(A)", lambda: a3.btrifact(info=torch.IntTensor()),
         None, None),
        ("Tensor.btrifact_with_info", "torch.linalg.lu_factor_ex(A)", lambda: a3.btrifact_with_info(), None, None),
        ("Tensor.btrisolve", "torch.linalg.lu_solve(LU, pivots, b.unsqueeze(-1))", lambda: b2.btrisolve(*lu),
         None, None),
        ("Tensor.gesv", "torch.linalg.solve(A, b)", lambda: b.gesv(a), None, None),
        ("Tensor.potrf", "torch.linalg.cholesky(A, upper=True)", lambda: a.potrf(), None, None),
        ("Tensor.potri", "torch.cholesky_inverse(U, upper=True)", lambda: u.potri(), None, None),
        ("Tensor.potrs", "torch.cholesky_solve(b, U, upper=True)", lambda: b.potrs(u), None, None),
        ("Tensor.pstrf", "torch.linalg.cholesky(A, upper=True) (no pivoting)", lambda: a.pstrf(), None, None),
        ("Tensor.trtrs", "torch.linalg.solve_triangular(U, b, upper=True)", lambda: b.trtrs(u), None, None),
        ("Tensor.gels", "torch.linalg.lstsq(A, b).solution", lambda: b.gels(a), None, None),
    ]
    per: Dict[str, Dict[str, Any]] = {}
    for key, new, call, renamed, replacement in rows:
        per[key] = _row(call, new)
        for field, fn in (("renamed", renamed), ("new_result", replacement)):
            got = _quiet(fn) if fn is not None and (field == "renamed" or linalg is not None) else None
            if got is not None:
                per[key][field] = _numbers(got)
    # btrisolve's b had one dimension less than lu_solve's: what its renamed call does with that b
    key, new = "lu_solve(b 2-dim)", "torch.linalg.lu_solve(LU, pivots, b.unsqueeze(-1))"
    if not hasattr(torch, "lu_solve"):
        per[key] = {"outcome": "not_run", "new": new,
                    "reason": f"torch {torch.__version__} has no torch.lu_solve yet (added in 1.1)"}
    elif hasattr(getattr(torch, "linalg", None), "lu_solve"):
        # torch.lu_solve is itself deprecated here and warns once per process: that warning is the
        # linalg-lu-triangular probe's to record
        per[key] = {"outcome": "not_run", "new": new,
                    "reason": f"not tried on torch {torch.__version__}: torch.lu_solve is deprecated here "
                              "(see linalg-lu-triangular)"}
    else:
        per[key] = _row(lambda: torch.lu_solve(b2, *lu), new)
    return _summary(per)


@probe("linalg-lu-triangular")
def lu_triangular():
    """``torch.triangular_solve(b, A)``, ``torch.lu(A)``, ``torch.lu_solve(b, LU, pivots)`` (1.1-1.10
    names, deprecated for ``torch.linalg.solve_triangular`` / ``lu_factor`` / ``lu_solve``)."""
    torch = load_torch()
    if not hasattr(torch, "lu"):
        raise NotRun(f"torch {torch.__version__} has no torch.lu / torch.lu_solve / torch.triangular_solve "
                     "yet (added in 1.1; this release has btrifact / btrisolve / trtrs)")
    a, b = torch.tensor(_A), torch.tensor(_B)
    u = torch.tensor([[2.0, 1.0], [0.0, 2.0 ** 0.5]])
    a3, b3 = a.unsqueeze(0), b.unsqueeze(0)
    made: Dict[str, Any] = {}

    def lu():
        made["lu"] = torch.lu(a3)  # the row's own call gives lu_solve its input: torch.lu warns once
        return made["lu"]

    per = {
        "triangular_solve": _row(lambda: torch.triangular_solve(b, u),
                                 "torch.linalg.solve_triangular(A, B, upper=True)"),
        "lu": _row(lu, "torch.linalg.lu_factor(A)"),
    }
    per["lu_solve"] = _row(lambda: torch.lu_solve(b3, *made["lu"]), "torch.linalg.lu_solve(LU, pivots, B)")
    return _summary(per)
