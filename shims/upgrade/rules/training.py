"""The module and training-loop family: non-full backward hooks, a Sampler's ``data_source``, the
schedulers' ``verbose`` and ``print_lr``, ``nn.utils.weight_norm``, positional ``state_dict`` arguments.
"""
from __future__ import annotations

import libcst as cst

from shims.upgrade.rules.base import Rule, rule


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
