"""Probes of tensor functions that were removed or whose defaults changed: the pre-1.8 FFT functions
(``torch.rfft(x, 1)``), named tensors, ``torch.cross`` without ``dim``, ``torch.normal`` with shapes that
do not broadcast, ``x.T`` on a 0-dim tensor, ``torch.stft`` without ``return_complex``.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only. Where the same call gives other numbers on another release, the
numbers are in ``value`` so that releases can be compared.
"""
from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


def _attempt(call: Callable[[], Any]) -> Tuple[Dict[str, Any], List[Dict[str, str]]]:
    """Run ``call``: ``{"outcome": works | warns | errors, ...}`` (the result as ``result``, the first
    warning's text, or the exception's type and text), and the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except Exception as exc:
            return {"outcome": "errors", "type": type(exc).__name__, "message": str(exc)}, warning_records(caught)
    ws = warning_records(caught)
    out: Dict[str, Any] = {"outcome": "warns" if ws else "works", "result": result}
    if ws:
        out["warning"] = ws[0]["message"]
    return out, ws


def _summarise(per: Dict[str, Dict[str, Any]], warned: List[Dict[str, str]]) -> Dict[str, Any]:
    """A ``breakdown = "functions"`` record: the worst outcome of the functions, the first error."""
    errors = [v for v in per.values() if v["outcome"] == "errors"]
    outcomes = {v["outcome"] for v in per.values()}
    outcome = "errors" if errors else ("warns" if "warns" in outcomes else (
        "works" if "works" in outcomes else "not_run"))
    first = {"type": errors[0]["type"], "message": errors[0]["message"]} if errors else None
    return {"outcome": outcome, "detail": ", ".join(f"{k}: {v['outcome']}" for k, v in per.items()),
            "warnings": warned, "error": first, "value": per}


# ------------------------------------------------------------------------------------ fft-functions
#: old name -> what to write instead (for the record; the catalog's `fix` says it in words)
_FFT = (
    ("fft", "torch.view_as_real(torch.fft.fft(torch.view_as_complex(z)))"),
    ("ifft", "torch.view_as_real(torch.fft.ifft(torch.view_as_complex(z)))"),
    ("rfft", "torch.view_as_real(torch.fft.rfft(x))"),
    ("irfft", "torch.fft.irfft(torch.view_as_complex(X), n=8)"),
    ("Tensor.fft", "torch.fft.fft"),
    ("Tensor.ifft", "torch.fft.ifft"),
    ("Tensor.rfft", "torch.fft.rfft"),
    ("Tensor.irfft", "torch.fft.irfft"),
)


def _fft_module(torch) -> Optional[Any]:
    """The torch.fft module where this torch has one, without clobbering a torch.fft function (1.7:
    ``import torch.fft`` replaces the function by the module; it is put back here)."""
    old = torch.__dict__.get("fft")
    if old is not None and hasattr(old, "rfft") and hasattr(old, "fftn"):
        return old
    try:
        module = importlib.import_module("torch.fft")
    except ImportError:
        return None
    finally:
        if old is not None:
            torch.fft = old
    return module if hasattr(module, "rfft") else None


@probe("fft-functions")
def fft_functions():
    """``torch.fft(z, 1)``, ``torch.rfft(x, 1)``, ``torch.irfft(X, 1, signal_sizes=...)`` and the Tensor
    methods (real tensors with a last dimension of 2 for complex numbers), before the torch.fft module."""
    torch = load_torch()
    x = torch.arange(8.0)
    z = torch.stack([x, torch.zeros(8)], -1)  # 8 complex numbers, the old layout
    half = torch.tensor([[28.0, 0.0], [-4.0, 9.65685], [-4.0, 4.0], [-4.0, 1.65685], [-4.0, 0.0]])
    calls = {
        "fft": lambda: torch.fft(z, 1),
        "ifft": lambda: torch.ifft(z, 1),
        "rfft": lambda: torch.rfft(x, 1),
        "irfft": lambda: torch.irfft(half, 1, signal_sizes=(8,)),
        "Tensor.fft": lambda: z.fft(1),
        "Tensor.ifft": lambda: z.ifft(1),
        "Tensor.rfft": lambda: x.rfft(1),
        "Tensor.irfft": lambda: half.irfft(1, signal_sizes=(8,)),
    }
    per: Dict[str, Dict[str, Any]] = {}
    warned: List[Dict[str, str]] = []
    for name, new in _FFT:
        out, ws = _attempt(calls[name])
        if "result" in out:
            out["result"] = [[round(v, 4) for v in row] if isinstance(row, list) else round(row, 4)
                             for row in out["result"].tolist()]
        out["new"] = new
        per[name] = out
        warned.extend(w for w in ws if w not in warned)
    # the replacement's numbers on the same input, where torch.fft is a module (1.7+): the old rfft's
    # [..., 2] layout is torch.view_as_real of the complex result
    fft = _fft_module(torch)
    if fft is not None and hasattr(torch, "view_as_real"):
        new = [[round(v, 4) for v in row] for row in torch.view_as_real(fft.rfft(x)).tolist()]
        for name in ("rfft", "Tensor.rfft"):
            per[name]["new_result"] = new
    return _summarise(per, warned)


# ------------------------------------------------------------------------------------ named-tensors
def _release(torch) -> Tuple[int, int]:
    """(major, minor) of the installed torch ("1.13.1+cu117" -> (1, 13))."""
    parts = torch.__version__.split("+")[0].split(".")
    return int(parts[0]), int("".join(c for c in parts[1] if c.isdigit()) or 0)


#: the named-tensor names the probe calls -> what to write instead (for the record)
_NAMED = (
    ("Tensor.names", "a tuple of names kept next to the tensor"),
    ("Tensor.rename", "nothing (keep the names yourself)"),
    ("Tensor.rename_", "nothing (keep the names yourself)"),
    ("Tensor.refine_names", "nothing (keep the names yourself)"),
    ("Tensor.has_names", "False"),
    ("Tensor.align_to", "permute (and unsqueeze for a new name)"),
    ("Tensor.align_as", "permute / unsqueeze to the other's layout"),
    ("align_tensors", "permute / unsqueeze each"),
)


def _align_tensors(torch, a, b) -> Any:
    """``torch.align_tensors(a, b)``: the shapes; where the name exists but the function was never
    implemented (1.3 on: "`align_tensors` not yet implemented."), that text: the name is what went."""
    fn = torch.align_tensors  # gone: AttributeError, the finding
    try:
        return [list(t.shape) for t in fn(a, b)]
    except RuntimeError as exc:
        return f"exists; calling it raises RuntimeError: {exc}"


@probe("named-tensors")
def named_tensors():
    """Named tensors (a prototype since 1.3): ``x.refine_names('N', 'C')``, ``x.align_to('C', 'N')``,
    ``x.names``, ``x.rename(...)``, ``torch.align_tensors(...)``."""
    torch = load_torch()
    if _release(torch) < (1, 3):
        raise NotRun(f"torch {torch.__version__} has no named tensors yet (a prototype added in 1.3)")
    x = torch.arange(6.0).reshape(2, 3)
    # a named input for the calls that need one; where refine_names is gone, the plain tensor (the call
    # then fails on its own name, not on refine_names)
    named = x.refine_names("N", "C") if hasattr(x, "refine_names") else x
    other = torch.zeros(3, 2)
    other = other.refine_names("C", "N") if hasattr(other, "refine_names") else other
    calls = {
        "Tensor.names": lambda: list(x.names),
        "Tensor.rename": lambda: list(x.rename("N", "C").names),
        "Tensor.rename_": lambda: list(x.clone().rename_("N", "C").names),
        "Tensor.refine_names": lambda: list(x.refine_names("N", "C").names),
        "Tensor.has_names": lambda: x.has_names(),
        "Tensor.align_to": lambda: list(named.align_to("C", "N").shape),
        "Tensor.align_as": lambda: list(named.align_as(other).shape),
        "align_tensors": lambda: _align_tensors(torch, named, other),
    }
    per: Dict[str, Dict[str, Any]] = {}
    warned: List[Dict[str, str]] = []
    for name, new in _NAMED:
        out, ws = _attempt(calls[name])
        out["new"] = new
        per[name] = out
        warned.extend(w for w in ws if w not in warned)
    return _summarise(per, warned)


# -------------------------------------------------------------------------------- cross-default-dim
@probe("cross-default-dim")
def cross_default_dim():
    """``torch.cross(a, b)`` without ``dim`` on (3, 3) inputs: the default is the first dimension of size 3
    (here 0, across the rows), where torch.linalg.cross takes the last; both are recorded."""
    torch = load_torch()
    a = torch.arange(9.0).reshape(3, 3)
    b = torch.ones(3, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = torch.cross(a, b).tolist()
    ws = warning_records(caught)
    # explicit, non-negative dims: on 1.0 dim=-1 was the "not given" sentinel, not the last dimension
    first = torch.cross(a, b, dim=0).tolist()
    last = torch.cross(a, b, dim=1).tolist()
    linalg = getattr(getattr(torch, "linalg", None), "cross", None)
    value = {"result": old, "dim_0": first, "dim_1": last,
             "linalg_cross": linalg(a, b).tolist() if linalg is not None else None}
    picked = "dim=0 (first of size 3)" if old == first else ("dim=-1 (last)" if old == last else "neither")
    return {"detail": f"torch.cross(a, b) on (3, 3) = {picked}; linalg.cross uses the last dimension",
            "warnings": ws, "value": value}


# ---------------------------------------------------------------------------- normal-mean-std-shape
@probe("normal-mean-std-shape")
def normal_mean_std_shape():
    """``torch.normal(mean, std)`` with as many elements in each but shapes that do not broadcast
    ((2, 3) and (3, 2)): once std was reshaped to mean's shape; ``std = 0`` makes the result exactly
    ``mean``, so the record shows the shape and the numbers."""
    torch = load_torch()
    mean = torch.arange(6.0).reshape(2, 3)
    std = torch.zeros(3, 2)
    out = torch.normal(mean, std)
    return {"detail": f"result of shape {list(out.shape)} (mean's: [2, 3])",
            "value": {"shape": list(out.shape), "result": out.tolist()}}


# ------------------------------------------------------------------------------- zero-dim-transpose
@probe("zero-dim-transpose")
def zero_dim_transpose():
    """``x.T`` of a 0-dim tensor (a loss, a full reduction): the identity, with a deprecation warning."""
    torch = load_torch()
    if not hasattr(torch.Tensor, "T"):
        raise NotRun(f"torch {torch.__version__} has no Tensor.T yet")
    x = torch.tensor(2.5)
    y = x.T
    return {"detail": f"x.T of a 0-dim tensor: shape {list(y.shape)}, {y.item()}",
            "value": {"shape": list(y.shape), "result": y.item()}}


# ------------------------------------------------------------------------------ stft-return-complex
def _rounded(values: Any) -> Any:
    """Nested lists of floats rounded to 4 decimals (comparable across releases and BLAS builds)."""
    if isinstance(values, list):
        return [_rounded(v) for v in values]
    return round(values, 4)


@probe("stft-return-complex")
def stft_return_complex():
    """``torch.stft(x, n_fft, ...)`` without ``return_complex`` (a real tensor with a last dimension of 2,
    up to 1.13), then with ``return_complex=False`` (what the error's wording invites) and, as the
    reference, ``torch.view_as_real`` of ``return_complex=True``: the numbers of each."""
    torch = load_torch()
    x = torch.arange(16.0)
    window = torch.ones(8)

    def stft(**kwargs):
        return torch.stft(x, 8, hop_length=4, window=window, **kwargs)

    old, warned = _attempt(lambda: _rounded(stft().tolist()))
    value: Dict[str, Any] = {"result": old.get("result")}
    if "return_complex" in (torch.stft.__doc__ or ""):  # the keyword exists (1.7 on)
        explicit, ws = _attempt(lambda: _rounded(stft(return_complex=False).tolist()))
        warned.extend(w for w in ws if w not in warned)
        value["return_complex_false"] = explicit.get("result")
        reference, _ = _attempt(lambda: _rounded(torch.view_as_real(stft(return_complex=True)).tolist()))
        value["complex_as_real"] = reference.get("result")
    record: Dict[str, Any] = {"warnings": warned, "value": value}
    if old["outcome"] == "errors":
        record.update(outcome="errors", detail=f"{old['type']} raised by the old form",
                      error={"type": old["type"], "message": old["message"]})
    else:
        shape = [len(value["result"]), len(value["result"][0]), len(value["result"][0][0])]
        record["detail"] = f"a real tensor of shape {shape}"
        if warned:
            record["outcome"] = "warns"
    return record
