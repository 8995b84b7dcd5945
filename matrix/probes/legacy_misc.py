"""Probes of small legacy idioms no other family covers: a plain-method ``__torch_function__``, pickling a
Storage, ``gumbel_softmax``'s ``eps``, ``torch.utils.ffi`` and ``-1`` as the CPU in ``comm.gather``.

Each probe runs one old form on the installed torch (see :mod:`matrix.probes`); Python 3.7+, the
standard library and torch only.
"""
from __future__ import annotations

import pickle
import warnings
from typing import Any, Tuple

from matrix.probes.runner import NotRun, load_torch, probe


def _release(torch: Any) -> Tuple[int, int]:
    """(major, minor) of the installed torch."""
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int(minor)


@probe("torch-function-classmethod")
def torch_function_classmethod():
    """``torch.add(obj, 1)`` where ``obj``'s class defines ``__torch_function__`` as a plain method."""
    torch = load_torch()
    if _release(torch) < (1, 5):
        raise NotRun("no __torch_function__ protocol before torch 1.5")

    class PlainMethod(object):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return "dispatched"

    got = torch.add(PlainMethod(), 1)
    return {"detail": f"torch.add returned {got!r}", "value": {"dispatched": got == "dispatched"}}


@probe("storage-pickle")
def storage_pickle():
    """``pickle.loads(pickle.dumps(x.storage()))``: the values that come back."""
    torch = load_torch()
    x = torch.tensor([1.5, -2.0, 3.25])
    back = pickle.loads(pickle.dumps(x.storage()))
    values = list(back.tolist())
    return {"detail": f"round trip gave {values}", "value": {"values": values, "same": values == x.tolist()}}


@probe("gumbel-softmax-eps")
def gumbel_softmax_eps():
    """``F.gumbel_softmax(logits, eps=1e-5)`` against the call without ``eps``, with the same seed: whether eps
    still changes the samples."""
    torch = load_torch()
    F = torch.nn.functional
    logits = torch.tensor([[0.0, 1.0, 2.0], [2.0, 0.0, -1.0]])  # 2-D: 1.0's gumbel_softmax asserts it

    def sample(**kw: Any) -> Any:
        torch.manual_seed(0)
        return F.gumbel_softmax(logits, tau=1.0, **kw)

    with_eps = sample(eps=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without = sample()
    same = bool(torch.equal(with_eps, without))
    return {"detail": "eps " + ("has no effect" if same else "changes the samples"),
            "value": {"same_as_without_eps": same, "row_sums": [round(float(s), 4) for s in with_eps.sum(1)]}}


@probe("utils-ffi")
def utils_ffi():
    """``from torch.utils.ffi import create_extension`` (0.4's C extensions)."""
    load_torch()
    from torch.utils.ffi import create_extension  # noqa: F401 - the old import is the probe
    return {"detail": "torch.utils.ffi imports", "value": None}


@probe("parallel-gather-cpu-minus-one")
def parallel_gather_cpu_minus_one():
    """``comm.gather(parts, destination=-1)``: whether -1 (the CPU) warns. Without a GPU the gather itself fails
    after the destination is read, which is where the warning is issued."""
    torch = load_torch()
    try:
        import torch.nn.parallel.comm as comm
    except ImportError:
        import torch.cuda.comm as comm
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    parts = [torch.ones(2, device=device), torch.full((2,), 2.0, device=device)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = comm.gather(parts, destination=-1)
            error = None
        except RuntimeError as exc:
            out, error = None, str(exc).splitlines()[0]
    for w in caught:  # passed on to the runner's record
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    said = any("to represent CPU" in str(w.message) for w in caught)
    if out is None and not said:
        raise NotRun(f"comm.gather needs CUDA tensors and no GPU is here; it failed before reading -1: {error}")
    value = {"gpu": cuda, "warned": said}
    if out is not None:
        value.update(device=str(out.device), values=out.tolist())
    else:
        value["then_failed"] = error
    return {"detail": "gather to -1 " + ("warned" if said else "ran silently") + ("" if out is not None else
            ", then failed without a GPU"), "value": value}
