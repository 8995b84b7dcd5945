"""The loss family: size_average= / reduce=, reduction='elementwise_mean', a target whose size differs
from the input's (run time only).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from shims.upgrade.rules.base import Rule, _bool, _code, _kw, _last_arg_clean, rule


# ------------------------------------------------------------------------------------ size-average
def _reduction(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    """torch's own translation (torch.nn._reduction.legacy_get_string): reduce=False wins."""
    if reduce is False:
        return "none"
    if size_average is False:
        return "sum"
    return "mean"


@rule("size-average", order=80)
class SizeAverage(Rule):
    """catalog: size-average: ``size_average=`` / ``reduce=`` (literal booleans) of a torch loss (``nn.MSELoss``,
    ``F.mse_loss``, ...) -> ``reduction='sum' | 'mean' | 'none'``, torch's own translation of the pair; a
    non-literal value is reported."""

    needs = ("size_average", "reduce")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        sa, rd = _kw(updated, "size_average"), _kw(updated, "reduce")
        if sa is None and rd is None or not (self.q(updated.func) or "").startswith("torch."):
            return updated  # torch's losses only (another library's size_average means something else)
        values = [None if a is None else _bool(a.value) for a in (sa, rd)]
        if any(a is not None and v is None for a, v in zip((sa, rd), values)) or _kw(updated, "reduction"):
            self.found(original, f"{_code(original)}: size_average/reduce not literal booleans")
            return updated
        value = _reduction(*values)
        since = self.missing("reduction-elementwise-mean") if value == "mean" else None
        if since is not None:  # 'mean' is 1.0's name (0.4.1 called it 'elementwise_mean')
            self.not_rewritten(original, f"{' '.join(_code(a).rstrip(', ') for a in (sa, rd) if a)} -> "
                                         f"reduction='mean'", since)
            return updated
        args, placed = [], False
        for arg in updated.args:
            if arg is sa or arg is rd:
                if not placed:
                    args.append(arg.with_changes(keyword=cst.Name("reduction"), value=cst.SimpleString(f"'{value}'")))
                    placed = True
                continue
            args.append(arg)
        new = updated.with_changes(args=_last_arg_clean(args))
        self.changed(original, f"{' '.join(_code(a).rstrip(', ') for a in (sa, rd) if a)} -> reduction='{value}'")
        return new


@rule("reduction-elementwise-mean", order=90)
class ReductionElementwiseMean(Rule):
    """catalog: reduction-elementwise-mean: ``reduction='elementwise_mean'`` -> ``reduction='mean'`` (same number)."""

    needs = ("elementwise_mean",)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if updated.keyword is not None and updated.keyword.value == "reduction" and \
                isinstance(updated.value, cst.SimpleString) and updated.value.evaluated_value == "elementwise_mean":
            quote = updated.value.quote
            self.changed(original, "reduction='elementwise_mean' -> reduction='mean'")
            return updated.with_changes(value=cst.SimpleString(f"{quote}mean{quote}"))
        return updated


@rule("target-size-broadcast", order=None)
class TargetSizeBroadcast(Rule):
    """catalog: target-size-broadcast (reported at run time only): the shapes of a loss's input and target are
    known only when the script runs; ``python -m shims run`` reports torch's warning with the line.
    Statically this rule finds nothing, and the report says that it was not checked."""

    rewrites = False
    static = False
