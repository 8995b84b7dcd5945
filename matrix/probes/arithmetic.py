"""Probes of numeric functions whose meaning changed: integer division (``/``, ``//``,
``torch.floor_divide``), ``torch.range``, ``linspace`` / ``logspace`` without ``steps``, ``torch.ger``.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`) and records the numbers
it gives, so that releases can be compared; Python 3.7+, the standard library and torch only.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict

from matrix.probes.runner import NotRun, load_torch, probe, warning_records

#: what integer division of [-7, 7] by 2 gave before true division (torch 1.0-1.4): truncation, for
#: ``/`` and ``//`` alike
_OLD_INTEGER_DIVISION = {"true_div": [-3, 3], "floor_div_op": [-3, 3]}


def _outcome_of(fn) -> Dict[str, Any]:
    """The list ``fn()`` gives, or the exception it raises, with the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out: Dict[str, Any] = {"result": fn().tolist()}
        except Exception as exc:
            out = {"error": {"type": type(exc).__name__, "message": str(exc)}}
    out["warnings"] = warning_records(caught)
    return out


@probe("integer-division")
def integer_division():
    """``a / 2``, ``a // 2`` and ``torch.floor_divide(a, 2)`` for the int64 tensor ``a = [-7, 7]``: truncated
    integers before 1.5, an error in 1.6, true division (floats) since 1.7; ``//`` truncated toward 0
    until floor_divide was made to floor (PR 78411)."""
    torch = load_torch()
    a = torch.tensor([-7, 7])
    forms = {"true_div": lambda: a / 2, "floor_div_op": lambda: a // 2,
             "floor_divide": (lambda: torch.floor_divide(a, 2)) if hasattr(torch, "floor_divide") else None}
    per = {name: (_outcome_of(fn) if fn else {"absent": f"torch {torch.__version__} has no torch.{name}"})
           for name, fn in forms.items()}
    value = {name: rec.get("result") for name, rec in per.items()}
    errors = {name: rec["error"] for name, rec in per.items() if "error" in rec}
    all_warnings = [w for rec in per.values() for w in rec.get("warnings", [])]
    value["errors"] = errors
    detail = ", ".join(f"{label}: {per[name].get('result', per[name].get('error', per[name].get('absent')))}"
                       for name, label in (("true_div", "a / 2"), ("floor_div_op", "a // 2"),
                                           ("floor_divide", "floor_divide(a, 2)")))
    result: Dict[str, Any] = {"detail": f"a = [-7, 7]; {detail}", "value": value, "warnings": all_warnings}
    if errors:
        first = next(iter(errors.values()))
        result.update(outcome="errors", error=first)
    elif any(value[k] != old for k, old in _OLD_INTEGER_DIVISION.items()):
        result["outcome"] = "differs"
    return result


@probe("torch-range")
def torch_range():
    """``torch.range(0, 4)``: five values, the end included, in the default float dtype (``torch.arange(0, 4)``
    gives four, int64)."""
    torch = load_torch()
    old = torch.range(0, 4)
    new = torch.arange(0, 4)
    value = {"range": old.tolist(), "range_dtype": str(old.dtype), "arange": new.tolist(),
             "arange_dtype": str(new.dtype)}
    return {"detail": f"torch.range(0, 4): {len(value['range'])} values ({value['range_dtype']}); "
                      f"torch.arange(0, 4): {len(value['arange'])} ({value['arange_dtype']})", "value": value}


@probe("linspace-default-steps")
def linspace_default_steps():
    """``torch.linspace(0, 1)`` and ``torch.logspace(0, 1)`` without ``steps`` (100 points until it was
    required), and the same with ``steps=100``."""
    torch = load_torch()
    per: Dict[str, Any] = {}
    for name in ("linspace", "logspace"):
        fn = getattr(torch, name)
        rec = _outcome_of(lambda: fn(0, 1))
        per[name] = {"steps": len(rec.pop("result")) if "result" in rec else None, **rec}
        per[name]["with_steps_100"] = len(fn(0, 1, steps=100))
    value = {name: rec["steps"] for name, rec in per.items()}
    value["with_steps_100"] = {name: rec["with_steps_100"] for name, rec in per.items()}
    value["errors"] = {name: rec["error"] for name, rec in per.items() if "error" in rec}
    detail = "; ".join(f"{name}(0, 1): " + (f"{rec['steps']} points" if rec["steps"] is not None else
                                            f"{rec['error']['type']}") for name, rec in per.items())
    result: Dict[str, Any] = {"detail": detail, "value": value,
                              "warnings": [w for rec in per.values() for w in rec["warnings"]]}
    if value["errors"]:
        result.update(outcome="errors", error=next(iter(value["errors"].values())))
    return result


@probe("torch-ger")
def torch_ger():
    """``torch.ger(u, v)`` (with and without ``out=``), ``u.ger(v)`` and ``torch.addr``: the outer product by
    its BLAS name, deprecated for ``torch.outer``; and whether ``torch.outer`` exists here."""
    torch = load_torch()
    u, v = torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0])
    buf = torch.empty(2, 3)
    forms = {"ger": lambda: torch.ger(u, v), "ger_out": lambda: torch.ger(u, v, out=buf),
             "tensor_ger": lambda: u.ger(v), "addr": lambda: torch.addr(torch.zeros(2, 3), u, v)}
    per = {name: _outcome_of(fn) for name, fn in forms.items()}
    has_outer = hasattr(torch, "outer")
    value: Dict[str, Any] = {name: rec.get("result") for name, rec in per.items()}
    value["has_outer"] = has_outer
    value["warned"] = [name for name, rec in per.items() if rec["warnings"]]
    value["errors"] = {name: rec["error"] for name, rec in per.items() if "error" in rec}
    if has_outer:
        value["outer_equal"] = torch.outer(u, v).tolist() == value["ger"]
    detail = (f"torch.ger(u, v): {value['ger']}; warned: {', '.join(value['warned']) or 'none'}; "
              f"torch.outer {'exists' if has_outer else 'does not exist'}")
    result: Dict[str, Any] = {"detail": detail, "value": value,
                              "warnings": [w for rec in per.values() for w in rec["warnings"]]}
    if value["errors"]:
        result.update(outcome="errors", error=next(iter(value["errors"].values())))
    return result
