"""The old-LAPACK-names family: ``torch.btrifact`` / ``gesv`` / ``potrf`` / ``trtrs`` / ``gels`` and the
rest (removed from torch), and ``torch.triangular_solve`` / ``torch.lu`` / ``torch.lu_solve``
(deprecated for torch.linalg). Both only report: the replacements take their arguments in another
order, return other tuples, and potrf / potri / potrs defaulted to the other triangle (``upper=True``).
"""
from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, rule

#: old name -> what to write instead (the catalog entry lapack-0-4-names has the details)
OLD_LAPACK: Dict[str, str] = {
    "btrifact": "torch.linalg.lu_factor(A)",
    "btrifact_with_info": "torch.linalg.lu_factor_ex(A)",
    "btrisolve": "torch.linalg.lu_solve(LU, pivots, b.unsqueeze(-1))",
    "btriunpack": "torch.lu_unpack(LU, pivots)",
    "gesv": "torch.linalg.solve(A, b) (arguments reversed)",
    "potrf": "torch.linalg.cholesky(A, upper=True) (potrf gave the upper factor)",
    "potri": "torch.cholesky_inverse(U, upper=True) (potri read the upper factor)",
    "potrs": "torch.cholesky_solve(b, U, upper=True) (potrs read the upper factor)",
    "pstrf": "torch.linalg.cholesky(A, upper=True) (no pivoted Cholesky in torch)",
    "trtrs": "torch.linalg.solve_triangular(U, b, upper=True) (arguments reversed)",
    "gels": "torch.linalg.lstsq(A, b).solution (arguments reversed)",
}

#: 1.x name -> its torch.linalg replacement (linalg-lu-triangular)
LU_TRIANGULAR: Dict[str, str] = {
    "triangular_solve": "torch.linalg.solve_triangular(A, B, upper=True) (arguments reversed, returns X only)",
    "lu": "torch.linalg.lu_factor(A) (get_infos=True: torch.linalg.lu_factor_ex(A))",
    "lu_solve": "torch.linalg.lu_solve(LU, pivots, B) (arguments reordered)",
}


def _called(rule_: Rule, node: cst.Call, names: Dict[str, str], methods: bool) -> Optional[str]:
    """The old name ``node`` calls: ``torch.<name>(...)`` (resolved through imports) or, with
    ``methods``, ``<tensor>.<name>(...)`` on anything that is not another module's function."""
    q = rule_.q(node.func) or ""
    if q.startswith("torch.") and q[len("torch."):] in names:
        return q[len("torch."):]
    if methods and isinstance(node.func, cst.Attribute) and node.func.attr.value in names and not q:
        return node.func.attr.value
    return None


@rule("lapack-0-4-names", order=1001)
class OldLapackNames(Rule):
    """catalog: lapack-0-4-names (reported): ``torch.potrf(A)``, ``b.gesv(A)``, ... are removed from torch; each
    replacement differs in argument order, return value or ``upper`` default."""

    needs = tuple(OLD_LAPACK)

    rewrites = False

    def visit_Call(self, node: cst.Call) -> bool:
        name = _called(self, node, OLD_LAPACK, methods=True)
        if name:
            self.found(node.func, f"{_code(node.func)}: removed; use {OLD_LAPACK[name]}")
        return True


@rule("linalg-lu-triangular", order=1002)
class LuTriangular(Rule):
    """catalog: linalg-lu-triangular (reported): ``torch.triangular_solve`` / ``torch.lu`` / ``torch.lu_solve``
    (and the two solve methods) -> torch.linalg, whose argument orders and results differ."""

    needs = ("triangular_solve", "lu(", "lu_solve")

    rewrites = False

    def visit_Call(self, node: cst.Call) -> bool:
        name = _called(self, node, LU_TRIANGULAR, methods=False)
        if not name and isinstance(node.func, cst.Attribute) and not self.q(node.func) and \
                node.func.attr.value in ("triangular_solve", "lu_solve"):
            name = node.func.attr.value  # a Tensor method: x.lu_solve(LU, pivots)
        if name:
            self.found(node.func, f"{_code(node.func)}: deprecated; use {LU_TRIANGULAR[name]}")
        return True
