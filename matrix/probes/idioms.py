"""Probes of 2018-2020 idioms that newer torch warns about or dropped without an event of their own in
the upstream mining: ``scheduler.get_lr()`` read as the current rate, ``torch.meshgrid`` without
``indexing``, ``x.T`` on a tensor that is not 2-D, ``torch.utils.serialization.load_lua`` and
``torch.tensor(t)`` of a tensor.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any, Dict, List

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


def _rates(torch: Any, make: Any, epochs: int) -> Dict[str, List[Any]]:
    """After each epoch's ``optimizer.step(); scheduler.step()``: what ``get_lr()`` returns, the rate the
    optimizer holds, and ``get_last_lr()`` (None before 1.4, which added it)."""
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=1.0)
    sched = make(opt)
    out: Dict[str, List[Any]] = {"get_lr": [], "lr": [], "get_last_lr": []}
    for _epoch in range(epochs):
        opt.step()
        sched.step()
        out["get_lr"].append(sched.get_lr()[0])
        out["lr"].append(opt.param_groups[0]["lr"])
        out["get_last_lr"].append(sched.get_last_lr()[0] if hasattr(sched, "get_last_lr") else None)
    return out


@probe("scheduler-get-lr")
def scheduler_get_lr():
    """``scheduler.get_lr()`` read after ``scheduler.step()`` as the rate in use (lr 1.0): a StepLR
    (step_size=2, gamma=0.1) over 4 epochs and a MultiStepLR (milestones [1, 2], gamma=0.1) over 3."""
    torch = load_torch()
    sched = torch.optim.lr_scheduler
    step = _rates(torch, lambda o: sched.StepLR(o, step_size=2, gamma=0.1), 4)
    multi = _rates(torch, lambda o: sched.MultiStepLR(o, milestones=[1, 2], gamma=0.1), 3)
    same = step["get_lr"] == step["lr"] and multi["get_lr"] == multi["lr"]
    return {"detail": f"StepLR get_lr() {step['get_lr']} vs the rate in use {step['lr']}"
                      f" ({'the same' if same else 'differs'})",
            "value": {"steplr": step, "multisteplr": multi, "get_lr_is_rate_in_use": same}}


@probe("meshgrid-indexing")
def meshgrid_indexing():
    """``torch.meshgrid(a, b)`` without ``indexing`` (a 3-vector and a 2-vector): the grids, and whether they
    equal ``indexing='ij'``'s (None where the keyword does not exist yet)."""
    torch = load_torch()
    a, b = torch.tensor([1, 2, 3]), torch.tensor([4, 5])
    grids = [g.tolist() for g in torch.meshgrid(a, b)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ij = [g.tolist() for g in torch.meshgrid(a, b, indexing="ij")]
        except TypeError:  # "meshgrid() got an unexpected keyword argument 'indexing'"
            ij = None
    return {"detail": f"grids of shape {len(grids[0])}x{len(grids[0][0])}; the same as indexing='ij': "
                      f"{'no keyword here' if ij is None else ij == grids}",
            "value": {"grids": grids, "same_as_ij": None if ij is None else ij == grids,
                      "has_indexing": ij is not None}}


#: the shapes ``x.T`` is tried on, each in a fresh interpreter: torch warns about ``x.T`` once per process
#: (a first shape would silence the next); 0-D is zero-dim-transpose's, not tried here
_T_SHAPES = ((2, 3, 4), (3,), (2, 3))
_T_SCRIPT = """
import json, warnings
import torch
out = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        out["shape"] = list(torch.zeros(%r).T.shape)
    except Exception as exc:
        out["error"] = {"type": type(exc).__name__, "message": str(exc)}
out["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in caught]
print("RESULT " + json.dumps(out))
"""


def _fresh(script: str) -> Dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, universal_newlines=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        return {"error": {"type": "crash", "message": (proc.stderr or "no output").strip()[-300:]}}
    return json.loads(line[len("RESULT "):])


@probe("transpose-non-2d")
def transpose_non_2d():
    """``x.T`` on a 3-D and a 1-D tensor (and a 2-D one, its documented use), each in a fresh interpreter:
    the shape it gives and whether it warns."""
    torch = load_torch()
    if not hasattr(torch.zeros(2, 3), "T"):
        raise NotRun("Tensor.T does not exist on this torch")
    per: Dict[str, Any] = {}
    ws: List[Dict[str, str]] = []
    first_error = None
    for shape in _T_SHAPES:
        got = _fresh(_T_SCRIPT % (shape,))
        name = "x".join(str(n) for n in shape)
        if "error" in got:
            per[name] = {"outcome": "errors", "error": got["error"]}
            first_error = first_error or got["error"]
            continue
        mine = [w for w in got["warnings"] if "x.T" in w["message"]]
        ws.extend(w for w in mine if w not in ws)
        per[name] = {"outcome": "warns" if mine else "works", "shape": got["shape"]}
    outcomes = {v["outcome"] for v in per.values()}
    outcome = next(o for o in ("errors", "warns", "works") if o in outcomes)
    return {"outcome": outcome, "detail": ", ".join(f"{k}: {v['outcome']} {v.get('shape', '')}" for k, v in per.items()),
            "warnings": ws, "error": first_error, "value": per}


@probe("load-lua")
def load_lua():
    """``from torch.utils.serialization import load_lua`` (reading a Torch7 ``.t7`` file, 2017 scripts):
    the import, and whether a ``torch.utils.serialization`` module exists at all."""
    load_torch()  # not_run where torch does not import here
    import importlib.util

    module = importlib.util.find_spec("torch.utils.serialization") is not None
    try:
        from torch.utils.serialization import load_lua as _load_lua  # noqa: F401
    except ImportError as exc:
        return {"outcome": "errors", "detail": f"{type(exc).__name__} raised by the import",
                "error": {"type": type(exc).__name__, "message": str(exc)},
                "value": {"module_exists": module, "has_load_lua": False}}
    return {"detail": "load_lua imported", "value": {"module_exists": module, "has_load_lua": True}}


def _copy_of(make: Any, source: Any, ws: List[Dict[str, str]]) -> Dict[str, Any]:
    """What ``make(source)`` gives: a warning (added to ``ws``), its own memory or the source's,
    requires_grad, the same object."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = make(source)
    mine = [w for w in warning_records(caught) if "copy construct" in w["message"]]
    ws.extend(w for w in mine if w not in ws)
    return {"warns": bool(mine), "shares_memory": out.data_ptr() == source.data_ptr(),
            "requires_grad": bool(out.requires_grad), "same_object": out is source}


@probe("tensor-copy-construct")
def tensor_copy_construct():
    """``torch.tensor(t)`` and ``torch.Tensor(t)`` of a tensor ``t`` (lists of floats and a weight with
    ``requires_grad``, 2018 style): which warn, and whether the result shares ``t``'s memory and keeps its
    ``requires_grad``."""
    torch = load_torch()
    weight = torch.ones(3, requires_grad=True)
    plain = torch.ones(3)
    ws: List[Dict[str, str]] = []
    per = {"tensor(weight)": _copy_of(torch.tensor, weight, ws), "tensor(plain)": _copy_of(torch.tensor, plain, ws),
           "Tensor(weight)": _copy_of(torch.Tensor, weight, ws), "Tensor(plain)": _copy_of(torch.Tensor, plain, ws)}
    return {"detail": "; ".join(f"{k}: {'warns, ' if v['warns'] else ''}"
                                f"{'shares memory' if v['shares_memory'] else 'a copy'}, requires_grad "
                                f"{v['requires_grad']}" for k, v in per.items()),
            "warnings": ws, "value": per}
