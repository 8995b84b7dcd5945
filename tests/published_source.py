"""The source text of a legacy variant *as published*: each name it imports from ``shims.torch_legacy`` /
``shims.tf1`` replaced by the 2017 code that stood there (the code matrix/as_published/shims/*.py
binds to those names, one function per expression: "was: ..."), inlined.

The matrix runs the as-published form by putting matrix/as_published/ first on PYTHONPATH, which keeps
the shim calls in the text; ``python -m shims upgrade`` works on text, so the proof that it upgrades the
tutorial's 2017 code (tests/test_upgrade_variants.py) needs the 2017 text itself: this module writes it.
``shims.flags`` (the command line) stays: it is not an idiom of any era.

Needs LibCST (a test helper, like the upgrade itself).
"""
from __future__ import annotations

from pathlib import Path

import libcst as cst

#: name -> what the 2017 code wrote (matrix/as_published/shims/torch_legacy.py's docstrings)
CALLS = {
    "item0": lambda args: cst.Subscript(value=args[0].value, slice=[cst.SubscriptElement(cst.Index(cst.Integer("0")))]),
    "sum_as_number": lambda args: cst.Call(func=cst.Attribute(value=args[0].value, attr=cst.Name("sum"))),
    "variable": lambda args: cst.Call(func=cst.Name("Variable"), args=args),
    "MSELoss": lambda args: cst.Call(func=cst.parse_expression("torch.nn.MSELoss"), args=args),
}
NAMES = {"LegacyFunction": "torch.autograd.Function"}


class _Inline(cst.CSTTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Name) and updated.func.value in CALLS:
            return CALLS[updated.func.value](list(updated.args))
        return updated

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if isinstance(updated.value, cst.Name) and updated.value.value in NAMES:
            return updated.with_changes(value=cst.parse_expression(NAMES[updated.value.value]))
        return updated

    def leave_SimpleStatementLine(self, original, updated):
        stmt = updated.body[0]
        if m_import_from_shims(stmt):
            return cst.RemovalSentinel.REMOVE
        # zero_grad_(w1, w2) -> w1.grad.data.zero_() and w2.grad.data.zero_(), each on its line
        if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call) and \
                isinstance(stmt.value.func, cst.Name) and stmt.value.func.value == "zero_grad_":
            lines = [cst.parse_statement(f"{cst.Module([]).code_for_node(a.value)}.grad.data.zero_()\n")
                     for a in stmt.value.args]
            lines[0] = lines[0].with_changes(leading_lines=updated.leading_lines)
            return cst.FlattenSentinel(lines)
        # tf = graph_mode(args.device) -> import tensorflow as tf
        if isinstance(stmt, cst.Assign) and isinstance(stmt.value, cst.Call) and \
                isinstance(stmt.value.func, cst.Name) and stmt.value.func.value == "graph_mode":
            return cst.parse_statement("import tensorflow as tf\n").with_changes(leading_lines=updated.leading_lines)
        return updated

    def leave_With(self, original: cst.With, updated: cst.With):
        # with read_before_write(tf, ...): body -> body (the tutorial had no such block)
        item = updated.items[0].item
        if isinstance(item, cst.Call) and isinstance(item.func, cst.Name) and item.func.value == "read_before_write":
            body = list(updated.body.body)
            body[0] = body[0].with_changes(leading_lines=[*updated.leading_lines, *body[0].leading_lines])
            return cst.FlattenSentinel(body)
        return updated


def m_import_from_shims(stmt: cst.BaseSmallStatement) -> bool:
    if not isinstance(stmt, cst.ImportFrom) or stmt.module is None:
        return False
    module = cst.Module([]).code_for_node(stmt.module)
    return module in ("shims.torch_legacy", "shims.tf1")


def as_published(path: Path) -> str:
    """The 2017 text of ``variants/legacy/<example>.py``."""
    source = Path(path).read_text()
    out = cst.parse_module(source).visit(_Inline()).code
    if "Variable(" in out and "import Variable" not in out:
        out = out.replace("import torch\n", "import torch\nfrom torch.autograd import Variable\n", 1)
    return out
