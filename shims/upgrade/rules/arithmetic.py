"""The arithmetic family: numeric functions whose meaning changed (integer division, ``torch.range``,
``linspace`` / ``logspace`` without ``steps``, ``torch.ger``).
"""
from __future__ import annotations

from typing import Optional

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, _kw, rule


@rule("integer-division", order=3010)
class IntegerDivision(Rule):
    """catalog: integer-division (reported): ``torch.div(a, b)`` without ``rounding_mode=`` and
    ``torch.floor_divide`` / ``.floor_divide(...)``. On integer tensors div truncated in older releases and
    divides truly now; floor_divide rounded toward 0 and now floors (the catalog says when). Whether the operands are
    integers is not in the text, so nothing is rewritten, and the ``/`` and ``//`` operators are not
    reported at all (on Python numbers and float tensors, the common case, they mean what they did)."""

    needs = ("div",)
    rewrites = False

    def visit_Call(self, node: cst.Call) -> None:
        name = self.q(node.func)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if name == "torch.div" and _kw(node, "rounding_mode") is None:
            self.found(node, f"{_code(node)}: on integer tensors this truncated in older releases and divides truly "
                             "now; say rounding_mode='trunc' or 'floor' if the operands are integers")
        elif name == "torch.floor_divide" or method in ("floor_divide", "floor_divide_"):
            self.found(node, f"{_code(node)}: rounded toward 0 in older releases and floors now (they differ for "
                             "negative values); torch.div(a, b, rounding_mode='trunc') keeps the old numbers")


def _int_literal(expr: cst.BaseExpression) -> Optional[int]:
    """The value of an integer literal, negative ones included (``-2``); None for anything else."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _int_literal(expr.expression)
        return None if inner is None else -inner
    if isinstance(expr, cst.Integer):
        return int(expr.value, 0)
    return None


@rule("torch-range", order=3020)
class TorchRange(Rule):
    """catalog: torch-range: ``torch.range(a, b[, step])`` with integer literals -> ``torch.arange(a., e.[, step.])``
    where ``e`` is the first value past ``b`` (``b + 1``, or ``b - 1`` for a negative step). The float
    literals keep torch.range's dtype (the default float dtype; integer arguments would give int64), and
    for integers every value up to ``b`` is below ``e``: the same values. Any other arguments (names,
    floats, ``*args``, a ``dtype=`` or ``out=``, a step away from the end) are reported: the end to write
    depends on values the text does not show."""

    needs = ("range",)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.q(updated.func) != "torch.range":
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        keywords = [a for a in updated.args if a.keyword is not None]
        numbers = [_int_literal(a.value) for a in positional]
        step = numbers[2] if len(numbers) == 3 else 1
        if len(numbers) not in (2, 3) or None in numbers or step == 0 or (numbers[1] - numbers[0]) * step < 0 \
                or any(a.star for a in updated.args) or not isinstance(updated.func, cst.Attribute) or any(
                a.keyword.value in ("dtype", "out", "start", "end", "step") for a in keywords):
            self.found(original, f"{_code(original)}: torch.range includes its end; write torch.arange with an end "
                                 "one step past it (and the dtype you need)")
            return updated
        start, end = numbers[0], numbers[1]
        stop = end + 1 if step > 0 else end - 1
        floats = [_float_literal(start), _float_literal(stop)] + ([_float_literal(step)] if len(numbers) == 3 else [])
        args = [a.with_changes(value=v) for a, v in zip(positional, floats)] + keywords
        new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name("arange")), args=args)
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


def _float_literal(number: int) -> cst.BaseExpression:
    literal = cst.Float(f"{abs(number)}.0")
    return cst.UnaryOperation(operator=cst.Minus(), expression=literal) if number < 0 else literal


@rule("linspace-default-steps", order=3030)
class LinspaceDefaultSteps(Rule):
    """catalog: linspace-default-steps: ``torch.linspace(a, b)`` / ``torch.logspace(a, b)`` without ``steps`` ->
    the same call with ``steps=100``, the old default: the same values. A call that passes ``*args`` or
    ``**kwargs`` may hold steps already: reported."""

    needs = ("linspace", "logspace")

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.q(updated.func) not in ("torch.linspace", "torch.logspace"):
            return updated
        if any(a.star for a in updated.args):
            self.found(original, f"{_code(original)}: pass steps= (it defaulted to 100) unless *args/**kwargs hold it")
            return updated
        positional = [a for a in updated.args if a.keyword is None]
        if len(positional) >= 3 or _kw(updated, "steps") is not None:
            return updated
        args = list(updated.args)
        # after the positional start / end and before the keywords, where steps is written
        where = len(positional)
        trailing = cst.MaybeSentinel.DEFAULT
        if where == len(args) and args:
            # appended: a trailing comma (one argument a line) moves past steps, the one before it is copied
            trailing = args[-1].comma
            between = args[-2].comma if len(args) >= 2 and trailing is not cst.MaybeSentinel.DEFAULT else \
                cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args[-1] = args[-1].with_changes(comma=between)
        args.insert(where, cst.Arg(keyword=cst.Name("steps"), value=cst.Integer("100"),
                                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                         whitespace_after=cst.SimpleWhitespace("")),
                                   comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                                   if where < len(args) else trailing))
        new = updated.with_changes(args=args)
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


@rule("torch-ger", order=3040)
class TorchGer(Rule):
    """catalog: torch-ger: ``torch.ger(a, b)`` -> ``torch.outer(a, b)`` and ``a.ger(b)`` -> ``a.outer(b)``, the same
    arguments (ger is an alias of outer). ``.ger`` is a name only torch tensors have among the libraries
    these scripts use, so the method is renamed too."""

    needs = ("ger",)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if updated.attr.value != "ger" or id(original) in self.targets:
            return updated
        name = self.q(updated)
        if name is not None and name != "torch.ger":
            return updated  # another module's ger (scipy.linalg.blas.dger is not named ger, but be sure)
        self.changed(original, f"{_code(original)} -> {_code(updated.value)}.outer")
        return updated.with_changes(attr=cst.Name("outer"))
