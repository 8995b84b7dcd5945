"""The data family: TensorDataset's old keywords.
"""
from __future__ import annotations

import libcst as cst

from shims.upgrade.rules.base import Rule, _kw, rule


TENSORDATASET = {"torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset"}


@rule("tensordataset-kwargs", order=110)
class TensorDatasetPositional(Rule):
    """catalog: tensordataset-kwargs: ``TensorDataset(data_tensor=x, target_tensor=y)`` -> ``TensorDataset(x, y)``."""

    needs = ("data_tensor", "target_tensor")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.q(updated.func) not in TENSORDATASET:
            return updated
        data, target = _kw(updated, "data_tensor"), _kw(updated, "target_tensor")
        if data is None and target is None:
            return updated
        if len(updated.args) != len([a for a in (data, target) if a]):
            self.found(original, "TensorDataset with data_tensor=/target_tensor= and other arguments")
            return updated
        args = [cst.Arg(a.value) for a in (data, target) if a]
        if len(args) == 2:
            args[0] = args[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        self.changed(original, "TensorDataset(data_tensor=, target_tensor=) -> positional")
        return updated.with_changes(args=args)
