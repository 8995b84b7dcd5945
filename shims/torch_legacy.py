"""PyTorch 0.1-0.3 idioms on the torch releases this project runs.

Each shim below is a small, named stand-in that a legacy script imports explicitly; nothing here
patches torch. Each does exactly the arithmetic of the line it replaces, so a legacy script and its
tensor_autograd twin print bit-identical losses. What changed upstream, since which release, the
exact message torch gives without the shim, and the sources: the catalog entry each shim names
(``# catalog: <id>``, in matrix/catalog.toml; docs/migration.md shows it with what was measured).

This module needs nothing beyond torch and the standard library, and imports on Python 3.9 with
torch 1.8.1. Whether the installed torch still accepts each old spelling is asked by
tests/test_torch_legacy_shims.py (its feature checks) and measured by the matrix's probes
(matrix/probes).

| shim                                      | old spelling (0.1-0.3)                      | catalog entry            |
| ----------------------------------------- | ------------------------------------------- | ------------------------ |
| ``item0(t)``                              | ``loss.data[0]``                            | zero-dim-index           |
| ``sum_as_number(t)``                      | ``tensor.sum()`` giving a Python number     | zero-dim-index           |
| ``LegacyFunction``                        | ``Function`` with ``forward(self, input)``  | legacy-autograd-function |
| ``MSELoss``, ``legacy_loss``, ...         | ``MSELoss(size_average=False)``             | size-average             |
| ``variable(volatile=)``                   | ``Variable(x, volatile=True)``              | variable-volatile        |
| ``zero_grad_(*vs)``                       | ``w.grad.data.zero_()`` before any backward | grad-none-zero           |

``dtype = torch.cuda.FloatTensor`` needs no shim (catalog: legacy-tensor-types): the type objects
still exist, the variants keep that spelling, and ``--device`` does the edit the tutorial asked for
(``shims.flags`` refuses ``--device cuda`` without a CUDA device before any tensor is made).
"""
from __future__ import annotations

import torch
from torch.autograd import Variable

__all__ = [
    "item0",
    "sum_as_number",
    "LegacyFunction",
    "legacy_reduction",
    "legacy_loss",
    "MSELoss",
    "variable",
    "zero_grad_",
]


# catalog: zero-dim-index (matrix/catalog.toml) - https://github.com/pytorch/pytorch/pull/11679
def item0(tensor: torch.Tensor) -> float:
    """``tensor[0]`` as PyTorch <= 0.3 returned it for a one-element tensor: a Python number.

    Write ``item0(loss.data)`` where the tutorial wrote ``loss.data[0]``. A 0-dim tensor (what a
    reduction returns now) gives ``tensor.item()``; a tensor with dimensions gives its first
    element as a number, which is what ``[0]`` meant for the old shape-(1,) results. Either way the
    float32 value is converted to a Python float exactly, as ``loss.item()`` does.
    """
    if tensor.dim() == 0:
        return tensor.item()
    return tensor.reshape(-1)[0].item()


# catalog: zero-dim-index (matrix/catalog.toml): a plain Tensor's sum() is a 0-dim tensor, not a number
def sum_as_number(tensor: torch.Tensor) -> float:
    """``tensor.sum()`` as PyTorch <= 0.3 returned it for a Tensor: a Python number.

    Same arithmetic as ``tensor.sum().item()``, the tensor_autograd spelling; ``print(t, loss)`` then
    prints the number again instead of ``tensor(...)``.
    """
    return tensor.sum().item()


# catalog: legacy-autograd-function (matrix/catalog.toml) - https://github.com/pytorch/pytorch/issues/30696
class _LegacyBridge(torch.autograd.Function):
    """The static Function that runs a LegacyFunction instance's methods with ``ctx`` behind them."""

    @staticmethod
    def forward(ctx, legacy, *inputs):
        ctx.legacy = legacy
        legacy._ctx = ctx
        try:
            return legacy.forward(*inputs)
        finally:
            del legacy._ctx  # no ctx <-> instance cycle outlives the call

    @staticmethod
    def backward(ctx, *grad_outputs):
        legacy = ctx.legacy
        legacy._ctx = ctx
        try:
            grads = legacy.backward(*grad_outputs)
        finally:
            del legacy._ctx
        if not isinstance(grads, tuple):
            grads = (grads,)
        return (None,) + grads  # no gradient for the instance itself


class LegacyFunction:
    """Base class for an old-style (0.1-0.3) autograd Function, run through a static one.

    Subclass it instead of ``torch.autograd.Function`` and keep the old body unchanged::

        class MyReLU(LegacyFunction):
            def forward(self, input):
                self.save_for_backward(input)
                return input.clamp(min=0)

            def backward(self, grad_output):
                input, = self.saved_tensors
                ...

        relu = MyReLU()
        y = relu(x)

    Calling an instance runs ``_LegacyBridge.apply(instance, *inputs)``: forward and backward run
    exactly the subclass's code (so the same numbers as the static version), with ``self``'s
    context methods forwarded to the ``ctx`` of that call. It does not subclass
    ``torch.autograd.Function``: newer releases warn when a Function is instantiated at all.
    """

    def __call__(self, *inputs):
        return _LegacyBridge.apply(self, *inputs)

    def forward(self, *inputs):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def backward(self, *grad_outputs):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def _context(self):
        try:
            return self._ctx
        except AttributeError:
            raise RuntimeError(
                f"{type(self).__name__}: save_for_backward/saved_tensors are only available "
                "inside forward/backward"
            ) from None

    def save_for_backward(self, *tensors):
        self._context().save_for_backward(*tensors)

    @property
    def saved_tensors(self):
        return self._context().saved_tensors

    @property
    def needs_input_grad(self):
        return self._context().needs_input_grad[1:]  # drop the slot of the instance itself

    def mark_dirty(self, *tensors):
        self._context().mark_dirty(*tensors)

    def mark_non_differentiable(self, *tensors):
        self._context().mark_non_differentiable(*tensors)


# catalog: size-average (matrix/catalog.toml) - https://github.com/pytorch/pytorch/pull/8018
def legacy_reduction(size_average: bool | None = None, reduce: bool | None = None) -> str:
    """The ``reduction=`` string that torch derives from ``size_average``/``reduce``, silently.

    Exactly torch.nn._reduction.legacy_get_string: None means True for both; both True -> 'mean';
    reduce True, size_average False -> 'sum'; reduce False -> 'none' (size_average ignored).
    """
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        return "mean"
    if reduce:
        return "sum"
    return "none"


def legacy_loss(loss_cls, *args, size_average=None, reduce=None, reduction="mean", **kwargs):
    """``loss_cls(..., size_average=..., reduce=...)`` built with ``reduction=`` instead; as in
    torch.nn.modules.loss._Loss, once either old argument is given, ``reduction`` is ignored."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    return loss_cls(*args, reduction=reduction, **kwargs)


def MSELoss(size_average=None, reduce=None, reduction="mean"):  # noqa: N802 - torch's name
    """``torch.nn.MSELoss`` taking the 0.3 arguments; ``MSELoss(size_average=False)`` sums."""
    return legacy_loss(torch.nn.MSELoss, size_average=size_average, reduce=reduce, reduction=reduction)


# catalog: variable-volatile (matrix/catalog.toml) - https://pytorch.org/blog/pytorch-0_4_0-migration-guide/
def variable(data: torch.Tensor, requires_grad: bool = False, volatile: bool = False) -> torch.Tensor:
    """``Variable(data, requires_grad=..., volatile=...)`` without the removed ``volatile`` flag.

    A shim cannot make a flag spread through later operations as volatile did: with ``volatile=True``
    this returns the data cut from any graph, without the warning; what used to be volatile must
    run under ``with torch.no_grad():`` to build no graph (the same numbers either way).
    """
    if volatile:
        return data.detach()
    return Variable(data, requires_grad=requires_grad)


# catalog: grad-none-zero (matrix/catalog.toml) - https://github.com/pytorch/tutorials/issues/51
def zero_grad_(*tensors: torch.Tensor) -> None:
    """``t.grad.data.zero_()`` for each tensor whose ``.grad`` exists; skip those still None.

    The same rule as 0.3's Optimizer.zero_grad: a gradient that does not exist yet is left alone.
    The backward that follows then writes the fresh gradient instead of adding it to zeros: the
    same values (0 + g == g).
    """
    for t in tensors:
        if t.grad is not None:
            t.grad.data.zero_()
