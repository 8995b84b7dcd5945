"""The loss-curve figures (docs/img/<example>.png) and their data, described in words and hashed.

Lines that differ in the last bits lie on top of each other at the scale of a loss curve. Where two
lines of a panel are within :data:`OVERLAP_PX` pixels of each other (on a loss axis of about
:data:`AXIS_PX` pixels) at half or more of the steps where they differ (:func:`overlap_share`), a
difference panel under it shows each line's relative difference to the panel's first line (its
oldest pins), per step, on a log scale, so that a reader sees where and by how much they differ.

Only :func:`draw` needs matplotlib, imported when called, so that the markdown and the manifest are
written without it. PNG bytes depend on the matplotlib (and FreeType) build; the data hash does not,
so the tests compare the hash always and the bytes only under the matplotlib that drew them.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from matrix import ERAS
from matrix.records.divergence import curve_groups, first_difference
from matrix.records.observations import short_date, span, version_key


def curves_for(example: str, sessions: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """One panel per era with CPU curves of this example. In a panel, pins recorded on the same CPU
    whose curves are identical share one line (labelled with all of them); each line that differs
    from the panel's first line (its oldest pin, same CPU) says from which step."""
    panels = []
    groups = curve_groups(sessions)
    for era in ERAS:
        keys = sorted(k for k in groups if k[0] == era and k[1] == example and k[2] == "cpu")
        lines = []
        for key in keys:
            by_pin = groups[key]
            base = None
            for pin in sorted(by_pin, key=version_key):
                c = by_pin[pin]
                same = next((ln for ln in lines if ln["cpu"] == key[3] and ln["losses"] == c["losses"]), None)
                if same:
                    same["pins"].append(pin)
                    same["dates"].append(short_date(c.get("date")))
                    continue
                first = first_difference(base, c["losses"])[0] if base is not None else None
                base = c["losses"] if base is None else base
                lines.append({"cpu": key[3], "pins": [pin], "dates": [short_date(c.get("date"))],
                              "losses": c["losses"], "first_diff_step": first, "seed": key[4], "steps": key[5]})
        if lines:
            panels.append({"era": era, "lines": lines, "difference_panel": overlapping(lines)})
    return panels


#: about the height of one loss axis in the PNG, in pixels (2.2 in at 100 dpi, less title and ticks)
AXIS_PX = 150
#: lines closer than this everywhere cannot be told apart (the lines are 1 and 1.5 px wide)
OVERLAP_PX = 2


def overlap_share(a: Sequence, b: Sequence, lo: float, hi: float, log: bool) -> float:
    """Of the common steps where two ``[[step, loss], ...]`` curves differ, the share at which they are
    less than :data:`OVERLAP_PX` pixels apart on an axis from ``lo`` to ``hi`` (0 where they never differ)."""
    f = (lambda v: math.log10(v)) if log else (lambda v: v)
    height = f(hi) - f(lo)
    ref = {int(t): float(v) for t, v in a}
    gaps = [abs(f(float(v)) - f(ref[int(t)])) for t, v in b if int(t) in ref and float(v) != ref[int(t)]]
    if not gaps:
        return 0.0
    if height <= 0:
        return 1.0
    return sum(g / height * AXIS_PX < OVERLAP_PX for g in gaps) / len(gaps)


def overlapping(lines: List[Dict[str, Any]]) -> bool:
    """Whether some two lines of a panel lie on top of each other at half or more of the steps where
    they differ."""
    values = [float(q[1]) for ln in lines for q in ln["losses"]]
    if len(lines) < 2 or not values:
        return False
    log = all(v > 0 for v in values)
    lo, hi = min(values), max(values)
    return any(overlap_share(x["losses"], y["losses"], lo, hi, log) >= 0.5
               for i, x in enumerate(lines) for y in lines[i + 1:])


def relative_differences(ref: Sequence, curve: Sequence) -> List[List[Optional[float]]]:
    """[[step, |loss - ref| / |ref|], ...] over the common steps; None where the two are equal."""
    r = {int(t): float(v) for t, v in ref}
    out: List[List[Optional[float]]] = []
    for t, v in curve:
        if int(t) in r:
            d = abs(float(v) - r[int(t)]) / max(abs(r[int(t)]), 1e-300)
            out.append([int(t), d if d > 0 else None])
    return out


def line_label(line: Dict[str, Any], cpus: int) -> str:
    """Legend text of one figure line: its pins, its CPU where a panel has several, where it departs."""
    label = "torch " + ", ".join(line["pins"])
    if cpus > 1:
        label += f" ({line['cpu']})"
    if line["first_diff_step"] is not None:
        label += f": differs from step {line['first_diff_step']}"
    return label


def curve_descriptions(panels: List[Dict[str, Any]]) -> List[str]:
    """The figure's lines in words, for the manifest and the page: era, pins, CPU, dates."""
    out = []
    for p in panels:
        for ln in p["lines"]:
            out.append(f"{p['era']}: {line_label(ln, 1)} ({ln['cpu']}, {span(sorted(set(ln['dates'])))})")
    return out


def difference_descriptions(panels: List[Dict[str, Any]]) -> List[str]:
    """The difference panels in words: era, which line against which, the largest relative difference."""
    out = []
    for p in panels:
        if not p["difference_panel"]:
            continue
        base = p["lines"][0]
        for ln in p["lines"][1:]:
            diffs = [d for _, d in relative_differences(base["losses"], ln["losses"]) if d is not None]
            largest = f"largest {max(diffs):.3g}" if diffs else "equal at every step"
            out.append(f"{p['era']}: |relative difference| of torch {', '.join(ln['pins'])} to torch "
                       f"{', '.join(base['pins'])} per step ({largest})")
    return out


def data_hash(panels: List[Dict[str, Any]]) -> str:
    """SHA-256 of what a figure plots (compared by the tests whatever matplotlib draws it): the lines,
    and which panels have a difference panel (its values follow from the lines)."""
    blob = json.dumps([[p["era"], [[ln["cpu"], ln["pins"], ln["losses"]] for ln in p["lines"]]]
                       + (["difference"] if p.get("difference_panel") else []) for p in panels], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def draw(example: str, panels: List[Dict[str, Any]], path: Path) -> None:
    """One panel per era (its own step range, log y where all losses are positive); title names the
    CPU(s) and the dates of the runs. No metadata in the PNG (deterministic bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator, NullFormatter

    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    cpus = sorted({ln["cpu"] for p in panels for ln in p["lines"]})
    dates = span(sorted({d for p in panels for ln in p["lines"] for d in ln["dates"]}))
    with matplotlib.rc_context({"font.size": 8, "svg.hashsalt": "docs", "path.simplify": False}):
        ratios = []
        for p in panels:
            ratios += [2.2] + ([1.0] if p["difference_panel"] else [])
        fig, axes = plt.subplots(len(ratios), 1, figsize=(6.4, 0.7 + sum(ratios)), dpi=100, squeeze=False,
                                 gridspec_kw={"height_ratios": ratios})
        row = 0
        for p in panels:
            ax = axes[row, 0]
            diff_ax = axes[row + 1, 0] if p["difference_panel"] else None
            row += 2 if diff_ax is not None else 1
            n_cpus = len({ln["cpu"] for ln in p["lines"]})
            for i, ln in enumerate(p["lines"]):
                color = palette[i % len(palette)]
                style = dict(color=color, linewidth=1.5 if i == 0 else 1.0, linestyle="-" if i == 0 else "--",
                             zorder=2 + i)
                t = [q[0] for q in ln["losses"]]
                v = [q[1] for q in ln["losses"]]
                ax.plot(t, v, label=line_label(ln, n_cpus), **style)
                if ln["first_diff_step"] is not None:
                    for a in (ax, diff_ax):
                        if a is not None:
                            a.axvline(ln["first_diff_step"], color=color, linestyle=":", linewidth=0.8)
                if diff_ax is not None and i > 0:
                    rel = relative_differences(p["lines"][0]["losses"], ln["losses"])
                    diff_ax.plot([q[0] for q in rel], [float("nan") if q[1] is None else q[1] for q in rel],
                                 color=color, linewidth=0.7, marker=".", markersize=2, zorder=2 + i)
            positive = all(q[1] > 0 for ln in p["lines"] for q in ln["losses"])
            if positive:
                ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ln0 = p["lines"][0]
            ax.set_title(f"{p['era']} ({ln0['steps']} steps, seed {ln0['seed']})", fontsize=8)
            ax.set_ylabel("loss" + (" (log)" if positive else ""))
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(loc="upper right", fontsize=7)
            if diff_ax is not None:
                diff_ax.set_yscale("log")
                found = [d for ln in p["lines"][1:] for _, d in relative_differences(ln0["losses"], ln["losses"])
                         if d is not None]
                if found:  # whole decades, so that the axis always has labelled ticks
                    lo, hi = math.floor(math.log10(min(found))), math.ceil(math.log10(max(found)))
                    diff_ax.set_ylim(10.0 ** lo, 10.0 ** max(hi, lo + 1))
                diff_ax.yaxis.set_minor_formatter(NullFormatter())
                diff_ax.set_xlim(ax.get_xlim())
                diff_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                diff_ax.set_ylabel("|rel. diff.|")
                diff_ax.set_title(f"{p['era']}: |relative difference| to torch {', '.join(ln0['pins'])} "
                                  "per step (no point: equal)", fontsize=7)
                diff_ax.grid(True, which="major", alpha=0.3)
        axes[-1, 0].set_xlabel("step")
        fig.suptitle(f"{example}: loss per step on {' / '.join(cpus)}, runs of {dates}", fontsize=9)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)
