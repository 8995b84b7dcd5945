"""The module and training-loop family: non-full backward hooks, a Sampler's ``data_source``, the
schedulers' ``verbose`` and ``print_lr``, ``nn.utils.weight_norm``, positional ``state_dict`` arguments.
"""
from __future__ import annotations

from typing import List

import libcst as cst

from shims.upgrade.names import dotted
from shims.upgrade.rules.base import Rule, _bool, _code, _kw, _last_arg_clean, rule

SAMPLER = {"torch.utils.data.Sampler", "torch.utils.data.sampler.Sampler"}


@rule("module-backward-hook", order=6010)
class ModuleBackwardHook(Rule):
    """catalog: module-backward-hook: ``m.register_backward_hook(hook)`` is reported, not rewritten: the full
    hook's ``grad_input`` is the module input's gradient, the old one's the last op's, so the hook's body
    may read other tensors after the change."""

    rewrites = False
    needs = ("register_backward_hook",)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "register_backward_hook":
            self.found(node, "register_backward_hook -> register_full_backward_hook (torch >= 1.8); its grad_input "
                             "is the module input's gradient, not the last op's: check what the hook reads")


@rule("sampler-data-source", order=6020)
class SamplerDataSource(Rule):
    """catalog: sampler-data-source: ``super().__init__(data_source)`` (or ``Sampler.__init__(self, data_source)``)
    in a class that subclasses torch's Sampler is reported, not rewritten: ``super().__init__()`` fails before
    2.1 (the argument was required), and deleting a statement is the reader's call."""

    rewrites = False
    needs = ("Sampler",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.classes: List[bool] = []  # per enclosing class: does it subclass torch's Sampler

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(any(self.q(base.value) in SAMPLER for base in node.bases))

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def visit_Call(self, node: cst.Call) -> None:
        if not (self.classes and self.classes[-1]):
            return
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"):
            return
        base = func.value
        via_super = isinstance(base, cst.Call) and dotted(base.func) == "super" and len(node.args) == 1
        via_class = self.q(base) in SAMPLER and len(node.args) == 2
        if via_super or via_class:
            self.found(node, "Sampler.__init__ no longer takes data_source (and required it on old releases): "
                             "delete this call")


@rule("scheduler-verbose", order=6030)
class SchedulerVerbose(Rule):
    """catalog: scheduler-verbose: ``verbose=False`` in a torch scheduler's constructor is dropped (it did
    nothing); ``verbose=True`` (it printed the learning rate), a non-literal ``verbose`` and
    ``scheduler.print_lr(...)`` are reported: the printing is the user's to write, with ``get_last_lr()``."""

    needs = ("verbose", "print_lr")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if isinstance(func, cst.Attribute) and func.attr.value == "print_lr":
            self.found(original, f"{_code(original)}: print_lr is gone; print(scheduler.get_last_lr())")
            return updated
        verbose = _kw(updated, "verbose")
        if verbose is None or not (self.q(func) or "").startswith("torch.optim.lr_scheduler."):
            return updated  # torch's schedulers only (another library's verbose is its own)
        if _bool(verbose.value) is not False:
            self.found(original, f"{_code(verbose).rstrip(', ')}: the scheduler no longer prints; "
                                 f"print(scheduler.get_last_lr()) after scheduler.step()")
            return updated
        self.changed(original, f"{_code(verbose).rstrip(', ')} dropped (it printed nothing)")
        return updated.with_changes(args=_last_arg_clean([a for a in updated.args if a is not verbose]))


WEIGHT_NORM = {"torch.nn.utils.weight_norm", "torch.nn.utils.weight_norm.weight_norm"}


@rule("weight-norm-parametrization", order=6040)
class WeightNormParametrization(Rule):
    """catalog: weight-norm-parametrization: ``torch.nn.utils.weight_norm(m)`` is reported, not rewritten: the
    parametrization version names the magnitude and direction differently (``weight_g`` / ``weight_v`` are
    ``parametrizations.weight.original0`` / ``original1``), which code reading them by name must follow."""

    rewrites = False
    needs = ("weight_norm",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) in WEIGHT_NORM:
            self.found(node, f"{_code(node.func)} -> torch.nn.utils.parametrizations.weight_norm; weight_g / weight_v "
                             f"become parametrizations.weight.original0 / original1")


MODULE = {"torch.nn.Module", "torch.nn.modules.module.Module", "torch.nn.modules.Module"}
STATE_DICT_PARAMETERS = ("destination", "prefix", "keep_vars")


@rule("state-dict-positional", order=6050)
class StateDictPositional(Rule):
    """catalog: state-dict-positional: ``super().state_dict(destination, prefix, keep_vars)`` in a class whose
    base is ``nn.Module`` itself (and ``nn.Module.state_dict(self, ...)``) -> the same arguments by keyword;
    any other ``x.state_dict(<positional>)`` is reported (x's own override may take other parameters)."""

    needs = ("state_dict",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.classes: List[bool] = []  # per enclosing class: is its one base torch's Module

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(len(node.bases) == 1 and self.q(node.bases[0].value) in MODULE)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "state_dict"):
            return updated
        args = list(updated.args)
        via_class = self.q(func.value) in MODULE
        positional = [a for a in args[1 if via_class else 0:] if a.keyword is None]
        if not positional or any(a.star for a in args):
            return updated  # a wrapper forwarding *args / **kwargs: its callers decide
        base = func.value
        via_super = (isinstance(base, cst.Call) and dotted(base.func) == "super" and bool(self.classes)
                     and self.classes[-1])
        plain = all(a.keyword is None for a in args) and len(positional) <= 3
        if not ((via_super or via_class) and plain):
            self.found(original, f"{_code(original)}: pass state_dict's arguments by name "
                                 f"(destination=, prefix=, keep_vars=)")
            return updated
        named = [a.with_changes(keyword=cst.Name(name), equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))
            for a, name in zip(positional, STATE_DICT_PARAMETERS)]
        new_args = args[:1] + named if via_class else named
        self.changed(original, f"state_dict({', '.join(_code(a.value) for a in positional)}) -> keywords")
        return updated.with_changes(args=new_args)
