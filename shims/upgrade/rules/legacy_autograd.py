"""The legacy-autograd family (issue 19): graph attributes read on a Function instance,
``backward(grad_variables=...)``, ``traceable`` / ``is_traceable``, ``ctx.mark_shared_storage``,
``Distribution.sample_n``.
"""
from __future__ import annotations

from typing import Set

import libcst as cst

from shims.upgrade.names import qualify
from shims.upgrade.rules.autograd import FUNCTION
from shims.upgrade.rules.base import Rule, _code, rule

# ---------------------------------------------------------------------- function-instance-attributes
#: the graph node's attributes that pre-0.4 code read on the Function instance (the node then)
NODE_ATTRS = {"next_functions", "register_hook", "name", "register_prehook", "_register_hook_dict"}


class _Instances(cst.CSTVisitor):
    """Pre-scan: the Function subclasses defined here, and what is assigned an instance of one."""

    def __init__(self, aliases) -> None:
        self.aliases = aliases
        self.classes: Set[str] = set()
        self.instances: Set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if any(qualify(b.value, self.aliases) in FUNCTION for b in node.bases):
            self.classes.add(node.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in self.classes:
            self.instances.update(_code(t.target) for t in node.targets)


@rule("function-instance-attributes", order=7001)
class FunctionInstanceAttributes(Rule):
    """catalog: function-instance-attributes (reported, never rewritten: the node is the output's
    ``grad_fn``, and which output's only the reader knows): ``fn = MyFn()`` then ``fn.next_functions``,
    ``fn.register_hook(...)``, ``fn.name()``, ``fn.register_prehook(...)``, ``fn._register_hook_dict(...)``."""

    needs = tuple(NODE_ATTRS)

    rewrites = False

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.instances = _Instances(self.aliases)
        self.scan(self.instances)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if updated.attr.value in NODE_ATTRS and _code(updated.value) in self.instances.instances:
            self.found(original, f"{_code(original)} on an autograd.Function instance, which is in no graph: "
                                 f"use y.grad_fn.{updated.attr.value} of the Function's output y")
        return updated


# ------------------------------------------------------------------------------------ grad-variables
@rule("grad-variables", order=7002)
class GradVariables(Rule):
    """catalog: grad-variables: ``torch.autograd.backward(ts, grad_variables=g)`` -> ``grad_tensors=g`` (the
    alias is used as grad_tensors); reported where both are passed (torch raises)."""

    needs = ("grad_variables",)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.q(updated.func) != "torch.autograd.backward":
            return updated
        keywords = {a.keyword.value: a for a in updated.args if a.keyword is not None}
        arg = keywords.get("grad_variables")
        if arg is None:
            return updated
        if "grad_tensors" in keywords:
            self.found(original, "grad_variables= and grad_tensors= both passed (torch raises): keep grad_tensors")
            return updated
        self.changed(original, "grad_variables= -> grad_tensors=")
        return updated.with_changes(args=[a.with_changes(keyword=cst.Name("grad_tensors")) if a is arg else a
                                          for a in updated.args])


# -------------------------------------------------------------------------------- function-traceable
TRACEABLE = "torch.autograd.function.traceable"


@rule("function-traceable", order=7003)
class FunctionTraceable(Rule):
    """catalog: function-traceable (reported: the decorator, its import and the flag are to be deleted
    by hand, the flag did nothing): ``@traceable`` / ``torch.autograd.function.traceable(cls)``, the
    import of ``traceable``, ``is_traceable = True`` in a class body."""

    needs = ("traceable",)

    rewrites = False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = _code(node.module) if node.module is not None else ""
        if module == "torch.autograd.function" and not isinstance(node.names, cst.ImportStar) and any(
                isinstance(a.name, cst.Name) and a.name.value == "traceable" for a in node.names):
            self.found(node, "imports torch.autograd.function.traceable (removed): delete it and its uses")

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        if self.q(updated.decorator) == TRACEABLE:
            self.found(original, "@traceable on a Function (removed; it did nothing): delete the decorator")
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.q(updated.func) == TRACEABLE:
            self.found(original, f"{_code(original)}: traceable was removed (it did nothing): use the class itself")
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if any(_code(t.target) == "is_traceable" for t in updated.targets):
            self.found(original, "is_traceable = ... (a flag nothing reads any more): delete the line")
        return updated


# ------------------------------------------------------------------------------- mark-shared-storage
def _is_mark_shared(stmt: cst.BaseStatement) -> bool:
    """A line that is one call ``<x>.mark_shared_storage(...)`` and nothing else."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    return (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)
            and isinstance(small.value.func, cst.Attribute) and small.value.func.attr.value == "mark_shared_storage")


@rule("mark-shared-storage", order=7004)
class MarkSharedStorage(Rule):
    """catalog: mark-shared-storage: a line ``ctx.mark_shared_storage(...)`` is deleted (it only warns, see
    the entry; a block left empty gets ``pass``); reported where the call is part of another statement."""

    needs = ("mark_shared_storage",)

    def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.IndentedBlock:
        keep = []
        for old, new in zip(original.body, updated.body):
            if _is_mark_shared(new):
                self.changed(old, f"{_code(new.body[0])} deleted (shared storage is tracked without it)")
            else:
                keep.append(new)
        if len(keep) == len(updated.body):
            return updated
        return updated.with_changes(body=keep or [cst.SimpleStatementLine([cst.Pass()])])

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "mark_shared_storage" \
                and not self._alone(node):
            self.found(node, f"{_code(node)} inside another statement: delete the call by hand")

    def _alone(self, node: cst.Call) -> bool:
        return id(node) in self.alone

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if _is_mark_shared(node):
            self.alone.add(id(node.body[0].value))

    def visit_Module(self, node: cst.Module) -> None:
        self.alone: Set[int] = set()


# ----------------------------------------------------------------------------- distribution-sample-n
class _Distributions(cst.CSTVisitor):
    """Pre-scan: the names assigned a ``torch.distributions.*(...)`` object (TF1's contrib distributions
    had a sample_n too: only torch's are rewritten)."""

    def __init__(self, aliases) -> None:
        self.aliases = aliases
        self.names: Set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Call) and _is_distribution(node.value, self.aliases):
            self.names.update(_code(t.target) for t in node.targets)


def _is_distribution(call: cst.Call, aliases) -> bool:
    return (qualify(call.func, aliases) or "").startswith("torch.distributions.")


@rule("distribution-sample-n", order=7005)
class DistributionSampleN(Rule):
    """catalog: distribution-sample-n: ``d.sample_n(n)`` -> ``d.sample((n,))`` where ``d`` is a
    ``torch.distributions`` object made here; reported where the receiver is not known to be one."""

    needs = ("sample_n",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.dists = _Distributions(self.aliases)
        self.scan(self.dists)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "sample_n"):
            return updated
        receiver = func.value
        known = _code(receiver) in self.dists.names or (
            isinstance(receiver, cst.Call) and _is_distribution(receiver, self.aliases))
        if not known or len(updated.args) != 1 or updated.args[0].keyword is not None or updated.args[0].star:
            self.found(original, f"{_code(original)}: if this is a torch.distributions object, "
                                 "use .sample((n,)) instead")
            return updated
        n = updated.args[0].value
        shape = cst.Tuple([cst.Element(n)])  # one element: libcst writes the trailing comma
        new = updated.with_changes(func=func.with_changes(attr=cst.Name("sample")), args=[cst.Arg(shape)])
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new
