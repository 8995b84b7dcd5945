"""The implicit defaults and argument orders old code relied on: softmax without ``dim``, the scalar-first
``add_`` / ``addcmul_`` / ``addcdiv_`` overloads, ``scheduler.step()`` before the optimizer's, and
``scheduler.step(epoch)``.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst

from shims.upgrade.names import qualify
from shims.upgrade.rules.base import Rule, _code, rule

# ---------------------------------------------------------------------------------- softmax-implicit-dim
SOFTMAX_FUNCTIONS = {"torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.nn.functional.softmin"}
SOFTMAX_MODULES = {"torch.nn.Softmax", "torch.nn.LogSoftmax", "torch.nn.Softmin"}


@rule("softmax-implicit-dim", order=9010)
class SoftmaxImplicitDim(Rule):
    """catalog: softmax-implicit-dim: ``F.softmax(x)`` / ``nn.Softmax()`` without ``dim``, reported: the dim
    torch picks depends on the input's number of dimensions, which the text does not say."""

    rewrites = False
    needs = ("softmax", "Softmax", "softmin", "Softmin")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        name = self.q(updated.func)
        keywords = {a.keyword.value for a in updated.args if a.keyword is not None}
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if name in SOFTMAX_FUNCTIONS and "dim" not in keywords and len(positional) == 1 and \
                not any(a.star for a in updated.args):
            self.found(original, f"{_code(original)}: no dim (torch picks 0 for 1-D and 3-D input, 1 otherwise)")
        elif name in SOFTMAX_MODULES and not updated.args:
            self.found(original, f"{_code(original)}: no dim (torch picks 0 for 1-D and 3-D input, 1 otherwise)")
        return updated


# ---------------------------------------------------------------------------------- scalar-first-overloads
#: method -> (positional arguments of the old scalar-first form, the keyword the scalar moves to)
SCALAR_FIRST = {"add_": (2, "alpha"), "addcmul_": (3, "value"), "addcdiv_": (3, "value"),
                "addcmul": (3, "value"), "addcdiv": (3, "value")}


def _scalar_to_keyword(args: List[cst.Arg], keyword: str) -> List[cst.Arg]:
    """(scalar, a, b...) -> (a, b..., keyword=scalar), the commas and spaces of the call kept in place."""
    scalar, rest = args[0], list(args[1:])
    commas = [a.comma for a in args]
    moved = [a.with_changes(comma=commas[i]) for i, a in enumerate(rest)]
    moved[-1] = moved[-1].with_changes(comma=commas[0] if commas[0] is not cst.MaybeSentinel.DEFAULT else
                                       cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    last = scalar.with_changes(keyword=cst.Name(keyword), equal=cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")),
        comma=commas[-1])
    return moved + [last]


@rule("scalar-first-overloads", order=9020)
class ScalarFirstOverloads(Rule):
    """catalog: scalar-first-overloads: ``x.add_(-lr, d_p)`` -> ``x.add_(d_p, alpha=-lr)``, ``x.addcmul_(v, a, b)``
    -> ``x.addcmul_(a, b, value=v)`` (and addcdiv_, addcmul, addcdiv), ``torch.add(x, v, y)`` -> ``torch.add(x, y,
    alpha=v)``. Only calls with exactly that many positional arguments and no keyword: no current signature
    takes them, so the call can only be the deprecated overload (the same values)."""

    needs = ("add_(", "addcmul", "addcdiv", "add(")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        args = list(updated.args)
        if any(a.keyword is not None or a.star for a in args):
            return updated
        func = updated.func
        if self.q(func) == "torch.add" and len(args) == 3:
            new_args = [args[0]] + _scalar_to_keyword(args[1:], "alpha")
        elif isinstance(func, cst.Attribute) and func.attr.value in SCALAR_FIRST and \
                not (self.q(func) or "").startswith("torch."):  # a method of a value, not torch.addcmul(...)
            count, keyword = SCALAR_FIRST[func.attr.value]
            if len(args) != count:
                return updated
            new_args = _scalar_to_keyword(args, keyword)
        else:
            return updated
        new = updated.with_changes(args=new_args)
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


# ---------------------------------------------------------------------------------- schedulers
class _SchedulerNames(cst.CSTVisitor):
    """The names (``sched``, ``self.scheduler``) assigned a ``torch.optim.lr_scheduler.<Class>(...)``: name ->
    the class."""

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases
        self.names: Dict[str, str] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call):
            name = qualify(node.value.func, self.aliases) or ""
            if name.startswith("torch.optim.lr_scheduler."):
                for target in node.targets:
                    self.names[_code(target.target)] = name.rsplit(".", 1)[1]


class _SchedulerRule(Rule):
    rewrites = False
    needs = ("lr_scheduler",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.assigned = _SchedulerNames(self.aliases)
        self.scan(self.assigned)

    def scheduler_of(self, call: cst.BaseExpression) -> Optional[str]:
        """The class of the scheduler whose ``step`` ``call`` calls (None: not a scheduler's step)."""
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "step":
            return self.assigned.names.get(_code(call.func.value))
        return None


@rule("scheduler-step-order", order=9030)
class SchedulerStepOrder(_SchedulerRule):
    """catalog: scheduler-step-order: a loop whose body starts with ``scheduler.step()`` (the 1.0 order: the rate
    set for the epoch about to run), reported: the first epoch then trains with the second's rate."""

    def visit_For(self, node: cst.For) -> None:
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else []
        if len(body) < 2 or not isinstance(body[0], cst.SimpleStatementLine):
            return
        first = body[0].body[0]
        call = first.value if isinstance(first, cst.Expr) else None
        if call is not None and self.scheduler_of(call) not in (None, "ReduceLROnPlateau"):
            self.found(body[0], f"{_code(call)} first in the loop: call it after optimizer.step(), or each epoch "
                                 "trains with the next epoch's rate")


@rule("scheduler-step-epoch", order=9040)
class SchedulerStepEpoch(_SchedulerRule):
    """catalog: scheduler-step-epoch: ``scheduler.step(epoch)`` on a scheduler other than ReduceLROnPlateau (whose
    argument is the metric), reported."""

    def visit_Call(self, node: cst.Call) -> None:
        if node.args and self.scheduler_of(node) not in (None, "ReduceLROnPlateau"):
            self.found(node, f"{_code(node)}: an epoch passed to step() (deprecated; the closed form is used)")


# ---------------------------------------------------------------------------------- align_corners
GRID_FUNCTIONS = {"torch.nn.functional.grid_sample", "torch.nn.functional.affine_grid"}
RESIZE = {"torch.nn.functional.interpolate", "torch.nn.functional.upsample", "torch.nn.Upsample"}
LINEAR_MODES = {"linear", "bilinear", "bicubic", "trilinear"}


def _keyword_names(call: cst.Call) -> set:
    return {a.keyword.value for a in call.args if a.keyword is not None}


@rule("grid-sample-align-corners", order=9070)
class GridSampleAlignCorners(Rule):
    """catalog: grid-sample-align-corners: ``F.grid_sample(...)`` / ``F.affine_grid(...)`` without ``align_corners``,
    reported: whether the grid was built for the corners at -1 and 1 (the old default) is not in the text."""

    rewrites = False
    needs = ("grid_sample", "affine_grid")

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) in GRID_FUNCTIONS and "align_corners" not in _keyword_names(node) and \
                not any(a.star for a in node.args):
            self.found(node, f"{_code(node.func)}(...) without align_corners: align_corners=True computes what "
                             "it did up to 1.2")


@rule("bilinear-align-corners", order=9080)
class BilinearAlignCorners(Rule):
    """catalog: bilinear-align-corners: bilinear (or linear, bicubic, trilinear) ``F.interpolate`` / ``F.upsample``
    / ``nn.Upsample`` without ``align_corners``, reported: 0.3 aligned the corners, every release since 0.4
    does not; which one the script wants is its author's to say."""

    rewrites = False
    needs = ("linear", "bicubic")

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) not in RESIZE or "align_corners" in _keyword_names(node):
            return
        mode = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "mode"), None)
        if isinstance(mode, cst.SimpleString) and mode.evaluated_value in LINEAR_MODES:
            self.found(node, f"{_code(node.func)}(..., mode={mode.value}) without align_corners: 0.3 computed "
                             "align_corners=True")
