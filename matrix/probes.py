"""One small probe per catalog entry: run the OLD form on the installed torch and say what happens.

    python -m matrix.probes --out FILE.json     # every probe, one JSON list (the contract's format)
    python -m matrix.probes --only zero_dim_index --only numpy_abi
    python -m matrix.probes --list              # the probe ids, in the order they run

Each probe exercises the old idiom of one change in ``matrix/catalog.toml`` (the entry whose
``probe`` field names the function) and classifies it:

``works``    ran, no warning, the old meaning holds
``warns``    ran, with warnings (category and exact text recorded)
``errors``   raised (type and exact text recorded)
``differs``  ran without a sound but gave a different answer than the old form used to
             (``value`` holds the numbers)
``not_run``  could not be tried here (``detail`` says why: a module that is not installed, an API
             that does not exist yet on this torch)

(``crashed`` is never written here: :mod:`matrix.cell` records it, with ``error = {"type": "crash",
"message": ...}``, for the probe that was running when this process died.)

``--out FILE`` is rewritten (atomically) after every probe, so that when the process dies in the
middle (a segfault inside torch, a timeout) the probes that finished are kept; the caller reruns the
rest with ``--only``. Probes run in ``PROBES`` order (the order of ``--list``) whatever the order of
the ``--only`` options.

Values that only mean something compared across releases (exact bits of a float32 result, as a
digest) are plain data in ``value``; ``docs/generate.py`` compares them between torch pins recorded
on the same CPU, using the keys the catalog entry names in ``compare``.

Runs inside every matrix cell, from Python 3.9 + torch 1.8.1 up to Python 3.11 + torch 2.x, so:
stdlib + torch (+ numpy, + tensorflow when importable) only, no ``tomllib``; probe ids are the
function names and the catalog maps them to its entries. Some torch warnings are issued once per
process (``TORCH_WARN_ONCE``): run the probes in a fresh interpreter, once.
"""
from __future__ import annotations

import argparse
import builtins
import contextlib
import importlib.util
import io
import json
import os
import sys
import traceback
import warnings
from typing import Any, Callable, Dict, List, Optional

PROBES: List[Callable[[], Dict[str, Any]]] = []


def probe(fn: Callable[[], Dict[str, Any]]) -> Callable[[], Dict[str, Any]]:
    PROBES.append(fn)
    return fn


class NotRun(Exception):
    """Raised by a probe that cannot be tried in this environment; the message is the reason."""


def _torch():
    if _IMPORT["error"]:
        raise NotRun("import torch failed: {type}: {message}".format(**_IMPORT["error"]))
    import torch

    return torch


def _warning_records(caught) -> List[Dict[str, str]]:
    out = []
    seen = set()
    for w in caught:
        key = (w.category.__name__, str(w.message))
        if key in seen:
            continue
        seen.add(key)
        out.append({"category": key[0], "message": key[1]})
    return out


def _classify(result: Dict[str, Any], caught) -> Dict[str, Any]:
    result.setdefault("warnings", _warning_records(caught))
    result.setdefault("error", None)
    result.setdefault("value", None)
    if "outcome" not in result:
        result["outcome"] = "warns" if result["warnings"] else "works"
    return result


def run_probe(fn: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
    """Run one probe isolated: its warnings recorded, any exception turned into an ``errors`` record."""
    record: Dict[str, Any] = {"id": fn.__name__}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn() or {}
        except NotRun as exc:
            result = {"outcome": "not_run", "detail": str(exc)}
        except Exception as exc:  # the old form raised: that is the finding
            result = {
                "outcome": "errors",
                "detail": f"{type(exc).__name__} raised by the old form",
                "error": {"type": type(exc).__name__, "message": str(exc)},
            }
    result = _classify(result, caught)
    record.update(
        outcome=result["outcome"],
        detail=result.get("detail", ""),
        warnings=result["warnings"],
        error=result["error"],
        value=result["value"],
    )
    return record


# --------------------------------------------------------------------------------------------
# The probes, in catalog order.
# --------------------------------------------------------------------------------------------


@probe
def variable_volatile():
    """``Variable(x, volatile=True)`` for inference (0.1-0.3)."""
    torch = _torch()
    from torch.autograd import Variable

    x = Variable(torch.ones(2, 2), volatile=True)
    y = x * 2
    return {
        "detail": f"Variable(...) returns {type(x).__module__}.{type(x).__name__}; "
        f"result of an op requires_grad={y.requires_grad}",
        "value": {"type": f"{type(x).__module__}.{type(x).__name__}", "requires_grad": bool(y.requires_grad)},
    }


@probe
def zero_dim_index():
    """``loss.data[0]`` to read a scalar loss (0.1-0.3, where a loss had shape (1,))."""
    torch = _torch()
    loss = (torch.ones(3) * 2).pow(2).sum()
    value = loss.data[0]
    return {"detail": "indexing a 0-dim tensor returned a value", "value": float(value)}


@probe
def data_update_vs_no_grad():
    """``w.data -= lr * w.grad.data`` instead of an update under ``torch.no_grad()``.

    Both still run; the difference is what autograd can check. A ``.data`` write after the forward
    pass is invisible to autograd, so backward silently uses the new value; the same write under
    ``no_grad`` bumps the version counter and backward refuses.
    """
    torch = _torch()
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


@probe
def size_average():
    """``nn.MSELoss(size_average=False)`` (0.1-0.4) instead of ``reduction='sum'``."""
    torch = _torch()
    a = torch.tensor([1.0, 2.0, 3.0])
    b = torch.zeros(3)
    old = torch.nn.MSELoss(size_average=False)(a, b).item()
    new = torch.nn.MSELoss(reduction="sum")(a, b).item()
    return {"detail": f"old {old} vs reduction='sum' {new}", "value": {"old": old, "reduction_sum": new}}


@probe
def legacy_autograd_function():
    """An autograd ``Function`` with a non-static ``forward(self, x)``, called as ``MyReLU()(x)``."""
    torch = _torch()

    class MyReLU(torch.autograd.Function):
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


@probe
def function_setup_context():
    """A static ``forward(ctx, x)`` Function (0.4-1.x style) under a ``torch.func`` transform."""
    torch = _torch()
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


@probe
def legacy_tensor_types():
    """``dtype = torch.FloatTensor``; ``torch.randn(...).type(dtype)`` (dtype and device in one name)."""
    torch = _torch()
    dtype = torch.FloatTensor
    x = torch.randn(2, 3).type(dtype)
    legacy = torch.FloatTensor(2, 3)  # legacy constructor: uninitialised memory of that shape
    return {
        "detail": f".type(torch.FloatTensor) gives {x.dtype} on {x.device}; "
        f"torch.FloatTensor(2, 3) gives shape {tuple(legacy.shape)}",
        "value": {"dtype": str(x.dtype), "device": str(x.device), "type": x.type()},
    }


@probe
def zero_grad_set_to_none():
    """``model.zero_grad()`` / ``optimizer.zero_grad()`` then reading ``p.grad`` (zeros before 2.0)."""
    torch = _torch()
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


def _bits_digest(t) -> str:
    """SHA-256 (first 16 hex digits) of a float32 tensor's exact bits, without numpy."""
    import hashlib
    import struct

    flat = t.detach().reshape(-1).tolist()
    return hashlib.sha256(struct.pack("<%df" % len(flat), *flat)).hexdigest()[:16]


def _one_thread(fn):
    torch = _torch()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn(torch)
    finally:
        torch.set_num_threads(before)


@probe
def float32_matmul_bits():
    """A fixed float32 ``x.mm(w)`` and ``x.t().mm(g)`` (the tutorial's shapes): the exact bits, as a digest."""
    def run(torch):
        i = torch.arange(64 * 1000, dtype=torch.float64)
        x = (((i * 7919) % 1000 - 500) / 37.0).float().reshape(64, 1000)
        j = torch.arange(1000 * 100, dtype=torch.float64)
        w = (((j * 104729) % 997 - 498) / 41.0).float().reshape(1000, 100)
        h = x.mm(w)
        g = x.t().mm(h)
        value = {"mm": _bits_digest(h), "t_mm": _bits_digest(g), "h_0_0": h[0, 0].item()}
        value.update(_cpu_libraries(torch))
        return {"detail": "float32 mm on the CPU, one thread; compare the digests across torch releases "
                          "recorded on the same CPU", "value": value}
    return _one_thread(run)


def _cpu_libraries(torch) -> Dict[str, str]:
    """The BLAS / oneDNN builds and the CPU code path this torch reports (``torch.__config__.show()``).

    Recorded next to the matmul bits as context: float32 sgemm results depend on the BLAS build and
    on which kernel it picks for the CPU at hand.
    """
    try:
        text = torch.__config__.show()
    except Exception as exc:  # pragma: no cover - very old or stripped builds
        return {"config": f"torch.__config__.show() failed: {type(exc).__name__}"}
    out = {}
    for line in text.splitlines():
        line = line.strip().lstrip("- ").strip()
        if "Math Kernel Library" in line:
            out["blas"] = line.split(" Product Build")[0].split("-Product Build")[0]
        elif "MKL-DNN" in line or "oneDNN" in line:
            out["onednn"] = line.split(" (Git Hash")[0]
        elif line.startswith("CPU capability usage:"):
            out["cpu_capability"] = line.split(":", 1)[1].strip()
    return out


@probe
def float32_linspace_bits():
    """``torch.linspace(-math.pi, math.pi, 2000)`` (the modern examples' x): the exact bits, as a digest."""
    import math

    def run(torch):
        x = torch.linspace(-math.pi, math.pi, 2000)
        exact = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64).float()
        return {"detail": "float32 linspace on the CPU; compare the digests across torch releases",
                "value": {"digest": _bits_digest(x), "x_1": x[1].item(),
                          "not_nearest_float": int((x != exact).sum().item())}}
    return _one_thread(run)


@probe
def adam_exp_avg_lerp():
    """Adam's first moment after two steps vs the textbook ``m.mul_(b1).add_(g, alpha=1-b1)``, bitwise."""
    def run(torch):
        k = torch.arange(4096, dtype=torch.float64)
        p = torch.nn.Parameter(((k * 7919) % 4096 / 1000.0 - 2.0).float())
        grads = [((k * s) % 4093 / 77.0 - 26.0).float() for s in (104729, 1299709)]
        opt = torch.optim.Adam([p], lr=1e-4)
        m = torch.zeros_like(p)
        for g in grads:
            p.grad = g.clone()
            opt.step()
            m.mul_(0.9).add_(g, alpha=1 - 0.9)
        got = opt.state[p]["exp_avg"]
        n = int((got != m).sum().item())
        value = {"exp_avg_elements_not_mul_add": n, "params": _bits_digest(p)}
        if n:
            return {"outcome": "differs", "value": value,
                    "detail": f"Adam's exp_avg differs from mul_().add_() in {n} of 4096 elements (lerp_ update)"}
        return {"detail": "Adam's exp_avg equals mul_(beta1).add_(grad, alpha=1-beta1) bitwise", "value": value}
    return _one_thread(run)


@probe
def clamp_boundary_grad():
    """The gradient of ``h.clamp(min=0)`` at ``h == 0`` exactly (1 since 0.4; ReLU gives 0)."""
    torch = _torch()
    h = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    h.clamp(min=0).sum().backward()
    r = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(r).sum().backward()
    value = {"clamp_min_grad": h.grad.tolist(), "relu_grad": r.grad.tolist()}
    if h.grad[1].item() != 1.0:
        return {"outcome": "differs", "value": value,
                "detail": f"clamp(min=0) passes gradient {h.grad[1].item()} at the boundary (was 1.0), like relu"}
    return {"detail": "clamp(min=0) passes gradient 1.0 at the boundary (relu: 0.0)", "value": value}


@probe
def set_default_tensor_type():
    """``torch.set_default_tensor_type(torch.DoubleTensor)`` (restored to float afterwards)."""
    torch = _torch()
    before = torch.get_default_dtype()
    try:
        torch.set_default_tensor_type(torch.DoubleTensor)
        made = torch.zeros(1).dtype
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.set_default_dtype(before)
    return {"detail": f"default became {made}", "value": str(made)}


@probe
def cuda_amp():
    """``torch.cuda.amp.autocast(...)`` and ``torch.cuda.amp.GradScaler(...)`` (disabled: no GPU needed)."""
    torch = _torch()
    amp = getattr(getattr(torch, "cuda", None), "amp", None)
    if amp is None or not hasattr(amp, "GradScaler"):
        raise NotRun(f"torch {torch.__version__} has no torch.cuda.amp (added in 1.6)")
    scaler = amp.GradScaler(enabled=False)
    with amp.autocast(enabled=False):
        y = torch.ones(2) * 2
    return {"detail": f"GradScaler enabled={scaler.is_enabled()}, autocast ran",
            "value": {"scaler_enabled": scaler.is_enabled(), "y": y.tolist()}}


@probe
def torch_load_weights_only():
    """``torch.load(f)`` of a checkpoint holding a plain Python object, without ``weights_only``."""
    torch = _torch()
    buf = io.BytesIO()
    # a non-tensor object, as in many old checkpoints (saved args); a stdlib class, so that the
    # error text names the same global however this module is run
    torch.save({"step": argparse.Namespace(step=3), "w": torch.ones(2)}, buf)
    buf.seek(0)
    loaded = torch.load(buf)
    return {"detail": "loaded", "value": {"step": loaded["step"].step}}


@probe
def functorch_import():
    """``import functorch; functorch.vmap(...)`` (the separate package of 1.x)."""
    if importlib.util.find_spec("functorch") is None:
        raise NotRun("the functorch package is not installed (before torch 2.0 it was a separate "
                     "package; torch 2.x ships it)")
    torch = _torch()
    import functorch

    out = functorch.vmap(torch.sum)(torch.ones(3, 2))
    return {"detail": f"functorch.vmap ran ({getattr(functorch, '__version__', '?')})", "value": out.tolist()}


_LINALG = (
    # old call, its replacement (for the record)
    ("symeig", "torch.linalg.eigh"),
    ("eig", "torch.linalg.eig"),
    ("lstsq", "torch.linalg.lstsq"),
    ("solve", "torch.linalg.solve"),
    ("matrix_rank", "torch.linalg.matrix_rank"),
    ("cholesky", "torch.linalg.cholesky"),
    ("qr", "torch.linalg.qr"),
    ("chain_matmul", "torch.linalg.multi_dot"),
)


@probe
def removed_linalg():
    """The pre-1.9 linear-algebra functions: ``torch.symeig``, ``torch.eig``, ``torch.lstsq``, ..."""
    torch = _torch()
    a = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    b = torch.tensor([[1.0], [2.0]])
    calls = {
        "symeig": lambda: torch.symeig(a, eigenvectors=True),
        "eig": lambda: torch.eig(a),
        "lstsq": lambda: torch.lstsq(b, a),
        "solve": lambda: torch.solve(b, a),
        "matrix_rank": lambda: torch.matrix_rank(a),
        "cholesky": lambda: torch.cholesky(a),
        "qr": lambda: torch.qr(a),
        "chain_matmul": lambda: torch.chain_matmul(a, a, a),
    }
    per: Dict[str, Any] = {}
    first_error = None
    all_warnings: List[Dict[str, str]] = []
    for name, new in _LINALG:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                calls[name]()
                ws = _warning_records(caught)
                per[name] = {"outcome": "warns" if ws else "works", "new": new}
                if ws:
                    per[name]["warning"] = ws[0]["message"]
                all_warnings.extend(ws)
            except Exception as exc:
                per[name] = {"outcome": "errors", "new": new, "type": type(exc).__name__,
                             "message": str(exc)}
                if first_error is None:
                    first_error = {"type": type(exc).__name__, "message": str(exc)}
    summary = ", ".join(f"torch.{k}: {v['outcome']}" for k, v in per.items())
    outcomes = {v["outcome"] for v in per.values()}
    outcome = "errors" if "errors" in outcomes else ("warns" if "warns" in outcomes else "works")
    return {"outcome": outcome, "detail": summary, "warnings": all_warnings, "error": first_error,
            "value": per}


@probe
def tf1_graph():
    """TensorFlow 1 graph code: ``tf.placeholder``, ``tf.random_normal``, ``tf.Session``."""
    if importlib.util.find_spec("tensorflow") is None:
        raise NotRun("tensorflow is not installed in this environment")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    per = {}
    first_error = None
    for name in ("placeholder", "random_normal", "Session", "global_variables_initializer"):
        present = hasattr(tf, name)
        per[name] = present
        if not present and first_error is None:
            try:
                getattr(tf, name)
            except AttributeError as exc:
                first_error = {"type": "AttributeError", "message": str(exc)}
    detail = f"tensorflow {tf.__version__}: " + ", ".join(
        f"tf.{k} {'present' if v else 'missing'}" for k, v in per.items())
    if first_error:
        return {"outcome": "errors", "detail": detail, "error": first_error,
                "value": {"tensorflow": tf.__version__, "present": per}}
    x = tf.placeholder(tf.float32, shape=(None, 2))
    return {"detail": detail, "value": {"tensorflow": tf.__version__, "present": per, "x": str(x.dtype)}}


@probe
def grad_none_zero():
    """``w.grad.data.zero_()`` before the first ``backward()`` (the 2017 tutorial's ordering)."""
    torch = _torch()
    w = torch.randn(3, requires_grad=True)
    w.grad.data.zero_()
    return {"detail": "grad existed before backward", "value": None}


@probe
def numpy_abi():
    """torch <-> NumPy interop (``torch.from_numpy``, ``Tensor.numpy()``) with the installed NumPy."""
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import numpy as np

    said = [line for line in _IMPORT["stderr"].splitlines() if line.strip()]
    if _IMPORT["error"]:
        return {"outcome": "errors",
                "detail": f"numpy {np.__version__}: import torch failed" + (f" after: {said[0]}" if said else ""),
                "error": dict(_IMPORT["error"]), "value": {"numpy": np.__version__, "stderr": said}}
    torch = _torch()
    for w in _IMPORT_WARNINGS:  # "Failed to initialize NumPy: ..." is said while importing torch
        category = getattr(builtins, w["category"], UserWarning)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category = UserWarning
        warnings.warn_explicit(w["message"], category, "torch/__init__.py", 0)
    t = torch.from_numpy(np.arange(3.0))
    back = (t * 2).numpy()
    return {"detail": f"numpy {np.__version__} with torch {torch.__version__}: round trip ok",
            "value": {"numpy": np.__version__, "result": back.tolist(), "stderr": said}}


@probe
def numpy_float64_bits():
    """NumPy's float64 ``np.sin(x)`` and ``x ** 3`` on ``x = np.linspace(-pi, pi, 2000)`` (the modern numpy
    warm-up's y and cubic term): exact bits, as digests."""
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import hashlib
    import math

    import numpy as np

    def digest(a) -> str:
        return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]

    x = np.linspace(-math.pi, math.pi, 2000)
    y = np.sin(x)
    cube = x ** 3
    xs = x.tolist()
    # Python's math module (the C library) for scale: how many values NumPy rounds otherwise
    sin_off = sum(1 for a, v in zip(y.tolist(), xs) if a != math.sin(v))
    cube_off = sum(1 for a, v in zip(cube.tolist(), xs) if a != v ** 3)
    return {"detail": f"numpy {np.__version__}: float64 sin and x ** 3 on the CPU; compare the digests across "
                      "NumPy releases recorded on the same CPU",
            "value": {"numpy": np.__version__, "x": digest(x), "sin": digest(y), "cube": digest(cube),
                      "sin_not_math": sin_off, "cube_not_python": cube_off}}


# --------------------------------------------------------------------------------------------


_IMPORT_WARNINGS: List[Dict[str, str]] = []
_IMPORT: Dict[str, Any] = {"error": None, "stderr": ""}


def import_torch_once() -> None:
    """Import torch outside every probe, keeping what the import itself said.

    NumPy's ABI complaint ("A module that was compiled using NumPy 1.x ...") goes to stderr and
    torch's "Failed to initialize NumPy" is a warning, both during ``import torch``; torch 1.8.1
    under NumPy 2 does not import at all. The ``numpy_abi`` probe reports all of it; the other
    probes are ``not_run`` where torch did not import.
    """
    if "torch" in sys.modules or _IMPORT["error"] or _IMPORT["stderr"]:
        return
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stderr(buf):
                import torch  # noqa: F401
        except Exception as exc:
            _IMPORT["error"] = {"type": type(exc).__name__, "message": str(exc)}
    _IMPORT["stderr"] = buf.getvalue()
    sys.stderr.write(_IMPORT["stderr"])
    _IMPORT_WARNINGS[:] = _warning_records(caught)


def run_all(only: Optional[List[str]] = None,
            on_record: Optional[Callable[[List[Dict[str, Any]]], None]] = None) -> List[Dict[str, Any]]:
    """Run the chosen probes (all by default) in ``PROBES`` order; ``on_record(records so far)`` after each."""
    import_torch_once()
    chosen = [p for p in PROBES if not only or p.__name__ in only]
    records: List[Dict[str, Any]] = []
    for fn in chosen:
        records.append(run_probe(fn))
        if on_record is not None:
            on_record(records)
    return records


def write_atomically(path: str, records: List[Dict[str, Any]]) -> None:
    """Write the records as one JSON list: a temporary file next to ``path``, then a rename."""
    text = json.dumps(records, indent=1, sort_keys=True, default=repr)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    os.replace(tmp, path)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix.probes", description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the JSON list here (atomically); default: stdout")
    parser.add_argument("--only", action="append", help="run only this probe (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the probe ids and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(p.__name__ for p in PROBES))
        return 0
    unknown = set(args.only or ()) - {p.__name__ for p in PROBES}
    if unknown:
        parser.error(f"unknown probe(s): {', '.join(sorted(unknown))}")
    save = (lambda records: write_atomically(args.out, records)) if args.out else None
    try:
        records = run_all(args.only, on_record=save)
    except Exception:  # a failure outside any probe (importing torch): say so, still write JSON
        records = [{"id": "_import", "outcome": "errors", "detail": traceback.format_exc(limit=3),
                    "warnings": [], "error": {"type": sys.exc_info()[0].__name__,
                                              "message": str(sys.exc_info()[1])}, "value": None}]
    if args.out:
        write_atomically(args.out, records)  # also when no probe was chosen or the import failed
    else:
        print(json.dumps(records, indent=1, sort_keys=True, default=repr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
