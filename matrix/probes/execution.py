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

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


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


def _each(calls) -> Dict[str, Any]:
    """Run each of ``calls`` (a torch function's name -> (a function of no argument that calls it, what
    replaces it)) on its own: the record of each (outcome, its result or the exception's text, its
    warning, its replacement: the catalog's ``breakdown = "functions"`` shape) and, over all, the
    outcome, the warnings and the first exception as a probe returns them."""
    per: Dict[str, Any] = {}
    first_error = None
    all_warnings: List[Dict[str, str]] = []
    for name, (call, new) in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = call()
            except Exception as exc:
                per[name] = {"outcome": "errors", "new": new, "type": type(exc).__name__, "message": str(exc)}
                first_error = first_error or {"type": type(exc).__name__, "message": str(exc)}
                continue
            finally:
                ws = warning_records(caught)
                all_warnings.extend(w for w in ws if w not in all_warnings)
        per[name] = {"outcome": "warns" if ws else "works", "new": new, "result": result}
        if ws:
            per[name]["warning"] = ws[0]["message"]
    outcomes = {v["outcome"] for v in per.values()}
    outcome = next(o for o in ("errors", "warns", "works") if o in outcomes)
    return {"outcome": outcome, "warnings": all_warnings, "error": first_error, "value": per,
            "detail": ", ".join(f"{k}: {v['outcome']}" for k, v in per.items())}


@probe("deterministic-api")
def deterministic_api():
    """``torch.set_deterministic(False)`` and ``torch.is_deterministic()`` (1.7) instead of
    ``torch.use_deterministic_algorithms`` / ``torch.are_deterministic_algorithms_enabled`` (the flag
    is left as it was: off)."""
    torch = load_torch()
    if not hasattr(torch, "set_deterministic") and not hasattr(torch, "use_deterministic_algorithms"):
        raise NotRun(f"torch {torch.__version__} has no torch.set_deterministic yet (nor its successor)")
    return _each({"set_deterministic": (lambda: torch.set_deterministic(False), "torch.use_deterministic_algorithms"),
                  "is_deterministic": (lambda: torch.is_deterministic(), "torch.are_deterministic_algorithms_enabled")})


@probe("checkpoint-sequential-input")
def checkpoint_sequential_input():
    """``checkpoint_sequential(model, 2, a, b)`` (several inputs, handed to the first module; 1.0-1.4) and
    ``checkpoint_sequential(model, 1)`` (none). The outcome is the several-inputs form's: giving no input
    never ran a model whose first module needs one, so it is only recorded (``value["no_input"]``)."""
    torch = load_torch()
    from torch.utils.checkpoint import checkpoint_sequential

    class Pair(torch.nn.Module):
        def forward(self, a, b):
            return a + 2 * b

    model = torch.nn.Sequential(Pair(), torch.nn.ReLU(), torch.nn.Tanh())
    a = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    b = torch.tensor([[1.0, 1.0, -2.0]], requires_grad=True)

    def several():
        y = checkpoint_sequential(model, 2, a, b)
        y.sum().backward()
        return {"y": [round(v, 6) for v in y.flatten().tolist()], "grad_b": b.grad.flatten().tolist()}

    forms = {}
    all_warnings: List[Dict[str, str]] = []
    for name, call in (("several_inputs", several), ("no_input", lambda: checkpoint_sequential(model, 1))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                forms[name] = {"outcome": "works", "result": call()}
            except Exception as exc:
                forms[name] = {"outcome": "errors", "type": type(exc).__name__, "message": str(exc)}
        # 2.1+ warns that use_reentrant is not passed: about every call, not about the inputs under test
        ws = [w for w in warning_records(caught) if "use_reentrant" not in w["message"]]
        if ws and forms[name]["outcome"] == "works":
            forms[name]["outcome"] = "warns"
        forms[name]["warnings"] = [w["message"] for w in ws]
        all_warnings.extend(ws)
    main_form = forms["several_inputs"]
    error = {"type": main_form["type"], "message": main_form["message"]} if main_form["outcome"] == "errors" else None
    return {"outcome": main_form["outcome"], "warnings": all_warnings, "error": error, "value": forms,
            "detail": f"several inputs: {main_form['outcome']}, no input: {forms['no_input']['outcome']}"}


@probe("expanded-inplace-write")
def expanded_inplace_write():
    """In-place writes into ``b = torch.zeros(1, 3).expand(2, 3)`` (one row of memory seen twice): each
    op writes what it was asked to into row 0 only, or into the one shared row, which both rows then
    show. ``value`` holds, per op, the rows it left (or the exception) and its warning."""
    torch = load_torch()
    ops = {
        "index_put_": lambda b: b.index_put_((torch.tensor([0]),), torch.tensor(1.0)),
        "masked_fill_": lambda b: b.masked_fill_(torch.tensor([[True, False, False], [False, False, False]]), 1.0),
        "index_fill_": lambda b: b.index_fill_(1, torch.tensor([0]), 1.0),
        "setitem_tensor_index": lambda b: b.__setitem__(torch.tensor([0]), 1.0),
        "setitem_row": lambda b: b.__setitem__(0, torch.ones(3)),
    }
    per: Dict[str, Any] = {}
    all_warnings: List[Dict[str, str]] = []
    for name, op in ops.items():
        b = torch.zeros(1, 3).expand(2, 3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                op(b)
                per[name] = {"rows": b.tolist()}
            except Exception as exc:
                per[name] = {"error": _first_line(exc)}
        ws = warning_records(caught)
        per[name]["warning"] = ws[0]["message"] if ws else None
        all_warnings.extend(w for w in ws if w not in all_warnings)
    shared = [name for name, v in per.items() if v.get("rows") and v["rows"][0] == v["rows"][1]]
    return {"outcome": "warns" if all_warnings else "works", "warnings": all_warnings, "value": per,
            "detail": "both rows written by " + (", ".join(shared) or "no op") + "; " + ", ".join(
                f"{k}: {'errors' if 'error' in v else 'warns' if v['warning'] else 'no warning'}" for k, v in per.items())}


@probe("hub-model-zoo")
def hub_model_zoo():
    """The 2018 download idioms, offline (a ``file://`` URL into a temporary folder): the ``TORCH_HUB`` and
    ``TORCH_MODEL_ZOO`` environment variables, ``torch.utils.model_zoo.load_url`` and
    ``torch.hub._download_url_to_file``. ``value`` says, per idiom, whether the variable was obeyed
    (where the file landed, relative to the folder) and what it warned or raised."""
    torch = load_torch()
    import contextlib
    import hashlib
    import inspect
    import io
    import os
    import pathlib
    import tempfile

    import torch.hub as hub
    from torch.utils import model_zoo

    per: Dict[str, Any] = {}
    all_warnings: List[Dict[str, str]] = []
    first_error = None
    keep_hub_dir = getattr(hub, "hub_dir", None)
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "w.pth")
        torch.save({"w": torch.ones(2)}, plain)
        with open(plain, "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        source = os.path.join(tmp, f"w-{digest[:8]}.pth")  # the name the old load_url checked the hash by
        with open(source, "wb") as f:  # the same bytes under that name
            f.write(data)
        url = pathlib.Path(source).as_uri()
        env = {name: os.path.join(tmp, folder) for name, folder in
               (("TORCH_HOME", "home"), ("TORCH_HUB", "hub"), ("TORCH_MODEL_ZOO", "zoo"))}
        saved = {name: os.environ.get(name) for name in env}

        def hub_dir():
            if hasattr(hub, "get_dir"):
                return hub.get_dir()
            if hasattr(hub, "_setup_hubdir"):
                hub._setup_hubdir()
                return hub.hub_dir
            return "torch.hub has no get_dir or _setup_hubdir"

        def landed(name):
            """The folders (relative to ``tmp``) that hold a copy of file ``name``."""
            return sorted(os.path.relpath(d, tmp) for d, _, fs in os.walk(tmp) for f in fs
                          if f == name and os.path.join(d, f) != source)

        def download():
            old = hub._download_url_to_file  # AttributeError where it is gone
            args = (url, os.path.join(tmp, "copy.pth"), None, False)
            old(*args[:max(2, len(inspect.signature(old).parameters))])
            return landed("copy.pth")

        calls = (("TORCH_HUB", lambda: os.path.relpath(hub_dir(), tmp) if os.path.isabs(hub_dir()) else hub_dir()),
                 ("TORCH_MODEL_ZOO", lambda: {"loaded": model_zoo.load_url(url, progress=False)["w"].tolist(),
                                              "landed_in": landed(os.path.basename(source))}),
                 ("_download_url_to_file", download))
        os.environ.update(env)
        try:
            for name, call in calls:
                with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(io.StringIO()):
                    warnings.simplefilter("always")
                    try:
                        per[name] = {"outcome": "works", "result": call()}
                    except Exception as exc:
                        per[name] = {"outcome": "errors", "type": type(exc).__name__, "message": str(exc)}
                        first_error = first_error or {"type": type(exc).__name__, "message": str(exc)}
                ws = warning_records(caught)
                if ws and per[name]["outcome"] == "works":
                    per[name]["outcome"] = "warns"
                per[name]["warning"] = ws[0]["message"] if ws else None
                all_warnings.extend(w for w in ws if w not in all_warnings)
        finally:
            for name, was in saved.items():
                if was is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = was
            if hasattr(hub, "hub_dir"):
                hub.hub_dir = keep_hub_dir
    outcomes = {v["outcome"] for v in per.values()}
    return {"outcome": next(o for o in ("errors", "warns", "works") if o in outcomes), "warnings": all_warnings,
            "error": first_error, "value": per, "detail": ", ".join(f"{k}: {v['outcome']}" for k, v in per.items())}
