"""Probes of implicit defaults and argument orders that old code relied on: softmax's implicit ``dim``,
the scalar-first overloads of ``add_`` / ``addcmul_`` / ``addcdiv_`` (2017 optimizer code), the order
of ``scheduler.step()`` and ``optimizer.step()``, ``scheduler.step(epoch)``, and the ``align_corners``
defaults of ``grid_sample`` (1.3) and of bilinear resizing (0.4).

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any, Dict, List

from matrix.probes.runner import load_torch, probe, warning_records


@probe("softmax-implicit-dim")
def softmax_implicit_dim():
    """``F.softmax(x)`` / ``nn.Softmax()`` without ``dim``: the dim torch picks (1 for 2-D input, 0 for 3-D)."""
    torch = load_torch()
    F = torch.nn.functional
    x2 = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    x3 = torch.tensor([[[1.0, 2.0]], [[3.0, 5.0]]])  # (2, 1, 2): a batch of sequences, as RNN code held it
    picked = {}
    for name, x in (("2d", x2), ("3d", x3)):
        old = F.softmax(x)
        picked[name] = next((d for d in range(x.dim()) if torch.allclose(old, F.softmax(x, dim=d))), None)
    module = torch.nn.Softmax()(x2)
    return {"detail": f"the implicit dim: {picked['2d']} for 2-D input, {picked['3d']} for 3-D input",
            "value": {"dim_2d": picked["2d"], "dim_3d": picked["3d"],
                      "module_same_as_dim_1": bool(torch.allclose(module, F.softmax(x2, dim=1)))}}


#: (name, the old scalar-first call, the keyword form): each run in a fresh interpreter, because torch
#: warns about a deprecated overload once per process (a first one would silence the others)
_OVERLOADS = (
    ("add_", "p.add_(-0.5, d)", "p.add_(d, alpha=-0.5)"),
    ("addcmul_", "p.addcmul_(0.5, d, d)", "p.addcmul_(d, d, value=0.5)"),
    ("addcdiv_", "p.addcdiv_(0.5, d, d)", "p.addcdiv_(d, d, value=0.5)"),
    ("add", "torch.add(p, 2.0, d)", "torch.add(p, d, alpha=2.0)"),
)
_OVERLOAD_SCRIPT = """
import json, warnings
import torch
out = {}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        p, d = torch.ones(2), torch.tensor([1.0, 2.0])
        r = %s
        out["old"] = (p if r is None else r).tolist()
    except Exception as exc:
        out["error"] = {"type": type(exc).__name__, "message": str(exc)}
out["warnings"] = [{"category": w.category.__name__, "message": str(w.message)} for w in caught]
try:
    p, d = torch.ones(2), torch.tensor([1.0, 2.0])
    r = %s
    out["new"] = (p if r is None else r).tolist()
except Exception as exc:
    out["new_error"] = "%%s: %%s" %% (type(exc).__name__, exc)
print("RESULT " + json.dumps(out))
"""


def _run_fresh(old: str, new: str) -> Dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _OVERLOAD_SCRIPT % (old, new)], capture_output=True,
                          universal_newlines=True, timeout=300)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        return {"error": {"type": "crash", "message": (proc.stderr or "no output").strip()[-300:]}}
    return json.loads(line[len("RESULT "):])


@probe("scalar-first-overloads")
def scalar_first_overloads():
    """``p.data.add_(-lr, d_p)``, ``addcmul_(value, t1, t2)``, ``addcdiv_(value, t1, t2)``, ``torch.add(x, value,
    other)``: the scalar-first overloads of 0.x optimizer code, each in a fresh interpreter."""
    load_torch()  # not_run where torch does not import here
    per: Dict[str, Any] = {}
    all_warnings: List[Dict[str, str]] = []
    first_error = None
    for name, old, new in _OVERLOADS:
        got = _run_fresh(old, new)
        ws = [w for w in got.get("warnings", []) if "deprecated" in w["message"]]
        all_warnings.extend(ws)
        if "error" in got:
            per[name] = dict(got["error"], outcome="errors", new=new)
            first_error = first_error or got["error"]
            continue
        per[name] = {"outcome": "warns" if ws else "works", "new": new, "old_value": got["old"],
                     "same": got.get("new") == got["old"] if "new" in got else None}
        if ws:
            per[name]["warning"] = ws[0]["message"]
        if "new_error" in got:
            per[name]["new_error"] = got["new_error"]
    outcomes = {v["outcome"] for v in per.values()}
    outcome = next((o for o in ("errors", "warns", "works") if o in outcomes), "not_run")
    return {"outcome": outcome, "detail": ", ".join(f"{k}: {v['outcome']}" for k, v in per.items()),
            "warnings": all_warnings, "error": first_error, "value": per}


def _step_lr(torch: Any) -> Any:
    """An SGD optimizer (lr 1.0) and a StepLR (step_size=1, gamma=0.5) on it."""
    opt = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=1.0)
    return opt, torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)


@probe("scheduler-step-order")
def scheduler_step_order():
    """``scheduler.step()`` at the top of each epoch, before ``optimizer.step()`` (the 1.0 convention): the
    learning rate each of three epochs trains with."""
    torch = load_torch()
    opt, sched = _step_lr(torch)
    lrs = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _epoch in range(3):
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
    ws = warning_records(caught)
    # 1.0's schedule: epoch e trains with lr * gamma ** e; anything else is an epoch's rate skipped
    result: Dict[str, Any] = {"detail": f"learning rates of epochs 0-2: {lrs} (1.0: [1.0, 0.5, 0.25])",
                              "warnings": ws, "value": {"lrs": lrs, "first_epoch_lr": lrs[0]}}
    if lrs != [1.0, 0.5, 0.25] and not ws:
        result["outcome"] = "differs"
    return result


@probe("scheduler-step-epoch")
def scheduler_step_epoch():
    """``scheduler.step(epoch)`` after each epoch's ``optimizer.step()`` (an epoch number passed in, as 0.4-1.0
    loops did): the learning rate after each call."""
    torch = load_torch()
    opt, sched = _step_lr(torch)
    lrs = []
    for epoch in range(3):
        opt.step()
        sched.step(epoch)
        lrs.append(opt.param_groups[0]["lr"])
    return {"detail": f"learning rates after step(0), step(1), step(2): {lrs}", "value": {"lrs": lrs}}


def _warned_or_differs(result: Dict[str, Any], caught: Any, same_as_old: bool) -> Dict[str, Any]:
    """The outcome of a probe whose old form may warn and may compute something else than it used to:
    warns where it warned; differs where it ran silently with another answer."""
    ws = warning_records(caught)
    result["warnings"] = ws
    if not ws and not same_as_old:
        result["outcome"] = "differs"
    return result


@probe("grid-sample-align-corners")
def grid_sample_align_corners():
    """``F.grid_sample(img, grid)`` without ``align_corners``, the grid built with ``torch.linspace(-1, 1, n)`` (the
    corner pixels' centres at -1 and 1, the convention up to 1.2): whether it still returns the image itself."""
    torch = load_torch()
    F = torch.nn.functional
    img = torch.arange(16.0).reshape(1, 1, 4, 4)
    xs = torch.linspace(-1, 1, 4).view(1, 4).expand(4, 4)
    ys = torch.linspace(-1, 1, 4).view(4, 1).expand(4, 4)
    grid = torch.stack([xs, ys], dim=-1).unsqueeze(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.grid_sample(img, grid)
    identity = bool(torch.allclose(out, img))
    row = [round(v, 4) for v in out[0, 0, 1].tolist()]
    result = {"detail": f"returns the image: {identity}; row 1: {row} (the image's: [4.0, 5.0, 6.0, 7.0])",
              "value": {"identity": identity, "row1": row}}
    return _warned_or_differs(result, caught, identity)


@probe("bilinear-align-corners")
def bilinear_align_corners():
    """``F.interpolate(x, scale_factor=2, mode='bilinear')`` without ``align_corners`` (``F.upsample`` in 0.3 code):
    the values, against what 0.3 computed (the corners aligned, ``align_corners=True``)."""
    torch = load_torch()
    F = torch.nn.functional
    x = torch.arange(4.0).reshape(1, 1, 2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.interpolate(x, scale_factor=2, mode="bilinear")
    row = [round(v, 4) for v in out[0, 0, 0].tolist()]
    old = [round(v, 4) for v in F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)[0, 0, 0].tolist()]
    result = {"detail": f"row 0: {row}; with align_corners=True (0.3's values): {old}",
              "value": {"row0": row, "row0_align_corners_true": old}}
    return _warned_or_differs(result, caught, row == old)
