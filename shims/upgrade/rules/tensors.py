"""The tensor family: reading a 0-dim result (``.data[0]``, ``.numpy()[0]``, iterating), the legacy tensor
types, NumPy scalars of one-element arrays, F.sigmoid / F.tanh, torch.load without weights_only=.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst
import libcst.matchers as m

from shims.upgrade.names import dotted, local_name_for, qualify
from shims.upgrade.rules.base import Rule, _code, _kw, _method, rule


# ---------------------------------------------------------------------------------- zero-dim-index
#: what marks a script that uses autograd (DataIndexItem's printed sums are for scripts without it)
AUTOGRAD = re.compile(r"\.backward\(|requires_grad|\bVariable\b|autograd")


@rule("zero-dim-index", order=60)
class DataIndexItem(Rule):
    """catalog: zero-dim-index: ``x.data[0]`` -> ``x.item()`` (a 0-dim tensor has no index 0; ``.item()`` reads
    the number, as ``[0]`` did on the old shape-(1,) results; on a tensor of several elements it
    raises instead of reading the first, never silently). And, in a script with no autograd at all
    (no backward, Variable or requires_grad: the tutorial's "tensors" example), ``loss = e.sum()``
    whose name is printed -> ``e.sum().item()``: a reduction of a plain tensor gave a Python number up
    to 0.3, and printing it showed the number."""

    needs = (("data", "[", "0"), "print")

    @classmethod
    def wanted(cls, text: str) -> bool:
        # the printed-sum rewrite needs a script with no autograd at all
        return all(s in text for s in cls.needs[0]) or "print" in text and not AUTOGRAD.search(text)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.no_autograd = not AUTOGRAD.search(self.source)
        self.printed: Set[str] = set()
        self.rows: Set[int] = set()
        self.scan(_PrintedNames(self.printed))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # x.data[0][0]: the inner [0] is a row, not a number; a 0-dim result of the whole works today
        if isinstance(node.value, cst.Subscript):
            self.rows.add(id(node.value))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original) in self.rows or id(original) in self.targets:
            return updated
        if m.matches(updated, m.Subscript(value=m.Attribute(attr=m.Name("data")),
                                          slice=[m.SubscriptElement(slice=m.Index(value=m.Integer("0")))])):
            new = _method(updated.value.value, "item")
            self.changed(original, f"{_code(original)} -> {_code(new)}")
            return new
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.no_autograd or len(updated.targets) != 1 or not isinstance(updated.targets[0].target, cst.Name):
            return updated
        if updated.targets[0].target.value not in self.printed:
            return updated
        if m.matches(updated.value, m.Call(func=m.Attribute(attr=m.Name("sum") | m.Name("mean")), args=[])):
            new = _method(updated.value, "item")
            self.changed(original, f"{_code(updated.value)} -> {_code(new)} (printed as a number, as the old releases did)")
            return updated.with_changes(value=new)
        return updated


class _PrintedNames(cst.CSTVisitor):
    def __init__(self, out: Set[str]) -> None:
        self.out = out

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            for arg in node.args:
                if isinstance(arg.value, cst.Name):
                    self.out.add(arg.value.value)


# ------------------------------------------------------------------------------ legacy-tensor-types
TENSOR_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "ByteTensor": "uint8",
                "CharTensor": "int8"}


@rule("legacy-tensor-types", order=100)
class LegacyTensorTypes(Rule):
    """catalog: legacy-tensor-types: ``x.type(torch.FloatTensor)`` -> ``x.to("cpu", torch.float32)`` and
    ``x.type(torch.cuda.FloatTensor)`` -> ``x.to("cuda", torch.float32)`` (the same device and dtype,
    spelled apart). A type object held in a variable (``dtype = torch.FloatTensor``) still works on
    current torch and is left as it is."""

    needs = (("type", "Tensor"),)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not (isinstance(updated.func, cst.Attribute) and updated.func.attr.value == "type" and len(updated.args) == 1
                and updated.args[0].keyword is None):
            return updated
        target = self.q(updated.args[0].value) or ""
        match = re.fullmatch(r"torch\.(cuda\.)?(\w+Tensor)", target)
        torch_name = local_name_for(self.aliases, "torch")
        if not match or match.group(2) not in TENSOR_TYPES or torch_name is None:
            return updated
        device = "cuda" if match.group(1) else "cpu"
        dtype = cst.Attribute(value=cst.Name(torch_name), attr=cst.Name(TENSOR_TYPES[match.group(2)]))
        new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name("to")),
                                   args=[cst.Arg(cst.SimpleString(f'"{device}"'), comma=cst.Comma(
                                       whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(dtype)])
        self.changed(original, f".type({_code(updated.args[0].value)}) -> .to(\"{device}\", {_code(dtype)})")
        return new


@rule("functional-sigmoid-tanh", order=130)
class FunctionalSigmoidTanh(Rule):
    """catalog: functional-sigmoid-tanh: ``F.sigmoid`` / ``F.tanh`` -> ``torch.sigmoid`` / ``torch.tanh`` (where
    ``torch`` itself is imported; otherwise reported)."""

    needs = ("sigmoid", "tanh")

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = self.q(updated)
        if target not in ("torch.nn.functional.sigmoid", "torch.nn.functional.tanh"):
            return updated
        torch_name = local_name_for(self.aliases, "torch")
        fn = target.rsplit(".", 1)[1]
        if torch_name is None:
            self.found(original, f"{_code(original)}: write torch.{fn} (add `import torch`)")
            return updated
        self.changed(original, f"{_code(original)} -> {torch_name}.{fn}")
        return cst.Attribute(value=cst.Name(torch_name), attr=cst.Name(fn))


@rule("functional-upsample", order=135)
class FunctionalUpsample(Rule):
    """catalog: functional-upsample: ``F.upsample(...)`` -> ``F.interpolate(...)``, the same arguments (the same
    function since interpolate was added; upsample_bilinear, whose defaults differ, is left alone)."""

    needs = ("upsample",)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        if self.q(updated) != "torch.nn.functional.upsample":
            return updated
        self.changed(original, f"{_code(original)} -> {_code(updated.value)}.interpolate")
        return updated.with_changes(attr=cst.Name("interpolate"))


@rule("zero-dim-iteration", order=50)
class ZeroDimIteration(Rule):
    """catalog: zero-dim-iteration: ``x.data.numpy()[0]`` (and ``.data.cpu().numpy()[0]``) -> ``x.item()``; reported,
    not rewritten: ``for a, b in zip(X, Y)`` / ``for a in X`` over tensors (each element is 0-dim now:
    where a batch dimension is needed it must be given back, and only the reader knows where), and
    ``torch.cat`` of integer-indexed elements (``torch.stack`` or slices)."""

    needs = ("numpy", "cat", "for")

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.tensors: Set[str] = set()
        self.scan(_TensorNames(self.tensors, self.aliases))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original) in self.targets:
            return updated
        numpy_of_data = m.Call(func=m.Attribute(attr=m.Name("numpy"), value=m.Attribute(attr=m.Name("data")) | m.Call(
            func=m.Attribute(attr=m.Name("cpu"), value=m.Attribute(attr=m.Name("data"))))), args=[])
        if m.matches(updated, m.Subscript(value=numpy_of_data,
                                          slice=[m.SubscriptElement(slice=m.Index(value=m.Integer("0")))])):
            inner = updated.value.func.value
            base = inner.value if isinstance(inner, cst.Attribute) else inner.func.value.value
            new = _method(base, "item")
            self.changed(original, f"{_code(original)} -> {_code(new)}")
            return new
        return updated

    def visit_For(self, node: cst.For) -> None:
        it = node.iter
        names = []
        if isinstance(it, cst.Call) and dotted(it.func) == "zip":
            names = [_base_name(a.value) for a in it.args]
        else:
            names = [_base_name(it)]
        if any(n in self.tensors for n in names if n):
            self.found(node, f"for ... in {_code(it)}: iterating a tensor gives 0-dim elements; give each the "
                             f"dimension it needs (y.view(1), x.unsqueeze(0)) or use a DataLoader")

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) == "torch.cat" and node.args and isinstance(node.args[0].value, (cst.List, cst.Tuple)):
            if any(m.matches(e.value, m.Subscript(slice=[m.SubscriptElement(slice=m.Index(value=m.Integer() | m.Name()))]))
                   for e in node.args[0].value.elements):
                self.found(node, "torch.cat of indexed elements (0-dim now): torch.stack, or slices x[i:i+1]")


def _base_name(expr: cst.BaseExpression) -> Optional[str]:
    """``data`` for ``data``, ``data[:-1]``, ``data[1:]`` (what a loop iterates over); None otherwise."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


class _TensorNames(cst.CSTVisitor):
    """Names assigned from a torch call (torch.randn, torch.from_numpy, Variable(...)), module-wide."""

    def __init__(self, out: Set[str], aliases: Dict[str, str]) -> None:
        self.out, self.aliases = out, aliases

    def visit_Assign(self, node: cst.Assign) -> None:
        v = node.value
        if isinstance(v, cst.Call):
            q = qualify(v.func, self.aliases) or ""
            inner = v.func.value if isinstance(v.func, cst.Attribute) else None
            if not q.startswith("torch.") and isinstance(inner, cst.Call):
                q = qualify(inner.func, self.aliases) or ""   # torch.randn(...).type(dtype)
            if q.startswith("torch.") and not q.startswith(("torch.nn.", "torch.optim", "torch.utils")):
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self.out.add(t.target.value)


#: a %-conversion: its type letter is group 1 (``%%`` is not a conversion)
CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
NUMERIC = set("diouxXeEfFgGc")


def _conversions(template: cst.BaseExpression) -> Optional[List[str]]:
    """The type letters of a literal %-template, in order; None where it is not a plain literal."""
    try:
        text = template.evaluated_value if isinstance(template, (cst.SimpleString, cst.ConcatenatedString)) else None
    except Exception:  # noqa: BLE001 - an f-string part or bytes: not ours to read
        return None
    if not isinstance(text, str):
        return None
    return [c for c in CONVERSION.findall(text) if c != "%"]


@rule("numpy-ndim-scalar", order=140)
class NumpyNdimScalar(Rule):
    """catalog: numpy-ndim-scalar: ``"%.2f" % w.numpy()`` (each ``.numpy()`` of a ``%`` tuple in a numeric
    conversion, ``float(x.numpy())``, ``int(x.numpy())``) -> ``.numpy().item()``: the old code worked only
    on one-element arrays, where ``.item()`` reads the same number. A ``%s`` conversion printed any
    array and is left as it is."""

    needs = ("numpy",)

    NUMPY = m.Call(func=m.Attribute(attr=m.Name("numpy")), args=[])

    def _item(self, expr: cst.BaseExpression) -> Tuple[cst.BaseExpression, bool]:
        if m.matches(expr, self.NUMPY):
            return _method(expr, "item"), True
        return expr, False

    def leave_BinaryOperation(self, original, updated):
        if not isinstance(updated.operator, cst.Modulo):
            return updated
        kinds = _conversions(updated.left)
        if not kinds:
            return updated
        right, hit = updated.right, False
        if isinstance(right, cst.Tuple):
            if len(right.elements) != len(kinds):
                return updated
            elements = []
            for e, kind in zip(right.elements, kinds):
                value, h = self._item(e.value) if kind in NUMERIC else (e.value, False)
                hit = hit or h
                elements.append(e.with_changes(value=value))
            right = right.with_changes(elements=elements)
        elif len(kinds) == 1 and kinds[0] in NUMERIC:
            right, hit = self._item(right)
        if hit:
            self.changed(original, "\"%...\" % x.numpy() -> x.numpy().item()")
            return updated.with_changes(right=right)
        return updated

    def leave_Call(self, original, updated):
        if isinstance(updated.func, cst.Name) and updated.func.value in ("float", "int") and len(updated.args) == 1:
            value, hit = self._item(updated.args[0].value)
            if hit:
                self.changed(original, f"{updated.func.value}(x.numpy()) -> {updated.func.value}(x.numpy().item())")
                return updated.with_changes(args=[updated.args[0].with_changes(value=value)])
        return updated


@rule("torch-load-weights-only", order=20)
class TorchLoadWeightsOnly(Rule):
    """catalog: torch-load-weights-only (reported): ``torch.load(f)`` without ``weights_only=``: on torch >= 2.6 it
    loads only tensors and plain containers; whether the file holds more only the user knows, and
    ``weights_only=False`` runs arbitrary code from an untrusted file."""

    needs = ("load",)

    rewrites = False

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) == "torch.load" and _kw(node, "weights_only") is None:
            self.found(node, "torch.load without weights_only=: fails on torch >= 2.6 if the file holds more "
                             "than tensors (pass weights_only=False for a file you trust)")


#: torch.has_* -> (torch.backends module, function): what torch/__init__.py's _deprecated_attrs answer with
BACKEND_FLAGS = {"has_cuda": ("cuda", "is_built"), "has_cudnn": ("cudnn", "is_available"),
                 "has_mps": ("mps", "is_built"), "has_mkldnn": ("mkldnn", "is_available")}


@rule("has-backend-flags", order=9050)
class HasBackendFlags(Rule):
    """catalog: has-backend-flags: ``torch.has_cuda`` -> ``torch.backends.cuda.is_built()`` (and has_cudnn, has_mps,
    has_mkldnn): the call torch itself makes for the deprecated name, so the same bool."""

    needs = ("has_cuda", "has_cudnn", "has_mps", "has_mkldnn")

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        name = updated.attr.value
        if name not in BACKEND_FLAGS or self.q(updated) != f"torch.{name}" or id(original) in self.targets:
            return updated
        backend, function = BACKEND_FLAGS[name]
        torch_name = _code(updated.value)
        new = cst.parse_expression(f"{torch_name}.backends.{backend}.{function}()")
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


@rule("non-tuple-index", order=9060)
class NonTupleIndex(Rule):
    """catalog: non-tuple-index: ``x[[[0, 2], [1, 3]]]`` / ``x[[slice(None), 1]]``, a list literal of lists or
    slices as the whole index, reported: whether ``x`` is a tensor (NumPy arrays read it as one index
    since NumPy 1.23) and what the list meant cannot be read from the text. A list built at run time
    (``x[slices]``) cannot be seen at all."""

    rewrites = False
    needs = ("[[",)

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if len(updated.slice) != 1 or not isinstance(updated.slice[0].slice, cst.Index):
            return updated
        index = updated.slice[0].slice.value
        if not isinstance(index, cst.List) or len(index.elements) < 2:
            return updated
        parts = [e.value for e in index.elements]
        if any(isinstance(p, (cst.List, cst.Tuple)) or
               (isinstance(p, cst.Call) and isinstance(p.func, cst.Name) and p.func.value == "slice") for p in parts):
            self.found(original, f"{_code(original)}: a list as a multidimensional index; if it meant one index "
                                 f"per dimension, write {_code(updated.value)}[tuple(...)]")
        return updated
