"""Probes of torch API forms that were changed, deprecated or removed: ``size_average``, legacy tensor
types, ``set_default_tensor_type``, ``torch.cuda.amp``, ``torch.load`` without ``weights_only``, the
``functorch`` package, the pre-1.9 linear algebra, ``torch.has_cuda`` and its kin, a list used as a
multidimensional index.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import warnings
from typing import Any, Dict, List

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


@probe("size-average")
def size_average():
    """``nn.MSELoss(size_average=False)`` (0.1-0.4) instead of ``reduction='sum'``."""
    torch = load_torch()
    a = torch.tensor([1.0, 2.0, 3.0])
    b = torch.zeros(3)
    old = torch.nn.MSELoss(size_average=False)(a, b).item()
    new = torch.nn.MSELoss(reduction="sum")(a, b).item()
    return {"detail": f"old {old} vs reduction='sum' {new}", "value": {"old": old, "reduction_sum": new}}


@probe("legacy-tensor-types")
def legacy_tensor_types():
    """``dtype = torch.FloatTensor``; ``torch.randn(...).type(dtype)`` (dtype and device in one name)."""
    torch = load_torch()
    dtype = torch.FloatTensor
    x = torch.randn(2, 3).type(dtype)
    legacy = torch.FloatTensor(2, 3)  # legacy constructor: uninitialised memory of that shape
    cuda, cuda_warnings = _cuda_float_tensor(torch, x)
    return {
        "detail": f".type(torch.FloatTensor) gives {x.dtype} on {x.device}; "
        f"torch.FloatTensor(2, 3) gives shape {tuple(legacy.shape)}; .type(torch.cuda.FloatTensor): {cuda}",
        "value": {"dtype": str(x.dtype), "device": str(x.device), "type": x.type(), "cuda_float_tensor": cuda,
                  "cuda_float_tensor_warnings": cuda_warnings},
    }


def _cuda_float_tensor(torch, x):
    """What ``x.type(torch.cuda.FloatTensor)`` (the tutorial's commented-out GPU line) does here: the
    first line of the exception it raises as "Type: message" (no GPU, no driver, a CPU-only build), or
    "converts to ..." where a GPU is usable; and the warnings it issues, kept out of the probe's own
    outcome (they are about this line, not about the CPU form the probe classifies)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            text = "converts to " + x.type(torch.cuda.FloatTensor).type()
        except Exception as exc:
            lines = str(exc).strip().splitlines()
            text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return text, [f"{w['category']}: {w['message']}" for w in warning_records(caught)]


@probe("set-default-tensor-type")
def set_default_tensor_type():
    """``torch.set_default_tensor_type(torch.DoubleTensor)`` (restored to float afterwards)."""
    torch = load_torch()
    before = torch.get_default_dtype()
    try:
        torch.set_default_tensor_type(torch.DoubleTensor)
        made = torch.zeros(1).dtype
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.set_default_dtype(before)
    # torch.set_default_device, the replacement the deprecation warning names: on this torch or not
    has = hasattr(torch, "set_default_device")
    return {"detail": f"default became {made}; torch.set_default_device {'exists' if has else 'does not exist'}",
            "value": {"default": str(made), "has_set_default_device": has}}


@probe("cuda-amp")
def cuda_amp():
    """``torch.cuda.amp.autocast(...)`` and ``torch.cuda.amp.GradScaler(...)`` (disabled: no GPU needed)."""
    torch = load_torch()
    amp = getattr(getattr(torch, "cuda", None), "amp", None)
    if amp is None or not hasattr(amp, "GradScaler"):
        raise NotRun(f"torch {torch.__version__} has no torch.cuda.amp (added in 1.6)")
    scaler = amp.GradScaler(enabled=False)
    with amp.autocast(enabled=False):
        y = torch.ones(2) * 2
    return {"detail": f"GradScaler enabled={scaler.is_enabled()}, autocast ran",
            "value": {"scaler_enabled": scaler.is_enabled(), "y": y.tolist()}}


@probe("torch-load-weights-only")
def torch_load_weights_only():
    """``torch.load(f)`` of a checkpoint holding a plain Python object, without ``weights_only``."""
    torch = load_torch()
    buf = io.BytesIO()
    # a non-tensor object, as in many old checkpoints (saved args); a stdlib class, so that the
    # error text names the same global however this module is run
    torch.save({"step": argparse.Namespace(step=3), "w": torch.ones(2)}, buf)
    buf.seek(0)
    loaded = torch.load(buf)
    return {"detail": "loaded", "value": {"step": loaded["step"].step}}


@probe("functorch-to-torch-func")
def functorch_import():
    """``import functorch; functorch.vmap(...)`` (the separate package of 1.x)."""
    if importlib.util.find_spec("functorch") is None:
        raise NotRun("the functorch package is not installed (before torch 2.0 it was a separate "
                     "package; torch 2.x ships it)")
    torch = load_torch()
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


@probe("removed-linalg")
def removed_linalg():
    """The pre-1.9 linear-algebra functions: ``torch.symeig``, ``torch.eig``, ``torch.lstsq``, ..."""
    torch = load_torch()
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
        if not hasattr(torch, name) and not hasattr(torch, "linalg"):
            # Before torch.linalg (1.8) a missing name was never added yet, not removed: 1.0.1 has no
            # torch.lstsq or torch.solve (it had torch.gels and torch.gesv). Not a removal to report.
            per[name] = {"outcome": "not_run", "new": new,
                         "reason": f"torch {torch.__version__} has no torch.{name} yet (nor torch.linalg)"}
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                calls[name]()
                ws = warning_records(caught)
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
    outcome = "errors" if "errors" in outcomes else ("warns" if "warns" in outcomes else (
        "works" if "works" in outcomes else "not_run"))
    return {"outcome": outcome, "detail": summary, "warnings": all_warnings, "error": first_error,
            "value": per}


@probe("tensordataset-kwargs")
def tensordataset_kwargs():
    """``TensorDataset(data_tensor=x, target_tensor=y)`` (0.1-0.3) instead of ``TensorDataset(x, y)``."""
    torch = load_torch()
    from torch.utils.data import TensorDataset

    ds = TensorDataset(data_tensor=torch.zeros(3, 2), target_tensor=torch.zeros(3))
    return {"detail": "keyword arguments accepted", "value": len(ds)}


@probe("reduction-elementwise-mean")
def reduction_elementwise_mean():
    """``reduction='elementwise_mean'`` (the 0.4.1 spelling) instead of ``reduction='mean'``."""
    torch = load_torch()
    a, b = torch.tensor([1.0, 2.0, 3.0]), torch.zeros(3)
    old = torch.nn.MSELoss(reduction="elementwise_mean")(a, b).item()
    new = torch.nn.MSELoss(reduction="mean")(a, b).item()
    return {"detail": f"'elementwise_mean' {old} vs 'mean' {new}", "value": {"old": old, "mean": new}}


@probe("target-size-broadcast")
def target_size_broadcast():
    """``F.mse_loss(input, target)`` with input (N, 1) and target (N,): broadcast to (N, N)."""
    torch = load_torch()
    pred = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    target = torch.tensor([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = torch.nn.functional.mse_loss(pred, target).item()
    new = torch.nn.functional.mse_loss(pred.view(-1), target).item()
    records = warning_records(caught)
    # a different number with a warning is `warns`; without one (releases before the warning) `differs`
    return {"outcome": "warns" if records else "differs", "warnings": records,
            "detail": f"(4, 1) vs (4,) gives {old}; matched shapes give {new}", "value": {"old": old, "matched": new}}


@probe("functional-sigmoid-tanh")
def functional_sigmoid_tanh():
    """``F.sigmoid`` / ``F.tanh`` (deprecated aliases for a while) instead of ``torch.sigmoid`` / ``torch.tanh``."""
    torch = load_torch()
    F = torch.nn.functional
    x = torch.tensor([0.0, 1.0])
    same = F.sigmoid(x).tolist() == torch.sigmoid(x).tolist() and F.tanh(x).tolist() == torch.tanh(x).tolist()
    return {"detail": f"F.sigmoid/F.tanh ran; same values as torch.sigmoid/torch.tanh: {same}", "value": same}


@probe("functional-upsample")
def functional_upsample():
    """``F.upsample`` (deprecated for ``F.interpolate``, which it calls) instead of ``F.interpolate``."""
    torch = load_torch()
    F = torch.nn.functional
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    # size, not scale_factor: 1.5-1.x warn about how a scale_factor is rounded, another change
    old = F.upsample(x, size=(4, 4), mode="nearest").tolist()
    same = old == F.interpolate(x, size=(4, 4), mode="nearest").tolist()
    return {"detail": f"F.upsample ran; same values as F.interpolate: {same}", "value": {"same": same}}


@probe("torch-load-numpy-array")
def torch_load_numpy_array():
    """``torch.load(f)`` of a file holding a NumPy array (``torch.save(np_array, f)``), without ``weights_only``."""
    torch = load_torch()
    if importlib.util.find_spec("numpy") is None:
        raise NotRun("numpy is not installed in this environment")
    import numpy as np

    buf = io.BytesIO()
    torch.save({"mean": np.arange(3.0)}, buf)
    buf.seek(0)
    loaded = torch.load(buf)
    return {"detail": "loaded", "value": {"mean": [float(v) for v in loaded["mean"]]}}


#: torch.has_* -> what replaces it (torch/__init__.py's _deprecated_attrs since 2.1)
_BACKEND_FLAGS = (("has_cuda", ("cuda", "is_built")), ("has_cudnn", ("cudnn", "is_available")),
                  ("has_mps", ("mps", "is_built")), ("has_mkldnn", ("mkldnn", "is_available")))


@probe("has-backend-flags")
def has_backend_flags():
    """``torch.has_cuda`` / ``has_cudnn`` / ``has_mps`` / ``has_mkldnn`` instead of ``torch.backends.<name>``."""
    torch = load_torch()
    per: Dict[str, Any] = {}
    all_warnings: List[Dict[str, str]] = []
    for name, (backend, function) in _BACKEND_FLAGS:
        module = getattr(torch.backends, backend, None)
        new = getattr(module, function, None)
        new_text = f"torch.backends.{backend}.{function}()"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                old = getattr(torch, name)
            except AttributeError as exc:
                if new is None:  # neither yet: torch.has_cuda came with 1.1 (PR 18362), backends.mps with 1.12
                    per[name] = {"outcome": "not_run", "new": new_text,
                                 "reason": f"torch {torch.__version__} has neither torch.{name} nor {new_text}"}
                else:
                    per[name] = {"outcome": "errors", "new": new_text, "type": "AttributeError", "message": str(exc)}
                continue
        ws = warning_records(caught)
        all_warnings.extend(ws)
        per[name] = {"outcome": "warns" if ws else "works", "new": new_text, "old": bool(old),
                     "same": None if new is None else bool(old) == bool(new())}
        if ws:
            per[name]["warning"] = ws[0]["message"]
    outcomes = {v["outcome"] for v in per.values()}
    outcome = next((o for o in ("errors", "warns", "works") if o in outcomes), "not_run")
    first_error = next(({"type": v["type"], "message": v["message"]} for v in per.values()
                        if v["outcome"] == "errors"), None)
    return {"outcome": outcome, "detail": ", ".join(f"torch.{k}: {v['outcome']}" for k, v in per.items()),
            "warnings": all_warnings, "error": first_error, "value": per}


@probe("non-tuple-index")
def non_tuple_index():
    """``x[[[0, 2], [1, 3]]]`` and ``x[[slice(None), 1]]``: a list read as a tuple of indices (NumPy's old rule)."""
    torch = load_torch()
    x = torch.arange(12).reshape(3, 4)
    # what the list meant as a tuple, x[[0, 2], [1, 3]] and x[:, 1]: the old reading
    tuple_reading = {"list_of_lists": [1, 11], "slice_in_list": [1, 5, 9]}
    got: Dict[str, Any] = {}
    for name, index in (("list_of_lists", [[0, 2], [1, 3]]), ("slice_in_list", [slice(None), 1])):
        try:
            r = x[index]
            got[name] = {"shape": list(r.shape), "values": r.flatten().tolist()}
        except Exception as exc:  # read as x[torch.tensor(seq)]: a slice cannot be a tensor
            got[name] = {"error": f"{type(exc).__name__}: {exc}"}
    same = all(got[k].get("values") == v for k, v in tuple_reading.items())
    result: Dict[str, Any] = {"detail": f"as a tuple of indices: {same}; " + "; ".join(
        f"{k}: {v.get('values', v.get('error'))}" for k, v in got.items()), "value": dict(got, tuple_reading=same)}
    if not same and not any("error" in v for v in got.values()):
        result["outcome"] = "differs"
    elif not same:
        bad = next(v["error"] for v in got.values() if "error" in v)
        kind, _, message = bad.partition(": ")
        result.update(outcome="errors", error={"type": kind, "message": message})
    return result
