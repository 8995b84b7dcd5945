"""The old behaviour of a silent catalog entry, restored on a newer torch: one function per entry.

``python -m shims verify`` re-runs the upgraded script with one of these applied before it starts
(``child.py``), and an entry explains a difference only when, with its old behaviour restored, the
numbers equal the old side's. Each restorer is registered under its catalog id
(``matrix/catalog.toml``, the entry's ``restore`` field says what it does); an entry whose old
behaviour cannot be restored says why in ``restore_impossible`` instead. tests/test_verify.py holds
the two to each other.

Runs inside the pin's environment (Python 3.7+, standard library and torch). Nothing here is applied
unless verify asks for it: it patches torch for the one process it runs in.
"""
import inspect
import math

#: catalog id -> restorer(torch, old_torch) -> a note; registered with :func:`restorer`
RESTORERS = {}


def _registers(table, key):
    def register(fn):
        table[key] = fn
        return fn
    return register


def restorer(change_id):
    """Register the decorated function as the restorer of catalog entry ``change_id``."""
    return _registers(RESTORERS, change_id)


def _release(text):
    """``"2.4.1+cu121"`` -> ``(2, 4, 1)``; enough to compare releases without ``packaging`` here."""
    parts = []
    for piece in str(text).split("+")[0].split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@restorer("zero-grad-set-to-none")
def zero_grad_zeros(torch, old_torch):
    """``zero_grad()`` fills the gradients with zeros again (``set_to_none=False``, the 1.x default).

    PR 92731 (torch 2.0) made ``set_to_none=True`` the default of ``Optimizer.zero_grad`` and
    ``nn.Module.zero_grad``; both still take the argument, so the old default is passed explicitly.
    """
    patched = []
    for owner in (torch.optim.Optimizer, torch.nn.Module):
        original = owner.zero_grad
        if "set_to_none" not in inspect.signature(original).parameters:
            continue  # a release before the argument (< 1.7): zeros are already the behaviour

        def zero_grad(self, set_to_none=False, _original=original):
            return _original(self, set_to_none=set_to_none)

        owner.zero_grad = zero_grad
        patched.append(owner.__name__)
    return ("zero_grad defaults to set_to_none=False on " + ", ".join(patched)) if patched else \
        "nothing to restore: this torch's zero_grad has no set_to_none"


@restorer("adam-lerp")
def adam_mul_add(torch, old_torch):
    """``torch.optim.Adam.step`` as torch 1.0-1.x wrote it: ``exp_avg.mul_(beta1).add_(...)``.

    PR 104796 (2023) updates the first moment with ``lerp_``; later releases also compute the
    bias corrections and denominator in another order. This is the step of torch 1.0.1's
    ``torch/optim/adam.py`` (the oldest pin), written with today's keyword arguments.
    """
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = 0
                        state["exp_avg"] = torch.zeros_like(p)
                        state["exp_avg_sq"] = torch.zeros_like(p)
                        if group.get("amsgrad"):
                            state["max_exp_avg_sq"] = torch.zeros_like(p)
                    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                    beta1, beta2 = group["betas"]
                    state["step"] += 1
                    if group["weight_decay"] != 0:
                        grad.add_(p, alpha=group["weight_decay"])
                    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    if group.get("amsgrad"):
                        torch.max(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                        denom = state["max_exp_avg_sq"].sqrt().add_(group["eps"])
                    else:
                        denom = exp_avg_sq.sqrt().add_(group["eps"])
                    bias_correction1 = 1 - beta1 ** state["step"]
                    bias_correction2 = 1 - beta2 ** state["step"]
                    step_size = group["lr"] * math.sqrt(bias_correction2) / bias_correction1
                    p.addcdiv_(exp_avg, denom, value=-step_size)
        return loss

    torch.optim.Adam.step = step
    return "Adam.step replaced by torch 1.0.1's mul_/add_ update"


@restorer("clamp-boundary-subgradient")
def clamp_subgradient_one(torch, old_torch):
    """``clamp`` backward passes the gradient where the input equals a bound (``x >= min``), as
    releases before the change did (PR 7049's subgradient 1; issue 184574 describes the change)."""
    original = torch.clamp

    class Clamp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, lo, hi):
            ctx.save_for_backward(x)
            ctx.lo, ctx.hi = lo, hi
            return original(x, min=lo, max=hi)

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            keep = torch.ones_like(x, dtype=torch.bool)
            if ctx.lo is not None:
                keep = keep & (x >= ctx.lo)
            if ctx.hi is not None:
                keep = keep & (x <= ctx.hi)
            return grad * keep.to(grad.dtype), None, None

    def clamp(x, min=None, max=None, **kwargs):
        scalar = not isinstance(min, torch.Tensor) and not isinstance(max, torch.Tensor)
        if kwargs or not scalar or not (torch.is_grad_enabled() and x.requires_grad):
            return original(x, min=min, max=max, **kwargs)
        return Clamp.apply(x, min, max)

    torch.clamp = clamp
    torch.Tensor.clamp = clamp
    return "clamp's backward passes the gradient at the bounds (x >= min, x <= max)"


#: control name -> fn(torch): an intervention on *both* sides that removes a whole class of
#: differences (the catalog's ``control`` field names it), registered with :func:`control`
CONTROLS = {}


def control(name):
    """Register the decorated function as the control ``name``."""
    return _registers(CONTROLS, name)


@control("float64")
def float64_everywhere(torch):
    """Every float32 tensor the script makes is float64 instead: the default dtype, the legacy
    ``torch.FloatTensor`` type, ``torch.float``/``torch.float32``, ``Tensor.float()`` and
    ``Module.float()``. Float32 rounding (which kernel sums in which order) then shrinks by nine
    orders of magnitude, while a change of the maths stays as large as it was."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated on newer releases; catalog: set-default-tensor-type
        torch.set_default_tensor_type(torch.DoubleTensor)
    torch.FloatTensor = torch.DoubleTensor
    torch.float = torch.float32 = torch.float64
    torch.Tensor.float = torch.Tensor.double
    torch.nn.Module.float = torch.nn.Module.double
    return "float32 made float64 (default dtype, FloatTensor, torch.float32, .float())"


def apply(ids, old_torch=None, controls=()):
    """Apply the controls, then the restorers of ``ids`` (catalog ids, in order); one record each."""
    import torch

    done = []
    for name in controls:
        done.append({"id": name, "applied": True, "note": CONTROLS[name](torch)})
    for change_id in ids:
        fn = RESTORERS.get(change_id)
        if fn is None:
            done.append({"id": change_id, "applied": False, "note": "no restorer for this entry"})
            continue
        done.append({"id": change_id, "applied": True, "note": fn(torch, old_torch)})
    return done
