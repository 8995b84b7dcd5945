"""Probes of the legacy autograd forms older than static Functions or renamed since: attributes read
on an ``autograd.Function`` instance, ``backward(grad_variables=...)``, ``traceable`` /
``is_traceable``, ``ctx.mark_shared_storage``, ``Distribution.sample_n``.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from typing import Any, Dict

from matrix.probes.runner import NotRun, load_torch, probe, warning_records

# Two of these calls crash the interpreter instead of raising (a null pointer inside torch):
# _register_hook_dict on every pin tried, name() before PR 57357 added its check. Those two run in a
# child process, where a crash is that attribute's outcome, not the end of the probe run.
IN_CHILD = ("name", "_register_hook_dict")
_CHILD = """
import json, sys, warnings
sys.path.insert(0, sys.argv[2])
warnings.simplefilter("ignore")
import torch
from matrix.probes.legacy_autograd import try_attribute
print(json.dumps(try_attribute(torch, sys.argv[1])))
"""
ATTRIBUTES = ("next_functions", "register_hook", "name", "register_prehook", "_register_hook_dict")
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def try_attribute(torch, attr: str) -> Dict[str, Any]:
    """Read ``attr`` on a fresh instance of a static Function (calling it where it is a method) and,
    for a hook, run a backward pass to see whether the hook is called."""
    fired = []
    with warnings.catch_warnings():  # "should not be instantiated": the legacy-autograd-function entry's
        warnings.simplefilter("ignore")
        Double = _double(torch)
        fn = Double()
    x = torch.ones(2, requires_grad=True)
    calls = {
        "next_functions": lambda: fn.next_functions,
        "register_hook": lambda: fn.register_hook(lambda *grads: fired.append(1)),
        "name": lambda: fn.name(),
        "register_prehook": lambda: fn.register_prehook(lambda *grads: fired.append(1)),
        "_register_hook_dict": lambda: fn._register_hook_dict(x),
    }
    if not hasattr(type(fn), attr):  # on the class: reading it on the instance is the test
        return {"outcome": "not_run", "reason": f"torch {torch.__version__} has no Function.{attr} yet"}
    try:
        got = calls[attr]()
    except Exception as exc:
        return {"outcome": "errors", "type": type(exc).__name__, "message": str(exc).strip()}
    out: Dict[str, Any] = {"outcome": "works",
                           "returned": repr(got) if attr in ("next_functions", "name") else type(got).__name__}
    if attr.startswith("register_"):
        Double.apply(x).sum().backward()  # does a hook registered on the instance run in a backward pass?
        out["hook_called"] = bool(fired)
    return out


def _double(torch):
    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    return Double


def _attribute_in_child(attr: str) -> Dict[str, Any]:
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, attr, _ROOT], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    except subprocess.TimeoutExpired:
        return {"outcome": "crashed", "message": "the child process ran past 300 s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"outcome": "crashed", "message": f"the child process exited with status {done.returncode}"}
    return json.loads(lines[-1])


@probe("function-instance-attributes")
def function_instance_attributes():
    """``fn = MyFn()`` then ``fn.next_functions``, ``fn.register_hook(h)``, ``fn.name()``,
    ``fn.register_prehook(h)``, ``fn._register_hook_dict(t)``: the graph attributes of the pre-0.4
    Functions, read on an instance of a static Function (the two that can crash in a child process)."""
    torch = load_torch()
    with warnings.catch_warnings(record=True) as caught:  # "should not be instantiated": another entry's
        warnings.simplefilter("always")
        _double(torch)()
    instantiate = [f"{w['category']}: {w['message']}" for w in warning_records(caught)]
    per = {attr: _attribute_in_child(attr) if attr in IN_CHILD else try_attribute(torch, attr) for attr in ATTRIBUTES}
    errors = [v for v in per.values() if v["outcome"] == "errors"]
    first_error = {"type": errors[0]["type"], "message": errors[0]["message"]} if errors else None
    summary = ", ".join(f"{k}: {v['outcome']}" for k, v in per.items())
    return {"outcome": "errors" if errors else "works", "detail": summary, "error": first_error, "warnings": [],
            "value": dict(per, instantiate_warnings=instantiate)}


@probe("grad-variables")
def grad_variables():
    """``torch.autograd.backward([y], grad_variables=[g])`` (0.1-0.3) instead of ``grad_tensors=``."""
    torch = load_torch()
    x = torch.ones(2, requires_grad=True)
    torch.autograd.backward([x * 3], grad_variables=[torch.tensor([1.0, 2.0])])
    old = x.grad.tolist()
    x.grad = None
    torch.autograd.backward([x * 3], grad_tensors=[torch.tensor([1.0, 2.0])])
    new = x.grad.tolist()
    try:  # both keywords: torch refuses (its second message)
        torch.autograd.backward([x * 3], grad_tensors=[torch.ones(2)], grad_variables=[torch.ones(2)])
        both = "works"
    except Exception as exc:
        both = f"{type(exc).__name__}: {exc}"
    return {"detail": f"grad_variables= gives {old}, grad_tensors= {new}; both passed: {both}",
            "value": {"old": old, "grad_tensors": new, "both_passed": both}}


@probe("function-traceable")
def function_traceable():
    """``@torch.autograd.function.traceable`` on a Function, and ``is_traceable = True`` in one."""
    torch = load_torch()
    if not hasattr(torch.autograd.Function, "apply"):
        raise NotRun(f"torch {torch.__version__} has no Function.apply")

    class Flagged(torch.autograd.Function):
        is_traceable = True

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = torch.ones(2, requires_grad=True)
    Flagged.apply(x).sum().backward()  # the class attribute alone: does anything read it?
    flagged = x.grad.tolist()
    from torch.autograd.function import traceable  # ImportError once removed: the probe's finding

    Decorated = traceable(_double(torch))
    y = torch.ones(2, requires_grad=True)
    Decorated.apply(y).sum().backward()
    return {"detail": f"decorated Function ran: grad {y.grad.tolist()}",
            "value": {"decorated_grad": y.grad.tolist(), "is_traceable_grad": flagged}}


@probe("mark-shared-storage")
def mark_shared_storage():
    """``ctx.mark_shared_storage((x, out))`` in a Function whose output is a view of its input."""
    torch = load_torch()
    if not hasattr(torch.autograd.Function, "apply"):
        raise NotRun(f"torch {torch.__version__} has no Function.apply")

    class Flatten(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.view(-1)
            ctx.mark_shared_storage((x, out))
            return out

        @staticmethod
        def backward(ctx, grad):
            return grad.view(2, 2)

    x = torch.ones(2, 2, requires_grad=True)
    (Flatten.apply(x) * torch.arange(4.0)).sum().backward()
    return {"detail": f"ran: grad {x.grad.tolist()}", "value": {"grad": x.grad.tolist()}}


@probe("distribution-sample-n")
def distribution_sample_n():
    """``Normal(mu, sigma).sample_n(3)`` against ``.sample((3,))`` after the same seed."""
    torch = load_torch()
    dist = torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0]))
    torch.manual_seed(0)
    old = dist.sample_n(3)
    with warnings.catch_warnings():  # only sample_n's warning is the finding
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        new = dist.sample((3,))
    return {"detail": f"sample_n(3) {old.flatten().tolist()} vs sample((3,)) {new.flatten().tolist()}",
            "value": {"sample_n": old.flatten().tolist(), "sample": new.flatten().tolist(),
                      "shape": list(old.shape), "same": bool(torch.equal(old, new))}}
