"""The mask family (torch 1.2 added ``torch.bool``; comparisons return it): a uint8 mask built with
``.byte()`` and given to indexing / ``masked_*`` / ``torch.where``, and ``1 - <comparison>`` (no
subtraction on bool tensors).

Both rules rewrite only what the text proves to be a 0/1 mask: a comparison (``a > b``, ``a.eq(b)``,
``torch.lt(a, b)``) or ``~`` / ``&`` / ``|`` / ``^`` of comparisons. ``t.byte()`` of anything else is not
``t.bool()`` (``0.5`` truncates to 0 but is True; 256 wraps to 0), and a name may hold anything: those
places are reported.
"""
from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from shims.upgrade.names import dotted
from shims.upgrade.rules.base import Rule, _code, _kw, rule

#: tensor methods / torch functions whose result is a 0/1 mask
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le", "isnan", "isinf", "isfinite"}
#: mask methods: the mask is the first positional argument (or ``mask=``)
_MASK_METHODS = {"masked_fill_", "masked_fill", "masked_scatter_", "masked_scatter", "masked_select"}
#: torch functions with a mask argument: its position (and keyword)
_MASK_FUNCTIONS = {"torch.masked_select": (1, "mask"), "torch.masked_fill": (1, "mask"),
                   "torch.masked_scatter": (1, "mask"), "torch.where": (0, "condition")}


def _is_mask(rule_: Rule, expr: cst.BaseExpression) -> bool:
    """Whether ``expr`` is provably a comparison's 0/1 result (or a logical combination of such)."""
    if isinstance(expr, cst.Comparison):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.BitInvert):
        return _is_mask(rule_, expr.expression)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.BitAnd, cst.BitOr, cst.BitXor)):
        return _is_mask(rule_, expr.left) and _is_mask(rule_, expr.right)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        qualified = rule_.q(expr.func)
        if qualified is not None and qualified.startswith("torch."):  # torch.eq(a, b)
            return qualified[len("torch."):] in _COMPARE
        return expr.func.attr.value in _COMPARE  # a.eq(b)
    return False


def _byte_of(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``t`` for ``t.byte()``; None for anything else."""
    if isinstance(expr, cst.Call) and not expr.args and isinstance(expr.func, cst.Attribute) \
            and expr.func.attr.value == "byte":
        return expr.func.value
    return None


class _ByteNames(cst.CSTVisitor):
    """The names a module assigns a uint8 tensor to: ``m = <...>.byte()``, ``m = torch.ByteTensor(...)``,
    ``m = torch.<factory>(..., dtype=torch.uint8)``."""

    def __init__(self, names: Set[str]) -> None:
        self.names = names

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        code = _code(value)
        if _byte_of(value) is not None or "ByteTensor(" in code or "torch.uint8" in code:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.names.add(target.target.value)


@rule("uint8-mask", order=2001)
class ByteMask(Rule):
    """catalog: uint8-mask: ``x.masked_fill_((a > b).byte(), v)``, ``x[(a > b).byte()]``,
    ``torch.where((a > b).byte(), x, y)`` -> ``.bool()`` (a comparison's 0/1 is the same mask); reported,
    not rewritten: ``.byte()`` of anything else in those places, and a name that holds a uint8 tensor
    (``m = (a > b).byte()``, ``torch.ByteTensor``, ``dtype=torch.uint8``) used as a mask."""

    needs = ("byte", "uint8", "ByteTensor")

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.byte_names: Set[str] = set()
        self.scan(_ByteNames(self.byte_names))

    def _mask(self, node: cst.CSTNode, expr: cst.BaseExpression, where: str) -> Optional[cst.BaseExpression]:
        """The rewritten mask expression, or None (left alone; reported where it is a uint8 tensor)."""
        inner = _byte_of(expr)
        if inner is not None:
            if _is_mask(self, inner):
                new = expr.with_changes(func=expr.func.with_changes(attr=cst.Name("bool")))
                self.changed(node, f"{_code(expr)} -> {_code(new)} ({where})")
                return new
            self.found(node, f"{_code(expr)} as the mask of {where}: a uint8 mask warns or fails on torch 1.2+; "
                             f"use a bool mask (.bool() gives True for every nonzero value, .byte() truncated)")
        elif isinstance(expr, cst.Name) and expr.value in self.byte_names:
            self.found(node, f"{expr.value} (a uint8 tensor) as the mask of {where}: make it bool "
                             f"({expr.value}.bool(), or build it with dtype=torch.bool)")
        return None

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        position = None
        if isinstance(updated.func, cst.Attribute) and updated.func.attr.value in _MASK_METHODS \
                and self.q(updated.func) is None:
            position, keyword = 0, "mask"
            where = f".{updated.func.attr.value}"
        else:
            qualified = self.q(updated.func)
            if qualified in _MASK_FUNCTIONS:
                position, keyword = _MASK_FUNCTIONS[qualified]
                where = qualified
                if qualified == "torch.where" and len(updated.args) < 3:
                    return updated  # torch.where(cond) (nonzero) takes any tensor
        if position is None:
            return updated
        args = list(updated.args)
        arg = _kw(updated, keyword)
        index = args.index(arg) if arg is not None else position
        positional = [a for a in args if a.keyword is None and a.star == ""]
        if arg is None and len(positional) <= position:
            return updated
        if arg is None:
            index = args.index(positional[position])
        new = self._mask(original, args[index].value, where)
        if new is None:
            return updated
        args[index] = args[index].with_changes(value=new)
        return updated.with_changes(args=args)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if len(updated.slice) != 1 or not isinstance(updated.slice[0].slice, cst.Index):
            return updated
        element = updated.slice[0]
        new = self._mask(original, element.slice.value, "indexing")
        if new is None:
            return updated
        return updated.with_changes(slice=[element.with_changes(slice=element.slice.with_changes(value=new))])


#: methods after which a bool and a uint8 0/1 tensor give the same numbers
_NUMBERS = {"float", "double", "long", "int", "half", "sum", "mean", "type_as", "to", "nonzero", "any", "all"}


def _one_minus(expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """``c`` for ``1 - c``; None for anything else."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract) \
            and isinstance(expr.left, cst.Integer) and expr.left.value == "1":
        return expr.right
    return None


@rule("comparison-bool-result", order=2002)
class OneMinusComparison(Rule):
    """catalog: comparison-bool-result: ``1 - <comparison>`` -> ``~(<comparison>)`` where it is a mask
    (the mask of ``masked_*``, ``torch.where``, an index) or turned into numbers at once (``.float()``,
    ``.sum()``, ...): there bool and uint8 0/1 agree. Reported, not rewritten: ``1 - <comparison>``
    anywhere else (``a + b`` of two such gives a logical or on bool, a count on uint8)."""

    needs = ("1 -", "1-")

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.safe: Set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _NUMBERS:
            self.safe.add(id(func.value))
        if isinstance(func, cst.Attribute) and func.attr.value in _MASK_METHODS and self.q(func) is None:
            mask = _kw(node, "mask") or next((a for a in node.args if a.keyword is None), None)
        elif self.q(func) in _MASK_FUNCTIONS and not (self.q(func) == "torch.where" and len(node.args) < 3):
            position, keyword = _MASK_FUNCTIONS[self.q(func)]
            positional = [a for a in node.args if a.keyword is None]
            mask = _kw(node, keyword) or (positional[position] if len(positional) > position else None)
        else:
            return
        if mask is not None:
            self.safe.add(id(mask.value))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self.safe.add(id(node.slice[0].slice.value))

    def leave_BinaryOperation(self, original: cst.BinaryOperation,
                              updated: cst.BinaryOperation) -> cst.BaseExpression:
        compared = _one_minus(updated)
        if compared is None or not _is_mask(self, compared):
            return updated
        if id(original) not in self.safe:
            text = _code(compared) if getattr(compared, "lpar", None) else f"({_code(compared)})"
            self.found(original, f"{_code(original)}: a bool tensor cannot be subtracted from (torch 1.2+); "
                                 f"~{text} if it is a mask, (~{text}).long() for 0/1 numbers")
            return updated
        operand = compared
        if isinstance(operand, (cst.Comparison, cst.BinaryOperation, cst.UnaryOperation)) and not operand.lpar:
            operand = operand.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        new = cst.UnaryOperation(operator=cst.BitInvert(), expression=operand,
                                 lpar=updated.lpar, rpar=updated.rpar)
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


#: the mask keywords of nn.MultiheadAttention, F.multi_head_attention_forward and nn.Transformer*
_ATTENTION_MASKS = {"attn_mask", "key_padding_mask", "src_mask", "tgt_mask", "memory_mask", "src_key_padding_mask",
                    "tgt_key_padding_mask", "memory_key_padding_mask"}


@rule("mha-byte-mask", order=2003)
class AttentionByteMask(Rule):
    """catalog: mha-byte-mask (reported, never rewritten: before torch 1.6 a uint8 attn_mask was added to the
    attention logits as numbers, not used as a mask, so which meaning the script relies on only its author
    knows): ``attn_mask=`` / ``key_padding_mask=`` (and nn.Transformer's mask keywords) given ``.byte()``, a
    name that holds a uint8 tensor, or an expression with ``torch.uint8`` / ``ByteTensor``."""

    needs = (("mask", "byte"), ("mask", "uint8"), ("mask", "ByteTensor"))
    rewrites = False

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.byte_names: Set[str] = set()
        self.scan(_ByteNames(self.byte_names))

    def visit_Call(self, node: cst.Call) -> None:
        for arg in node.args:
            if arg.keyword is None or arg.keyword.value not in _ATTENTION_MASKS:
                continue
            value, code = arg.value, _code(arg.value)
            if _byte_of(value) is not None or "torch.uint8" in code or "ByteTensor" in code or (
                    isinstance(value, cst.Name) and value.value in self.byte_names):
                self.found(node, f"{arg.keyword.value}={code}: a uint8 attention mask fails on torch 2.x (a uint8 "
                                 f"key_padding_mask on the 1.13.1 pin already); give a bool mask (True = masked) or a float one "
                                 f"(-inf where masked), the same type for both masks")
