"""Probes of autograd's old forms: ``Variable``/``volatile``, ``loss.data[0]``, ``.data`` updates,
legacy and ``ctx`` Functions, ``zero_grad()`` and a ``.grad`` read before ``backward()``.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

from typing import Any, Dict, List

from matrix.probes.runner import NotRun, load_torch, probe


@probe("variable-volatile")
def variable_volatile():
    """``Variable(x, volatile=True)`` for inference (0.1-0.3)."""
    torch = load_torch()
    from torch.autograd import Variable

    x = Variable(torch.ones(2, 2), volatile=True)
    y = x * 2
    return {
        "detail": f"Variable(...) returns {type(x).__module__}.{type(x).__name__}; "
        f"result of an op requires_grad={y.requires_grad}",
        "value": {"type": f"{type(x).__module__}.{type(x).__name__}", "requires_grad": bool(y.requires_grad)},
    }


@probe("zero-dim-index")
def zero_dim_index():
    """``loss.data[0]`` to read a scalar loss (0.1-0.3, where a loss had shape (1,))."""
    torch = load_torch()
    loss = (torch.ones(3) * 2).pow(2).sum()
    value = loss.data[0]
    return {"detail": "indexing a 0-dim tensor returned a value", "value": float(value)}


@probe("data-update-vs-no-grad")
def data_update_vs_no_grad():
    """``w.data -= lr * w.grad.data`` instead of an update under ``torch.no_grad()``.

    Both still run; the difference is what autograd can check. A ``.data`` write after the forward
    pass is invisible to autograd, so backward silently uses the new value; the same write under
    ``no_grad`` bumps the version counter and backward refuses.
    """
    torch = load_torch()
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    w.data -= 0.5 * torch.ones(2)  # the old form, between forward and backward
    y.backward()
    silent_grad = w.grad.tolist()  # d(sum w^2)/dw uses the *modified* w: [1.0, 3.0], not [2.0, 4.0]

    w2 = torch.tensor([1.0, 2.0], requires_grad=True)
    y2 = (w2 * w2).sum()
    with torch.no_grad():
        w2 -= 0.5 * torch.ones(2)
    try:
        y2.backward()
        checked = "no error"
    except RuntimeError as exc:
        checked = f"RuntimeError: {str(exc).splitlines()[0]}"
    expected = [2.0, 4.0]  # d(sum w^2)/dw at the w the forward pass saw
    value = {"grad_after_data_write": silent_grad, "expected_grad": expected, "no_grad_write": checked}
    detail = (f"a .data write between forward and backward goes unnoticed: grad {silent_grad} instead of "
              f"{expected}; the same write under no_grad makes backward raise: {checked}")
    # The wrong gradient is the documented behaviour of .data (0.4.0 migration guide), not a bug
    # of one release: the old form silently gives another answer, hence "differs".
    return {"outcome": "differs" if silent_grad != expected else "works", "detail": detail, "value": value}


@probe("legacy-autograd-function")
def legacy_autograd_function():
    """An autograd ``Function`` with a non-static ``forward(self, x)``, called as ``MyReLU()(x)``."""
    torch = load_torch()

    class MyReLU(torch.autograd.Function):
        # torch names the class in its warning ("<class '__main__.legacy_autograd_function.<locals>.MyReLU'>
        # should not be instantiated"): the module a script's class has, and the one it had when this probe
        # was run as ``python -m matrix.probes`` from a single file. Recorded texts stay comparable.
        __module__ = "__main__"

        def forward(self, x):
            self.save_for_backward(x)
            return x.clamp(min=0)

        def backward(self, grad_output):
            (x,) = self.saved_tensors
            grad = grad_output.clone()
            grad[x < 0] = 0
            return grad

    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    y = MyReLU()(x)
    y.sum().backward()
    return {"detail": "legacy Function ran", "value": x.grad.tolist()}


@probe("function-setup-context")
def function_setup_context():
    """A static ``forward(ctx, x)`` Function (0.4-1.x style) under a ``torch.func`` transform."""
    torch = load_torch()
    func = getattr(torch, "func", None)
    if func is None or not hasattr(func, "grad"):
        raise NotRun(f"torch {torch.__version__} has no torch.func (added in 2.0); "
                     "forward(ctx, ...) Functions work with plain autograd there")

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    plain = torch.tensor(2.0, requires_grad=True)
    Cube.apply(plain).backward()
    g = func.grad(lambda t: Cube.apply(t))(torch.tensor(2.0))
    return {"detail": f"plain autograd grad {plain.grad.item()}, torch.func.grad {g.item()}",
            "value": {"autograd": plain.grad.item(), "torch_func": g.item()}}


@probe("zero-grad-set-to-none")
def zero_grad_set_to_none():
    """``model.zero_grad()`` / ``optimizer.zero_grad()`` then reading ``p.grad`` (zeros before 2.0)."""
    torch = load_torch()
    model = torch.nn.Linear(2, 1)
    model(torch.ones(1, 2)).sum().backward()
    model.zero_grad()
    module_grad = model.weight.grad
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(1, 2)).sum().backward()
    opt.zero_grad()
    opt_grad = model.weight.grad
    value = {
        "module_zero_grad": None if module_grad is None else module_grad.tolist(),
        "optimizer_zero_grad": None if opt_grad is None else opt_grad.tolist(),
        "momentum_step_of_unused_param": _momentum_step_of_unused_param(torch),
        "isolated": _dynamic_net_causes(torch),
    }
    if module_grad is None or opt_grad is None:
        return {"outcome": "differs",
                "detail": "after zero_grad() the grads are None, not zero tensors "
                          f"(module: {value['module_zero_grad']}, optimizer: {value['optimizer_zero_grad']}); "
                          "SGD(momentum=0.9) then moves a parameter left out of the graph by "
                          f"{value['momentum_step_of_unused_param']}",
                "value": value}
    return {"detail": "after zero_grad() the grads are zero tensors; SGD(momentum=0.9) moves a parameter left "
                      f"out of the graph by {value['momentum_step_of_unused_param']}", "value": value}


def _momentum_step_of_unused_param(torch) -> float:
    """dynamic_net's case: b is in step 1's graph, not in step 2's. With a zero grad SGD(momentum=0.9)
    still moves b by the momentum buffer in step 2; with a None grad it skips b (moves it by 0)."""
    a = torch.nn.Parameter(torch.tensor([1.0]))
    b = torch.nn.Parameter(torch.tensor([1.0]))
    opt = torch.optim.SGD([a, b], lr=0.1, momentum=0.9)
    (a * b).sum().backward()
    opt.step()
    opt.zero_grad()
    a.sum().backward()
    before = b.item()
    opt.step()
    return b.item() - before


#: steps of modern/dynamic_net's loop that the zero_grad probe runs per variant (the curves differ
#: most within the first hundred steps; a few thousand keep each run under a second)
DYNAMIC_NET_STEPS = 3000


def _dynamic_net_curve(torch, x, set_to_none: bool, steps: int) -> List[float]:
    """The losses of modern/dynamic_net's loop (seed 0: the same parameters and random depths as the
    script) on ``x``, with the grads set to None (2.x's ``zero_grad()``) or zeroed in place (1.x's)
    before each backward. Written out, so that it runs the same on every torch from 1.0 on."""
    import random

    depth = random.Random(0)  # the script seeds the module-level random with 0: the same draws
    state = torch.get_rng_state()
    torch.manual_seed(0)
    try:
        params = [torch.nn.Parameter(torch.randn(())) for _ in range(5)]
    finally:
        torch.set_rng_state(state)
    a, b, c, d, e = params
    y = torch.sin(x)
    opt = torch.optim.SGD(params, lr=1e-8, momentum=0.9)
    losses = []
    for _ in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        for exp in range(4, depth.randint(4, 6)):
            y_pred = y_pred + e * x ** exp
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        for p in params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.detach_()
                p.grad.zero_()
        loss.backward()
        opt.step()
    return losses


def _largest(a: List[float], b: List[float]) -> Dict[str, Any]:
    """The step where two loss curves differ most (absolute), with both losses; step None if equal."""
    best = None
    for t, (u, v) in enumerate(zip(a, b)):
        if u != v and (best is None or abs(u - v) > abs(a[best] - b[best])):
            best = t
    return {"step": best, "a": None if best is None else a[best], "b": None if best is None else b[best]}


def _curve_digest(losses: List[float]) -> str:
    import hashlib
    import struct

    return hashlib.sha256(struct.pack("<%dd" % len(losses), *losses)).hexdigest()[:16]


def _dynamic_net_causes(torch) -> Dict[str, Any]:
    """modern/dynamic_net's loop with one cause changed at a time, on this torch: zeroed vs None grads
    on this torch's float32 linspace (the zero_grad change alone), and this torch's linspace vs the
    float64 linspace rounded once to float32 (the linspace bits alone, grads zeroed). The rounded x is
    the same on every release, so its curve (``curves.rounded_zeros``) compared between two pins says
    whether anything else in the loop changed between them."""
    import math

    x = torch.linspace(-math.pi, math.pi, 2000)
    rounded = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64).float()
    n = DYNAMIC_NET_STEPS
    zeros = _dynamic_net_curve(torch, x, False, n)
    none = _dynamic_net_curve(torch, x, True, n)
    rounded_zeros = _dynamic_net_curve(torch, rounded, False, n)
    zero_grad = _largest(zeros, none)
    linspace = _largest(zeros, rounded_zeros)
    return {"script": "modern/dynamic_net", "steps": n,
            "zero_grad": {"step": zero_grad["step"], "zeros": zero_grad["a"], "none": zero_grad["b"]},
            "linspace": {"step": linspace["step"], "torch_linspace": linspace["a"], "rounded_float64": linspace["b"]},
            "curves": {"linspace_zeros": _curve_digest(zeros), "linspace_none": _curve_digest(none),
                       "rounded_zeros": _curve_digest(rounded_zeros)},
            "last": {"linspace_zeros": zeros[-1], "linspace_none": none[-1], "rounded_zeros": rounded_zeros[-1]}}


@probe("grad-none-zero")
def grad_none_zero():
    """``w.grad.data.zero_()`` before the first ``backward()`` (the 2017 tutorial's ordering)."""
    torch = load_torch()
    w = torch.randn(3, requires_grad=True)
    w.grad.data.zero_()
    return {"detail": "grad existed before backward", "value": None}


@probe("retain-variables")
def retain_variables():
    """``loss.backward(retain_variables=True)`` (0.1-0.3), renamed ``retain_graph``."""
    torch = load_torch()
    w = torch.ones(2, requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_variables=True)
    return {"detail": "retain_variables= accepted", "value": w.grad.tolist()}


@probe("zero-dim-iteration")
def zero_dim_iteration():
    """``for x, y in zip(inputs, labels)`` over tensors: each ``y`` is 0-dim since 0.4 (shape (1,) before)."""
    torch = load_torch()
    F = torch.nn.functional
    torch.manual_seed(0)
    inputs, labels = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    model = torch.nn.Linear(3, 3)
    losses = []
    for x, y in zip(inputs, labels):  # the old form: y was a 1-element tensor, now a 0-dim one
        losses.append(F.cross_entropy(model(x.view(1, -1)), y).item())
    return {"detail": "per-sample loss with a scalar-indexed target ran", "value": losses}


@probe("optimizer-step-between-backwards")
def step_between_backwards():
    """The 2017 GAN step: ``d_loss.backward(retain_graph=True); opt_D.step(); g_loss.backward()`` over one
    graph, so ``opt_D.step()`` updates in place a weight the second backward still needs."""
    torch = load_torch()
    torch.manual_seed(0)
    G, D = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    opt_G = torch.optim.SGD(G.parameters(), lr=0.1)
    opt_D = torch.optim.SGD(D.parameters(), lr=0.1)
    out = D(G(torch.randn(4, 2)))
    d_loss, g_loss = out.mean(), -out.mean()
    opt_D.zero_grad()
    d_loss.backward(retain_graph=True)
    opt_D.step()  # in place on D.weight, which g_loss's backward reads
    opt_G.zero_grad()
    g_loss.backward()
    opt_G.step()
    return {"detail": "the second backward ran after opt_D.step()",
            "value": {"g_weight_grad": G.weight.grad.tolist()}}


@probe("function-instance-backward")
def function_instance_backward():
    """A Function with ``@staticmethod forward(ctx, ...)`` but ``def backward(self, grad)`` (no decorator)."""
    torch = load_torch()
    if not hasattr(torch.autograd.Function, "apply"):
        raise NotRun(f"torch {torch.__version__} has no Function.apply")

    class HalfStatic(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        def backward(self, grad_output):  # the old form: an instance method; torch passes ctx as self
            x, = self.saved_tensors
            return grad_output * (x > 0).to(grad_output.dtype)

    x = torch.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    HalfStatic.apply(x).sum().backward()
    grad = x.grad.tolist()
    return {"detail": f"backward(self, ...) ran with the ctx as self: grad {grad}",
            "value": {"grad": grad, "expected": [0.0, 1.0, 1.0]}}
