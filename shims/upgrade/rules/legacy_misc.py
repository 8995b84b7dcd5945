"""Small legacy idioms no other family covers: a plain-method ``__torch_function__`` (made a classmethod where
the method never uses its instance), pickling a Storage, ``gumbel_softmax``'s ``eps`` (removed),
``torch.utils.ffi`` and ``-1`` as the CPU in ``comm.gather`` (reported).
"""
from __future__ import annotations

from typing import List, Optional

import libcst as cst

from shims.upgrade.names import dotted
from shims.upgrade.rules.base import Rule, _code, _kw, rule


# ---------------------------------------------------------------------------------- torch-function-classmethod
class _NameUse(cst.CSTVisitor):
    """Whether a name is read anywhere under the visited node."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.used = False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.used = True


@rule("torch-function-classmethod", order=9610)
class TorchFunctionClassmethod(Rule):
    """catalog: torch-function-classmethod: ``def __torch_function__(self, func, types, args=(), kwargs=None)`` in a
    class body, undecorated -> ``@classmethod`` and ``cls``, where the body never uses ``self`` (then the handler
    cannot tell the instance from the class: the same result). A body that uses ``self`` is reported."""

    needs = ("__torch_function__",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.depth: List[str] = []  # "class" / "def", innermost last

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth.append("class")

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.depth.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth.append("def")

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        self.depth.pop()
        if updated.name.value != "__torch_function__" or self.depth[-1:] != ["class"] or updated.decorators:
            return updated
        params = updated.params.params
        if len(params) < 2 or updated.params.posonly_params or params[0].default is not None:
            return updated
        first = params[0].name.value
        use = _NameUse(first)
        updated.body.visit(use)
        for p in params[1:]:
            if p.default is not None:
                p.default.visit(use)
        if use.used:
            self.found(original, f"__torch_function__({first}, ...) is a plain method that uses {first}: make it a "
                                 "@classmethod and find the instance among args")
            return updated
        new = updated.with_changes(
            decorators=[cst.Decorator(decorator=cst.Name("classmethod"))],
            params=updated.params.with_changes(params=[params[0].with_changes(name=cst.Name("cls"))] + list(params[1:])))
        self.changed(original, f"def __torch_function__({first}, ...) -> @classmethod def __torch_function__(cls, ...)")
        return new


# ---------------------------------------------------------------------------------- storage-pickle
@rule("storage-pickle", order=9620)
class StoragePickle(Rule):
    """catalog: storage-pickle: ``pickle.dump(s)(x.storage(), ...)`` reported: pickle the tensor instead (what
    reads the pickle back must then expect a tensor, which the text does not show)."""

    rewrites = False
    needs = ("storage",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) not in ("pickle.dumps", "pickle.dump") or not node.args:
            return
        arg = node.args[0].value
        if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute) and arg.func.attr.value == "storage" \
                and not arg.args:
            self.found(node, f"{_code(node)}: pickles a Storage (pickle the tensor, or torch.save it)")


# ---------------------------------------------------------------------------------- gumbel-softmax-eps
def _without(args: List[cst.Arg], drop: cst.Arg) -> List[cst.Arg]:
    """``args`` less ``drop``; where it was the last, the one before it takes its (trailing) comma."""
    index = next(i for i, a in enumerate(args) if a is drop)
    kept = args[:index] + args[index + 1:]
    if index == len(args) - 1 and kept:
        kept[-1] = kept[-1].with_changes(comma=drop.comma)
    return kept


@rule("gumbel-softmax-eps", order=9630)
class GumbelSoftmaxEps(Rule):
    """catalog: gumbel-softmax-eps: ``F.gumbel_softmax(logits, ..., eps=...)`` -> without ``eps`` (ignored since
    the releases that warn: the same samples). A positional eps is removed where it is the last argument."""

    needs = ("gumbel_softmax",)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.q(updated.func) != "torch.nn.functional.gumbel_softmax" or any(a.star for a in updated.args):
            return updated
        args = list(updated.args)
        drop: Optional[cst.Arg] = _kw(updated, "eps")
        positional = [a for a in args if a.keyword is None]
        if drop is None and len(positional) >= 4:
            if len(positional) > 4 or args[-1] is not positional[3]:
                self.found(original, f"{_code(original)}: eps given by position before other arguments")
                return updated
            drop = positional[3]
        if drop is None:
            return updated
        new = updated.with_changes(args=_without(args, drop))
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


# ---------------------------------------------------------------------------------- utils-ffi
@rule("utils-ffi", order=9640)
class UtilsFfi(Rule):
    """catalog: utils-ffi: ``from torch.utils.ffi import create_extension`` / ``import torch.utils.ffi``, reported:
    the C sources must be ported to a C++ extension by hand."""

    rewrites = False
    needs = ("ffi",)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else None
        names = [] if isinstance(node.names, cst.ImportStar) else [dotted(a.name) for a in node.names]
        if module == "torch.utils.ffi" or (module or "").startswith("torch.utils.ffi.") or \
                (module == "torch.utils" and "ffi" in names):
            self.found(node, f"{_code(node).strip()}: torch.utils.ffi is gone (port to torch.utils.cpp_extension)")

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if (dotted(alias.name) or "").startswith("torch.utils.ffi"):
                self.found(node, f"{_code(node).strip()}: torch.utils.ffi is gone (port to torch.utils.cpp_extension)")


# ---------------------------------------------------------------------------------- parallel-gather-cpu-minus-one
GATHERS = {"torch.nn.parallel.comm.gather", "torch.cuda.comm.gather"}
#: gather(outputs, target_device, dim=0): the module-level gather DataParallel uses
OUTPUT_GATHERS = {"torch.nn.parallel.gather", "torch.nn.parallel.scatter_gather.gather"}


def _minus_one(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) and \
        isinstance(expr.expression, cst.Integer) and expr.expression.value == "1"


@rule("parallel-gather-cpu-minus-one", order=9650)
class ParallelGatherCpuMinusOne(Rule):
    """catalog: parallel-gather-cpu-minus-one: ``comm.gather(tensors, destination=-1)`` (or -1 as the third
    positional argument) and ``nn.parallel.gather(outputs, -1)`` (``target_device``), reported: ``"cpu"``."""

    rewrites = False
    needs = ("gather",)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.q(node.func)
        if name not in GATHERS and name not in OUTPUT_GATHERS:
            return
        keyword, index = ("destination", 2) if name in GATHERS else ("target_device", 1)
        dest = _kw(node, keyword)
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if dest is None and len(positional) > index:
            dest = positional[index]
        if dest is not None and _minus_one(dest.value):
            self.found(node, f"{_code(node)}: -1 for the CPU ({keyword}=\"cpu\")")
