"""Probes of how a script runs its work: device copies (``.cuda(async=True)``), deterministic
algorithms, activation checkpointing, in-place writes into expanded tensors, and where torch.hub
keeps its downloads.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only. No probe needs a GPU or the network: where the old form is a copy to
the GPU, what a machine without one says is recorded apart from the probe's own outcome.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, List

from matrix.probes.runner import load_torch, probe, warning_records


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ").rstrip()


@probe("cuda-async-kwarg")
def cuda_async_kwarg():
    """``x.cuda(async=True)`` and ``x.type(t, async=False)`` (0.3). Written out, ``async=`` is a
    SyntaxError on Python 3.7+ before torch runs; passed through ``**`` it reaches torch's deprecated
    overloads, whose warning (or silence) is what this records. The copy to a GPU itself fails on a
    machine without one: that exception goes in ``value``, not into the outcome."""
    torch = load_torch()
    x = torch.ones(2)
    all_warnings: List[Dict[str, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cuda = "copied to " + str(x.cuda(**{"async": True}).device)
        except Exception as exc:  # no GPU, no driver, a CPU-only build: not the keyword's doing
            cuda = _first_line(exc)
    cuda_warnings = warning_records(caught)
    all_warnings.extend(cuda_warnings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        converted = x.type(torch.DoubleTensor, **{"async": False})
    type_warnings = warning_records(caught)
    all_warnings.extend(type_warnings)
    value: Dict[str, Any] = {"cuda": cuda, "cuda_warns": bool(cuda_warnings),
                             "type_dtype": str(converted.dtype), "type_warns": bool(type_warnings)}
    return {"outcome": "warns" if all_warnings else "works", "warnings": all_warnings, "value": value,
            "detail": f".cuda(async=True): {'warns' if cuda_warnings else 'no warning'}, then {cuda}; "
                      f".type(torch.DoubleTensor, async=False): {value['type_dtype']}, "
                      f"{'warns' if type_warnings else 'no warning'}"}
