"""Probes of the torch.nn names renamed and kept with warnings: the ``nn.init`` functions without
their trailing ``_``, ``clip_grad_norm``, ``Hardtanh(min_value=, max_value=)``, ``NLLLoss2d``,
``nn.Container``, ``F.upsample_bilinear`` / ``F.upsample_nearest``.

Each probe runs the old name on the installed torch (see :mod:`matrix.probes`) next to the new one and
says whether both give the same numbers; Python 3.7+, the standard library and torch only.
"""
from __future__ import annotations

import warnings

from matrix.probes.runner import load_torch, probe, warning_records

#: the nn.init functions renamed with a trailing ``_`` (the old name a deprecated alias), and the
#: arguments after the tensor that each needs; the shape of the tensor each fills
INIT_FUNCTIONS = (
    ("xavier_uniform", (), (3, 5)), ("xavier_normal", (), (3, 5)), ("kaiming_uniform", (), (3, 5)),
    ("kaiming_normal", (), (3, 5)), ("uniform", (), (3, 5)), ("normal", (), (3, 5)),
    ("constant", (0.3,), (3, 5)), ("orthogonal", (), (3, 5)), ("sparse", (0.5,), (3, 5)),
    ("eye", (), (3, 5)), ("dirac", (), (2, 2, 3)),
)


@probe("nn-init-underscore")
def nn_init_underscore():
    """``nn.init.xavier_uniform(w)`` and the other names without ``_`` instead of ``xavier_uniform_``."""
    torch = load_torch()
    init = torch.nn.init
    same = {}
    for name, args, shape in INIT_FUNCTIONS:
        filled = []
        for fn in (getattr(init, name), getattr(init, name + "_")):
            torch.manual_seed(0)
            w = torch.empty(*shape)
            fn(w, *args)
            filled.append(w.flatten().tolist())
        same[name] = filled[0] == filled[1]
    differ = sorted(name for name, ok in same.items() if not ok)
    return {"detail": f"{len(same)} old names ran; same numbers as the `_` forms with the same seed: "
                      f"{'all' if not differ else 'not ' + ', '.join(differ)}",
            "value": {"same": not differ, "functions": same}}


@probe("clip-grad-norm-underscore")
def clip_grad_norm_underscore():
    """``nn.utils.clip_grad_norm(params, max_norm)`` instead of ``clip_grad_norm_`` (it clips in place too)."""
    torch = load_torch()
    utils = torch.nn.utils
    results = []
    for fn in (utils.clip_grad_norm, utils.clip_grad_norm_):
        w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
        w.grad = torch.tensor([3.0, 4.0])
        total = float(fn([w], 1.0))
        results.append({"total_norm": total, "grad": w.grad.tolist()})
    same = results[0] == results[1]
    return {"detail": f"clip_grad_norm ran: total norm {results[0]['total_norm']}, clipped grad {results[0]['grad']}; "
                      f"same as clip_grad_norm_: {same}",
            "value": {"same": same, "total_norm": results[0]["total_norm"], "grad": results[0]["grad"]}}


@probe("hardtanh-min-max-value")
def hardtanh_min_max_value():
    """``nn.Hardtanh(min_value=-2, max_value=2)`` instead of ``min_val`` / ``max_val``."""
    torch = load_torch()
    x = torch.tensor([-3.0, -1.5, 0.0, 1.5, 3.0])
    old = torch.nn.Hardtanh(min_value=-2.0, max_value=2.0)
    new = torch.nn.Hardtanh(min_val=-2.0, max_val=2.0)
    out, expected = old(x).tolist(), new(x).tolist()
    return {"detail": f"min_value/max_value accepted: range [{old.min_val}, {old.max_val}], "
                      f"same output as min_val/max_val: {out == expected}",
            "value": {"same": out == expected, "output": out, "range": [old.min_val, old.max_val]}}


@probe("nllloss2d")
def nllloss2d():
    """``nn.NLLLoss2d()`` (per-pixel classification) instead of ``nn.NLLLoss()``, which takes the 4-D input too."""
    torch = load_torch()
    logits = torch.arange(24.0).reshape(1, 3, 2, 4).sin()
    log_probs = torch.nn.functional.log_softmax(logits, dim=1)
    target = torch.tensor([[[0, 1, 2, 0], [2, 1, 0, 1]]])
    old = torch.nn.NLLLoss2d()(log_probs, target).item()
    new = torch.nn.NLLLoss()(log_probs, target).item()
    return {"detail": f"NLLLoss2d gave {old}; NLLLoss gives {new}", "value": {"same": old == new, "loss": old}}


@probe("nn-container")
def nn_container():
    """``class Net(nn.Container)`` with ``super().__init__(fc=...)`` instead of subclassing ``nn.Module``."""
    torch = load_torch()
    nn = torch.nn
    with warnings.catch_warnings(record=True) as at_class:
        warnings.simplefilter("always")

        class Net(nn.Container):
            def __init__(self):
                super(Net, self).__init__(fc=nn.Linear(2, 1))  # keyword modules: registered by Container

    with warnings.catch_warnings(record=True) as at_init:
        warnings.simplefilter("always")
        net = Net()
    caught = warning_records(at_class) + warning_records(at_init)
    when = [w for w, got in (("class statement", at_class), ("construction", at_init)) if got]
    children = [name for name, _ in net.named_children()]
    return {"outcome": "warns" if caught else "works", "warnings": caught,
            "detail": f"subclass of nn.Container built; warned at: {', '.join(when) or 'nothing'}; "
                      f"keyword modules registered: {children}",
            "value": {"warned_at": when, "children": children, "is_module": isinstance(net, nn.Module)}}


@probe("functional-upsample-bilinear")
def functional_upsample_bilinear():
    """``F.upsample_bilinear`` / ``F.upsample_nearest`` instead of ``F.interpolate(..., mode=...)``; bilinear
    with ``align_corners=True``, which interpolate does not default to."""
    torch = load_torch()
    F = torch.nn.functional
    x = torch.tensor([[[[0.0, 1.0], [2.0, 4.0]]]])
    # size, not scale_factor: some releases warn about how a scale_factor is rounded, another change
    bilinear = F.upsample_bilinear(x, size=(4, 4)).flatten().tolist()
    nearest = F.upsample_nearest(x, size=(4, 4)).flatten().tolist()
    same_bilinear = bilinear == F.interpolate(x, size=(4, 4), mode="bilinear", align_corners=True).flatten().tolist()
    same_nearest = nearest == F.interpolate(x, size=(4, 4), mode="nearest").flatten().tolist()
    corners_false = F.interpolate(x, size=(4, 4), mode="bilinear", align_corners=False).flatten().tolist()
    return {"detail": f"both ran; same as interpolate: bilinear (align_corners=True) {same_bilinear}, "
                      f"nearest {same_nearest}; bilinear with align_corners=False differs: {corners_false != bilinear}",
            "value": {"same_bilinear": same_bilinear, "same_nearest": same_nearest, "bilinear": bilinear,
                      "align_corners_false": corners_false}}
