"""The loss-curve figures (docs/img/<example>.png) and their data, described in words and hashed.

Only :func:`draw` needs matplotlib, imported when called, so that the markdown and the manifest are
written without it. PNG bytes depend on the matplotlib (and FreeType) build; the data hash does not,
so the tests compare the hash always and the bytes only under the matplotlib that drew them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Dict, List, Sequence

from matrix import ERAS
from matrix.divergence import curve_groups, first_difference
from matrix.observations import short_date, span, version_key


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
            panels.append({"era": era, "lines": lines})
    return panels


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


def data_hash(panels: List[Dict[str, Any]]) -> str:
    """SHA-256 of what a figure plots (compared by the tests whatever matplotlib draws it)."""
    blob = json.dumps([[p["era"], [[ln["cpu"], ln["pins"], ln["losses"]] for ln in p["lines"]]] for p in panels],
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def draw(example: str, panels: List[Dict[str, Any]], path: Path) -> None:
    """One panel per era (its own step range, log y where all losses are positive); title names the
    CPU(s) and the dates of the runs. No metadata in the PNG (deterministic bytes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    cpus = sorted({ln["cpu"] for p in panels for ln in p["lines"]})
    dates = span(sorted({d for p in panels for ln in p["lines"] for d in ln["dates"]}))
    with matplotlib.rc_context({"font.size": 8, "svg.hashsalt": "docs", "path.simplify": False}):
        fig, axes = plt.subplots(len(panels), 1, figsize=(6.4, 0.7 + 2.2 * len(panels)), dpi=100, squeeze=False)
        for ax, p in zip(axes[:, 0], panels):
            n_cpus = len({ln["cpu"] for ln in p["lines"]})
            for i, ln in enumerate(p["lines"]):
                color = palette[i % len(palette)]
                t = [q[0] for q in ln["losses"]]
                v = [q[1] for q in ln["losses"]]
                ax.plot(t, v, color=color, linewidth=1.5 if i == 0 else 1.0, linestyle="-" if i == 0 else "--",
                        zorder=2 + i, label=line_label(ln, n_cpus))
                if ln["first_diff_step"] is not None:
                    ax.axvline(ln["first_diff_step"], color=color, linestyle=":", linewidth=0.8)
            positive = all(q[1] > 0 for ln in p["lines"] for q in ln["losses"])
            if positive:
                ax.set_yscale("log")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ln0 = p["lines"][0]
            ax.set_title(f"{p['era']} ({ln0['steps']} steps, seed {ln0['seed']})", fontsize=8)
            ax.set_ylabel("loss" + (" (log)" if positive else ""))
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(loc="upper right", fontsize=7)
        axes[-1, 0].set_xlabel("step")
        fig.suptitle(f"{example}: loss per step on {' / '.join(cpus)}, runs of {dates}", fontsize=9)
        fig.tight_layout()
        fig.savefig(path, format="png", metadata={"Software": None})
        plt.close(fig)
