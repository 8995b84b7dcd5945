"""Probes of the uint8 -> bool mask change (torch 1.2 added ``torch.bool``; comparisons return it): a
uint8 mask given to indexing, ``masked_*`` and ``torch.where``; what old code does with a comparison's
result (``1 - mask``, ``mask + mask``, ``out=`` a uint8 tensor); a uint8 mask given to
``nn.MultiheadAttention``.

Each probe tries every old form of its entry on its own (``breakdown = "functions"``: the forms warn or
fail at different releases) and keeps, per form, the numbers it gave, so that a form that runs with a
different answer shows as ``differs``. Python 3.7+, the standard library and torch only (torch 1.0.1 has
no ``torch.bool``: nothing here names it).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

from matrix.probes.runner import NotRun, load_torch, probe, warning_records


def _try(fn: Callable[[], Any]) -> Dict[str, Any]:
    """Run ``fn`` with every warning recorded: ``{"outcome", "value"}`` with ``warning`` (the first one) or
    ``type`` / ``message`` (what it raised), and ``warnings`` (all of them, for the record's list)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as exc:
            return {"outcome": "errors", "type": type(exc).__name__, "message": str(exc), "value": None,
                    "warnings": warning_records(caught)}
    ws = warning_records(caught)
    out = {"outcome": "warns" if ws else "works", "value": value, "warnings": ws}
    if ws:
        out["warning"] = ws[0]["message"]
    return out


def _summarise(per: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """The record of a per-form probe: the worst outcome (errors, then differs: a silent change outranks a
    warning, then warns, works), the first error, every warning once, and ``value`` = the per-form table
    without the warning lists."""
    all_warnings: List[Dict[str, str]] = []
    first_error: Optional[Dict[str, str]] = None
    for f in per.values():
        for w in f.pop("warnings", []):
            if w not in all_warnings:
                all_warnings.append(w)
        if f["outcome"] == "errors" and first_error is None:
            first_error = {"type": f["type"], "message": f["message"]}
    outcomes = {f["outcome"] for f in per.values()}
    outcome = next((o for o in ("errors", "differs", "warns", "works") if o in outcomes), "not_run")
    summary = ", ".join(f"{name}: {f['outcome']}" for name, f in per.items())
    return {"outcome": outcome, "detail": summary, "warnings": all_warnings, "error": first_error, "value": per}


# --------------------------------------------------------------------------------------- uint8-mask
#: each old call on a uint8 mask, and what to write instead (for the record)
_MASK_OPS = (
    ("masked_fill_", "x.masked_fill_(mask.bool(), 0.0)"),
    ("masked_scatter_", "x.masked_scatter_(mask.bool(), source)"),
    ("masked_select", "x.masked_select(mask.bool())"),
    ("index", "x[mask.bool()]"),
    ("index_put", "x[mask.bool()] = 0.0"),
    ("where", "torch.where(mask.bool(), x, y)"),
)


@probe("uint8-mask")
def uint8_mask():
    """A ``torch.uint8`` (ByteTensor) mask: ``x.masked_fill_(mask, 0)``, ``masked_scatter_``,
    ``masked_select``, ``x[mask]``, ``x[mask] = 0``, ``torch.where(mask, x, y)`` (the mask type of 0.4-1.1)."""
    torch = load_torch()
    x = torch.tensor([1.0, -2.0, 3.0, -4.0])
    mask = torch.tensor([1, 0, 1, 0], dtype=torch.uint8)

    def calls(m):
        def index_put():
            y = x.clone()
            y[m] = 0.0
            return y.tolist()

        return {
            "masked_fill_": lambda: x.clone().masked_fill_(m, 0.0).tolist(),
            "masked_scatter_": lambda: x.clone().masked_scatter_(m, torch.tensor([10.0, 20.0, 30.0, 40.0])).tolist(),
            "masked_select": lambda: x.masked_select(m).tolist(),
            "index": lambda: x[m].tolist(),
            "index_put": index_put,
            "where": lambda: torch.where(m, x, torch.zeros(4)).tolist(),
        }

    old, new_forms = calls(mask), None
    if hasattr(mask, "bool"):  # the new form, where torch.bool exists (1.2+): its numbers, for the record
        new_forms = calls(mask.bool())
    per: Dict[str, Dict[str, Any]] = {}
    for name, new in _MASK_OPS:
        per[name] = dict(_try(old[name]), new=new)
        if new_forms is not None:
            done = _try(new_forms[name])
            per[name]["bool_value"] = done["value"] if done["outcome"] == "works" else done["outcome"]
    return _summarise(per)


# --------------------------------------------------------------------------- comparison-bool-result
#: the six comparisons that took a uint8 ``out=`` with a warning in 1.2 only
_COMPARISONS = ("eq", "ge", "gt", "le", "lt", "ne")


@probe("comparison-bool-result")
def comparison_bool_result():
    """What 2017-2019 code does with a comparison's result (uint8 before 1.2, bool since): ``1 - mask``,
    ``-mask``, ``mask + mask``, ``mask - mask``, ``mask * x``, ``mask.sum()``, and ``torch.gt(..., out=``
    a uint8 tensor``)``. Each form runs twice: on the comparison's own result and on it cast to uint8
    (what the form meant before 1.2); a form that runs with another answer than that ``differs``."""
    torch = load_torch()
    x = torch.tensor([1.0, -2.0, 3.0, -4.0])
    idioms: Tuple[Tuple[str, str, Callable[[Any, Any], Any]], ...] = (
        ("one_minus", "~mask (or mask.logical_not())", lambda a, b: (1 - a).tolist()),
        ("negate", "~mask", lambda a, b: (-a).tolist()),
        ("add", "(a | b) for 'either', a.long() + b.long() for a count", lambda a, b: (a + b).tolist()),
        ("subtract", "a ^ b, or a & ~b", lambda a, b: (a - b).tolist()),
        ("multiply", "x * mask (runs), or torch.where(mask, x, 0)", lambda a, b: (a * x).tolist()),
        ("sum", "mask.sum() (an int64 count, as before)", lambda a, b: a.sum().item()),
    )
    per: Dict[str, Dict[str, Any]] = {}
    for name, new, fn in idioms:
        now = _try(lambda: fn(x > 0, x > 2))
        old = _try(lambda: fn((x > 0).to(torch.uint8), (x > 2).to(torch.uint8)))
        per[name] = dict(now, new=new, dtype=str((x > 0).dtype), uint8_value=old["value"])
        if old["outcome"] == "errors":
            # not a form that ran on this release either way (1.0.1: uint8 * float has no type promotion)
            per[name] = {"outcome": "not_run", "new": new, "dtype": str((x > 0).dtype),
                         "reason": f"fails on a uint8 mask too here: {old['type']}: {old['message']}"}
        elif now["outcome"] != "errors" and now["value"] != old["value"]:
            per[name]["outcome"] = "differs"
    # what the rewrite writes for 1 - mask: ~mask, a logical not on uint8 (before 1.2) and bool alike
    per["one_minus"]["invert_value"] = [int(v) for v in (~(x > 0)).tolist()]
    for name in _COMPARISONS:
        def compare(name=name):
            return getattr(torch, name)(x, 1.0, out=torch.zeros(4, dtype=torch.uint8)).tolist()

        now = _try(compare)
        expected = getattr(x, name)(1.0).tolist()  # the comparison without out=
        per[f"{name}_out_uint8"] = dict(now, new=f"torch.{name}(x, 1.0) (a bool result)",
                                        expected=[int(v) for v in expected])
        if now["outcome"] != "errors" and now["value"] != [int(v) for v in expected]:
            per[f"{name}_out_uint8"]["outcome"] = "differs"
    return _summarise(per)


# ------------------------------------------------------------------------------------ mha-byte-mask
@probe("mha-byte-mask")
def mha_byte_mask():
    """``nn.MultiheadAttention`` with a uint8 ``attn_mask`` / ``key_padding_mask`` (1 = masked), and with
    a float ``attn_mask`` next to a bool ``key_padding_mask`` (mismatched types). Each output is compared
    with the same masking given as one float ``attn_mask`` (-inf where masked, added to the attention
    logits: its meaning on every release since 1.1)."""
    torch = load_torch()
    if not hasattr(torch.nn, "MultiheadAttention"):
        raise NotRun(f"torch {torch.__version__} has no nn.MultiheadAttention yet (added in 1.1)")
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(4, 1)
    q = torch.arange(12.0).reshape(3, 1, 4) / 10  # (L, N, E): 3 positions, batch 1
    inf = float("-inf")
    attn_byte = torch.tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=torch.uint8)  # causal
    attn_float = torch.tensor([[0.0, inf, inf], [0.0, 0.0, inf], [0.0, 0.0, 0.0]])
    kpm_byte = torch.tensor([[0, 0, 1]], dtype=torch.uint8)  # the last key is padding
    kpm_float = torch.tensor([[0.0, 0.0, inf]] * 3)  # the same, as an (L, S) float attn_mask
    both_float = torch.tensor([[0.0, inf, inf], [0.0, 0.0, inf], [0.0, 0.0, inf]])

    def run(attn_mask, key_padding_mask):
        with torch.no_grad():
            out = mha(q, q, q, attn_mask=attn_mask, key_padding_mask=key_padding_mask)[0]
        return [round(v, 5) for v in out.reshape(-1).tolist()]

    cases = (
        ("attn_mask", "attn_mask=mask.bool() (True = masked)", lambda: run(attn_byte, None), lambda: run(attn_float, None)),
        ("key_padding_mask", "key_padding_mask=mask.bool() (True = padding)",
         lambda: run(None, kpm_byte), lambda: run(kpm_float, None)),
        ("mismatched", "both masks bool (or both float)",
         lambda: run(attn_float, kpm_byte > 0), lambda: run(both_float, None)),
    )
    per: Dict[str, Dict[str, Any]] = {}
    for name, new, old_call, float_call in cases:
        now = _try(old_call)
        ref = _try(float_call)
        per[name] = dict(now, new=new, float_masks=ref["value"])
        if now["outcome"] != "errors" and ref["outcome"] != "errors" and now["value"] != ref["value"]:
            per[name]["outcome"] = "differs"
    return _summarise(per)
