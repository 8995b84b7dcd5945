"""The tensor-functions family: functions that were removed or whose defaults changed, each reported
(never rewritten: the new form's output or the argument the old default picked cannot be proven from
the text): the pre-1.8 FFT functions, named tensors, ``torch.cross`` without ``dim``, ``torch.normal``
with shapes that do not broadcast, ``.T`` of a 0-dim tensor, ``torch.stft`` without ``return_complex``.
"""
from __future__ import annotations

import libcst as cst

from shims.upgrade.rules.base import Rule, _code, _kw, rule

#: the removed FFT functions -> the torch.fft function that replaces each (the catalog's `fix` has the rest)
FFT = {"fft": "torch.fft.fft", "ifft": "torch.fft.ifft", "rfft": "torch.fft.rfft", "irfft": "torch.fft.irfft"}


@rule("fft-functions", order=4001)
class FftFunctions(Rule):
    """catalog: fft-functions: ``torch.fft(z, 1)``, ``torch.rfft(x, 1)``, ... and ``z.fft(1)`` (a Tensor
    method, known by its integer ``signal_ndim``): reported, because the torch.fft module's functions take
    and give complex tensors where the old ones used a last dimension of 2 (the layout the code around
    the call reads)."""

    rewrites = False
    needs = ("fft",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in FFT:
            return
        name = func.attr.value
        qualified = self.q(func)
        if qualified == f"torch.{name}":
            where = f"torch.{name}"
        elif qualified is None and _signal_ndim(node):
            where = f"Tensor.{name}"  # x.rfft(1): the old method; np.fft.rfft(x) resolves to numpy
        else:
            return
        self.found(node, f"{_code(node)}: {where} is gone (torch 1.8); use {FFT[name]} on complex tensors "
                         f"(torch.view_as_real / view_as_complex convert the old [..., 2] layout)")


def _signal_ndim(call: cst.Call) -> bool:
    """Whether the call passes the old FFT's ``signal_ndim``: keyword, or an integer first argument."""
    if _kw(call, "signal_ndim") is not None:
        return True
    first = call.args[0] if call.args else None
    return first is not None and first.keyword is None and isinstance(first.value, cst.Integer)


#: the named-tensor methods, each distinctive enough to report on any object (rename: see NamedTensors)
NAMED_METHODS = ("refine_names", "align_to", "align_as", "has_names")
#: the factory functions that took ``names=``
FACTORIES = ("torch.zeros", "torch.ones", "torch.empty", "torch.rand", "torch.randn", "torch.full", "torch.tensor")


@rule("named-tensors", order=4002)
class NamedTensors(Rule):
    """catalog: named-tensors: ``x.refine_names(...)``, ``x.align_to(...)``, ``x.align_as(...)``,
    ``x.has_names()``, ``x.rename('N', 'C')`` / ``rename_`` (only with names as string literals or None:
    ``os.rename`` and ``Path.rename`` are other functions), ``torch.align_tensors(...)`` and a factory's
    ``names=``: reported; where the names mattered (align_to's order) only the reader knows the permute.
    ``x.names`` alone is not reported (too common a name to tell from the text)."""

    rewrites = False
    needs = ("names", "align_", "rename")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        qualified = self.q(func)
        if qualified == "torch.align_tensors":
            self.found(node, f"{_code(node)}: torch.align_tensors is gone (named tensors removed)")
        elif qualified in FACTORIES and _kw(node, "names") is not None:
            self.found(node, f"{_code(node)}: names= is refused (named tensors removed); drop it")
        elif isinstance(func, cst.Attribute) and qualified is None:
            name = func.attr.value
            if name in NAMED_METHODS or name in ("rename", "rename_") and _names_only(node):
                self.found(node, f"{_code(node)}: Tensor.{name} is gone (named tensors removed); keep the "
                                 f"names yourself, permute for align_to / align_as")


def _names_only(call: cst.Call) -> bool:
    """``x.rename('N', 'C')``, ``x.rename(None)``: positional names only (string literals or None)."""
    return bool(call.args) and all(
        a.keyword is None and (isinstance(a.value, cst.SimpleString) or _is_none(a.value)) for a in call.args)


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


@rule("cross-default-dim", order=4003)
class CrossDefaultDim(Rule):
    """catalog: cross-default-dim: ``torch.cross(a, b)`` / ``a.cross(b)`` without ``dim``: reported, since the
    old default (the first dimension of size 3) depends on the shapes at run time, and on (3, 3) inputs it
    is not the last dimension torch.linalg.cross takes."""

    rewrites = False
    needs = ("cross",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "cross" or _kw(node, "dim") is not None:
            return
        positional = [a for a in node.args if a.keyword is None]
        qualified = self.q(func)
        if qualified == "torch.cross" and len(positional) == 2 or qualified is None and len(positional) == 1:
            self.found(node, f"{_code(node)} without dim: crosses the first dimension of size 3 (a (3, 3) "
                             f"batch: the columns); say which: torch.linalg.cross (the last) or dim=")


@rule("normal-mean-std-shape", order=4004)
class NormalMeanStdShape(Rule):
    """catalog: normal-mean-std-shape: ``torch.normal(mean, std)`` with two tensors (neither a number, no
    ``size``): reported as a check, since whether the shapes broadcast is known only at run time; where
    they do not (same number of elements), the old call reshaped std to mean's shape."""

    rewrites = False
    needs = ("normal",)

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) != "torch.normal" or _kw(node, "size") is not None:
            return
        positional = [a.value for a in node.args if a.keyword is None]
        named = [a.value for a in (_kw(node, "mean"), _kw(node, "std")) if a is not None]
        args = positional + named
        if len(args) == 2 and not any(_number(a) for a in args):
            self.found(node, f"{_code(node)}: mean and std must broadcast now; if they only have "
                             f"as many elements, give std mean's shape: std.reshape(mean.shape)")


def _number(expr: cst.BaseExpression) -> bool:
    """A numeric literal (``0``, ``-1.5``): torch.normal(0, std) and (mean, 1.0) have nothing to reshape."""
    if isinstance(expr, cst.UnaryOperation):
        expr = expr.expression
    return isinstance(expr, (cst.Integer, cst.Float))


#: methods that, called with no argument, reduce a tensor to 0 dimensions
FULL_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "norm", "std", "var", "median", "logsumexp", "all", "any")


@rule("zero-dim-transpose", order=4005)
class ZeroDimTranspose(Rule):
    """catalog: zero-dim-transpose: ``.T`` of what the text shows is 0-dim, a full reduction (``x.sum().T``)
    or ``torch.tensor(<number>)``: reported (the ``.T`` is the identity there and can go); ``.T`` of a name
    is left alone: its dimensions are known only at run time."""

    rewrites = False
    needs = (".T",)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value != "T" or not isinstance(node.value, cst.Call):
            return
        call = node.value
        reduced = (isinstance(call.func, cst.Attribute) and call.func.attr.value in FULL_REDUCTIONS
                   and not call.args and self.q(call.func) is None)
        scalar = (self.q(call.func) == "torch.tensor" and len(call.args) == 1
                  and isinstance(call.args[0].value, (cst.Integer, cst.Float)))
        if reduced or scalar:
            self.found(node, f"{_code(node)}: .T of a 0-dim tensor is the identity (deprecated): drop the .T")


@rule("stft-return-complex", order=4006)
class StftReturnComplex(Rule):
    """catalog: stft-return-complex: ``torch.stft(...)`` / ``x.stft(256, ...)`` (the Tensor method, known by
    its n_fft) without ``return_complex`` or with
    ``return_complex=False``: reported, since whether the input is real (and the [..., 2] layout is what
    the code reads) is known only at run time; the fix wraps ``return_complex=True`` in view_as_real."""

    rewrites = False
    needs = ("stft",)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "stft":
            return
        qualified = self.q(func)
        if qualified != "torch.stft" and (qualified is not None or not _n_fft(node)):
            return  # librosa.stft, scipy.signal.stft, a module's self.stft(x): other functions
        given = _kw(node, "return_complex")
        if given is None:
            self.found(node, f"{_code(node)} without return_complex: an error on real input (torch 2.0); "
                             f"torch.view_as_real(torch.stft(..., return_complex=True)) is the old layout")
        elif isinstance(given.value, cst.Name) and given.value.value == "False":
            self.found(node, f"{_code(node)}: return_complex=False is deprecated; "
                             f"torch.view_as_real(torch.stft(..., return_complex=True)) is the same layout")


def _n_fft(call: cst.Call) -> bool:
    """Whether a method call passes Tensor.stft's ``n_fft``: keyword, or an integer first argument."""
    first = call.args[0] if call.args else None
    return _kw(call, "n_fft") is not None or (
        first is not None and first.keyword is None and isinstance(first.value, cst.Integer))
