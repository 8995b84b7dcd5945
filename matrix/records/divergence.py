"""Loss curves that differ between torch pins, and which catalog change explains each difference.

Passed cells of the same era, example, device, CPU (or GPU), seed and steps form a group; curves are
compared only within a group, since float bits depend on the machine. A group in which some pin's
losses differ from the oldest pin's is a divergence. A difference between consecutive pins is
attributed to a catalog entry only if the entry lists the script in ``may_change`` AND its probe's
``compare`` values differ between the same two pins on the same CPU; every other difference is
unexplained, and listed as such with what else differed between the two runs.

Each difference also carries the step where the two curves differ most, with both losses (the last
loss alone can hide it), and where a check ran the script's loop with one cause changed at a time (a
probe value ``isolated``), those runs (:func:`isolated_runs`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from matrix import ERAS
from matrix.records.observations import compare_value, first_per_pin, fmt_compare, probe_observations, version_key


def curve_groups(sessions: Sequence[Dict[str, Any]]) -> Dict[Tuple, Dict[str, Dict[str, Any]]]:
    """(era, example, device, device_name, seed, steps) -> torch pin -> the passed cell with losses
    (plus '_session', '_numpy'). Curves are compared only within a group: same device, same CPU/GPU."""
    groups: Dict[Tuple, Dict[str, Dict[str, Any]]] = {}
    for s in sessions:
        for c in s.get("cells") or []:
            if not c.get("losses") or c.get("status") not in ("passed", "passed_with_warnings"):
                continue
            if c.get("mode", "variant") != "variant":  # the as-published runs are shown as outcomes, not curves
                continue
            key = (c["era"], c["example"], c.get("device"), c.get("device_name") or s.get("device_name"),
                   c.get("seed"), c.get("steps"))
            groups.setdefault(key, {}).setdefault(c["torch_pin"], dict(
                c, _session=s["_slug"], _numpy=s.get("numpy"), _tensorflow=c.get("tensorflow") or s.get("tensorflow"),
                _python=c.get("python") or s.get("python")))
    return groups


def first_difference(a: Sequence, b: Sequence) -> Tuple[Optional[int], float]:
    """First step where two ``[[step, loss], ...]`` curves differ (exactly), and the largest relative
    difference over their common steps."""
    ref = {int(t): float(v) for t, v in a}
    first, max_rel = None, 0.0
    for t, v in b:
        r = ref.get(int(t))
        if r is None or float(v) == r:
            continue
        first = int(t) if first is None else first
        max_rel = max(max_rel, abs(float(v) - r) / max(abs(r), 1e-300))
    return first, max_rel


def largest_difference(a: Sequence, b: Sequence) -> Optional[Tuple[int, float, float]]:
    """(step, loss in ``a``, loss in ``b``) where two ``[[step, loss], ...]`` curves differ most in absolute
    terms (the earliest such step on a tie), None where they agree on every common step. The last loss
    alone can hide it: two curves may meet again by the end."""
    ref = {int(t): float(v) for t, v in a}
    best = None
    for t, v in b:
        r = ref.get(int(t))
        if r is None or float(v) == r:
            continue
        if best is None or abs(float(v) - r) > abs(best[2] - best[1]):
            best = (int(t), r, float(v))
    return best


def find_divergences(sessions: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Same era/example/device/CPU/seed/steps on different torch pins with different losses.

    For each group with at least two pins that produced losses: every pin compared with the oldest
    (first step whose loss differs, exactly; largest relative difference; the step of the largest
    absolute difference with both losses) and with the previous pin (first step, largest difference).
    """
    groups = curve_groups(sessions)
    out = []
    for key in sorted(groups, key=lambda k: (ERAS.index(k[0]) if k[0] in ERAS else 9, k[1], str(k[2:]))):
        by_pin = groups[key]
        if len(by_pin) < 2:
            continue
        pins = sorted(by_pin, key=version_key)
        ref = by_pin[pins[0]]["losses"]
        rows = []
        for i, pin in enumerate(pins):
            c = by_pin[pin]
            first, max_rel = first_difference(ref, c["losses"])
            prev = pins[i - 1] if i else None
            first_prev = first_difference(by_pin[prev]["losses"], c["losses"])[0] if prev else None
            largest_prev = largest_difference(by_pin[prev]["losses"], c["losses"]) if prev else None
            rows.append({"pin": pin, "torch": c.get("torch"), "date": c.get("date"), "first_loss": c["losses"][0][1],
                         "last_loss": c["losses"][-1][1], "first_diff_step": first, "max_rel_diff": max_rel,
                         "largest_diff": largest_difference(ref, c["losses"]), "previous": prev,
                         "first_diff_vs_previous": first_prev, "largest_diff_vs_previous": largest_prev, "cell": c})
        if any(r["first_diff_step"] is not None for r in rows):
            out.append({"era": key[0], "example": key[1], "device": key[2], "device_name": key[3],
                        "seed": key[4], "steps": key[5], "reference": pins[0], "rows": rows})
    return out


def environment_differences(a: Dict[str, Any], b: Dict[str, Any]) -> List[str]:
    """What else differs between two cells' runs: Python, NumPy, TensorFlow (torch always does)."""
    out = []
    for key, name in (("_python", "Python"), ("_numpy", "NumPy"), ("_tensorflow", "TensorFlow")):
        if a.get(key) != b.get(key):
            out.append(f"{name} {a.get(key) or '-'} -> {b.get(key) or '-'}")
    return out


def explain_divergence(d: Dict[str, Any], catalog: Sequence[Dict[str, Any]],
                       observations: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Why the curves of one divergence differ: one item per pin whose curve differs from the previous
    pin's. An entry is attributed only if its ``may_change`` lists this era/example AND its probe's
    ``compare`` values differ between the same two pins recorded on this CPU; every listing entry
    is kept in 'checked' with the result (the check is the entry's probe; the verdicts are worded for
    the pages, which add where it was measured). 'entries' empty: unexplained."""
    name = f"{d['era']}/{d['example']}"
    cpu = d["device_name"] if d["device"] == "cpu" else None
    out = []
    for r in d["rows"]:
        if r["previous"] is None or r["first_diff_vs_previous"] is None:
            continue
        prev_cell = next(x["cell"] for x in d["rows"] if x["pin"] == r["previous"])
        entries, checked = [], []
        for ch in catalog:
            if name not in (ch.get("may_change") or []):
                continue
            by_pin = first_per_pin(observations.get(ch["id"], []), cpu) if cpu else {}
            a, b = by_pin.get(r["previous"]), by_pin.get(r["pin"])
            if cpu is None:
                verdict = f"not compared: the run was on {d['device']}, and the checks' CPU is not recorded there"
            elif a is None or b is None:
                missing = ", ".join(p for p, o in ((r["previous"], a), (r["pin"], b)) if o is None)
                verdict = f"its check has no record that ran on torch {missing} on this CPU"
            elif compare_value(ch, a) == compare_value(ch, b):
                verdict = f"its check gives the same values on both pins: `{fmt_compare(compare_value(ch, a))}`"
            else:
                verdict = (f"its check's values differ between the two pins: `{fmt_compare(compare_value(ch, a))}` -> "
                           f"`{fmt_compare(compare_value(ch, b))}`")
                entries.append(ch)
            checked.append((ch, verdict))
        out.append({"pin": r["pin"], "previous": r["previous"], "step": r["first_diff_vs_previous"],
                    "largest": r["largest_diff_vs_previous"],
                    "isolated": isolated_runs(name, cpu, (r["previous"], r["pin"]), catalog, observations),
                    "entries": entries, "checked": checked,
                    "environment": environment_differences(prev_cell, r["cell"])})
    return out


def isolated_runs(script: str, cpu: Optional[str], pins: Sequence[str], catalog: Sequence[Dict[str, Any]],
                  observations: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """The checks that ran ``script``'s loop with one cause changed at a time (a probe value
    ``isolated`` whose ``script`` is this one), on this CPU: one item per such check, {'change': its
    entry, 'runs': pin -> the ``isolated`` value, for those of ``pins`` where it was recorded,
    'same_elsewhere': whether the curve with every cause held fixed ('rounded_zeros') is the same on
    all of them (None with fewer than two)}. Nothing for a run on a GPU: the checks ran on the CPU."""
    out = []
    if cpu is None:
        return out
    for ch in catalog:
        runs = {}
        for pin in pins:  # the first record of this pin and CPU that holds such runs (older ones may not)
            for o in observations.get(ch["id"], []):
                value = o.get("value") if (o["_pin"], o["_cpu"]) == (pin, cpu) else None
                iso = value.get("isolated") if isinstance(value, dict) else None
                if isinstance(iso, dict) and iso.get("script") == script:
                    runs[pin] = iso
                    break
        if runs:
            fixed = {(iso.get("curves") or {}).get("rounded_zeros") for iso in runs.values()}
            out.append({"change": ch, "runs": runs, "same_elsewhere": len(fixed) == 1 if len(runs) > 1 else None})
    return out


def unexplained_divergences(sessions: Sequence[Dict[str, Any]], catalog: Sequence[Dict[str, Any]],
                            unrelated: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """'era/example on CPU: torch PREV -> PIN (step N)' for every change between pins no entry explains."""
    obs = probe_observations(sessions, catalog, unrelated)
    return [f"{d['era']}/{d['example']} on {d['device_name'] or d['device']}: torch {e['previous']} -> {e['pin']} "
            f"(step {e['step']})"
            for d in find_divergences(sessions) for e in explain_divergence(d, catalog, obs) if not e["entries"]]
