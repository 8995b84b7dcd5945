"""The torch.nn names renamed and kept with warnings: the ``nn.init`` functions without their
trailing ``_``, ``clip_grad_norm``, ``Hardtanh(min_value=, max_value=)``, ``NLLLoss2d``, ``nn.Container``,
``F.upsample_bilinear`` / ``F.upsample_nearest``.
"""
from __future__ import annotations

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, rule

#: the nn.init names renamed with a trailing ``_`` (each old name a wrapper that calls the new one)
INIT_OLD = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "uniform", "normal",
            "constant", "orthogonal", "sparse", "eye", "dirac")
INIT_MODULES = ("torch.nn.init",)


@rule("nn-init-underscore", order=5010)
class NnInitUnderscore(Rule):
    """catalog: nn-init-underscore: ``nn.init.xavier_uniform`` -> ``nn.init.xavier_uniform_`` (every use of the
    attribute: the old name only warns and calls the new one); a name imported from torch.nn.init
    without ``_`` is reported (the import and every use would change)."""

    needs = ("init",)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = self.q(updated) or ""
        module, _, name = target.rpartition(".")
        if module not in INIT_MODULES or name not in INIT_OLD:
            return updated
        self.changed(original, f"{_code(original)} -> {_code(original)}_")
        return updated.with_changes(attr=cst.Name(name + "_"))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or _code(node.module) not in INIT_MODULES or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _code(alias.name)
            if name in INIT_OLD:
                self.found(node, f"from {_code(node.module)} import {name}: import and call {name}_ instead")
