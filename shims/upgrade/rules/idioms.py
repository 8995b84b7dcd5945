"""2018-2020 idioms newer torch warns about or dropped: ``scheduler.get_lr()`` read as the current rate,
``torch.meshgrid`` without ``indexing``, ``x.T`` on a tensor that is not 2-D, ``load_lua`` and
``torch.tensor(t)`` of a tensor.
"""
from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from shims.upgrade.names import qualify
from shims.upgrade.rules.base import Rule, _code, rule
from shims.upgrade.rules.defaults import _SchedulerNames


# ---------------------------------------------------------------------------------- scheduler-get-lr
@rule("scheduler-get-lr", order=9500)
class SchedulerGetLr(Rule):
    """catalog: scheduler-get-lr: ``sched.get_lr()`` -> ``sched.get_last_lr()`` where ``sched`` is assigned a
    ``torch.optim.lr_scheduler.<Class>(...)`` in the same file (a scheduler of one's own may define get_lr
    as the rate in use). ReduceLROnPlateau has no get_lr; left alone."""

    needs = ("get_lr",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.assigned = _SchedulerNames(self.aliases)
        self.scan(self.assigned)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if updated.args or not isinstance(func, cst.Attribute) or func.attr.value != "get_lr":
            return updated
        if self.assigned.names.get(_code(func.value)) in (None, "ReduceLROnPlateau"):
            return updated
        new = updated.with_changes(func=func.with_changes(attr=cst.Name("get_last_lr")))
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


# ---------------------------------------------------------------------------------- meshgrid-indexing
@rule("meshgrid-indexing", order=9510)
class MeshgridIndexing(Rule):
    """catalog: meshgrid-indexing: ``torch.meshgrid(a, b)`` -> ``torch.meshgrid(a, b, indexing="ij")``: 'ij' is
    what every release without the keyword computes, so the grids stay the same."""

    needs = ("meshgrid",)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.q(updated.func) != "torch.meshgrid" or not updated.args or \
                any(a.keyword is not None or a.star == "**" for a in updated.args):
            return updated
        args = list(updated.args)
        last = args[-1]
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        kw = cst.Arg(value=cst.SimpleString('"ij"'), keyword=cst.Name("indexing"),
                     equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                           whitespace_after=cst.SimpleWhitespace("")),
                     comma=last.comma)  # a trailing comma stays trailing
        args[-1] = last.with_changes(comma=space)
        new = updated.with_changes(args=args + [kw])
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


# ---------------------------------------------------------------------------------- transpose-non-2d
#: torch functions whose leading integer arguments (or a first tuple of them) are the result's shape
_SHAPED = {f"torch.{f}" for f in ("randn", "rand", "zeros", "ones", "empty", "randint")}


def _ndim(call: cst.BaseExpression, aliases: Dict[str, str]) -> Optional[int]:
    """How many dimensions a ``torch.randn(8, 5, 3)`` / ``torch.zeros((4,))`` / ``torch.arange(n)`` call's result
    has, where the text says it; None elsewhere."""
    if not isinstance(call, cst.Call):
        return None
    name = qualify(call.func, aliases)
    if name in ("torch.arange", "torch.linspace"):
        return 1
    if name not in _SHAPED or not call.args:
        return None
    first = call.args[0].value
    if isinstance(first, (cst.Tuple, cst.List)):
        return len(first.elements)
    shape = [a for a in call.args if a.keyword is None]
    if name == "torch.randint":  # randint(low, high, size) / randint(high, size): the shape is the tuple
        return len(shape[-1].value.elements) if isinstance(shape[-1].value, (cst.Tuple, cst.List)) else None
    return len(shape) if all(isinstance(a.value, cst.Integer) for a in shape) else None


class _ShapedNames(cst.CSTVisitor):
    """The plain names assigned once in the module, from a call whose number of dimensions the text says."""

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases
        self.ndim: Dict[str, Optional[int]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                self.ndim[name] = None if name in self.ndim else _ndim(node.value, self.aliases)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.ndim[node.target.value] = None


@rule("transpose-non-2d", order=9520)
class TransposeNon2d(Rule):
    """catalog: transpose-non-2d: ``x.T`` where the text shows ``x`` is not 2-D (a ``torch.randn(8, 5, 3)`` or
    ``torch.arange(n)``, or a name assigned once from one), reported. Elsewhere ``.T`` is left alone: most are
    matrices, and the number of dimensions of anything else is not in the text (torch's own warning names
    the line when the script runs)."""

    rewrites = False
    needs = (".T",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.shaped = _ShapedNames(self.aliases)
        self.scan(self.shaped)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "T":
            return
        value = node.value
        ndim = self.shaped.ndim.get(value.value) if isinstance(value, cst.Name) else _ndim(value, self.aliases)
        if ndim is not None and ndim != 2:
            self.found(node, f"{_code(node)} of a {ndim}-D tensor: x.mT swaps the last two dimensions, "
                             "x.permute(...) reverses them all")


# ---------------------------------------------------------------------------------- load-lua
@rule("load-lua", order=9530)
class LoadLua(Rule):
    """catalog: load-lua: ``from torch.utils.serialization import load_lua`` (and ``torch.utils.serialization``
    used by name), reported: no torch on PyPI has it, and torchfile returns NumPy data, not modules."""

    rewrites = False
    needs = ("serialization",)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is not None and _code(node.module) == "torch.utils.serialization":
            self.found(node, f"{_code(node)}: no torch on PyPI has torch.utils.serialization.load_lua "
                             "(read the .t7 file with torchfile, or convert it once with a torch older than 1.0)")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "load_lua" and self.q(node) == "torch.utils.serialization.load_lua":
            self.found(node, f"{_code(node)}: no torch on PyPI has it (read the .t7 file with torchfile)")


# ---------------------------------------------------------------------------------- tensor-copy-construct
#: attributes that hold a tensor in 2017-2020 code (``p.data``, ``p.grad``, ``layer.weight``)
_TENSOR_ATTRIBUTES = {"data", "grad", "weight", "bias"}


class _TorchAssigned(cst.CSTVisitor):
    """The plain names assigned a ``torch.<f>(...)`` call (a tensor) somewhere in the module."""

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases
        self.names: Set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and (qualify(node.value.func, self.aliases) or "").startswith("torch."):
            self.names.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))


@rule("tensor-copy-construct", order=9540)
class TensorCopyConstruct(Rule):
    """catalog: tensor-copy-construct: ``torch.tensor(t)`` / ``torch.Tensor(t)`` where ``t`` is visibly a tensor (a
    ``torch.<f>(...)`` call, a name assigned one, ``.data`` / ``.grad`` / ``.weight`` / ``.bias``), reported: whether
    the old code wanted a copy, an alias or a trainable leaf is not in the text."""

    rewrites = False
    needs = ("tensor(", "Tensor(")

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.assigned = _TorchAssigned(self.aliases)
        self.scan(self.assigned)

    def _is_tensor(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Call):
            return (self.q(node.func) or "").startswith("torch.")
        if isinstance(node, cst.Name):
            return node.value in self.assigned.names
        return isinstance(node, cst.Attribute) and node.attr.value in _TENSOR_ATTRIBUTES

    def visit_Call(self, node: cst.Call) -> None:
        name = self.q(node.func)
        if name not in ("torch.tensor", "torch.Tensor") or not node.args or node.args[0].keyword is not None:
            return
        if node.args[0].star or not self._is_tensor(node.args[0].value):
            return
        what = ("a detached copy without requires_grad: write .detach().clone()" if name == "torch.tensor" else
                "an alias of the same memory, requires_grad kept: write the tensor itself, or .detach().clone()")
        self.found(node, f"{_code(node)}: {what}")
