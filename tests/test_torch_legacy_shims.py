"""shims.torch_legacy: each old (0.1-0.3) spelling fails or warns on the installed torch exactly as
documented, and its shim runs without that warning and gives the numbers of the modern spelling.

Where the installed torch still accepts the old spelling (the feature checks below say so), the
"raw" check is skipped with that reason; the shim checks run everywhere.
"""
from __future__ import annotations

import ctypes.util
import re
import warnings

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed in this environment")

from torch.autograd import Variable  # noqa: E402

from matrix.facts.catalog import message  # noqa: E402
from shims import torch_legacy as tl  # noqa: E402

# The messages torch gives, from their one place: matrix/catalog.toml (symptom, also_seen).
ZERO_DIM_INDEX = message("zero-dim-index")
LEGACY_FUNCTION = message("legacy-autograd-function")
SIZE_AVERAGE = {"sum": message("size-average"), "none": message("size-average", "UserWarning: size_average and "
                                                                              "reduce args will be deprecated, please use reduction='none'")}
VOLATILE = message("variable-volatile")
NO_DRIVER = message("legacy-tensor-types", "RuntimeError: Found no NVIDIA driver")
NO_CUDA_BUILD = message("legacy-tensor-types", "TypeError: type torch.cuda.FloatTensor not available")
NO_GPU = message("legacy-tensor-types", "RuntimeError: No CUDA GPUs are available")
GRAD_NONE = message("grad-none-zero")


def exactly(message: str) -> str:
    """A ``match=`` pattern for exactly this text."""
    return "^" + re.escape(message) + "$"


@pytest.fixture
def warnings_as_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def sample(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- Feature checks: does the installed torch still fail or warn on the old spelling? -------------
# Asked of torch itself (no version numbers compared): a raw check below skips where the old spelling
# still works. The matrix measures the same changes, per pin, with its probes (matrix/probes).
def zero_dim_index_fails() -> bool:
    """True where ``tensor[0]`` on a 0-dim tensor raises (catalog: zero-dim-index)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.zeros(())[0]
        except IndexError:
            return True
    return False


def legacy_function_fails() -> bool:
    """True where calling an instance of a Function with a non-static forward raises
    (catalog: legacy-autograd-function)."""

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
    """True where ``MSELoss(size_average=False)`` warns (catalog: size-average)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.MSELoss(size_average=False)
    return any("size_average" in str(w.message) for w in caught)


def volatile_warns() -> bool:
    """True where ``Variable(..., volatile=True)`` warns that the flag is gone (catalog: variable-volatile)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Variable(torch.zeros(1), volatile=True)
    return any("volatile" in str(w.message) for w in caught)


def grad_starts_as_none() -> bool:
    """True where a fresh leaf tensor's ``.grad`` is None until the first backward (catalog: grad-none-zero)."""
    return torch.zeros(1, requires_grad=True).grad is None


# --- (1) loss.data[0] ----------------------------------------------------------------------------
def test_raw_zero_dim_index_raises():
    if not zero_dim_index_fails():
        pytest.skip(f"torch {torch.__version__} still indexes a 0-dim tensor: item0 not needed")
    loss = sample(5).pow(2).sum()
    with pytest.raises(IndexError, match=exactly(ZERO_DIM_INDEX)):
        loss.data[0]


def test_item0_reads_the_number(warnings_as_errors):
    loss = sample(5).pow(2).sum()
    value = tl.item0(loss.data)
    assert type(value) is float
    assert value == loss.item()
    # the old shape-(1,) result: its first element, as a number
    assert tl.item0(torch.tensor([2.5])) == 2.5


def test_raw_sum_is_a_tensor_not_a_number():
    total = sample(5).sum()
    if not isinstance(total, torch.Tensor):  # pragma: no cover - torch <= 0.3
        pytest.skip("Tensor.sum() still returns a number: sum_as_number not needed")
    assert total.dim() == 0
    assert str(total).startswith("tensor(")  # what `print(t, loss)` shows now (catalog: zero-dim-index)


def test_sum_as_number(warnings_as_errors):
    t = sample(4, 3)
    value = tl.sum_as_number(t)
    assert type(value) is float
    assert value == t.sum().item()


# --- (2) non-static autograd Function ---------------------------------------------------------------
class OldReLU(torch.autograd.Function):
    def forward(self, input):
        self.save_for_backward(input)
        return input.clamp(min=0)

    def backward(self, grad_output):
        input, = self.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ShimReLU(tl.LegacyFunction):
    # the same body as OldReLU, on the shim's base class
    forward = OldReLU.forward
    backward = OldReLU.backward


class StaticReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_raw_legacy_function_raises():
    if not legacy_function_fails():
        pytest.skip(f"torch {torch.__version__} still runs non-static Functions: LegacyFunction not needed")
    x = sample(3, 4).requires_grad_()
    with warnings.catch_warnings():
        # newer releases also warn (DeprecationWarning) when a Function is instantiated at all
        warnings.simplefilter("ignore", DeprecationWarning)
        relu = OldReLU()
    with pytest.raises(RuntimeError, match=exactly(LEGACY_FUNCTION)):
        relu(x)


def test_legacy_function_matches_static(warnings_as_errors):
    x_old = sample(8, 5).requires_grad_()
    x_new = x_old.detach().clone().requires_grad_()
    w = sample(5, 3, seed=1)

    y_old = ShimReLU()(x_old.mm(torch.eye(5))).mm(w)
    y_new = StaticReLU.apply(x_new.mm(torch.eye(5))).mm(w)
    assert torch.equal(y_old, y_new)

    y_old.pow(2).sum().backward()
    y_new.pow(2).sum().backward()
    assert torch.equal(x_old.grad, x_new.grad)


def test_legacy_function_context_outside_a_call():
    with pytest.raises(RuntimeError, match="only available inside forward/backward"):
        ShimReLU().saved_tensors


def test_legacy_function_needs_input_grad():
    seen = []

    class Probe(tl.LegacyFunction):
        def forward(self, a, b):
            seen.append(self.needs_input_grad)
            return a + b

        def backward(self, grad_output):
            return grad_output, grad_output

    Probe()(sample(2).requires_grad_(), sample(2))
    assert seen == [(True, False)]


# --- (3) size_average / reduce --------------------------------------------------------------------
def test_raw_size_average_warns():
    if not size_average_warns():
        pytest.skip(f"torch {torch.__version__} takes size_average silently: MSELoss shim not needed")
    with pytest.warns(UserWarning, match=exactly(SIZE_AVERAGE["sum"])):
        torch.nn.MSELoss(size_average=False)
    with pytest.warns(UserWarning, match=exactly(SIZE_AVERAGE["none"])):
        torch.nn.MSELoss(reduce=False)


FLAGS = (None, True, False)


@pytest.mark.parametrize("size_average", FLAGS)
@pytest.mark.parametrize("reduce", FLAGS)
def test_legacy_reduction_maps_as_torch_does(size_average, reduce):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = torch.nn.MSELoss(size_average=size_average, reduce=reduce).reduction
    assert tl.legacy_reduction(size_average, reduce) == reference
    private = getattr(getattr(torch.nn, "_reduction", None), "legacy_get_string", None)
    if private is not None:
        assert tl.legacy_reduction(size_average, reduce) == private(size_average, reduce, emit_warning=False)


def test_mse_loss_shim_sums_like_reduction_sum(warnings_as_errors):
    y_pred, y = sample(64, 10), sample(64, 10, seed=1)
    loss_fn = tl.MSELoss(size_average=False)
    assert loss_fn.reduction == "sum"
    assert torch.equal(loss_fn(y_pred, y), torch.nn.MSELoss(reduction="sum")(y_pred, y))
    # no old argument: reduction= passes through, as in torch
    assert tl.MSELoss(reduction="none").reduction == "none"
    assert tl.legacy_loss(torch.nn.L1Loss, size_average=False).reduction == "sum"


# --- (4) Variable(..., volatile=True) ---------------------------------------------------------------
def test_raw_volatile_warns():
    if not volatile_warns():
        pytest.skip(f"torch {torch.__version__} takes volatile silently: variable shim not needed")
    with pytest.warns(UserWarning, match=exactly(VOLATILE)):
        Variable(sample(2), volatile=True)


def test_variable_volatile_same_numbers_as_no_grad(warnings_as_errors):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    x = sample(3, 4)
    v = tl.variable(x, volatile=True)
    assert not v.requires_grad
    with torch.no_grad():
        expected = model(x)
        got = model(v)
    assert torch.equal(got, expected)
    assert not got.requires_grad
    w = tl.variable(x, requires_grad=True)
    assert w.requires_grad and torch.equal(w, x)


# --- (5) torch.cuda.FloatTensor (no shim: the variants spell it out) ---------------------------------
def test_raw_cuda_float_tensor_fails_without_gpu():
    """What ``dtype = torch.cuda.FloatTensor`` meets on this project's CI machine: a CUDA build of
    torch, no NVIDIA driver: the same RuntimeError for the conversion and the constructor
    (catalog: legacy-tensor-types)."""
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is available: torch.cuda.FloatTensor works here")
    if torch.version.cuda is None:
        pytest.skip(f"torch {torch.__version__} is a CPU-only build, which refuses the type itself "
                    f"({NO_CUDA_BUILD!r}); not checked here")
    if ctypes.util.find_library("cuda"):
        pytest.skip(f"an NVIDIA driver is installed but torch sees no GPU ({NO_GPU!r}); not checked here")
    with pytest.raises(RuntimeError, match=exactly(NO_DRIVER)):
        torch.randn(2).type(torch.cuda.FloatTensor)
    with warnings.catch_warnings():
        # newer releases first warn that the torch.cuda.*DtypeTensor constructors are not recommended
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(RuntimeError, match=exactly(NO_DRIVER)):
            torch.cuda.FloatTensor(2)


# --- (6) zeroing a .grad that is still None ----------------------------------------------------------
def test_raw_zeroing_missing_grad_raises():
    if not grad_starts_as_none():
        pytest.skip(f"torch {torch.__version__} allocates .grad up front: zero_grad_ not needed")
    w = sample(3).requires_grad_()
    with pytest.raises(AttributeError, match=exactly(GRAD_NONE)):
        w.grad.data.zero_()


def test_zero_grad_before_and_after_backward(warnings_as_errors):
    w_old = sample(3).requires_grad_()
    w_new = w_old.detach().clone().requires_grad_()
    for _ in range(3):
        # legacy order: zero, then backward (the first zeroing finds no .grad)
        tl.zero_grad_(w_old)
        w_old.pow(2).sum().backward()
        # modern order: backward, then zero after use
        w_new.pow(2).sum().backward()
        assert torch.equal(w_old.grad, w_new.grad)
        w_new.grad.zero_()
    tl.zero_grad_(w_old)
    assert torch.equal(w_old.grad, torch.zeros(3))


def test_no_global_patching():
    assert torch.nn.MSELoss is torch.nn.modules.loss.MSELoss
    assert tl.MSELoss is not torch.nn.MSELoss
    assert torch.autograd.Variable is Variable
