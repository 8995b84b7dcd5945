"""Probes of numbers that change between releases without a sound: the exact bits of float32 ``mm``
and ``linspace``, Adam's first moment, the gradient of ``clamp`` at its boundary.

Bits are recorded as digests (``value``) and compared across pins recorded on the same CPU; the
float32 probes run on one thread. Python 3.7+, the standard library and torch only.
"""
from __future__ import annotations

from typing import Dict

from matrix.probes.runner import load_torch, probe


def _bits_digest(t) -> str:
    """SHA-256 (first 16 hex digits) of a float32 tensor's exact bits, without numpy."""
    import hashlib
    import struct

    flat = t.detach().reshape(-1).tolist()
    return hashlib.sha256(struct.pack("<%df" % len(flat), *flat)).hexdigest()[:16]


def _one_thread(fn):
    torch = load_torch()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn(torch)
    finally:
        torch.set_num_threads(before)


@probe("float32-matmul-bits")
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


@probe("float32-linspace-bits")
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


@probe("adam-lerp")
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


@probe("clamp-boundary-subgradient")
def clamp_boundary_grad():
    """The gradient of ``h.clamp(min=0)`` at ``h == 0`` exactly (1 since 0.4; ReLU gives 0)."""
    torch = load_torch()
    h = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    h.clamp(min=0).sum().backward()
    r = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(r).sum().backward()
    value = {"clamp_min_grad": h.grad.tolist(), "relu_grad": r.grad.tolist()}
    if h.grad[1].item() != 1.0:
        return {"outcome": "differs", "value": value,
                "detail": f"clamp(min=0) passes gradient {h.grad[1].item()} at the boundary (was 1.0), like relu"}
    return {"detail": "clamp(min=0) passes gradient 1.0 at the boundary (relu: 0.0)", "value": value}
