"""Probes of module and training-loop APIs that were deprecated or removed: non-full backward hooks
(``Module.register_backward_hook``), a Sampler subclass passing ``data_source`` up, the schedulers'
``verbose=`` and ``print_lr()``, ``torch.nn.utils.weight_norm``, ``Module.state_dict`` with
positional arguments.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
import warnings
from typing import Any, Dict, List

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


def _grads(grads) -> List[Any]:
    """A hook's grad tuple as plain numbers (None where autograd gave none)."""
    return [None if g is None else [round(v, 6) for v in g.flatten().tolist()] for g in grads]


def _shapes(grads) -> List[Any]:
    return [None if g is None else list(g.shape) for g in grads]


@probe("module-backward-hook")
def module_backward_hook():
    """``module.register_backward_hook(hook)`` (2017-2020) on modules that break its assumptions: a forward
    of two ops (``lin(x) * 2``), two outputs from two ops, a dict output, a list input; the first one's
    ``grad_input`` compared with ``register_full_backward_hook``'s."""
    torch = load_torch()
    nn = torch.nn

    class TwoOps(nn.Module):
        def __init__(self):
            super(TwoOps, self).__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x):
            return self.lin(x) * 2.0

    class TwoOutputs(nn.Module):
        def forward(self, x):
            return x * 2.0, x + 1.0

    class DictOutput(nn.Module):
        def forward(self, x):
            return {"y": x * 2.0}

    class ListInput(nn.Module):
        def forward(self, xs):
            return xs[0] * 2.0

    torch.manual_seed(0)
    model = TwoOps()
    x = torch.ones(1, 3, requires_grad=True)
    seen: Dict[str, Any] = {}

    def old_hook(module, grad_input, grad_output):
        seen["old"] = grad_input

    model.register_backward_hook(old_hook)
    model(x).sum().backward()
    value: Dict[str, Any] = {"old_grad_input_shapes": _shapes(seen["old"]), "old_grad_input": _grads(seen["old"])}
    # the other three shapes, each on its own module (each warns its own message, once per call)
    y = torch.ones(2, requires_grad=True)
    for module, call in ((TwoOutputs(), lambda m: sum(t.sum() for t in m(y))),
                         (DictOutput(), lambda m: m(y)["y"].sum()),
                         (ListInput(), lambda m: m([y]).sum())):
        module.register_backward_hook(lambda *args: None)
        call(module).backward()
    if not hasattr(model, "register_full_backward_hook"):
        value["full_grad_input_shapes"] = value["full_grad_input"] = None
        detail = f"old hook's grad_input: shapes {value['old_grad_input_shapes']} (no full hook before 1.8)"
        return {"detail": detail, "value": value}
    # the same module with the hook that sees the module's input, kept out of the probe's warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = TwoOps()
        full.load_state_dict(model.state_dict())
        full.register_full_backward_hook(lambda module, gi, go: seen.__setitem__("full", gi))
        full(x).sum().backward()
    value.update(full_grad_input_shapes=_shapes(seen["full"]), full_grad_input=_grads(seen["full"]))
    detail = (f"old hook's grad_input: shapes {value['old_grad_input_shapes']} (the last op's, '* 2'); "
              f"full hook's: {value['full_grad_input_shapes']} (the module input's)")
    return {"detail": detail, "value": value}


@probe("sampler-data-source")
def sampler_data_source():
    """A Sampler subclass whose ``__init__`` calls ``super(...).__init__(data_source)`` (the 2017-2022 pattern;
    ``Sampler.__init__`` took the argument and ignored it)."""
    load_torch()
    Sampler = importlib.import_module("torch.utils.data").Sampler  # not imported by `import torch` in 1.0

    class Reversed(Sampler):
        def __init__(self, data_source):
            super(Reversed, self).__init__(data_source)
            self.data_source = data_source

        def __iter__(self):
            return iter(range(len(self.data_source) - 1, -1, -1))

        def __len__(self):
            return len(self.data_source)

    order = list(Reversed([10, 20, 30]))  # raises here where Sampler no longer takes the argument
    # the rewrite the entry does not make: super().__init__() without the argument, on this torch
    try:
        Sampler()
        no_argument = "accepted"
    except TypeError as exc:
        no_argument = f"TypeError: {exc}"
    return {"detail": f"the subclass ran, order {order}; Sampler() without data_source: {no_argument}",
            "value": {"order": order, "sampler_without_argument": no_argument}}


def _release(torch) -> tuple:
    """(major, minor) of the installed torch ("2.4.1+cu121" -> (2, 4))."""
    return tuple(int(part) for part in re.findall(r"\d+", torch.__version__)[:2])


@probe("scheduler-verbose")
def scheduler_verbose():
    """``StepLR(optimizer, step_size=1, verbose=False)``, then ``verbose=True`` (what it prints on ``step()``)
    and ``scheduler.print_lr(...)``."""
    torch = load_torch()
    StepLR = torch.optim.lr_scheduler.StepLR
    if "verbose" not in inspect.signature(StepLR.__init__).parameters and _release(torch) < (2, 0):
        raise NotRun(f"torch {torch.__version__}: StepLR has no verbose parameter yet (only ReduceLROnPlateau)")
    weight = torch.nn.Parameter(torch.ones(1))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    StepLR(optimizer, step_size=1, verbose=False)  # the old form; raises where verbose is gone
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        loud = StepLR(optimizer, step_size=1, gamma=0.5, verbose=True)
        optimizer.step()
        loud.step()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            loud.print_lr(True, 0, 0.1)
        print_lr = "ran"
    except AttributeError as exc:
        print_lr = f"AttributeError: {exc}"
    lines = printed.getvalue().splitlines()
    return {"detail": f"verbose=False accepted; verbose=True printed {len(lines)} line(s); print_lr: {print_lr}",
            "value": {"verbose_true_printed": lines, "print_lr": print_lr,
                      "last_lr": [round(lr, 6) for lr in loud.get_last_lr()]}}


@probe("weight-norm-parametrization")
def weight_norm_parametrization():
    """``torch.nn.utils.weight_norm(nn.Linear(3, 2))`` (2016-2022); its state_dict keys, and whether the
    parametrization version (where it exists) loads that state_dict and computes the same output."""
    torch = load_torch()
    nn = torch.nn
    torch.manual_seed(0)
    old = nn.utils.weight_norm(nn.Linear(3, 2))
    x = torch.arange(6.0).reshape(2, 3)
    old_keys = sorted(old.state_dict().keys())
    value: Dict[str, Any] = {"old_keys": old_keys, "old_output": [round(v, 5) for v in old(x).flatten().tolist()]}
    try:
        parametrizations = importlib.import_module("torch.nn.utils.parametrizations")
    except ImportError:  # no parametrizations module at all on the oldest releases
        parametrizations = None
    if not hasattr(parametrizations, "weight_norm"):
        value.update(new_keys=None, loads_old_state_dict=None, same_output=None)
        return {"detail": f"state_dict keys {old_keys}; no parametrizations.weight_norm on this torch",
                "value": value}
    with warnings.catch_warnings():  # the new form's own sounds are not the old form's
        warnings.simplefilter("ignore")
        new = parametrizations.weight_norm(nn.Linear(3, 2))
        new.load_state_dict(old.state_dict())
        same = torch.equal(new(x), old(x))
    value.update(new_keys=sorted(new.state_dict().keys()), loads_old_state_dict=True, same_output=same)
    return {"detail": f"state_dict keys {old_keys}; parametrizations.weight_norm's {value['new_keys']}, "
                      f"which load the old ones (same output: {same})", "value": value}


@probe("state-dict-positional")
def state_dict_positional():
    """``module.state_dict(None, "net.", False)`` (destination, prefix, keep_vars positionally, as overrides
    of ``state_dict`` passed them up in 2017-2021), and the same call with keywords."""
    torch = load_torch()
    torch.manual_seed(0)
    layer = torch.nn.Linear(2, 1)
    keys = list(layer.state_dict(None, "net.", False).keys())
    with warnings.catch_warnings():  # the new form's own sounds (none expected) are not the old form's
        warnings.simplefilter("ignore")
        keyword_keys = list(layer.state_dict(destination=None, prefix="net.", keep_vars=False).keys())
    return {"detail": f"positional: keys {keys}; keywords: keys {keyword_keys}",
            "value": {"positional_keys": keys, "keyword_keys": keyword_keys}}
