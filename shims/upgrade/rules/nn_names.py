"""The torch.nn names renamed and kept with warnings: the ``nn.init`` functions without their
trailing ``_``, ``clip_grad_norm``, ``Hardtanh(min_value=, max_value=)``, ``NLLLoss2d``, ``nn.Container``,
``F.upsample_bilinear`` / ``F.upsample_nearest``.
"""
from __future__ import annotations

from typing import Dict, Tuple

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, _kw, rule

#: the nn.init names renamed with a trailing ``_`` (each old name a wrapper that calls the new one)
INIT_OLD = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "uniform", "normal",
            "constant", "orthogonal", "sparse", "eye", "dirac")


class RenameAttribute(Rule):
    """Base of the rules whose old name is an alias of the new one: ``<module>.<old>`` -> ``<module>.<new>``
    at every use of the attribute; an old name imported with ``from <module> import <old>`` is reported
    (the import and every use would change)."""

    #: module -> {old name: new name}, for the modules a script imports the names from
    RENAMES: Dict[str, Dict[str, str]] = {}

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        module, _, name = (self.q(updated) or "").rpartition(".")
        new = self.RENAMES.get(module, {}).get(name)
        if new is None:
            return updated
        self.changed(original, f"{_code(original)} -> {_code(updated.value)}.{new}")
        return updated.with_changes(attr=cst.Name(new))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or isinstance(node.names, cst.ImportStar):
            return
        renames = self.RENAMES.get(_code(node.module), {})
        for alias in node.names:
            name = _code(alias.name)
            if name in renames:
                self.found(node, f"from {_code(node.module)} import {name}: import and call {renames[name]} instead")


def _module_renames(modules: Tuple[str, ...], renames: Dict[str, str]) -> Dict[str, Dict[str, str]]:
    return {module: renames for module in modules}


@rule("nn-init-underscore", order=5010)
class NnInitUnderscore(RenameAttribute):
    """catalog: nn-init-underscore: ``nn.init.xavier_uniform`` -> ``nn.init.xavier_uniform_`` (the old name only
    warns and calls the new one with the same arguments)."""

    needs = ("init",)
    RENAMES = _module_renames(("torch.nn.init",), {name: name + "_" for name in INIT_OLD})


@rule("clip-grad-norm-underscore", order=5020)
class ClipGradNormUnderscore(RenameAttribute):
    """catalog: clip-grad-norm-underscore: ``nn.utils.clip_grad_norm`` -> ``nn.utils.clip_grad_norm_`` (the old
    name only warns and calls the new one with the same arguments)."""

    needs = ("clip_grad_norm",)
    RENAMES = _module_renames(("torch.nn.utils", "torch.nn.utils.clip_grad"), {"clip_grad_norm": "clip_grad_norm_"})


HARDTANH = {"torch.nn.Hardtanh", "torch.nn.modules.Hardtanh", "torch.nn.modules.activation.Hardtanh"}
HARDTANH_KEYWORDS = {"min_value": "min_val", "max_value": "max_val"}


@rule("hardtanh-min-max-value", order=5030)
class HardtanhMinMaxValue(Rule):
    """catalog: hardtanh-min-max-value: ``nn.Hardtanh(min_value=a, max_value=b)`` -> ``nn.Hardtanh(min_val=a,
    max_val=b)`` (the old keywords set the same bounds); reported where the call names both spellings."""

    needs = ("min_value", "max_value")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.q(updated.func) not in HARDTANH:
            return updated
        old = {name: arg for name, arg in ((n, _kw(updated, n)) for n in HARDTANH_KEYWORDS) if arg is not None}
        if not old:
            return updated
        both = [name for name in old if _kw(updated, HARDTANH_KEYWORDS[name]) is not None]
        if both:
            self.found(original, f"Hardtanh with both {both[0]}= and {HARDTANH_KEYWORDS[both[0]]}=: keep one")
            return updated
        renamed = {id(arg): HARDTANH_KEYWORDS[name] for name, arg in old.items()}
        self.changed(original, ", ".join(f"{name}= -> {HARDTANH_KEYWORDS[name]}=" for name in old))
        return updated.with_changes(args=[a.with_changes(keyword=cst.Name(renamed[id(a)])) if id(a) in renamed else a
                                          for a in updated.args])


@rule("nllloss2d", order=5040)
class NllLoss2d(RenameAttribute):
    """catalog: nllloss2d: ``nn.NLLLoss2d`` -> ``nn.NLLLoss`` (NLLLoss2d is a subclass that only warns and passes
    its arguments on)."""

    needs = ("NLLLoss2d",)
    RENAMES = _module_renames(("torch.nn", "torch.nn.modules", "torch.nn.modules.loss"), {"NLLLoss2d": "NLLLoss"})


CONTAINER = {"torch.nn.Container", "torch.nn.modules.Container", "torch.nn.modules.container.Container"}


@rule("nn-container", order=5050)
class NnContainer(Rule):
    """catalog: nn-container (reported, never rewritten): ``nn.Container`` as a base class or a call.
    Container(**modules) registers its keyword arguments as submodules and nn.Module.__init__ takes none,
    so swapping the name is not safe: the submodules must be assigned by hand."""

    rewrites = False
    needs = ("Container",)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self.q(node) in CONTAINER:
            self.found(node, f"{_code(node)}: subclass nn.Module and assign the keyword modules as attributes")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or isinstance(node.names, cst.ImportStar):
            return
        if any(f"{_code(node.module)}.{_code(alias.name)}" in CONTAINER for alias in node.names):
            self.found(node, f"from {_code(node.module)} import Container: subclass nn.Module instead")


#: each fixed-mode shortcut -> the keywords that make F.interpolate compute the same
UPSAMPLE_MODES = {
    "torch.nn.functional.upsample_bilinear": (("mode", "'bilinear'"), ("align_corners", "True")),
    "torch.nn.functional.upsample_nearest": (("mode", "'nearest'"),),
}
NO_SPACE = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


@rule("functional-upsample-bilinear", order=5060)
class FunctionalUpsampleBilinear(Rule):
    """catalog: functional-upsample-bilinear: ``F.upsample_bilinear(x, ...)`` -> ``F.interpolate(x, ...,
    mode='bilinear', align_corners=True)``, ``F.upsample_nearest(x, ...)`` -> ``F.interpolate(x, ...,
    mode='nearest')`` (interpolate's own bilinear default, align_corners=False, gives other numbers).
    Reported: a name imported without its module, or a call with ``*args`` / ``**kwargs``."""

    needs = ("upsample_bilinear", "upsample_nearest")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        target = self.q(updated.func)
        if target not in UPSAMPLE_MODES:
            return updated
        if not isinstance(updated.func, cst.Attribute) or any(a.star for a in updated.args) or not updated.args:
            self.found(original, f"{_code(original.func)}(...): write F.interpolate with the mode the fix names")
            return updated
        args = list(updated.args)
        trailing = args[-1].comma  # a trailing comma (a call over several lines) stays the last one
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        extra = [cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v), equal=NO_SPACE,
                         comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                 for k, v in UPSAMPLE_MODES[target]]
        extra[-1] = extra[-1].with_changes(comma=trailing)
        added = ", ".join(f"{k}={v}" for k, v in UPSAMPLE_MODES[target])
        self.changed(original, f"{_code(original.func)}(...) -> {_code(updated.func.value)}.interpolate(..., {added})")
        return updated.with_changes(func=updated.func.with_changes(attr=cst.Name("interpolate")), args=args + extra)
