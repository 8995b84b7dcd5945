"""PyTorch 0.1-0.3 idioms on the torch releases this project runs (1.7 ... 2.x).

Each shim below is a small, named stand-in that a legacy script imports explicitly; nothing here
patches torch. Each one says what it adapts, from which torch release on it is needed, the exact
message torch gives without it (measured on torch 2.15.0+cu132, Python 3.11, CPU only, no NVIDIA
driver; the same text on torch 1.8.1+cu102 / Python 3.9 and 1.13.1+cu117 unless noted), and where
the change came from upstream. Each shim does exactly the arithmetic of the original line, so a
legacy script and its tensor_autograd twin print bit-identical losses.

Feature detection first: the ``*_fails`` / ``*_warns`` probes at the bottom ask the installed
torch whether the old spelling still works; the tests skip a shim's check where it does. No
version numbers are compared (so this module needs nothing beyond torch and the standard library,
and imports on Python 3.9 with torch 1.8.1).

| shim                      | old spelling (0.1-0.3)                        | breaks since                 |
| ------------------------- | --------------------------------------------- | ---------------------------- |
| ``item0(t)``              | ``loss.data[0]``                              | 0.4.0 warns, 1.0.0 errors    |
| ``sum_as_number(t)``      | ``tensor.sum()`` giving a Python number       | 0.4.0 (0-dim tensor instead) |
| ``LegacyFunction``        | ``Function`` with ``forward(self, input)``    | 1.2.0 warns, 1.5.0 errors    |
| ``legacy_reduction``,     | ``MSELoss(size_average=False)``               | 0.4.1 warns                  |
| ``MSELoss``               |                                               |                              |
| ``variable(volatile=)``   | ``Variable(x, volatile=True)``                | 0.4.0 warns, no effect       |
| ``zero_grad_(*vs)``       | ``w.grad.data.zero_()`` before any backward   | a 0.1.x release (early 2017) |

``dtype = torch.cuda.FloatTensor`` needs no shim: it fails on any torch without a GPU, not since a
release, and the variants keep it as written (see (5)).
"""
from __future__ import annotations

import warnings

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
    "zero_dim_index_fails",
    "legacy_function_fails",
    "size_average_warns",
    "volatile_warns",
    "grad_starts_as_none",
]


# ---------------------------------------------------------------------------------------------
# (1) loss.data[0]
#
# Adapts: ``loss.data[0]``, the 0.1-0.3 way to read the Python number out of the one-element
#   tensor a reduction returned.
# Needed since: 0.4.0, where reductions return 0-dim tensors and indexing one warned
#   "invalid index of a 0-dim tensor. This will be an error in PyTorch 0.5. Use tensor.item() to
#   convert a 0-dim tensor to a Python number" (UserWarning); an IndexError since 1.0.0
#   (pytorch/pytorch PR #11679, "Throw error on indexing a 0 dim tensor", Sept 2018; users
#   report the IndexError from 1.0.0 on, e.g. locuslab/TCN#23).
# Exact message on torch 2.15.0 (IndexError):
#   invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++
#   to convert a 0-dim tensor to a number
# Links: https://pytorch.org/blog/pytorch-0_4_0-migration-guide/ ("Support for 0-dimensional
#   (scalar) Tensors"), https://github.com/pytorch/pytorch/pull/11679,
#   https://github.com/pytorch/pytorch/issues/6061, https://github.com/locuslab/TCN/issues/23
# ---------------------------------------------------------------------------------------------
def item0(tensor: torch.Tensor) -> float:
    """``tensor[0]`` as PyTorch <= 0.3 returned it for a one-element tensor: a Python number.

    Write ``item0(loss.data)`` where the tutorial wrote ``loss.data[0]``. A 0-dim tensor (what a
    reduction returns since 0.4) gives ``tensor.item()``; a tensor with dimensions gives its first
    element as a number, which is what ``[0]`` meant for the old shape-(1,) results. Either way the
    float32 value is converted to a Python float exactly, as ``loss.item()`` does.
    """
    if tensor.dim() == 0:
        return tensor.item()
    return tensor.reshape(-1)[0].item()


# ---------------------------------------------------------------------------------------------
# (1b) Tensor.sum() giving a number
#
# Adapts: ``loss = (y_pred - y).pow(2).sum(); print(t, loss)`` on plain tensors. Up to 0.3 a
#   full reduction of a *Tensor* (not a Variable) returned a Python number, so this printed
#   ``0 2.7e7``; since 0.4.0 it returns a 0-dim tensor and prints ``0 tensor(2.7e7)``, which no
#   longer reads as a loss line. Not an error, a silent change of type.
# Needed since: 0.4.0 (same link as (1): the 0-dim tensors of the migration guide).
# Exact message: none (no warning, no error).
# ---------------------------------------------------------------------------------------------
def sum_as_number(tensor: torch.Tensor) -> float:
    """``tensor.sum()`` as PyTorch <= 0.3 returned it for a Tensor: a Python number.

    Same arithmetic as ``tensor.sum().item()``, the tensor_autograd spelling.
    """
    return tensor.sum().item()


# ---------------------------------------------------------------------------------------------
# (2) autograd.Function with a non-static forward
#
# Adapts: ``class MyReLU(torch.autograd.Function)`` with ``def forward(self, input)`` /
#   ``def backward(self, grad_output)``, ``self.save_for_backward(...)``, ``self.saved_tensors``,
#   used as ``relu = MyReLU(); relu(x)``.
# Needed since: 1.5.0. New-style functions (static ``forward(ctx, ...)`` and ``Function.apply``)
#   came with 0.2.0; the old style warned from 1.2.0 ("Legacy autograd function with non-static
#   forward method is deprecated and will be removed in 1.3. ...", pytorch/pytorch PR #22922) and
#   was removed in 1.5.0 (issue #30696 "Remove deprecated codepath for old-style
#   autograd.Function"). Merely instantiating a Function also gives a DeprecationWarning
#   ("<class '...'> should not be instantiated. Methods on autograd functions are all static, ...")
#   on 1.13.1 and 2.15.0 (not on 1.8.1; the release that added it: not found), so
#   ``LegacyFunction`` does not subclass ``torch.autograd.Function``.
# Exact message on torch 2.15.0, the same on 1.8.1 and 1.13.1 (RuntimeError, raised when the
#   instance is called):
#   Legacy autograd function with non-static forward method is deprecated. Please use new-style
#   autograd function with static forward method. (Example:
#   https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)
# Links: https://github.com/pytorch/pytorch/pull/22922,
#   https://github.com/pytorch/pytorch/issues/30696
# ---------------------------------------------------------------------------------------------
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
    context methods forwarded to the ``ctx`` of that call.
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


# ---------------------------------------------------------------------------------------------
# (3) size_average= / reduce= on loss modules
#
# Adapts: ``torch.nn.MSELoss(size_average=False)`` (and ``reduce=``), the 0.1-0.4.0 way to ask
#   for a summed loss.
# Needed since: 0.4.1, which added ``reduction=`` and made both old arguments warn (pytorch/pytorch
#   PR #8018, "combine size_average and reduce args in loss functions"). Still a warning, not an
#   error, on 2.15.0.
# Exact message on torch 2.15.0 (UserWarning, at construction), for size_average=False:
#   size_average and reduce args will be deprecated, please use reduction='sum' instead.
#   (reduce=False gives "... please use reduction='none' instead.")
# Mapping: exactly torch.nn._reduction.legacy_get_string: None means True for both; both True ->
#   'mean'; reduce True, size_average False -> 'sum'; reduce False -> 'none' (size_average
#   ignored). As in torch.nn.modules.loss._Loss, once either old argument is given, ``reduction``
#   is ignored.
# Links: https://github.com/pytorch/pytorch/pull/8018; "The reduction argument was recently
#   introduced in 0.4.1": https://discuss.pytorch.org/t/userwarning-size-average-and-reduce-args-will-be-deprecated-please-use-reduction-sum-instead/24629/2
# ---------------------------------------------------------------------------------------------
def legacy_reduction(size_average: bool | None = None, reduce: bool | None = None) -> str:
    """The ``reduction=`` string that torch derives from ``size_average``/``reduce``, silently."""
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
    """``loss_cls(..., size_average=..., reduce=...)`` built with ``reduction=`` instead."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    return loss_cls(*args, reduction=reduction, **kwargs)


def MSELoss(size_average=None, reduce=None, reduction="mean"):  # noqa: N802 - torch's name
    """``torch.nn.MSELoss`` taking the 0.3 arguments; ``MSELoss(size_average=False)`` sums."""
    return legacy_loss(torch.nn.MSELoss, size_average=size_average, reduce=reduce, reduction=reduction)


# ---------------------------------------------------------------------------------------------
# (4) Variable(..., volatile=True)
#
# Adapts: ``Variable(x, volatile=True)``, the 0.1-0.3 inference mode: an operation with any
#   volatile input built no graph.
# Needed since: 0.4.0, where the flag was removed: it warns and has no effect, so the computation
#   silently builds a graph again (more memory, outputs that require grad).
# Exact message on torch 2.15.0 (UserWarning):
#   volatile was removed and now has no effect. Use `with torch.no_grad():` instead.
# Link: https://pytorch.org/blog/pytorch-0_4_0-migration-guide/ ("Deprecation of the volatile
#   flag")
# A shim cannot make a flag spread through later operations as volatile did: ``variable`` returns
#   the data cut from any graph and without the warning; what used to be volatile must run under
#   ``with torch.no_grad():`` to get no graph (same numbers either way).
# ---------------------------------------------------------------------------------------------
def variable(data: torch.Tensor, requires_grad: bool = False, volatile: bool = False) -> torch.Tensor:
    """``Variable(data, requires_grad=..., volatile=...)`` without the removed ``volatile`` flag."""
    if volatile:
        return data.detach()
    return Variable(data, requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# (5) dtype = torch.cuda.FloatTensor: no shim
#
# The tutorial picks the device by editing a line: ``dtype = torch.FloatTensor`` /
#   ``# dtype = torch.cuda.FloatTensor # Uncomment this to run on GPU``, then ``.type(dtype)``.
#   The type objects still exist on every torch this project runs, so the legacy variants keep
#   that spelling, with ``--device`` doing the edit; ``shims.flags`` refuses ``--device cuda``
#   without a CUDA device before any tensor is made.
# Breaks: wherever there is no usable CUDA device (not a torch version change). Naming
#   ``torch.cuda.FloatTensor`` works; the first tensor converted to it or built with it fails.
# Exact message on torch 2.15.0+cu132 without an NVIDIA driver (RuntimeError, from both
#   ``torch.randn(2).type(torch.cuda.FloatTensor)`` and ``torch.cuda.FloatTensor(2)``; the same on
#   1.8.1+cu102, 1.13.1+cu117, 2.0.1+cu117 and 2.4.1+cu121):
#   Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed
#   a driver from http://www.nvidia.com/Download/index.aspx
#   (On 2.4.1 and 2.15.0 the constructor first warns, UserWarning: "The torch.cuda.*DtypeTensor
#   constructors are no longer recommended. ...".)
#   Not measured here: with a driver but no visible GPU, the same code path says "No CUDA GPUs are
#   available"; a CPU-only build refuses the type itself, "type torch.cuda.FloatTensor not
#   available. Torch not compiled with CUDA enabled." (TypeError, torch/csrc/tensor/python_tensor.cpp;
#   as users report it, e.g. https://github.com/yenchenlin/nerf-pytorch/issues/48).
# Link: https://github.com/pytorch/pytorch/blob/main/c10/cuda/CUDAFunctions.cpp (device_count_impl
#   raises the driver message, device_count_ensure_non_zero the "No CUDA GPUs" one)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# (6) w.grad.data.zero_() before the first backward
#
# Adapts: "Manually zero the gradients before running the backward pass" with
#   ``w1.grad.data.zero_()``, written for early 0.1.x releases, where a leaf Variable's ``.grad``
#   existed (zeros) from the start.
# Needed since: a 0.1.x release of early 2017 (exact release not found): ``.grad`` is None until the
#   first backward writes it, reported in March 2017 (pytorch/tutorials#51, jcjohnson/pytorch-
#   examples#3) and on 0.1.12 (jcjohnson/pytorch-examples#7). The upstream tutorial moved the
#   zeroing after the update (jcjohnson/pytorch-examples commit 0d8adca, Nov 2017).
# Exact message on torch 2.15.0 (AttributeError):
#   'NoneType' object has no attribute 'data'
# Links: https://github.com/pytorch/tutorials/issues/51,
#   https://github.com/jcjohnson/pytorch-examples/issues/7
# Same rule as 0.3's Optimizer.zero_grad: a gradient that does not exist yet is left alone. The
#   backward that follows then writes the fresh gradient instead of adding it to zeros: the same
#   values (0 + g == g).
# ---------------------------------------------------------------------------------------------
def zero_grad_(*tensors: torch.Tensor) -> None:
    """``t.grad.data.zero_()`` for each tensor whose ``.grad`` exists; skip those still None."""
    for t in tensors:
        if t.grad is not None:
            t.grad.data.zero_()


# ---------------------------------------------------------------------------------------------
# Feature probes: does the installed torch still accept the old spelling?
# ---------------------------------------------------------------------------------------------
def zero_dim_index_fails() -> bool:
    """True where ``tensor[0]`` on a 0-dim tensor raises (torch >= 1.0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.zeros(())[0]
        except IndexError:
            return True
    return False


def legacy_function_fails() -> bool:
    """True where calling an instance of a Function with a non-static forward raises (>= 1.5)."""

    class _Old(torch.autograd.Function):
        def forward(self, input):
            return input.clone()

        def backward(self, grad_output):
            return grad_output

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            _Old()(torch.zeros(1))
        except RuntimeError:
            return True
    return False


def size_average_warns() -> bool:
    """True where ``MSELoss(size_average=False)`` warns (torch >= 0.4.1)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.MSELoss(size_average=False)
    return any("size_average" in str(w.message) for w in caught)


def volatile_warns() -> bool:
    """True where ``Variable(..., volatile=True)`` warns that the flag is gone (torch >= 0.4)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Variable(torch.zeros(1), volatile=True)
    return any("volatile" in str(w.message) for w in caught)


def grad_starts_as_none() -> bool:
    """True where a fresh leaf tensor's ``.grad`` is None until the first backward."""
    return torch.zeros(1, requires_grad=True).grad is None
