"""API forms reported where they are used, each with its replacement: the pre-1.9 linear algebra
(``torch.symeig`` ... ``torch.chain_matmul``), ``torch.cuda.amp.autocast`` / ``GradScaler``, and
``torch.set_default_tensor_type``. None is rewritten: argument orders and return types differ (linear
algebra), the device type or the dtype to write is the author's (amp, default tensor type).
"""
from __future__ import annotations

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, rule

#: the removed-linalg entry's functions -> what replaces each (its probe's list, matrix/probes/api.py)
LINALG = {"symeig": "torch.linalg.eigh", "eig": "torch.linalg.eig", "lstsq": "torch.linalg.lstsq (A first)",
          "solve": "torch.linalg.solve (A first)", "matrix_rank": "torch.linalg.matrix_rank",
          "cholesky": "torch.linalg.cholesky", "qr": "torch.linalg.qr", "chain_matmul": "torch.linalg.multi_dot"}
AMP = {"torch.cuda.amp.autocast": 'torch.amp.autocast("cuda", ...)',
       "torch.cuda.amp.GradScaler": 'torch.amp.GradScaler("cuda", ...)'}


@rule("removed-linalg", order=9700)
class RemovedLinalg(Rule):
    """catalog: removed-linalg: ``torch.symeig(...)`` and the other pre-1.9 linear-algebra functions, reported
    with the torch.linalg function that replaces each."""

    rewrites = False
    needs = tuple(LINALG)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.q(node.func) or ""
        short = name[len("torch."):] if name.startswith("torch.") else ""
        if short in LINALG:
            self.found(node, f"{_code(node.func)}(...) -> {LINALG[short]}: check the argument order and the result")


@rule("cuda-amp", order=9710)
class CudaAmp(Rule):
    """catalog: cuda-amp: ``torch.cuda.amp.autocast()`` / ``GradScaler()``, reported with the ``torch.amp`` form."""

    rewrites = False
    needs = ("amp",)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.q(node.func)
        if name in AMP:
            self.found(node, f"{_code(node.func)}(...) -> {AMP[name]}")


@rule("set-default-tensor-type", order=9720)
class SetDefaultTensorType(Rule):
    """catalog: set-default-tensor-type: ``torch.set_default_tensor_type(...)``, reported: the dtype and the
    device it set go to set_default_dtype and set_default_device."""

    rewrites = False
    needs = ("set_default_tensor_type",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) == "torch.set_default_tensor_type":
            self.found(node, f"{_code(node)} -> torch.set_default_dtype(...) and, for a CUDA type, "
                             "torch.set_default_device('cuda')")
